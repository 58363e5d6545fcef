#include "report/internal/event_fields.h"

#include <charconv>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

namespace sb::report::internal {

namespace {

bool parseDecimal(std::string_view s, std::uint64_t& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

// Fills EventFields straight from the parser's callbacks (SAX): no DOM is built, which
// keeps the store writer's per-event cost low. Only top-level keys are read; nested values
// of other keys are skipped.
class FieldsHandler {
 public:
  using json = nlohmann::json;
  explicit FieldsHandler(EventFields& f) : f_(f) {}

  bool null() { return scalar(); }
  bool boolean(bool) { return mine() ? fail() : scalar(); }
  bool number_integer(json::number_integer_t v) {
    if (!mine()) return scalar();
    if (v < 0 || id_ == nullptr) return fail();
    *id_ = static_cast<std::uint64_t>(v);
    return scalar();
  }
  bool number_unsigned(json::number_unsigned_t v) {
    if (!mine()) return scalar();
    if (id_ == nullptr) return fail();
    *id_ = v;
    return scalar();
  }
  bool number_float(json::number_float_t, const json::string_t&) {
    return mine() ? fail() : scalar();
  }
  bool string(json::string_t& v) {
    if (!mine()) return scalar();
    if (text_ != nullptr) {
      *text_ = std::move(v);
    } else if (!parseDecimal(v, *id_)) {
      return fail();
    }
    return scalar();
  }
  bool binary(json::binary_t&) { return fail(); }
  bool start_object(std::size_t) { return open(); }
  bool end_object() { return close(); }
  bool start_array(std::size_t) { return depth_ == 0 ? fail() : open(); }
  bool end_array() { return close(); }
  bool key(json::string_t& k) {
    if (depth_ == 1) select(k);
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) {
    return fail();
  }
  bool ok() const { return ok_ && sawObject_; }

 private:
  bool mine() const { return depth_ == 1 && (id_ != nullptr || text_ != nullptr); }
  bool fail() {
    ok_ = false;
    return false;
  }
  bool scalar() { return depth_ == 0 ? fail() : true; }  // a bare scalar is not an object
  bool open() {
    if (mine()) return fail();  // a known field holding an object or array
    if (depth_ == 0) sawObject_ = true;
    ++depth_;
    return true;
  }
  bool close() {
    --depth_;
    return true;
  }
  void select(const std::string& k) {
    id_ = nullptr;
    text_ = nullptr;
    for (const auto& [name, member] : kIds) {
      if (k == name) id_ = &(f_.*member);
    }
    for (const auto& [name, member] : kTexts) {
      if (k == name) text_ = &(f_.*member);
    }
  }

  static constexpr std::pair<std::string_view, std::uint64_t EventFields::*> kIds[] = {
      {"call", &EventFields::call}, {"leg", &EventFields::leg}, {"other", &EventFields::other}};
  static constexpr std::pair<std::string_view, std::string EventFields::*> kTexts[] = {
      {"detail", &EventFields::detail}, {"agent", &EventFields::agent},
      {"queue", &EventFields::queue},   {"from", &EventFields::from},
      {"to", &EventFields::to},         {"reason", &EventFields::reason},
      {"type", &EventFields::type},     {"by", &EventFields::by}};

  EventFields& f_;
  int depth_ = 0;
  bool ok_ = true;
  bool sawObject_ = false;
  std::uint64_t* id_ = nullptr;
  std::string* text_ = nullptr;
};

}  // namespace

std::optional<EventFields> parseEventFields(std::string_view body) {
  EventFields f;
  FieldsHandler h(f);
  // No exceptions on this path (STYLE "Errors"): a SAX parse reports errors to the handler.
  bool parsed = nlohmann::json::sax_parse(body.begin(), body.end(), &h);
  if (!parsed || !h.ok()) return std::nullopt;
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
