#include "flow/internal/json_fields.h"

#include <nlohmann/json.hpp>

namespace sb::flow::internal {
namespace {

constexpr int kMaxDepth = 4;

void flatten(const nlohmann::json& obj, const std::string& path, int depth, Variables& out,
             std::size_t& count) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (count >= kMaxJsonFields) return;
    std::string name = path + "." + it.key();
    if (!isVariableName(name)) continue;
    const auto& v = it.value();
    std::string value;
    if (v.is_object()) {
      if (depth < kMaxDepth) flatten(v, name, depth + 1, out, count);
      continue;
    }
    if (v.is_array()) continue;
    if (v.is_string()) {
      value = v.get<std::string>();
    } else if (v.is_boolean()) {
      value = v.get<bool>() ? "true" : "false";
    } else if (v.is_number()) {
      value = v.dump();
    }
    out[name] = value.substr(0, kMaxValueBytes);
    ++count;
  }
}

}  // namespace

bool flattenJson(std::string_view body, const std::string& prefix, Variables& out) {
  // nlohmann throws only when asked to; parse without exceptions and guard dump() anyway.
  try {
    auto doc = nlohmann::json::parse(body.begin(), body.end(), nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) return false;
    std::size_t count = 0;
    flatten(doc, prefix, 1, out, count);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace sb::flow::internal
