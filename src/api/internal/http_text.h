#pragma once
// Text helpers of the HTTP server: field and token syntax, percent-decoding, path splitting,
// dates and fixed error bodies. Internal to sb_api; no Beast here.

#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/http_server.h"

namespace sb::api::internal {

/// Aborts with `what` unless `ok`: for programming errors made at setup (STYLE.md "Bugs are
/// not errors").
void checkOrDie(bool ok, std::string_view what);

/// ASCII case-insensitive equality.
bool iequals(std::string_view a, std::string_view b);
/// ASCII case-insensitive prefix test.
bool startsWithNoCase(std::string_view s, std::string_view prefix);
/// RFC 9110 §5.6.2 token.
bool isToken(std::string_view s);
/// RFC 9110 §5.5 field value without control characters but HTAB, at most 8 KiB.
bool isFieldValue(std::string_view s);
/// Fields that frame the message or identify the server; only the server writes them.
bool isServerField(std::string_view name);

/// `{"error":"<message>"}`.
std::string jsonError(std::string_view message);
/// A server error answer with a fixed message; never request data.
HttpResponse fixedError(int status, std::string_view message);

/// RFC 3986 §2.1 percent-decoding; nullopt on a truncated escape or NUL. With `plusIsSpace`
/// a '+' decodes to ' ' (application/x-www-form-urlencoded query strings).
std::optional<std::string> percentDecode(std::string_view s, bool plusIsSpace = false);
/// "/a/b" -> {"a", "b"}; "/" -> {""}; "/a/" -> {"a", ""}. Views into `path` (starts with '/').
std::vector<std::string_view> splitPath(std::string_view path);
/// Splits an origin-form or absolute-form target (RFC 9112 §3.2) into raw path and query.
void splitTarget(std::string_view target, std::string& path, std::string& query);
/// RFC 9110 §5.6.7 IMF-fixdate of `t`, independent of the locale.
std::string httpDate(std::time_t t);

}  // namespace sb::api::internal
