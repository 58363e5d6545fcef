#include "app/event_stream.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "app/internal/rest.h"
#include "base/log.h"

namespace sb::app {
namespace {

/// Events buffered for one subscriber while it catches up; beyond, it is closed as too slow
/// (it resumes from the last id it got).
constexpr std::size_t kMaxBuffered = 100000;
/// Events read from the store per catch-up step.
constexpr std::size_t kCatchUpPage = 1000;

std::string text(const store::StoredEvent& e) {
  return rest::eventJson(e).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

struct EventStream::Subscriber {
  StreamFilter filter;
  std::shared_ptr<api::WsConnection> conn;
  std::uint64_t lastSent = 0;   // id of the last event sent (or the resume point)
  std::uint64_t liveFrom = 0;   // events up to here come from the store, later ones live
  bool live = false;            // catch-up done
  std::vector<store::StoredEvent> buffered;  // live events that came during catch-up
};

EventStream::EventStream(StoreReader& reader, std::uint64_t lastId)
    : reader_(reader), lastDelivered_(lastId) {}

EventStream::~EventStream() = default;

bool EventStream::wants(const StreamFilter& f, const store::StoredEvent& e) {
  if (e.event.tenant != f.tenant) return false;
  if (!f.kinds.empty() &&
      std::find(f.kinds.begin(), f.kinds.end(), e.event.kind) == f.kinds.end()) {
    return false;
  }
  if (f.queue.empty() && f.agent.empty()) return true;
  auto body = nlohmann::json::parse(e.event.body, nullptr, false);
  if (!body.is_object()) return false;
  if (!f.queue.empty() && body.value("queue", "") != f.queue) return false;
  if (!f.agent.empty() && body.value("agent", "") != f.agent) return false;
  return true;
}

void EventStream::onCommitted(const std::vector<store::StoredEvent>& events) {
  if (events.empty()) return;
  std::lock_guard lock(mutex_);
  for (auto it = subs_.begin(); it != subs_.end();) {
    Subscriber& s = *it->second;
    bool gone = false;
    for (const auto& e : events) {
      if (!wants(s.filter, e)) continue;
      if (!s.live) {
        if (s.buffered.size() >= kMaxBuffered) {
          s.conn->close(1008, "too slow");
          gone = true;
          break;
        }
        s.buffered.push_back(e);
        continue;
      }
      if (!s.conn->send(text(e))) {
        gone = true;  // closed, or closed as too slow by the server
        break;
      }
      s.lastSent = e.id;
    }
    it = gone ? subs_.erase(it) : std::next(it);
  }
  lastDelivered_ = std::max(lastDelivered_, events.back().id);
}

api::WsCallbacks EventStream::subscribe(StreamFilter filter, std::uint64_t after) {
  auto sub = std::make_shared<Subscriber>();
  sub->filter = std::move(filter);
  sub->lastSent = after;
  std::uint64_t id;
  {
    std::lock_guard lock(mutex_);
    id = nextId_++;
  }
  api::WsCallbacks cb;
  cb.onOpen = [this, sub, id](const std::shared_ptr<api::WsConnection>& conn) {
    {
      std::lock_guard lock(mutex_);
      sub->conn = conn;
      sub->liveFrom = lastDelivered_;  // everything up to here is in the store already
      subs_[id] = sub;
    }
    catchUp(id);
  };
  cb.onClose = [this, id](const std::shared_ptr<api::WsConnection>&) {
    std::lock_guard lock(mutex_);
    subs_.erase(id);
  };
  return cb;
}

// Reads the subscriber's events (after lastSent, up to liveFrom) from the store page by page
// on the reader thread, then sends what arrived live meanwhile and switches it to live.
void EventStream::catchUp(std::uint64_t id) {
  reader_.post([this, id](store::Store& db) {
    std::shared_ptr<Subscriber> s;
    {
      std::lock_guard lock(mutex_);
      auto it = subs_.find(id);
      if (it == subs_.end()) return;
      s = it->second;
    }
    // Only this job touches lastSent until the subscriber is live.
    while (s->lastSent < s->liveFrom) {
      auto page = db.read(s->filter.tenant, s->lastSent, kCatchUpPage);
      if (!page) {
        spdlog::warn("stream: catch-up read failed: {}", page.error().message);
        s->conn->close(1011, "store unavailable");
        return;
      }
      if (page->empty()) break;
      for (const auto& e : *page) {
        if (e.id > s->liveFrom) break;
        if (wants(s->filter, e) && !s->conn->send(text(e))) return;
        s->lastSent = e.id;
      }
      if (page->back().id > s->liveFrom || page->size() < kCatchUpPage) break;
    }
    std::lock_guard lock(mutex_);
    if (!subs_.count(id)) return;
    for (const auto& e : s->buffered) {
      if (e.id <= s->lastSent) continue;
      if (!s->conn->send(text(e))) {
        subs_.erase(id);
        return;
      }
      s->lastSent = e.id;
    }
    s->buffered.clear();
    s->live = true;
  });
}

std::size_t EventStream::subscribers() const {
  std::lock_guard lock(mutex_);
  return subs_.size();
}

}  // namespace sb::app
