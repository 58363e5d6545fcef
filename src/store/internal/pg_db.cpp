#include "store/internal/pg_db.h"

#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace sb::store::pg {
namespace {

/// The transaction-scoped advisory lock every writing transaction holds (any database
/// object's key space is separate). Serializing writers makes ids increase in commit order:
/// a sequence value taken inside the lock is above every value of an earlier commit, so a
/// reader resuming "after id N" never misses a row committed later with a smaller id — which
/// concurrent writers (several nodes on one database) would otherwise allow.
constexpr const char* kWriteLockSql = "SELECT pg_advisory_xact_lock(5347424400000001)";

std::string trimmed(const char* message) {
  std::string s = message != nullptr ? message : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s.empty() ? "unknown error" : s;
}

/// Length of the valid UTF-8 sequence (RFC 3629 §4) at the start of `s`, 0 when invalid or
/// NUL.
std::size_t utf8Length(std::string_view s) {
  auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char c = b(0);
  if (c == 0) return 0;
  if (c < 0x80) return 1;
  std::size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
  if (n == 0 || c > 0xF4 || s.size() < n) return 0;
  for (std::size_t i = 1; i < n; ++i) {
    if ((b(i) & 0xC0) != 0x80) return 0;
  }
  unsigned char c1 = b(1);
  if (c == 0xE0 && c1 < 0xA0) return 0;  // overlong
  if (c == 0xED && c1 > 0x9F) return 0;  // surrogates
  if (c == 0xF0 && c1 < 0x90) return 0;  // overlong
  if (c == 0xF4 && c1 > 0x8F) return 0;  // above U+10FFFF
  return n;
}

/// Length of the longest prefix of `v` that is storable as it is.
std::size_t storablePrefix(std::string_view v) {
  std::size_t i = 0;
  while (i < v.size()) {
    // ASCII fast path: most text is.
    auto c = static_cast<unsigned char>(v[i]);
    if (c != 0 && c < 0x80) {
      ++i;
      continue;
    }
    std::size_t n = utf8Length(v.substr(i));
    if (n == 0) break;
    i += n;
  }
  return i;
}

}  // namespace

std::string storable(std::string_view v) {
  std::size_t i = storablePrefix(v);
  if (i == v.size()) return std::string(v);
  std::string out(v.substr(0, i));
  while (i < v.size()) {
    std::size_t n = utf8Length(v.substr(i));
    if (n == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
    } else {
      out.append(v.substr(i, n));
      i += n;
    }
  }
  return out;
}

Rows::~Rows() {
  PQclear(r_);
}

Rows& Rows::operator=(Rows&& o) noexcept {
  if (this != &o) {
    PQclear(r_);
    r_ = o.r_;
    o.r_ = nullptr;
  }
  return *this;
}

int Rows::size() const {
  return r_ != nullptr ? PQntuples(r_) : 0;
}

std::string Rows::text(int r, int c) const {
  return std::string(PQgetvalue(r_, r, c), static_cast<std::size_t>(PQgetlength(r_, r, c)));
}

std::int64_t Rows::i64(int r, int c) const {
  const char* p = PQgetvalue(r_, r, c);
  std::int64_t v = 0;
  std::from_chars(p, p + PQgetlength(r_, r, c), v);
  return v;
}

bool Rows::boolean(int r, int c) const {
  return PQgetvalue(r_, r, c)[0] == 't';
}

Params& Params::add(std::string_view v) {
  values_.push_back(storable(v));
  return *this;
}

Params& Params::add(std::int64_t v) {
  values_.push_back(std::to_string(v));
  return *this;
}

Params& Params::addLimit(std::size_t n) {
  constexpr auto kMax = static_cast<std::size_t>(INT64_MAX);
  return add(static_cast<std::int64_t>(std::min(n, kMax)));
}

void CopyRows::separate() {
  if (rowStarted_) data_.push_back('\t');
  rowStarted_ = true;
}

CopyRows& CopyRows::field(std::string_view v) {
  separate();
  std::string fixed;
  if (storablePrefix(v) != v.size()) {
    fixed = storable(v);
    v = fixed;
  }
  // COPY text format: backslash escapes for the delimiter, row end and backslash itself.
  for (char ch : v) {
    switch (ch) {
      case '\\':
        data_ += "\\\\";
        break;
      case '\t':
        data_ += "\\t";
        break;
      case '\n':
        data_ += "\\n";
        break;
      case '\r':
        data_ += "\\r";
        break;
      default:
        data_.push_back(ch);
    }
  }
  return *this;
}

CopyRows& CopyRows::field(std::int64_t v) {
  separate();
  char buf[24];
  auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
  data_.append(buf, end);
  return *this;
}

void CopyRows::endRow() {
  data_.push_back('\n');
  rowStarted_ = false;
}

Connection::~Connection() {
  PQfinish(conn_);
}

Error Connection::lastError(std::string_view what) const {
  return fail(Errc::kIo, std::string(what) + ": " +
                             trimmed(conn_ != nullptr ? PQerrorMessage(conn_) : "out of memory"));
}

Result<void> Connection::connect(const std::string& conninfo) {
  PQfinish(conn_);
  conn_ = PQconnectdb(conninfo.c_str());
  if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) return lastError("cannot connect");
  // The server's notices ("relation already exists, skipping") are not errors; libpq would
  // print them on stderr.
  PQsetNoticeProcessor(
      conn_, [](void*, const char*) {}, nullptr);
  return {};
}

Result<void> Connection::ensureConnected(std::string_view what) {
  if (conn_ == nullptr) return fail(Errc::kIo, std::string(what) + ": not connected");
  if (PQstatus(conn_) == CONNECTION_BAD) {
    // Reconnecting inside a transaction would run its remaining statements outside it.
    if (inTransaction_) return lastError(what);
    PQreset(conn_);
    if (PQstatus(conn_) != CONNECTION_OK) return lastError(what);
  }
  return {};
}

Error Connection::resultError(pg_result* res, std::string_view what) const {
  std::string message = trimmed(res != nullptr ? PQresultErrorMessage(res) : nullptr);
  if (res == nullptr || message == "unknown error") return lastError(what);
  return fail(Errc::kIo, std::string(what) + ": " + message);
}

Result<Rows> Connection::query(const char* sql, const Params& params, std::string_view what) {
  if (auto r = ensureConnected(what); !r) return r.error();
  std::vector<const char*> values;
  values.reserve(params.values().size());
  for (const auto& v : params.values()) values.push_back(v.c_str());
  Rows rows(PQexecParams(conn_, sql, static_cast<int>(values.size()), nullptr, values.data(),
                         nullptr, nullptr, 0));
  auto status = PQresultStatus(rows.get());
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) return resultError(rows.get(), what);
  return rows;
}

Result<void> Connection::exec(const char* sql, std::string_view what) {
  if (auto r = ensureConnected(what); !r) return r.error();
  Rows rows(PQexec(conn_, sql));
  auto status = PQresultStatus(rows.get());
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) return resultError(rows.get(), what);
  return {};
}

Result<void> Connection::copyIn(const char* copySql, const CopyRows& rows, std::string_view what) {
  if (auto r = ensureConnected(what); !r) return r.error();
  {
    Rows start(PQexec(conn_, copySql));
    if (PQresultStatus(start.get()) != PGRES_COPY_IN) return resultError(start.get(), what);
  }
  // Chunks keep libpq's send buffer small; the server parses rows as they arrive.
  constexpr std::size_t kChunk = 256 * 1024;
  const std::string& data = rows.data();
  bool sent = true;
  for (std::size_t off = 0; off < data.size() && sent; off += kChunk) {
    std::size_t n = std::min(kChunk, data.size() - off);
    sent = PQputCopyData(conn_, data.data() + off, static_cast<int>(n)) == 1;
  }
  if (PQputCopyEnd(conn_, sent ? nullptr : "client failed to send the data") != 1) {
    return lastError(what);
  }
  Result<void> out;
  // The COPY's outcome, then the end of the command (libpq wants every result drained).
  while (pg_result* res = PQgetResult(conn_)) {
    Rows r(res);
    if (out && PQresultStatus(res) != PGRES_COMMAND_OK) out = resultError(res, what);
  }
  if (out && !sent) out = lastError(what);
  return out;
}

Transaction::~Transaction() {
  if (!open_) return;
  c_.inTransaction_ = false;
  (void)c_.exec("ROLLBACK", "rollback");
}

Result<void> Transaction::beginWrite(std::string_view what) {
  if (auto r = c_.exec("BEGIN", what); !r) return r;
  open_ = true;
  c_.inTransaction_ = true;
  return c_.exec(kWriteLockSql, what);
}

Result<void> Transaction::commit() {
  // Only reached when every statement succeeded: COMMIT of a failed transaction would
  // quietly roll back and still report success.
  auto r = c_.exec("COMMIT", "commit");
  if (r) {
    open_ = false;
    c_.inTransaction_ = false;
  }
  return r;
}

}  // namespace sb::store::pg
