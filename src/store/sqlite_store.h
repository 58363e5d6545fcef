#pragma once
// The SQLite adapter of the repositories: one database file in WAL mode, versioned
// migrations applied at open. sqlite3 stays in sqlite_store*.cpp. One thread per object; a
// second object on the same file (another thread) reads while the writer writes (WAL).

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

/// The event log and derived records in SQLite.
class SqliteStore final : public Store {
 public:
  /// Opens (creating) the database and migrates it to the current schema. kIo on failure,
  /// kConflict when the file has a newer schema than this binary knows.
  static Result<std::unique_ptr<SqliteStore>> open(const SqliteOptions& options);
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  Result<RunStart> beginRun(std::int64_t timeMs) override;
  Result<std::uint64_t> append(const std::vector<Event>& events, const Derived& derived) override;
  Result<std::vector<StoredEvent>> recoveryEvents(std::uint64_t run) override;
  Result<void> finishRun(std::uint64_t run, const Derived& derived, std::int64_t timeMs) override;
  Result<std::vector<StoredEvent>> read(std::string_view tenant, std::uint64_t afterId,
                                        std::size_t limit) override;
  Result<std::uint64_t> lastId() override;

  Result<std::vector<Cdr>> cdrs(const CdrQuery& q) override;
  Result<std::optional<Cdr>> cdr(std::string_view tenant, std::uint64_t run,
                                 std::uint64_t call) override;
  Result<std::vector<IntervalSums>> intervals(std::string_view tenant, std::int64_t fromMs,
                                              std::int64_t toMs, std::string_view queue) override;
  Result<std::vector<AgentStateInterval>> agentStates(std::string_view tenant, std::int64_t fromMs,
                                                      std::int64_t toMs,
                                                      std::string_view agent) override;
  Result<std::vector<RecordingEntry>> recordings(const RecordingQuery& q) override;
  Result<std::vector<RecordingEntry>> expireRecordings(std::string_view tenant,
                                                       std::int64_t beforeMs) override;

  /// The schema version the database is at.
  int schemaVersion() const { return schemaVersion_; }

 private:
  struct Db;
  explicit SqliteStore(std::unique_ptr<Db> db, int version);
  Result<void> insertDerived(const Derived& derived);
  std::unique_ptr<Db> db_;
  int schemaVersion_ = 0;
  std::uint64_t run_ = 0;  // the run appended events belong to (beginRun)
};

}  // namespace sb::store
