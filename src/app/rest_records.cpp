// REST resources over the records, answered on the store reader: CDRs (JSON pages or CSV),
// reports (queues by period with formulas, agents), abandoned calls to call back,
// recordings (index and authorised download with ranges), and the event log by id.

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "app/internal/rest.h"
#include "report/metrics.h"

namespace sb::app::rest {
namespace {

std::int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// The time range of a records query: `from`/`to` in ms since the epoch (default: the last
/// 24 hours); at most a year and a day.
Result<std::pair<std::int64_t, std::int64_t>> range(const api::HttpRequest& r) {
  auto to = intParam(r, "to", nowMs());
  if (!to) return to.error();
  auto from = intParam(r, "from", *to - 24 * 3600 * 1000LL);
  if (!from) return from.error();
  if (*from >= *to) return fail(Errc::kInvalidInput, "'from' must be before 'to'");
  if (*to - *from > 367LL * 24 * 3600 * 1000) {
    return fail(Errc::kInvalidInput, "a range is at most a year");
  }
  return std::make_pair(*from, *to);
}

nlohmann::json cdrJson(const store::Cdr& c) {
  nlohmann::json legs = nlohmann::json::array();
  for (const auto& l : c.legs) {
    legs.push_back({{"leg", l.leg},
                    {"role", l.role},
                    {"peer", l.peer},
                    {"agent", l.agent},
                    {"created_ms", l.createdMs},
                    {"ringing_ms", l.ringingMs},
                    {"answered_ms", l.answeredMs},
                    {"ended_ms", l.endedMs},
                    {"cause", l.cause}});
  }
  return {{"id", c.id},           {"run", c.run},
          {"call", c.call},       {"number", c.number},
          {"caller", c.caller},   {"start_ms", c.startMs},
          {"answer_ms", c.answerMs}, {"queued_ms", c.queuedMs},
          {"offered_ms", c.offeredMs}, {"accepted_ms", c.acceptedMs},
          {"end_ms", c.endMs},    {"wrap_up_end_ms", c.wrapUpEndMs},
          {"queue", c.queue},     {"agent", c.agent},
          {"disposition", store::dispositionName(c.disposition)},
          {"hangup_cause", c.hangupCause}, {"hangup_side", c.hangupSide},
          {"recording", !c.recording.empty()}, {"ivr_ms", c.ivrMs},
          {"wait_ms", c.waitMs},  {"talk_ms", c.talkMs},
          {"hold_ms", c.holdMs},  {"wrap_up_ms", c.wrapUpMs},
          {"answered_in_sl", c.answeredInSl}, {"abandoned_in_sl", c.abandonedInSl},
          {"short_abandon", c.shortAbandon}, {"legs", legs}};
}

/// RFC 4180 field: quoted when it holds a comma, quote or line break; a leading = + - @ is
/// prefixed with ' so a spreadsheet does not run caller-supplied text as a formula.
std::string csvField(const std::string& v) {
  std::string s = v;
  if (!s.empty() && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@')) s = "'" + s;
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char ch : s) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return q + "\"";
}

std::string cdrCsv(const std::vector<store::Cdr>& cdrs) {
  std::ostringstream out;
  out << "id,call,start_ms,number,caller,queue,agent,disposition,hangup_cause,hangup_side,"
         "ivr_ms,wait_ms,talk_ms,hold_ms,wrap_up_ms,answered_in_sl,short_abandon\r\n";
  for (const auto& c : cdrs) {
    out << c.id << ',' << c.call << ',' << c.startMs << ',' << csvField(c.number) << ','
        << csvField(c.caller) << ',' << csvField(c.queue) << ',' << csvField(c.agent) << ','
        << store::dispositionName(c.disposition) << ',' << csvField(c.hangupCause) << ','
        << c.hangupSide << ',' << c.ivrMs << ',' << c.waitMs << ',' << c.talkMs << ','
        << c.holdMs << ',' << c.wrapUpMs << ',' << (c.answeredInSl ? 1 : 0) << ','
        << (c.shortAbandon ? 1 : 0) << "\r\n";
  }
  return out.str();
}

Result<store::CdrQuery> cdrQuery(const Call& c) {
  store::CdrQuery q;
  q.tenant = c.tenant.id;
  auto r = range(c.http);
  if (!r) return r.error();
  q.fromMs = r->first;
  q.toMs = r->second;
  q.queue = c.http.queryParam("queue");
  q.agent = c.http.queryParam("agent");
  std::string d = c.http.queryParam("disposition");
  if (!d.empty()) {
    store::Disposition parsed;
    if (!store::dispositionFromName(d, parsed)) {
      return fail(Errc::kInvalidInput, "unknown disposition '" + d + "'");
    }
    q.disposition = parsed;
  }
  auto after = intParam(c.http, "after", 0);
  if (!after || *after < 0) return fail(Errc::kInvalidInput, "'after' must be a CDR id");
  q.afterId = static_cast<std::uint64_t>(*after);
  auto limit = intParam(c.http, "limit", 100);
  if (!limit || *limit < 1 || *limit > 10000) {
    return fail(Errc::kInvalidInput, "'limit' must be 1..10000");
  }
  q.limit = static_cast<std::size_t>(*limit);
  return q;
}

api::HttpResponse cdrPage(const std::vector<store::Cdr>& cdrs, const store::CdrQuery& q,
                          bool csv) {
  std::uint64_t next = cdrs.size() == q.limit ? cdrs.back().id : 0;
  if (csv) {
    api::HttpResponse r{200, "text/csv; charset=utf-8", cdrCsv(cdrs), {}};
    if (next != 0) r.headers.emplace_back("X-Next-After", std::to_string(next));
    return r;
  }
  nlohmann::json list = nlohmann::json::array();
  for (const auto& c : cdrs) list.push_back(cdrJson(c));
  nlohmann::json body = {{"cdrs", list}};
  if (next != 0) body["next_after"] = next;
  return ok(body);
}

nlohmann::json figureJson(const report::Figure& f) {
  nlohmann::json j = {{"unit", f.unit}, {"formula", f.formula}};
  j["value"] = f.value ? nlohmann::json(*f.value) : nlohmann::json(nullptr);
  return j;
}

Result<report::Grain> grainOf(const std::string& g) {
  if (g.empty() || g == "15m") return report::Grain::kQuarterHour;
  if (g == "hour") return report::Grain::kHour;
  if (g == "day") return report::Grain::kDay;
  if (g == "month") return report::Grain::kMonth;
  if (g == "whole") return report::Grain::kWhole;
  return fail(Errc::kInvalidInput, "grain must be 15m, hour, day, month or whole");
}

void installCdrs(Routes& routes) {
  RestDeps& deps = routes.deps();
  routes.tenantAsync("GET", "/cdrs", Min::kSupervisor,
                     "CDRs by start time (from, to, queue, agent, disposition, after, limit; "
                     "format=csv for CSV)",
                     [&deps](const Call& c, api::Responder done) {
                       auto q = cdrQuery(c);
                       if (!q) return done(api::errorResponse(q.error()));
                       bool csv = c.http.queryParam("format") == "csv";
                       onStore(deps, std::move(done), [q = *q, csv](store::Store& db) {
                         auto cdrs = db.cdrs(q);
                         if (!cdrs) return api::errorResponse(cdrs.error());
                         return cdrPage(*cdrs, q, csv);
                       });
                     });
  routes.tenantAsync("GET", "/cdrs/{call}", Min::kSupervisor, "One call's CDR with its legs",
                     [&deps](const Call& c, api::Responder done) {
                       std::uint64_t call = idOf(c.http.param("call"));
                       if (call == 0) return done(error(Errc::kNotFound, "no such CDR"));
                       std::string tenant = c.tenant.id;
                       onStore(deps, std::move(done), [tenant, call](store::Store& db) {
                         auto cdr = db.cdr(tenant, call >> 32, call);
                         if (!cdr) return api::errorResponse(cdr.error());
                         if (!cdr->has_value()) return error(Errc::kNotFound, "no such CDR");
                         return ok(cdrJson(**cdr));
                       });
                     });
  routes.tenantAsync("GET", "/abandoned", Min::kSupervisor,
                     "Abandoned calls to call back (from, to, queue, after, limit)",
                     [&deps](const Call& c, api::Responder done) {
                       auto q = cdrQuery(c);
                       if (!q) return done(api::errorResponse(q.error()));
                       q->disposition = store::Disposition::kAbandoned;
                       onStore(deps, std::move(done), [q = *q](store::Store& db) {
                         auto cdrs = db.cdrs(q);
                         if (!cdrs) return api::errorResponse(cdrs.error());
                         nlohmann::json list = nlohmann::json::array();
                         for (const auto& x : *cdrs) {
                           if (x.shortAbandon) continue;  // hung up before they could be served
                           list.push_back({{"call", x.call},
                                           {"caller", x.caller},
                                           {"queue", x.queue},
                                           {"abandoned_ms", x.endMs},
                                           {"waited_ms", x.waitMs}});
                         }
                         nlohmann::json body = {{"abandoned", list}};
                         if (cdrs->size() == q.limit) body["next_after"] = cdrs->back().id;
                         return ok(body);
                       });
                     });
}

void installReports(Routes& routes) {
  RestDeps& deps = routes.deps();
  routes.tenantAsync(
      "GET", "/reports/queues", Min::kSupervisor,
      "Queue figures by period (from, to, grain=15m|hour|day|month|whole, queue, per_queue, "
      "tz_offset_min) with each formula",
      [&deps](const Call& c, api::Responder done) {
        auto r = range(c.http);
        if (!r) return done(api::errorResponse(r.error()));
        auto grain = grainOf(c.http.queryParam("grain"));
        if (!grain) return done(api::errorResponse(grain.error()));
        auto offset = intParam(c.http, "tz_offset_min", 0);
        if (!offset) return done(api::errorResponse(offset.error()));
        auto variant = report::parseSlVariant(c.tenant.reporting.serviceLevelVariant)
                           .value_or(report::SlVariant::kAnsweredOverOffered);
        std::string tenant = c.tenant.id, queue = c.http.queryParam("queue");
        bool perQueue = c.http.queryParam("per_queue") != "false";
        onStore(deps, std::move(done), [=](store::Store& db) {
          auto rows = db.intervals(tenant, r->first, r->second, queue);
          if (!rows) return api::errorResponse(rows.error());
          auto periods = report::groupIntervals(*rows, r->first, r->second, *grain, perQueue,
                                                static_cast<int>(*offset));
          if (!periods) return api::errorResponse(periods.error());
          nlohmann::json list = nlohmann::json::array();
          for (const auto& p : *periods) {
            auto f = report::queueFigures(p.sums, variant);
            list.push_back({{"from_ms", p.fromMs},
                            {"to_ms", p.toMs},
                            {"queue", p.sums.queue},
                            {"offered", figureJson(f.offered)},
                            {"answered", figureJson(f.answered)},
                            {"abandoned", figureJson(f.abandoned)},
                            {"short_abandoned", figureJson(f.shortAbandoned)},
                            {"callbacks", figureJson(f.callbacks)},
                            {"left", figureJson(f.left)},
                            {"service_level", figureJson(f.serviceLevel)},
                            {"abandon_rate", figureJson(f.abandonRate)},
                            {"asa", figureJson(f.asa)},
                            {"aht", figureJson(f.aht)},
                            {"average_abandon_time", figureJson(f.averageAbandonTime)},
                            {"longest_wait", figureJson(f.longestWait)}});
          }
          return ok({{"service_level_variant", std::string(report::slVariantName(variant))},
                     {"periods", list}});
        });
      });
  routes.tenantAsync("GET", "/reports/agents", Min::kSupervisor,
                     "Agent state durations, occupancy and calls handled (from, to, agent)",
                     [&deps](const Call& c, api::Responder done) {
                       auto r = range(c.http);
                       if (!r) return done(api::errorResponse(r.error()));
                       std::string tenant = c.tenant.id, agent = c.http.queryParam("agent");
                       onStore(deps, std::move(done), [=](store::Store& db) {
                         auto rows = db.agentStates(tenant, r->first, r->second, agent);
                         if (!rows) return api::errorResponse(rows.error());
                         auto figures = report::agentFigures(*rows, r->first, r->second);
                         nlohmann::json list = nlohmann::json::array();
                         for (auto& f : figures) {
                           // Each accepted call is one on_call interval starting in the range.
                           std::int64_t handled = 0;
                           for (const auto& s : *rows) {
                             handled += s.agent == f.agent && s.state == "on_call" &&
                                        s.startMs >= r->first && s.startMs < r->second;
                           }
                           list.push_back({{"agent", f.agent},
                                           {"state_ms", f.stateMs},
                                           {"not_ready_by_reason_ms", f.notReadyByReasonMs},
                                           {"logged_in_ms", f.loggedInMs},
                                           {"occupancy", figureJson(f.occupancy)},
                                           {"handled", handled}});
                         }
                         return ok({{"from_ms", r->first}, {"to_ms", r->second}, {"agents", list}});
                       });
                     });
}

nlohmann::json recordingJson(const store::RecordingEntry& e) {
  return {{"call", e.call},           {"leg", e.leg},         {"agent", e.agent},
          {"start_ms", e.startMs},    {"duration_ms", e.durationMs},
          {"bytes", e.bytes},         {"sha256", e.sha256}};
}

/// The bytes of `path` answering a GET with an optional `Range: bytes=a-b` (RFC 9110 §14).
api::HttpResponse fileAnswer(const std::string& path, const std::string& rangeHeader) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return error(Errc::kNotFound, "the recording file is gone");
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  api::HttpResponse r{200, "audio/wav", {}, {{"Accept-Ranges", "bytes"}}};
  std::size_t size = data.size();
  if (rangeHeader.rfind("bytes=", 0) == 0 && rangeHeader.find(',') == std::string::npos) {
    std::string spec = rangeHeader.substr(6);
    auto dash = spec.find('-');
    std::size_t first = 0, last = size == 0 ? 0 : size - 1;
    bool valid = dash != std::string::npos;
    try {
      if (valid && dash == 0) {  // suffix: the last N bytes
        std::size_t n = static_cast<std::size_t>(std::stoull(spec.substr(1)));
        first = n >= size ? 0 : size - n;
      } else if (valid) {
        first = static_cast<std::size_t>(std::stoull(spec.substr(0, dash)));
        if (dash + 1 < spec.size()) last = std::min<std::size_t>(last, std::stoull(spec.substr(dash + 1)));
      }
    } catch (const std::exception&) {
      valid = false;
    }
    if (!valid || first >= size || first > last) {
      api::HttpResponse bad = error(Errc::kInvalidInput, "unsatisfiable range");
      bad.status = 416;
      bad.headers.emplace_back("Content-Range", "bytes */" + std::to_string(size));
      return bad;
    }
    r.status = 206;
    r.headers.emplace_back("Content-Range", "bytes " + std::to_string(first) + "-" +
                                                std::to_string(last) + "/" + std::to_string(size));
    r.body = data.substr(first, last - first + 1);
    return r;
  }
  r.body = std::move(data);
  return r;
}

/// True when `path` resolves inside `dir` (no `..`, no symlink out of it).
bool inside(const std::string& path, const std::string& dir) {
  std::error_code ec;
  auto file = std::filesystem::weakly_canonical(path, ec);
  if (ec) return false;
  auto root = std::filesystem::weakly_canonical(dir, ec);
  if (ec) return false;
  auto f = file.string(), d = root.string() + "/";
  return f.rfind(d, 0) == 0;
}

void installRecordings(Routes& routes) {
  RestDeps& deps = routes.deps();
  routes.tenantAsync("GET", "/recordings", Min::kSupervisor,
                     "Recordings index (from, to, call, agent, limit)",
                     [&deps](const Call& c, api::Responder done) {
                       auto r = range(c.http);
                       if (!r) return done(api::errorResponse(r.error()));
                       store::RecordingQuery q;
                       q.tenant = c.tenant.id;
                       q.fromMs = r->first;
                       q.toMs = r->second;
                       std::string callText = c.http.queryParam("call");
                       q.call = idOf(callText);
                       if (!callText.empty() && q.call == 0) {
                         return done(error(Errc::kInvalidInput, "'call' must be a call id"));
                       }
                       q.run = q.call >> 32;
                       q.agent = c.http.queryParam("agent");
                       auto limit = intParam(c.http, "limit", 100);
                       if (!limit || *limit < 1 || *limit > 10000) {
                         return done(error(Errc::kInvalidInput, "'limit' must be 1..10000"));
                       }
                       q.limit = static_cast<std::size_t>(*limit);
                       onStore(deps, std::move(done), [q](store::Store& db) {
                         auto list = db.recordings(q);
                         if (!list) return api::errorResponse(list.error());
                         nlohmann::json out = nlohmann::json::array();
                         for (const auto& e : *list) out.push_back(recordingJson(e));
                         return ok({{"recordings", out}});
                       });
                     });
  routes.tenantAsync(
      "GET", "/recordings/{call}/{leg}", Min::kSupervisor,
      "Downloads a recording (audio/wav; Range requests; access_token query for players)",
      [&deps](const Call& c, api::Responder done) {
        store::RecordingQuery q;
        q.tenant = c.tenant.id;
        q.call = idOf(c.http.param("call"));
        q.run = q.call >> 32;
        q.limit = 1000;
        std::uint64_t leg = idOf(c.http.param("leg"));
        if (q.call == 0 || leg == 0) return done(error(Errc::kNotFound, "no such recording"));
        std::string rangeHeader = c.http.header("Range");
        std::string dir = deps.config.media.recordingDir;
        onStore(deps, std::move(done), [q, leg, rangeHeader, dir](store::Store& db) {
          auto list = db.recordings(q);
          if (!list) return api::errorResponse(list.error());
          for (const auto& e : *list) {
            if (e.leg != leg) continue;
            // The file named by our own index, and only under the recordings directory.
            if (!inside(e.path, dir)) return error(Errc::kNotFound, "no such recording");
            return fileAnswer(e.path, rangeHeader);
          }
          return error(Errc::kNotFound, "no such recording");
        });
      });
}

void installEvents(Routes& routes) {
  RestDeps& deps = routes.deps();
  routes.tenantAsync("GET", "/events", Min::kSupervisor,
                     "The event log by id (after, limit); the WebSocket stream resumes the same ids",
                     [&deps](const Call& c, api::Responder done) {
                       auto after = intParam(c.http, "after", 0);
                       auto limit = intParam(c.http, "limit", 100);
                       if (!after || *after < 0 || !limit || *limit < 1 || *limit > 10000) {
                         return done(error(Errc::kInvalidInput,
                                           "'after' must be an event id, 'limit' 1..10000"));
                       }
                       std::string tenant = c.tenant.id;
                       onStore(deps, std::move(done), [tenant, after = *after,
                                                        limit = *limit](store::Store& db) {
                         auto events = db.read(tenant, static_cast<std::uint64_t>(after),
                                               static_cast<std::size_t>(limit));
                         if (!events) return api::errorResponse(events.error());
                         nlohmann::json list = nlohmann::json::array();
                         for (const auto& e : *events) list.push_back(eventJson(e));
                         return ok({{"events", list}});
                       });
                     });
}

}  // namespace

nlohmann::json eventJson(const store::StoredEvent& e) {
  auto body = nlohmann::json::parse(e.event.body, nullptr, false);
  return {{"id", e.id},
          {"run", e.run},
          {"time_ms", e.event.timeMs},
          {"source", e.event.source},
          {"kind", e.event.kind},
          {"call", e.event.call},
          {"body", body.is_discarded() ? nlohmann::json(e.event.body) : body}};
}

void installRecordResources(Routes& routes) {
  installCdrs(routes);
  installReports(routes);
  installRecordings(routes);
  installEvents(routes);
}

}  // namespace sb::app::rest
