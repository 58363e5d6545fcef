#pragma once
// The PostgreSQL adapter's thin layer over libpq: a connection, results, parameterized
// statements, COPY, transactions. Values only ever travel as parameters or COPY data, never
// inside SQL text. libpq's types are only forward-declared here; libpq-fe.h stays in
// pg_db.cpp. One thread per connection.

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

struct pg_conn;
struct pg_result;

namespace sb::store::pg {

/// `v` as PostgreSQL text can hold it: unchanged when it is valid UTF-8 without NUL bytes,
/// else with U+FFFD for each bad byte (a batch the writer retries must not fail forever
/// because a peer sent a malformed caller name; SQLite stores such bytes as they are).
std::string storable(std::string_view v);

/// One query's rows (text format), freed on destruction. Move-only.
class Rows {
 public:
  explicit Rows(pg_result* r = nullptr) : r_(r) {}
  ~Rows();
  Rows(Rows&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  Rows& operator=(Rows&& o) noexcept;
  Rows(const Rows&) = delete;
  Rows& operator=(const Rows&) = delete;

  /// Number of rows.
  int size() const;
  /// Column `c` of row `r` as text ("" when NULL).
  std::string text(int r, int c) const;
  /// Column `c` of row `r` as a signed integer (0 when NULL).
  std::int64_t i64(int r, int c) const;
  /// Column `c` of row `r` as an unsigned integer (0 when NULL).
  std::uint64_t u64(int r, int c) const { return static_cast<std::uint64_t>(i64(r, c)); }
  /// Column `c` of row `r` as a boolean (PostgreSQL's 't'/'f').
  bool boolean(int r, int c) const;
  /// The libpq result (pg_db.cpp only).
  pg_result* get() const { return r_; }

 private:
  pg_result* r_;
};

/// Statement parameters in text format, $1, $2, ... in order of add(); text is storable().
class Params {
 public:
  Params() = default;
  /// Appends a text parameter.
  Params& add(std::string_view v);
  /// Appends an integer parameter.
  Params& add(std::int64_t v);
  /// Appends an unsigned integer parameter (stored as bigint).
  Params& add(std::uint64_t v) { return add(static_cast<std::int64_t>(v)); }
  /// Appends an integer parameter.
  Params& add(int v) { return add(static_cast<std::int64_t>(v)); }
  /// Appends a row count for LIMIT (capped at the largest bigint).
  Params& addLimit(std::size_t n);
  /// The values, in order.
  const std::vector<std::string>& values() const { return values_; }

 private:
  std::vector<std::string> values_;
};

/// Builds the rows of `COPY ... FROM STDIN` (text format): fields tab-separated, escaped,
/// text storable().
class CopyRows {
 public:
  /// Appends a text field to the current row.
  CopyRows& field(std::string_view v);
  /// Appends an integer field to the current row.
  CopyRows& field(std::int64_t v);
  /// Appends an unsigned integer field to the current row.
  CopyRows& field(std::uint64_t v) { return field(static_cast<std::int64_t>(v)); }
  /// Ends the current row.
  void endRow();
  /// The encoded data.
  const std::string& data() const { return data_; }

 private:
  void separate();
  std::string data_;
  bool rowStarted_ = false;
};

/// A libpq connection. Every failure is kIo with the server's message; a broken connection
/// is re-established at the start of the next statement.
class Connection {
 public:
  Connection() = default;
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Connects with a libpq conninfo string ("host=... port=... dbname=...").
  Result<void> connect(const std::string& conninfo);
  /// Runs one parameterized statement; its rows (empty for commands).
  Result<Rows> query(const char* sql, const Params& params, std::string_view what);
  /// Runs parameterless SQL (may be several statements; used for DDL and BEGIN/COMMIT).
  Result<void> exec(const char* sql, std::string_view what);
  /// Runs `copySql` (a COPY ... FROM STDIN) and streams `rows` into it.
  Result<void> copyIn(const char* copySql, const CopyRows& rows, std::string_view what);

 private:
  Result<void> ensureConnected(std::string_view what);
  Error lastError(std::string_view what) const;
  Error resultError(pg_result* res, std::string_view what) const;
  friend class Transaction;
  pg_conn* conn_ = nullptr;
  bool inTransaction_ = false;  // set by Transaction
};

/// A transaction that rolls back unless commit() succeeds.
class Transaction {
 public:
  explicit Transaction(Connection& c) : c_(c) {}
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  /// BEGIN, then waits for the store's write lock (see pg_store.cpp).
  Result<void> beginWrite(std::string_view what);
  /// COMMIT.
  Result<void> commit();

 private:
  Connection& c_;
  bool open_ = false;
};

}  // namespace sb::store::pg
