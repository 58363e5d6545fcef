#pragma once
// The PostgreSQL adapter of the repositories (multi-node; SQLite is the embedded default):
// the same logical schema as sqlite_store.h, versioned migrations in a schema_version table
// applied at open. libpq stays in pg_store*.cpp and internal/pg_db.cpp. One thread per object
// (one connection each); writers on several connections or nodes are serialized by a
// transaction-scoped advisory lock, so ids increase in commit order.

#include <memory>
#include <string>

#include "store/event_store.h"

namespace sb::store {

/// How a PostgreSQL database is reached.
struct PgOptions {
  std::string conninfo;  ///< libpq connection string ("host=... port=... dbname=... user=...")
};

/// The event log and derived records in PostgreSQL.
class PgStore final : public Store {
 public:
  /// Connects and migrates the database to the current schema. kIo on failure, kConflict
  /// when the database has a newer schema than this binary knows.
  static Result<std::unique_ptr<PgStore>> open(const PgOptions& options);
  ~PgStore() override;
  PgStore(const PgStore&) = delete;
  PgStore& operator=(const PgStore&) = delete;

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
  PgStore(std::unique_ptr<Db> db, int version);
  Result<void> insertDerived(const Derived& derived);
  std::unique_ptr<Db> db_;
  int schemaVersion_ = 0;
  std::uint64_t run_ = 0;  // the run appended events belong to (beginRun)
};

}  // namespace sb::store
