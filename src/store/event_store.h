#pragma once
// The event log repository (DESIGN.md decision 3): one interface, adapters per database.
// SQLite in WAL mode is the embedded default (sqlite_event_store.h); PostgreSQL comes with
// multi-node. Each adapter object belongs to one thread (the store writer, or a reader).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/event.h"

namespace sb::store {

/// Appends and reads events. Errors: kIo (the database failed; the message says how).
class EventStore {
 public:
  virtual ~EventStore() = default;
  /// Appends `events` in one transaction (all or nothing); returns the id of the last one.
  virtual Result<std::uint64_t> append(const std::vector<Event>& events) = 0;
  /// Up to `limit` events of `tenant` with id > `afterId`, oldest first.
  virtual Result<std::vector<StoredEvent>> read(std::string_view tenant, std::uint64_t afterId,
                                                std::size_t limit) = 0;
  /// The id of the newest event (0 when empty).
  virtual Result<std::uint64_t> lastId() = 0;
};

}  // namespace sb::store
