#include "app/metrics.h"

#include <cstdio>

namespace sb::app {
namespace {

std::string escapeLabel(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

/// Writes HELP/TYPE once and one sample per call of `sample`.
class Writer {
 public:
  void family(const char* name, const char* type, const char* help) {
    out_ += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  }
  void sample(const std::string& name, double value, const std::string& labels = {}) {
    char num[64];
    std::snprintf(num, sizeof num, "%.17g", value);
    out_ += name + (labels.empty() ? "" : "{" + labels + "}") + " " + num + "\n";
  }
  void one(const char* name, const char* type, const char* help, double value) {
    family(name, type, help);
    sample(name, value);
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

void queueFamilies(Writer& w, const std::vector<QueueMetrics>& queues) {
  auto labels = [](const QueueMetrics& q) {
    return "tenant=\"" + escapeLabel(q.tenant) + "\",queue=\"" + escapeLabel(q.queue) + "\"";
  };
  w.family("switchboard_queue_waiting", "gauge", "Callers waiting in the queue.");
  for (const auto& q : queues) w.sample("switchboard_queue_waiting", double(q.waiting), labels(q));
  w.family("switchboard_queue_oldest_wait_seconds", "gauge", "Longest current wait.");
  for (const auto& q : queues) {
    w.sample("switchboard_queue_oldest_wait_seconds", q.oldestWaitS, labels(q));
  }
  w.family("switchboard_queue_agents", "gauge", "Member agents by state.");
  for (const auto& q : queues) {
    const std::pair<const char*, std::uint64_t> states[] = {{"ready", q.ready},
                                                            {"offered", q.offered},
                                                            {"on_call", q.onCall},
                                                            {"wrap_up", q.wrapUp},
                                                            {"not_ready", q.notReady}};
    for (const auto& [state, n] : states) {
      w.sample("switchboard_queue_agents", double(n), labels(q) + ",state=\"" + state + "\"");
    }
  }
  w.family("switchboard_queue_answered_total", "counter", "Contacts answered by an agent.");
  for (const auto& q : queues) {
    w.sample("switchboard_queue_answered_total", double(q.answered), labels(q));
  }
  w.family("switchboard_queue_abandoned_total", "counter", "Callers who hung up before answer.");
  for (const auto& q : queues) {
    w.sample("switchboard_queue_abandoned_total", double(q.abandoned), labels(q));
  }
}

}  // namespace

std::string renderMetrics(const MetricsSnapshot& m) {
  Writer w;
  w.one("switchboard_legs", "gauge", "Call legs alive.", double(m.legs));
  w.one("switchboard_dialogs", "gauge", "SIP dialogs alive.", double(m.dialogs));
  w.one("switchboard_inbound_ringing", "gauge", "Inbound legs not yet answered.",
        double(m.pendingInbound));
  w.family("switchboard_calls_total", "counter", "Legs by direction and outcome.");
  w.sample("switchboard_calls_total", double(m.callsInbound), "kind=\"inbound\"");
  w.sample("switchboard_calls_total", double(m.callsOutbound), "kind=\"outbound\"");
  w.sample("switchboard_calls_total", double(m.callsAnswered), "kind=\"answered\"");
  w.sample("switchboard_calls_total", double(m.callsRejected), "kind=\"rejected\"");
  w.one("switchboard_media_sessions", "gauge", "RTP sessions open.", double(m.mediaSessions));
  w.family("switchboard_rtp_packets_total", "counter", "RTP packets by direction.");
  w.sample("switchboard_rtp_packets_total", double(m.rtpIn), "direction=\"in\"");
  w.sample("switchboard_rtp_packets_total", double(m.rtpOut), "direction=\"out\"");
  w.one("switchboard_rtp_malformed_total", "counter", "RTP/RTCP datagrams dropped as malformed.",
        double(m.rtpMalformed));
  w.one("switchboard_rtp_ports_exhausted_total", "counter",
        "Media sessions refused: no port or descriptor.", double(m.rtpPortsExhausted));
  w.one("switchboard_event_log_lag", "gauge", "Events queued for the store, not yet committed.",
        double(m.eventsQueued - m.eventsCommitted));
  w.one("switchboard_events_committed_total", "counter", "Events committed to the event log.",
        double(m.eventsCommitted));
  w.one("switchboard_events_refused_total", "counter", "Events refused: store queue full.",
        double(m.eventsRefused));
  w.one("switchboard_store_failures_total", "counter", "Failed store transactions (retried).",
        double(m.storeFailures));
  w.one("switchboard_sip_overload_rejects_total", "counter", "INVITEs refused with 503.",
        double(m.sipOverloadRejects));
  w.one("switchboard_security_events_total", "counter", "Security events (auth failures, bans).",
        double(m.securityEvents));
  w.one("switchboard_control_loop_lag_ms", "gauge", "Time since the control loop last ticked.",
        double(m.controlLoopLagMs));
  queueFamilies(w, m.queues);
  return w.take();
}

}  // namespace sb::app
