#pragma once
// The repositories (DESIGN.md decision 3): one interface per kind of record, adapters per
// database — SQLite in WAL mode is the embedded default (sqlite_store.h), PostgreSQL for
// multi-node (pg_store.h). Both adapters pass the same contract tests (store_contract_test).
// Each adapter object belongs to one thread (the store writer, or one reader thread).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/event.h"
#include "store/records.h"

namespace sb::store {

/// A node run as registered by beginRun().
struct RunStart {
  std::uint64_t run = 0;                  ///< the new run's id (1, 2, ...)
  std::vector<std::uint64_t> unfinished;  ///< earlier runs never finished (killed), oldest first
};

/// The event log and what is derived from it, written together. Errors: kIo (the database
/// failed; the message says how), kConflict (schema newer than the binary, at open).
class EventStore {
 public:
  virtual ~EventStore() = default;
  /// Registers a new node run; events appended from now on belong to it.
  virtual Result<RunStart> beginRun(std::int64_t timeMs) = 0;
  /// Appends `events` and inserts `derived` in one transaction (all or nothing); returns the
  /// id of the last event (the previous last id when `events` is empty). A CDR whose (run,
  /// call) exists, or an agent interval whose (run, agent, start, state) exists, is skipped,
  /// so replaying a run is harmless; each inserted CDR is added into its IntervalSums.
  virtual Result<std::uint64_t> append(const std::vector<Event>& events,
                                       const Derived& derived) = 0;
  /// What recovering run `run` needs, in id order: its events of calls without a CDR, and
  /// its agent_state events (the ACD's view of agents when it stopped).
  virtual Result<std::vector<StoredEvent>> recoveryEvents(std::uint64_t run) = 0;
  /// Inserts `derived` (as append does) and marks `run` finished, in one transaction.
  virtual Result<void> finishRun(std::uint64_t run, const Derived& derived,
                                 std::int64_t timeMs) = 0;
  /// Up to `limit` events of `tenant` with id > `afterId`, oldest first.
  virtual Result<std::vector<StoredEvent>> read(std::string_view tenant, std::uint64_t afterId,
                                                std::size_t limit) = 0;
  /// The id of the newest event (0 when empty).
  virtual Result<std::uint64_t> lastId() = 0;
};

/// Which CDRs a query wants. Every query is scoped to one tenant.
struct CdrQuery {
  std::string tenant;
  std::int64_t fromMs = 0;                   ///< startMs >= fromMs
  std::int64_t toMs = INT64_MAX;             ///< startMs < toMs
  std::string queue;                         ///< "" = any
  std::string agent;                         ///< "" = any
  std::optional<Disposition> disposition;    ///< none = any
  std::uint64_t afterId = 0;                 ///< paging: CDR ids above this
  std::size_t limit = 100;
};

/// Which recordings a query wants.
struct RecordingQuery {
  std::string tenant;
  std::int64_t fromMs = 0;
  std::int64_t toMs = INT64_MAX;
  std::uint64_t run = 0;   ///< with call: one call's recordings
  std::uint64_t call = 0;  ///< 0 = any call; else only (run, call)
  std::string agent;
  std::size_t limit = 100;
};

/// Reads of the derived records (reports, API). Errors: kIo.
class RecordStore {
 public:
  virtual ~RecordStore() = default;
  /// CDRs matching `q`, by id ascending.
  virtual Result<std::vector<Cdr>> cdrs(const CdrQuery& q) = 0;
  /// One CDR of `tenant`; nullopt when there is none (or it is another tenant's).
  virtual Result<std::optional<Cdr>> cdr(std::string_view tenant, std::uint64_t run,
                                         std::uint64_t call) = 0;
  /// Interval sums of `tenant` with fromMs <= intervalStartMs < toMs ("" queue = every
  /// queue), by interval then queue.
  virtual Result<std::vector<IntervalSums>> intervals(std::string_view tenant, std::int64_t fromMs,
                                                      std::int64_t toMs,
                                                      std::string_view queue) = 0;
  /// Agent state intervals of `tenant` overlapping [fromMs, toMs) ("" agent = every agent),
  /// by start.
  virtual Result<std::vector<AgentStateInterval>> agentStates(std::string_view tenant,
                                                              std::int64_t fromMs,
                                                              std::int64_t toMs,
                                                              std::string_view agent) = 0;
  /// Recordings matching `q`, by start.
  virtual Result<std::vector<RecordingEntry>> recordings(const RecordingQuery& q) = 0;
  /// Removes the index entries of `tenant`'s recordings that started before `beforeMs` and
  /// returns them (the caller deletes the files): retention.
  virtual Result<std::vector<RecordingEntry>> expireRecordings(std::string_view tenant,
                                                               std::int64_t beforeMs) = 0;
};

/// Both repositories over one connection: what an adapter is (SqliteStore, PgStore).
class Store : public EventStore, public RecordStore {};

}  // namespace sb::store
