#include "store/sqlite_event_store.h"

#include <sqlite3.h>

#include <array>
#include <filesystem>

namespace sb::store {
namespace {

/// The schema, one migration per version; a database records the version it is at. Append
/// only: a released migration is never edited, a change is a new entry.
constexpr std::array<const char*, 1> kMigrations = {
    // 1: the append-only event log; reads are by tenant in id order.
    "CREATE TABLE events ("
    "  id INTEGER PRIMARY KEY,"
    "  time_ms INTEGER NOT NULL,"
    "  tenant TEXT NOT NULL,"
    "  source TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  body TEXT NOT NULL);"
    "CREATE INDEX events_by_tenant ON events (tenant, id);",
};

Error sqliteError(sqlite3* db, const std::string& what) {
  return fail(Errc::kIo, what + ": " + (db != nullptr ? sqlite3_errmsg(db) : "out of memory"));
}

/// A prepared statement, finalized on destruction.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) { sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr); }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  sqlite3_stmt* get() const { return stmt_; }
  explicit operator bool() const { return stmt_ != nullptr; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

void bindText(sqlite3_stmt* s, int i, std::string_view v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}

std::string columnText(sqlite3_stmt* s, int i) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
  return p != nullptr ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s, i)))
                      : std::string();
}

}  // namespace

struct SqliteEventStore::Db {
  sqlite3* handle = nullptr;
  ~Db() { sqlite3_close_v2(handle); }

  Result<void> exec(const char* sql, const std::string& what) {
    char* msg = nullptr;
    if (sqlite3_exec(handle, sql, nullptr, nullptr, &msg) != SQLITE_OK) {
      std::string text = msg != nullptr ? msg : "unknown error";
      sqlite3_free(msg);
      return fail(Errc::kIo, what + ": " + text);
    }
    return {};
  }

  Result<int> userVersion() {
    Statement s(handle, "PRAGMA user_version");
    if (!s || sqlite3_step(s.get()) != SQLITE_ROW) return sqliteError(handle, "schema version");
    return sqlite3_column_int(s.get(), 0);
  }

  /// Applies every migration past the database's version, each in its own transaction.
  Result<int> migrate() {
    auto version = userVersion();
    if (!version) return version.error();
    if (*version > static_cast<int>(kMigrations.size())) {
      return fail(Errc::kConflict, "the database has schema version " + std::to_string(*version) +
                                       ", newer than this binary's " +
                                       std::to_string(kMigrations.size()));
    }
    for (int v = *version; v < static_cast<int>(kMigrations.size()); ++v) {
      std::string sql = std::string("BEGIN IMMEDIATE;") + kMigrations[static_cast<std::size_t>(v)] +
                        "PRAGMA user_version = " + std::to_string(v + 1) + ";COMMIT;";
      if (auto r = exec(sql.c_str(), "migration " + std::to_string(v + 1)); !r) {
        (void)exec("ROLLBACK", "rollback");
        return r.error();
      }
    }
    return static_cast<int>(kMigrations.size());
  }
};

SqliteEventStore::SqliteEventStore(std::unique_ptr<Db> db, int version)
    : db_(std::move(db)), schemaVersion_(version) {}

SqliteEventStore::~SqliteEventStore() = default;

Result<std::unique_ptr<SqliteEventStore>> SqliteEventStore::open(const SqliteOptions& options) {
  auto parent = std::filesystem::path(options.path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) return fail(Errc::kIo, "cannot create " + parent.string() + ": " + ec.message());
  }
  auto db = std::make_unique<Db>();
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(options.path.c_str(), &db->handle, flags, nullptr) != SQLITE_OK) {
    return sqliteError(db->handle, "cannot open " + options.path);
  }
  sqlite3_busy_timeout(db->handle, 5000);
  std::string pragmas = std::string("PRAGMA journal_mode=WAL;PRAGMA synchronous=") +
                        (options.syncFull ? "FULL" : "NORMAL") + ";PRAGMA foreign_keys=ON;";
  if (auto r = db->exec(pragmas.c_str(), options.path); !r) return r.error();
  auto version = db->migrate();
  if (!version) return fail(version.error().code, options.path + ": " + version.error().message);
  return std::unique_ptr<SqliteEventStore>(new SqliteEventStore(std::move(db), *version));
}

Result<std::uint64_t> SqliteEventStore::append(const std::vector<Event>& events) {
  sqlite3* h = db_->handle;
  if (auto r = db_->exec("BEGIN IMMEDIATE", "append"); !r) return r.error();
  Statement insert(h,
                   "INSERT INTO events (time_ms, tenant, source, kind, body) VALUES (?,?,?,?,?)");
  if (!insert) {
    (void)db_->exec("ROLLBACK", "rollback");
    return sqliteError(h, "append");
  }
  for (const auto& e : events) {
    sqlite3_bind_int64(insert.get(), 1, e.timeMs);
    bindText(insert.get(), 2, e.tenant);
    bindText(insert.get(), 3, e.source);
    bindText(insert.get(), 4, e.kind);
    bindText(insert.get(), 5, e.body);
    if (sqlite3_step(insert.get()) != SQLITE_DONE) {
      Error err = sqliteError(h, "append");
      (void)db_->exec("ROLLBACK", "rollback");
      return err;
    }
    sqlite3_reset(insert.get());
  }
  if (auto r = db_->exec("COMMIT", "commit"); !r) {
    (void)db_->exec("ROLLBACK", "rollback");
    return r.error();
  }
  return static_cast<std::uint64_t>(sqlite3_last_insert_rowid(h));
}

Result<std::vector<StoredEvent>> SqliteEventStore::read(std::string_view tenant,
                                                        std::uint64_t afterId, std::size_t limit) {
  Statement q(db_->handle,
              "SELECT id, time_ms, source, kind, body FROM events WHERE tenant = ? AND id > ? "
              "ORDER BY id LIMIT ?");
  if (!q) return sqliteError(db_->handle, "read");
  bindText(q.get(), 1, tenant);
  sqlite3_bind_int64(q.get(), 2, static_cast<sqlite3_int64>(afterId));
  sqlite3_bind_int64(q.get(), 3, static_cast<sqlite3_int64>(limit));
  std::vector<StoredEvent> out;
  int rc;
  while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) {
    StoredEvent s;
    s.id = static_cast<std::uint64_t>(sqlite3_column_int64(q.get(), 0));
    s.event.timeMs = sqlite3_column_int64(q.get(), 1);
    s.event.tenant = std::string(tenant);
    s.event.source = columnText(q.get(), 2);
    s.event.kind = columnText(q.get(), 3);
    s.event.body = columnText(q.get(), 4);
    out.push_back(std::move(s));
  }
  if (rc != SQLITE_DONE) return sqliteError(db_->handle, "read");
  return out;
}

Result<std::uint64_t> SqliteEventStore::lastId() {
  Statement q(db_->handle, "SELECT COALESCE(MAX(id), 0) FROM events");
  if (!q || sqlite3_step(q.get()) != SQLITE_ROW) return sqliteError(db_->handle, "last id");
  return static_cast<std::uint64_t>(sqlite3_column_int64(q.get(), 0));
}

}  // namespace sb::store
