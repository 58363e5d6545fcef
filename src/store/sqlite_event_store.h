#pragma once
// The SQLite adapter of the event log: one database file in WAL mode, versioned migrations
// applied at open. sqlite3 stays in sqlite_event_store.cpp. One thread per object.

#include <memory>
#include <string>

#include "store/event_store.h"

namespace sb::store {

/// How a SQLite database is opened.
struct SqliteOptions {
  std::string path;  ///< database file; its directory is created
  /// synchronous=FULL makes every commit survive power loss; NORMAL (the default) survives a
  /// killed process (kill -9) and loses at most the last commits on power loss (WAL mode).
  bool syncFull = false;
};

/// The event log in SQLite.
class SqliteEventStore final : public EventStore {
 public:
  /// Opens (creating) the database and migrates it to the current schema. kIo on failure,
  /// kConflict when the file has a newer schema than this binary knows.
  static Result<std::unique_ptr<SqliteEventStore>> open(const SqliteOptions& options);
  ~SqliteEventStore() override;
  SqliteEventStore(const SqliteEventStore&) = delete;
  SqliteEventStore& operator=(const SqliteEventStore&) = delete;

  Result<std::uint64_t> append(const std::vector<Event>& events) override;
  Result<std::vector<StoredEvent>> read(std::string_view tenant, std::uint64_t afterId,
                                        std::size_t limit) override;
  Result<std::uint64_t> lastId() override;
  /// The schema version the database is at.
  int schemaVersion() const { return schemaVersion_; }

 private:
  struct Db;
  explicit SqliteEventStore(std::unique_ptr<Db> db, int version);
  std::unique_ptr<Db> db_;
  int schemaVersion_ = 0;
};

}  // namespace sb::store
