#pragma once
// JSON request bodies and JSON error answers of the REST API: the one place where a body is
// parsed (with a nesting limit) and where Errc is mapped to an HTTP status.

#include <cstddef>
#include <string_view>

#include <nlohmann/json.hpp>

#include "api/http_server.h"
#include "base/result.h"

namespace sb::api {

/// Default nesting limit of request bodies: containers inside containers.
inline constexpr std::size_t kMaxJsonDepth = 32;

/// Parses a request body as one JSON value (RFC 8259, UTF-8). kInvalidInput when it is empty,
/// not JSON, or nests arrays/objects deeper than `maxDepth` (`[]` is depth 1); the message
/// says what is wrong and at which byte offset (0-based), and never quotes the body. The depth
/// is checked while parsing, so any input costs O(size) time and O(maxDepth) stack. Any thread.
Result<nlohmann::json> parseJsonBody(std::string_view body, std::size_t maxDepth = kMaxJsonDepth);
/// parseJsonBody() that also requires a JSON object at the top level (kInvalidInput otherwise).
Result<nlohmann::json> parseJsonObject(std::string_view body, std::size_t maxDepth = kMaxJsonDepth);

/// The HTTP answer for `error`, by one table: kInvalidInput 400, kNotFound 404, kUnauthorized
/// 401 (with `WWW-Authenticate: Bearer`), kForbidden 403, kConflict 409, kOverloaded 429,
/// kUnsupported 501, kIo 500. Body `{"error":{"code":"invalid_input","message":"..."}}` with
/// the error's message, except kIo, whose message (paths, system errors) stays in the log and
/// reads "internal error". Any thread.
HttpResponse errorResponse(const Error& error);

}  // namespace sb::api
