#pragma once
// `${name}` templates used in prompts, set values, URLs, targets and comparisons. A name is a
// letter or '_' followed by letters, digits, '_', '.', '-'; "$$" writes one '$'. Pure; any thread.

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace sb::flow {

/// Variables of a run, by name ("caller", "customer.name", "acc.status").
using Variables = std::map<std::string, std::string, std::less<>>;

/// Longest expansion kept (bytes); longer results are cut so a loop cannot grow a value forever.
inline constexpr std::size_t kMaxValueBytes = 4096;

/// The variable names a template refers to, in order. kInvalidInput names the problem
/// ("'${' at column 7 is not closed", "'${}' has no name", "'${a b}' is not a variable name").
Result<std::vector<std::string>> templateNames(std::string_view text);

/// Replaces every `${name}` by its value (unset = empty). Invalid references stay as written.
std::string expandTemplate(std::string_view text, const Variables& vars);

/// True when `text` contains a `${...}` reference (so it cannot be checked before the call).
bool hasReference(std::string_view text);

/// True when `name` is a valid variable name.
bool isVariableName(std::string_view name);

}  // namespace sb::flow
