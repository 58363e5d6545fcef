#pragma once
// Result<T>: expected-style value-or-error used for every expected failure (STYLE.md "Errors").

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace sb {

/// The small, documented set of error kinds; each edge maps them once to SIP/HTTP answers.
enum class Errc {
  kInvalidInput,    ///< malformed input from a peer or a file (SIP 400, HTTP 400)
  kNotFound,        ///< unknown tenant, user, dialog, transaction (SIP 404/481, HTTP 404)
  kUnauthorized,    ///< missing or wrong credentials (SIP 401/403, HTTP 401)
  kForbidden,       ///< authenticated but not allowed, or banned (SIP 403, HTTP 403)
  kConflict,        ///< state does not allow it now (SIP 491/500, HTTP 409)
  kOverloaded,      ///< a limit was reached (SIP 503, HTTP 429: docs/errors.md)
  kUnsupported,     ///< known but not implemented (SIP 420/501, HTTP 501)
  kIo,              ///< socket or file error
};

/// An error value: a kind plus a message fit for a log line or an API error body.
struct Error {
  Errc code;
  std::string message;
};

/// Holds either a T or an Error. Cheap to move; check with `ok()` before `value()`.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { assert(!ok()); return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

/// Result for operations without a value.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { assert(!ok_); return error_; }

 private:
  Error error_{Errc::kInvalidInput, {}};
  bool ok_ = true;
};

/// Shorthand to build an error value: `return fail(Errc::kInvalidInput, "bad CSeq");`
inline Error fail(Errc code, std::string message) { return Error{code, std::move(message)}; }

}  // namespace sb
