#pragma once
// Private to flow: an HTTP response body (JSON object) as flat variables.

#include <string>
#include <string_view>

#include "flow/template.h"

namespace sb::flow::internal {

/// Most fields taken from one response.
inline constexpr std::size_t kMaxJsonFields = 64;

/// Adds "<prefix>.<field>" for every scalar of a JSON object (nested objects as a.b, up to 4
/// levels; arrays skipped). Returns false when `body` is not a JSON object. Never throws.
bool flattenJson(std::string_view body, const std::string& prefix, Variables& out);

}  // namespace sb::flow::internal
