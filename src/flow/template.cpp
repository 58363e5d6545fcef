#include "flow/template.h"

namespace sb::flow {
namespace {

bool isNameStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool isNameChar(char c) {
  return isNameStart(c) || (c >= '0' && c <= '9') || c == '.' || c == '-';
}

// Walks `text`, calling `literal` for plain text and `reference` for each `${name}`. Returns
// an error message for the first invalid reference, or "" when the template is well formed.
template <class Literal, class Reference>
std::string walk(std::string_view text, Literal literal, Reference reference) {
  std::size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c != '$' || i + 1 >= text.size()) {
      literal(std::string_view(&text[i], 1));
      ++i;
      continue;
    }
    if (text[i + 1] == '$') {
      literal("$");
      i += 2;
      continue;
    }
    if (text[i + 1] != '{') {
      literal("$");
      ++i;
      continue;
    }
    std::size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      return "'${' at column " + std::to_string(i + 1) + " is not closed";
    }
    std::string_view name = text.substr(i + 2, close - i - 2);
    if (name.empty()) return "'${}' has no name";
    if (!isVariableName(name)) {
      return "'${" + std::string(name) + "}' is not a variable name";
    }
    reference(name, text.substr(i, close - i + 1));
    i = close + 1;
  }
  return {};
}

}  // namespace

bool isVariableName(std::string_view name) {
  if (name.empty() || name.size() > 128 || !isNameStart(name[0])) return false;
  for (char c : name) {
    if (!isNameChar(c)) return false;
  }
  return true;
}

Result<std::vector<std::string>> templateNames(std::string_view text) {
  std::vector<std::string> names;
  std::string problem = walk(
      text, [](std::string_view) {},
      [&](std::string_view name, std::string_view) { names.emplace_back(name); });
  if (!problem.empty()) return fail(Errc::kInvalidInput, problem);
  return names;
}

std::string expandTemplate(std::string_view text, const Variables& vars) {
  std::string out;
  auto append = [&](std::string_view piece) {
    if (out.size() >= kMaxValueBytes) return;
    out.append(piece.substr(0, kMaxValueBytes - out.size()));
  };
  std::string problem = walk(text, append, [&](std::string_view name, std::string_view) {
    auto it = vars.find(name);
    if (it != vars.end()) append(it->second);
  });
  if (!problem.empty()) {
    // Malformed: keep the text as written rather than guessing (validation reports it).
    return std::string(text.substr(0, kMaxValueBytes));
  }
  return out;
}

bool hasReference(std::string_view text) {
  bool found = false;
  (void)walk(
      text, [](std::string_view) {}, [&](std::string_view, std::string_view) { found = true; });
  return found || text.find("${") != std::string_view::npos;
}

}  // namespace sb::flow
