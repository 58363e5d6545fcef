#include "report/internal/event_fields.h"

#include <charconv>

#include <nlohmann/json.hpp>

namespace sb::report::internal {

namespace {

bool parseDecimal(std::string_view s, std::uint64_t& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

bool readId(const nlohmann::json& j, const char* key, std::uint64_t& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return true;
  if (it->is_number_unsigned()) {
    out = it->get<std::uint64_t>();
    return true;
  }
  if (it->is_number_integer()) {
    auto v = it->get<std::int64_t>();
    if (v < 0) return false;
    out = static_cast<std::uint64_t>(v);
    return true;
  }
  if (it->is_string()) return parseDecimal(it->get_ref<const std::string&>(), out);
  return false;
}

bool readText(const nlohmann::json& j, const char* key, std::string& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return true;
  if (!it->is_string()) return false;
  out = it->get<std::string>();
  return true;
}

}  // namespace

std::optional<EventFields> parseEventFields(std::string_view body) {
  // No exceptions on this path (STYLE "Errors"): parse with allow_exceptions = false.
  nlohmann::json j = nlohmann::json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  EventFields f;
  bool ok = readId(j, "call", f.call) && readId(j, "leg", f.leg) && readId(j, "other", f.other) &&
            readText(j, "detail", f.detail) && readText(j, "agent", f.agent) &&
            readText(j, "queue", f.queue) && readText(j, "from", f.from) &&
            readText(j, "to", f.to) && readText(j, "reason", f.reason) &&
            readText(j, "type", f.type);
  if (!ok) return std::nullopt;
  return f;
}

bool parseRecordingStopped(std::string_view detail, std::string& path, std::int64_t& ms) {
  // The path may contain spaces; the duration is the last word.
  auto space = detail.rfind(' ');
  if (space == std::string_view::npos || space == 0) return false;
  std::string_view tail = detail.substr(space + 1);
  if (tail.size() < 3 || tail.substr(tail.size() - 2) != "ms") return false;
  tail.remove_suffix(2);
  std::uint64_t n = 0;
  if (!parseDecimal(tail, n) || n > static_cast<std::uint64_t>(INT64_MAX)) return false;
  path = std::string(detail.substr(0, space));
  ms = static_cast<std::int64_t>(n);
  return true;
}

}  // namespace sb::report::internal
