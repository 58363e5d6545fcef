#include "store/sqlite_store.h"

#include <array>
#include <filesystem>

#include "store/internal/sqlite_db.h"

namespace sb::store {

using sqlite::dbError;
using sqlite::Statement;
using sqlite::Transaction;

namespace {

/// The schema, one migration per version; a database records the version it is at. Append
/// only: a released migration is never edited, a change is a new entry.
constexpr std::array<const char*, 2> kMigrations = {
    // 1: the append-only event log; reads are by tenant in id order.
    "CREATE TABLE events ("
    "  id INTEGER PRIMARY KEY,"
    "  time_ms INTEGER NOT NULL,"
    "  tenant TEXT NOT NULL,"
    "  source TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  body TEXT NOT NULL);"
    "CREATE INDEX events_by_tenant ON events (tenant, id);",
    // 2: node runs, the call of each event, and the records derived from the log.
    "ALTER TABLE events ADD COLUMN run INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE events ADD COLUMN call_id INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX events_by_run ON events (run, call_id);"
    "CREATE TABLE runs (id INTEGER PRIMARY KEY, started_ms INTEGER NOT NULL,"
    "  finished_ms INTEGER);"
    "CREATE TABLE cdrs ("
    "  id INTEGER PRIMARY KEY, run INTEGER NOT NULL, call_id INTEGER NOT NULL,"
    "  tenant TEXT NOT NULL, number TEXT NOT NULL, caller TEXT NOT NULL,"
    "  start_ms INTEGER NOT NULL, answer_ms INTEGER NOT NULL, queued_ms INTEGER NOT NULL,"
    "  offered_ms INTEGER NOT NULL, accepted_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL,"
    "  wrap_up_end_ms INTEGER NOT NULL, queue TEXT NOT NULL, agent TEXT NOT NULL,"
    "  disposition TEXT NOT NULL, hangup_cause TEXT NOT NULL, hangup_side TEXT NOT NULL,"
    "  recording TEXT NOT NULL, ivr_ms INTEGER NOT NULL, wait_ms INTEGER NOT NULL,"
    "  talk_ms INTEGER NOT NULL, hold_ms INTEGER NOT NULL, wrap_up_ms INTEGER NOT NULL,"
    "  answered_in_sl INTEGER NOT NULL, abandoned_in_sl INTEGER NOT NULL,"
    "  short_abandon INTEGER NOT NULL, legs TEXT NOT NULL, UNIQUE (run, call_id));"
    "CREATE INDEX cdrs_by_tenant ON cdrs (tenant, id);"
    "CREATE INDEX cdrs_by_start ON cdrs (tenant, start_ms);"
    "CREATE TABLE agent_states ("
    "  run INTEGER NOT NULL, tenant TEXT NOT NULL, agent TEXT NOT NULL, state TEXT NOT NULL,"
    "  reason TEXT NOT NULL, start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL,"
    "  UNIQUE (run, agent, start_ms, state));"
    "CREATE INDEX agent_states_by_start ON agent_states (tenant, start_ms);"
    "CREATE TABLE recordings ("
    "  id INTEGER PRIMARY KEY, run INTEGER NOT NULL, call_id INTEGER NOT NULL,"
    "  leg INTEGER NOT NULL, tenant TEXT NOT NULL, agent TEXT NOT NULL, path TEXT NOT NULL,"
    "  start_ms INTEGER NOT NULL, duration_ms INTEGER NOT NULL, bytes INTEGER NOT NULL,"
    "  sha256 TEXT NOT NULL, UNIQUE (run, leg, path));"
    "CREATE INDEX recordings_by_start ON recordings (tenant, start_ms);"
    "CREATE TABLE interval_sums ("
    "  tenant TEXT NOT NULL, interval_start_ms INTEGER NOT NULL, queue TEXT NOT NULL,"
    "  offered INTEGER NOT NULL, answered INTEGER NOT NULL, abandoned INTEGER NOT NULL,"
    "  short_abandoned INTEGER NOT NULL, callbacks INTEGER NOT NULL, left_queue INTEGER NOT NULL,"
    "  answered_in_sl INTEGER NOT NULL, abandoned_in_sl INTEGER NOT NULL,"
    "  wait_answered_ms INTEGER NOT NULL, wait_abandoned_ms INTEGER NOT NULL,"
    "  max_wait_ms INTEGER NOT NULL, talk_ms INTEGER NOT NULL, hold_ms INTEGER NOT NULL,"
    "  wrap_up_ms INTEGER NOT NULL, PRIMARY KEY (tenant, interval_start_ms, queue))"
    "  WITHOUT ROWID;",
};

}  // namespace

namespace {

Result<int> userVersion(sqlite3* h) {
  Statement s(h, "PRAGMA user_version");
  if (!s || s.step() != SQLITE_ROW) return dbError(h, "schema version");
  return static_cast<int>(s.i64(0));
}

/// Applies every migration past the database's version, each in its own transaction.
Result<int> migrate(sqlite3* h) {
  auto version = userVersion(h);
  if (!version) return version.error();
  if (*version > static_cast<int>(kMigrations.size())) {
    return fail(Errc::kConflict, "the database has schema version " + std::to_string(*version) +
                                     ", newer than this binary's " +
                                     std::to_string(kMigrations.size()));
  }
  for (int v = *version; v < static_cast<int>(kMigrations.size()); ++v) {
    std::string sql = std::string("BEGIN IMMEDIATE;") + kMigrations[static_cast<std::size_t>(v)] +
                      "PRAGMA user_version = " + std::to_string(v + 1) + ";COMMIT;";
    if (auto r = sqlite::exec(h, sql.c_str(), "migration " + std::to_string(v + 1)); !r) {
      (void)sqlite::exec(h, "ROLLBACK", "rollback");
      return r.error();
    }
  }
  return static_cast<int>(kMigrations.size());
}

}  // namespace

SqliteStore::SqliteStore(std::unique_ptr<Db> db, int version)
    : db_(std::move(db)), schemaVersion_(version) {}

SqliteStore::~SqliteStore() = default;

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const SqliteOptions& options) {
  auto parent = std::filesystem::path(options.path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) return fail(Errc::kIo, "cannot create " + parent.string() + ": " + ec.message());
  }
  auto db = std::make_unique<Db>();
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(options.path.c_str(), &db->handle, flags, nullptr) != SQLITE_OK) {
    return dbError(db->handle, "cannot open " + options.path);
  }
  sqlite3_busy_timeout(db->handle, 5000);
  std::string pragmas = std::string("PRAGMA journal_mode=WAL;PRAGMA synchronous=") +
                        (options.syncFull ? "FULL" : "NORMAL") + ";PRAGMA foreign_keys=ON;";
  if (auto r = sqlite::exec(db->handle, pragmas.c_str(), options.path); !r) return r.error();
  auto version = migrate(db->handle);
  if (!version) return fail(version.error().code, options.path + ": " + version.error().message);
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(db), *version));
}

Result<RunStart> SqliteStore::beginRun(std::int64_t timeMs) {
  sqlite3* h = db_->handle;
  Transaction txn(h);
  if (auto r = txn.begin("begin run"); !r) return r.error();
  Statement insert(h, "INSERT INTO runs (started_ms) VALUES (?)");
  if (!insert) return dbError(h, "begin run");
  insert.bind(1, timeMs);
  if (insert.step() != SQLITE_DONE) return dbError(h, "begin run");
  RunStart out;
  out.run = static_cast<std::uint64_t>(sqlite3_last_insert_rowid(h));
  Statement open(h, "SELECT id FROM runs WHERE finished_ms IS NULL AND id < ? ORDER BY id");
  if (!open) return dbError(h, "begin run");
  open.bind(1, out.run);
  int rc;
  while ((rc = open.step()) == SQLITE_ROW) out.unfinished.push_back(open.u64(0));
  if (rc != SQLITE_DONE) return dbError(h, "begin run");
  if (auto r = txn.commit(); !r) return r.error();
  run_ = out.run;
  return out;
}

Result<std::uint64_t> SqliteStore::append(const std::vector<Event>& events,
                                          const Derived& derived) {
  sqlite3* h = db_->handle;
  Transaction txn(h);
  if (auto r = txn.begin("append"); !r) return r.error();
  if (!events.empty()) {
    Statement insert(h,
                     "INSERT INTO events (time_ms, tenant, source, kind, body, run, call_id) "
                     "VALUES (?,?,?,?,?,?,?)");
    if (!insert) return dbError(h, "append");
    for (const auto& e : events) {
      insert.bind(1, e.timeMs);
      insert.bind(2, e.tenant);
      insert.bind(3, e.source);
      insert.bind(4, e.kind);
      insert.bind(5, e.body);
      insert.bind(6, run_);
      insert.bind(7, e.call);
      if (insert.step() != SQLITE_DONE) return dbError(h, "append");
      insert.reset();
    }
  }
  if (auto r = insertDerived(derived); !r) return r.error();
  if (auto r = txn.commit(); !r) return r.error();
  return lastId();
}

Result<std::vector<StoredEvent>> SqliteStore::recoveryEvents(std::uint64_t run) {
  Statement q(db_->handle,
              "SELECT id, time_ms, tenant, source, kind, body, call_id FROM events e "
              "WHERE run = ? AND ((call_id <> 0 AND NOT EXISTS (SELECT 1 FROM cdrs c "
              "WHERE c.run = e.run AND c.call_id = e.call_id)) OR (source = 'acd' AND "
              "kind = 'agent_state')) ORDER BY id");
  if (!q) return dbError(db_->handle, "recovery events");
  q.bind(1, run);
  std::vector<StoredEvent> out;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    StoredEvent s;
    s.id = q.u64(0);
    s.run = run;
    s.event = Event{q.i64(1), q.text(2), q.text(3), q.text(4), q.text(5), q.u64(6)};
    out.push_back(std::move(s));
  }
  if (rc != SQLITE_DONE) return dbError(db_->handle, "recovery events");
  return out;
}

Result<void> SqliteStore::finishRun(std::uint64_t run, const Derived& derived,
                                    std::int64_t timeMs) {
  sqlite3* h = db_->handle;
  Transaction txn(h);
  if (auto r = txn.begin("finish run"); !r) return r.error();
  if (auto r = insertDerived(derived); !r) return r.error();
  Statement done(h, "UPDATE runs SET finished_ms = ? WHERE id = ?");
  if (!done) return dbError(h, "finish run");
  done.bind(1, timeMs);
  done.bind(2, run);
  if (done.step() != SQLITE_DONE) return dbError(h, "finish run");
  return txn.commit();
}

Result<std::vector<StoredEvent>> SqliteStore::read(std::string_view tenant, std::uint64_t afterId,
                                                   std::size_t limit) {
  Statement q(db_->handle,
              "SELECT id, time_ms, source, kind, body, run, call_id FROM events "
              "WHERE tenant = ? AND id > ? ORDER BY id LIMIT ?");
  if (!q) return dbError(db_->handle, "read");
  q.bind(1, tenant);
  q.bind(2, afterId);
  q.bind(3, static_cast<std::uint64_t>(limit));
  std::vector<StoredEvent> out;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    StoredEvent s;
    s.id = q.u64(0);
    s.run = q.u64(5);
    s.event = Event{q.i64(1), std::string(tenant), q.text(2), q.text(3), q.text(4), q.u64(6)};
    out.push_back(std::move(s));
  }
  if (rc != SQLITE_DONE) return dbError(db_->handle, "read");
  return out;
}

Result<std::uint64_t> SqliteStore::lastId() {
  Statement q(db_->handle, "SELECT COALESCE(MAX(id), 0) FROM events");
  if (!q || q.step() != SQLITE_ROW) return dbError(db_->handle, "last id");
  return q.u64(0);
}

}  // namespace sb::store
