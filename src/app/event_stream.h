#pragma once
// The live event stream (WebSocket `/api/v1/tenants/{tenant}/stream`): every committed event
// of the tenant, filtered by queue, agent or kind, resumable after a reconnect from the last
// event id seen — replayed from the store, then live, with no gap and no duplicate.
//
// Threads: onCommitted runs on the store writer's thread (in commit order, after the
// commit), subscribe() and the connection callbacks on the api loop, catch-up reads on the
// store reader. One mutex guards the subscribers.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "api/http_server.h"
#include "app/records.h"
#include "store/event.h"

namespace sb::app {

/// What a subscriber wants.
struct StreamFilter {
  std::string tenant;
  std::string queue;               ///< "" = any; else events whose body has this queue
  std::string agent;               ///< "" = any; else events whose body has this agent
  std::vector<std::string> kinds;  ///< empty = every kind
};

/// Fans committed events out to WebSocket subscribers.
class EventStream {
 public:
  /// `lastId`: the newest event id in the store when the node started.
  EventStream(StoreReader& reader, std::uint64_t lastId);
  ~EventStream();
  EventStream(const EventStream&) = delete;
  EventStream& operator=(const EventStream&) = delete;

  /// A committed batch, in id order (the store writer's listener).
  void onCommitted(const std::vector<store::StoredEvent>& events);
  /// The callbacks of a new subscriber wanting the events after id `after` (0: the tenant's
  /// whole log), then live ones. api loop.
  api::WsCallbacks subscribe(StreamFilter filter, std::uint64_t after);
  /// Subscribers connected now.
  std::size_t subscribers() const;

 private:
  struct Subscriber;
  void catchUp(std::uint64_t id);
  static bool wants(const StreamFilter& f, const store::StoredEvent& e);

  StoreReader& reader_;
  mutable std::mutex mutex_;
  std::uint64_t lastDelivered_ = 0;                          // guarded by mutex_
  std::uint64_t nextId_ = 1;                                 // guarded by mutex_
  std::map<std::uint64_t, std::shared_ptr<Subscriber>> subs_;  // guarded by mutex_
};

}  // namespace sb::app
