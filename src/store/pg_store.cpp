#include "store/pg_store.h"

#include <array>

#include "store/internal/pg_store_db.h"

namespace sb::store {

using pg::CopyRows;
using pg::Params;
using pg::Transaction;

namespace {

/// The schema, one migration per version; schema_version records the version the database
/// is at. Append only: a released migration is never edited, a change is a new entry. The
/// logical schema is SQLite's (sqlite_store.cpp) with PostgreSQL types: ids are identity
/// columns, flags booleans, a CDR's legs jsonb.
constexpr std::array<const char*, 1> kMigrations = {
    // 1: the event log with runs, and the records derived from it.
    "CREATE TABLE events ("
    "  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    "  run bigint NOT NULL, call_id bigint NOT NULL, time_ms bigint NOT NULL,"
    "  tenant text NOT NULL, source text NOT NULL, kind text NOT NULL, body text NOT NULL);"
    "CREATE INDEX events_by_tenant ON events (tenant, id);"
    // Runs only grow along the append-only table: a BRIN index finds a run's blocks for
    // recovery at a fraction of a btree's cost per insert (~30 % of COPY time measured);
    // autosummarize keeps filled block ranges summarized (unsummarized ones are scanned).
    "CREATE INDEX events_by_run ON events USING brin (run) WITH (autosummarize = on);"
    "CREATE TABLE runs (id bigint PRIMARY KEY, started_ms bigint NOT NULL, finished_ms bigint);"
    "CREATE TABLE cdrs ("
    "  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    "  run bigint NOT NULL, call_id bigint NOT NULL, tenant text NOT NULL,"
    "  number text NOT NULL, caller text NOT NULL, start_ms bigint NOT NULL,"
    "  answer_ms bigint NOT NULL, queued_ms bigint NOT NULL, offered_ms bigint NOT NULL,"
    "  accepted_ms bigint NOT NULL, end_ms bigint NOT NULL, wrap_up_end_ms bigint NOT NULL,"
    "  queue text NOT NULL, agent text NOT NULL, disposition text NOT NULL,"
    "  hangup_cause text NOT NULL, hangup_side text NOT NULL, recording text NOT NULL,"
    "  ivr_ms bigint NOT NULL, wait_ms bigint NOT NULL, talk_ms bigint NOT NULL,"
    "  hold_ms bigint NOT NULL, wrap_up_ms bigint NOT NULL, answered_in_sl boolean NOT NULL,"
    "  abandoned_in_sl boolean NOT NULL, short_abandon boolean NOT NULL, legs jsonb NOT NULL,"
    "  UNIQUE (run, call_id));"
    "CREATE INDEX cdrs_by_tenant ON cdrs (tenant, id);"
    "CREATE INDEX cdrs_by_start ON cdrs (tenant, start_ms);"
    "CREATE TABLE agent_states ("
    "  run bigint NOT NULL, tenant text NOT NULL, agent text NOT NULL, state text NOT NULL,"
    "  reason text NOT NULL, start_ms bigint NOT NULL, end_ms bigint NOT NULL,"
    "  UNIQUE (run, agent, start_ms, state));"
    "CREATE INDEX agent_states_by_start ON agent_states (tenant, start_ms);"
    "CREATE TABLE recordings ("
    "  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    "  run bigint NOT NULL, call_id bigint NOT NULL, leg bigint NOT NULL, tenant text NOT NULL,"
    "  agent text NOT NULL, path text NOT NULL, start_ms bigint NOT NULL,"
    "  duration_ms bigint NOT NULL, bytes bigint NOT NULL, sha256 text NOT NULL,"
    "  UNIQUE (run, leg, path));"
    "CREATE INDEX recordings_by_start ON recordings (tenant, start_ms);"
    "CREATE TABLE interval_sums ("
    "  tenant text NOT NULL, interval_start_ms bigint NOT NULL, queue text NOT NULL,"
    "  offered bigint NOT NULL, answered bigint NOT NULL, abandoned bigint NOT NULL,"
    "  short_abandoned bigint NOT NULL, callbacks bigint NOT NULL, left_queue bigint NOT NULL,"
    "  answered_in_sl bigint NOT NULL, abandoned_in_sl bigint NOT NULL,"
    "  wait_answered_ms bigint NOT NULL, wait_abandoned_ms bigint NOT NULL,"
    "  max_wait_ms bigint NOT NULL, talk_ms bigint NOT NULL, hold_ms bigint NOT NULL,"
    "  wrap_up_ms bigint NOT NULL, PRIMARY KEY (tenant, interval_start_ms, queue));",
};

/// Brings the database to the current schema in one transaction. Nodes opening the same
/// database at once queue on an advisory lock (CREATE TABLE IF NOT EXISTS alone races).
Result<int> migrate(pg::Connection& c) {
  Transaction txn(c);
  if (auto r = txn.beginWrite("migration"); !r) return r.error();
  if (auto r = c.exec("CREATE TABLE IF NOT EXISTS schema_version ("
                      "  one boolean PRIMARY KEY DEFAULT true CHECK (one),"
                      "  version integer NOT NULL);"
                      "INSERT INTO schema_version (version) VALUES (0) ON CONFLICT DO NOTHING",
                      "schema version");
      !r) {
    return r.error();
  }
  auto rows = c.query("SELECT version FROM schema_version", Params(), "schema version");
  if (!rows) return rows.error();
  const auto known = static_cast<std::int64_t>(kMigrations.size());
  std::int64_t version = rows->i64(0, 0);
  if (version > known) {
    return fail(Errc::kConflict, "the database has schema version " + std::to_string(version) +
                                     ", newer than this binary's " + std::to_string(known));
  }
  for (auto v = version; v < known; ++v) {
    if (auto r =
            c.exec(kMigrations[static_cast<std::size_t>(v)], "migration " + std::to_string(v + 1));
        !r) {
      return r.error();
    }
  }
  if (version < known) {
    auto r =
        c.query("UPDATE schema_version SET version = $1", Params().add(known), "schema version");
    if (!r) return r.error();
  }
  if (auto r = txn.commit(); !r) return r.error();
  return static_cast<int>(known);
}

}  // namespace

PgStore::PgStore(std::unique_ptr<Db> db, int version)
    : db_(std::move(db)), schemaVersion_(version) {}

PgStore::~PgStore() = default;

Result<std::unique_ptr<PgStore>> PgStore::open(const PgOptions& options) {
  auto db = std::make_unique<Db>();
  if (auto r = db->conn.connect(options.conninfo); !r) return r.error();
  auto version = migrate(db->conn);
  if (!version) return version.error();
  return std::unique_ptr<PgStore>(new PgStore(std::move(db), *version));
}

Result<RunStart> PgStore::beginRun(std::int64_t timeMs) {
  auto& c = db_->conn;
  Transaction txn(c);
  if (auto r = txn.beginWrite("begin run"); !r) return r.error();
  // Runs are numbered 1, 2, ... without the gaps a sequence leaves; the write lock makes
  // max + 1 safe.
  auto run = c.query(
      "INSERT INTO runs (id, started_ms) SELECT COALESCE(MAX(id), 0) + 1, $1 FROM runs "
      "RETURNING id",
      Params().add(timeMs), "begin run");
  if (!run) return run.error();
  RunStart out;
  out.run = run->u64(0, 0);
  auto open = c.query("SELECT id FROM runs WHERE finished_ms IS NULL AND id < $1 ORDER BY id",
                      Params().add(out.run), "begin run");
  if (!open) return open.error();
  for (int i = 0; i < open->size(); ++i) out.unfinished.push_back(open->u64(i, 0));
  if (auto r = txn.commit(); !r) return r.error();
  run_ = out.run;
  return out;
}

Result<std::uint64_t> PgStore::append(const std::vector<Event>& events, const Derived& derived) {
  auto& c = db_->conn;
  Transaction txn(c);
  if (auto r = txn.beginWrite("append"); !r) return r.error();
  if (!events.empty()) {
    // COPY: one round trip for the whole batch, several times faster than INSERTs.
    CopyRows rows;
    for (const auto& e : events) {
      rows.field(run_).field(e.call).field(e.timeMs).field(e.tenant).field(e.source);
      rows.field(e.kind).field(e.body).endRow();
    }
    if (auto r = c.copyIn("COPY events (run, call_id, time_ms, tenant, source, kind, body) "
                          "FROM STDIN",
                          rows, "append");
        !r) {
      return r.error();
    }
  }
  if (auto r = insertDerived(derived); !r) return r.error();
  // Under the write lock nobody else inserts: the newest id is this batch's last.
  auto last = c.query("SELECT COALESCE(MAX(id), 0) FROM events", Params(), "append");
  if (!last) return last.error();
  if (auto r = txn.commit(); !r) return r.error();
  return last->u64(0, 0);
}

namespace {

/// The columns the event reads select, in the order decodeEvent expects.
constexpr const char* kEventColumns = "id, run, call_id, time_ms, tenant, source, kind, body";

StoredEvent decodeEvent(const pg::Rows& rows, int i) {
  StoredEvent s;
  s.id = rows.u64(i, 0);
  s.run = rows.u64(i, 1);
  s.event = Event{rows.i64(i, 3),  rows.text(i, 4), rows.text(i, 5),
                  rows.text(i, 6), rows.text(i, 7), rows.u64(i, 2)};
  return s;
}

}  // namespace

Result<std::vector<StoredEvent>> PgStore::recoveryEvents(std::uint64_t run) {
  std::string sql = std::string("SELECT ") + kEventColumns +
                    " FROM events e WHERE run = $1 AND ((call_id <> 0 AND NOT EXISTS ("
                    "SELECT 1 FROM cdrs c WHERE c.run = e.run AND c.call_id = e.call_id)) OR "
                    "(source = 'acd' AND kind = 'agent_state')) ORDER BY id";
  auto rows = db_->conn.query(sql.c_str(), Params().add(run), "recovery events");
  if (!rows) return rows.error();
  std::vector<StoredEvent> out;
  out.reserve(static_cast<std::size_t>(rows->size()));
  for (int i = 0; i < rows->size(); ++i) out.push_back(decodeEvent(*rows, i));
  return out;
}

Result<void> PgStore::finishRun(std::uint64_t run, const Derived& derived, std::int64_t timeMs) {
  auto& c = db_->conn;
  Transaction txn(c);
  if (auto r = txn.beginWrite("finish run"); !r) return r.error();
  if (auto r = insertDerived(derived); !r) return r.error();
  auto done = c.query("UPDATE runs SET finished_ms = $1 WHERE id = $2",
                      Params().add(timeMs).add(run), "finish run");
  if (!done) return done.error();
  return txn.commit();
}

Result<std::vector<StoredEvent>> PgStore::read(std::string_view tenant, std::uint64_t afterId,
                                               std::size_t limit) {
  std::string sql = std::string("SELECT ") + kEventColumns +
                    " FROM events WHERE tenant = $1 AND id > $2 ORDER BY id LIMIT $3";
  auto rows =
      db_->conn.query(sql.c_str(), Params().add(tenant).add(afterId).addLimit(limit), "read");
  if (!rows) return rows.error();
  std::vector<StoredEvent> out;
  out.reserve(static_cast<std::size_t>(rows->size()));
  for (int i = 0; i < rows->size(); ++i) out.push_back(decodeEvent(*rows, i));
  return out;
}

Result<std::uint64_t> PgStore::lastId() {
  auto rows = db_->conn.query("SELECT COALESCE(MAX(id), 0) FROM events", Params(), "last id");
  if (!rows) return rows.error();
  return rows->u64(0, 0);
}

}  // namespace sb::store
