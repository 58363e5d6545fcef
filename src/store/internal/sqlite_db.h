#pragma once
// The sqlite3 connection and statement helpers shared by sqlite_store*.cpp. Private to store.

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "store/sqlite_store.h"

namespace sb::store::sqlite {

/// An Error of kind kIo with sqlite's message.
inline Error dbError(sqlite3* db, const std::string& what) {
  return fail(Errc::kIo, what + ": " + (db != nullptr ? sqlite3_errmsg(db) : "out of memory"));
}

/// A prepared statement with positional binds, finalized on destruction.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) { sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr); }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  sqlite3_stmt* get() const { return stmt_; }
  explicit operator bool() const { return stmt_ != nullptr; }

  void bind(int i, std::string_view v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void bind(int i, std::int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void bind(int i, std::uint64_t v) { sqlite3_bind_int64(stmt_, i, static_cast<sqlite3_int64>(v)); }
  void bind(int i, bool v) { sqlite3_bind_int(stmt_, i, v ? 1 : 0); }
  /// sqlite3_step; SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return sqlite3_step(stmt_); }
  void reset() { sqlite3_reset(stmt_); }

  std::string text(int i) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, i));
    return p != nullptr ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, i)))
                        : std::string();
  }
  std::int64_t i64(int i) const { return sqlite3_column_int64(stmt_, i); }
  std::uint64_t u64(int i) const { return static_cast<std::uint64_t>(sqlite3_column_int64(stmt_, i)); }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

/// Runs SQL text without results; kIo naming `what` on failure.
inline Result<void> exec(sqlite3* db, const char* sql, const std::string& what) {
  char* msg = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &msg) != SQLITE_OK) {
    std::string text = msg != nullptr ? msg : "unknown error";
    sqlite3_free(msg);
    return fail(Errc::kIo, what + ": " + text);
  }
  return {};
}

/// A transaction rolled back unless committed.
class Transaction {
 public:
  explicit Transaction(sqlite3* db) : db_(db) {}
  ~Transaction() {
    if (open_) (void)exec(db_, "ROLLBACK", "rollback");
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  Result<void> begin(const std::string& what) {
    auto r = exec(db_, "BEGIN IMMEDIATE", what);
    open_ = r.ok();
    return r;
  }
  Result<void> commit() {
    auto r = exec(db_, "COMMIT", "commit");
    if (r) open_ = false;
    return r;
  }

 private:
  sqlite3* db_;
  bool open_ = false;
};

}  // namespace sb::store::sqlite

namespace sb::store {

/// The connection of one SqliteStore.
struct SqliteStore::Db {
  sqlite3* handle = nullptr;
  ~Db() { sqlite3_close_v2(handle); }
};

}  // namespace sb::store
