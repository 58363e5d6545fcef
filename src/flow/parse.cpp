// parseFlow: the YAML/JSON edge of flow. yaml-cpp throws; everything here is caught in
// parseFlow and returned as kInvalidInput with "source:line: subject: message".
#include <charconv>
#include <set>

#include "flow/calendar.h"
#include "flow/flow.h"
#include "flow/internal/yaml_reader.h"
#include "flow/template.h"

namespace sb::flow {
namespace internal {

int Reader::line(const YAML::Node& n) const {
  int l = n.Mark().line;
  return l >= 0 ? l + firstLine_ : 0;
}

void Reader::fail(const YAML::Node& at, std::string_view subject, const std::string& what) const {
  std::string msg = source_;
  if (int l = line(at); l > 0) msg += ":" + std::to_string(l);
  msg += ": ";
  if (!subject.empty()) msg += std::string(subject) + ": ";
  throw ParseError{msg + what};
}

void Reader::keys(const YAML::Node& map, std::string_view subject,
                  std::initializer_list<const char*> allowed) const {
  if (!map.IsMap()) fail(map, subject, "expected a mapping of keys to values");
  for (const auto& kv : map) {
    std::string key = scalar(kv.first, subject, "a key");
    bool known = false;
    for (const char* a : allowed) known = known || key == a;
    if (known) continue;
    std::string list;
    for (const char* a : allowed) list += std::string(list.empty() ? "" : ", ") + a;
    fail(kv.first, subject, "unknown key '" + key + "' (allowed: " + list + ")");
  }
}

std::string Reader::scalar(const YAML::Node& value, std::string_view subject,
                           std::string_view what) const {
  if (!value.IsScalar()) fail(value, subject, std::string(what) + " must be a single value");
  return value.Scalar();
}

std::string Reader::text(const YAML::Node& map, const char* key, std::string_view subject,
                         std::string fallback) const {
  YAML::Node v = map[key];
  if (!v) return fallback;
  return scalar(v, subject, "'" + std::string(key) + "'");
}

int Reader::integer(const YAML::Node& map, const char* key, std::string_view subject, int fallback,
                    int min, int max) const {
  YAML::Node v = map[key];
  if (!v) return fallback;
  std::string s = scalar(v, subject, "'" + std::string(key) + "'");
  int out = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec != std::errc() || end != s.data() + s.size() || out < min || out > max) {
    fail(v, subject,
         "'" + std::string(key) + "' must be a whole number from " + std::to_string(min) + " to " +
             std::to_string(max) + ", got '" + s + "'");
  }
  return out;
}

bool Reader::boolean(const YAML::Node& map, const char* key, std::string_view subject,
                     bool fallback) const {
  YAML::Node v = map[key];
  if (!v) return fallback;
  std::string s = scalar(v, subject, "'" + std::string(key) + "'");
  if (s == "true" || s == "yes" || s == "on") return true;
  if (s == "false" || s == "no" || s == "off") return false;
  fail(v, subject, "'" + std::string(key) + "' must be true or false, got '" + s + "'");
}

Prompt Reader::prompt(const YAML::Node& value, std::string_view subject,
                      std::string_view what) const {
  Prompt p;
  p.line = line(value);
  if (value.IsScalar()) {
    p.kind = Prompt::Kind::kText;
    p.value = value.Scalar();
    return p;
  }
  keys(value, subject, {"text", "voice", "file", "tone"});
  int kinds = 0;
  for (auto [key, kind] :
       {std::pair{"text", Prompt::Kind::kText}, std::pair{"file", Prompt::Kind::kFile},
        std::pair{"tone", Prompt::Kind::kTone}}) {
    if (!value[key]) continue;
    ++kinds;
    p.kind = kind;
    p.value = text(value, key, subject);
  }
  if (kinds != 1)
    fail(value, subject, std::string(what) + " needs exactly one of text, file, tone");
  p.voice = text(value, "voice", subject);
  if (!p.voice.empty() && p.kind != Prompt::Kind::kText) {
    fail(value, subject, std::string(what) + ": 'voice' goes with 'text' only");
  }
  return p;
}

namespace {

constexpr std::size_t kMaxSourceBytes = 1 << 20;
constexpr std::size_t kMaxNodes = 2000;

// Day names as written in `weekly:` keys.
int dayIndex(std::string_view d) {
  static constexpr std::string_view kNames[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
  for (int i = 0; i < 7; ++i) {
    if (d == kNames[i]) return i;
  }
  return -1;
}

// "mon-fri", "sat,sun", "daily", "weekdays", "weekends", "fri-mon" (wraps) -> day indexes.
std::vector<int> daysOf(const Reader& r, const YAML::Node& at, std::string_view subject,
                        const std::string& spec) {
  if (spec == "daily") return {0, 1, 2, 3, 4, 5, 6};
  if (spec == "weekdays") return {1, 2, 3, 4, 5};
  if (spec == "weekends") return {6, 0};
  std::vector<int> out;
  std::string_view rest = spec;
  while (!rest.empty()) {
    auto comma = rest.find(',');
    std::string_view part = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    auto dash = part.find('-');
    int from = dayIndex(part.substr(0, dash));
    int to = dash == std::string_view::npos ? from : dayIndex(part.substr(dash + 1));
    if (from < 0 || to < 0) {
      r.fail(at, subject,
             "'" + spec +
                 "' is not a day list (use mon, tue, ..., sun, ranges like mon-fri, "
                 "commas, or daily/weekdays/weekends)");
    }
    for (int d = from;; d = (d + 1) % 7) {
      out.push_back(d);
      if (d == to) break;
    }
  }
  return out;
}

std::vector<TimeRange> rangesOf(const Reader& r, const YAML::Node& v, std::string_view subject) {
  std::vector<TimeRange> out;
  auto one = [&](const YAML::Node& item) {
    auto tr = parseTimeRange(r.scalar(item, subject, "a time range"));
    if (!tr) r.fail(item, subject, tr.error().message);
    out.push_back(std::move(*tr));
  };
  if (v.IsSequence()) {
    for (const auto& item : v) one(item);
  } else if (v.IsScalar() && v.Scalar() != "closed") {
    one(v);
  } else if (!v.IsScalar()) {
    r.fail(v, subject, "hours must be a list like [\"09:00-12:00\", \"13:00-18:00\"]");
  }
  return out;
}

}  // namespace

Calendar readCalendar(const Reader& r, const YAML::Node& map, const std::string& name) {
  std::string subject = "calendar '" + name + "'";
  r.keys(map, subject, {"timezone", "weekly", "holidays", "special_days", "description"});
  Calendar c;
  c.name = name;
  c.line = r.line(map);
  c.timezone = r.text(map, "timezone", subject);
  if (auto weekly = map["weekly"]) {
    if (!weekly.IsMap()) r.fail(weekly, subject, "'weekly' must map days to hours");
    for (const auto& kv : weekly) {
      auto spec = r.scalar(kv.first, subject, "a day list");
      auto ranges = rangesOf(r, kv.second, subject);
      for (int d : daysOf(r, kv.first, subject, spec)) {
        auto& day = c.weekly[static_cast<std::size_t>(d)];
        day.insert(day.end(), ranges.begin(), ranges.end());
      }
    }
  }
  if (auto holidays = map["holidays"]) {
    if (!holidays.IsSequence()) r.fail(holidays, subject, "'holidays' must be a list of dates");
    for (const auto& h : holidays) {
      auto d = parseLocalDate(r.scalar(h, subject, "a holiday"));
      if (!d) r.fail(h, subject, d.error().message);
      c.holidays.push_back(std::move(*d));
    }
  }
  if (auto special = map["special_days"]) {
    if (!special.IsMap()) r.fail(special, subject, "'special_days' must map dates to hours");
    for (const auto& kv : special) {
      auto d = parseLocalDate(r.scalar(kv.first, subject, "a date"));
      if (!d) r.fail(kv.first, subject, d.error().message);
      c.specialDays.push_back(SpecialDay{std::move(*d), rangesOf(r, kv.second, subject)});
    }
  }
  return c;
}

namespace {

void readNodes(const Reader& r, const YAML::Node& nodes, FlowDefinition& flow) {
  if (!nodes || !nodes.IsMap() || nodes.size() == 0) {
    r.fail(nodes, "flow", "'nodes' must map node ids to node definitions");
  }
  if (nodes.size() > kMaxNodes) {
    r.fail(nodes, "flow", "more than " + std::to_string(kMaxNodes) + " nodes");
  }
  for (const auto& kv : nodes) {
    std::string id = r.scalar(kv.first, "flow", "a node id");
    if (!isVariableName(id)) {
      r.fail(kv.first, "flow",
             "'" + id +
                 "' is not a usable node id (letters, digits, '_', '.', '-'; not "
                 "starting with a digit)");
    }
    if (flow.nodes.count(id)) r.fail(kv.first, "flow", "node '" + id + "' is defined twice");
    Node node;
    node.id = id;
    node.line = r.line(kv.first);
    readNode(r, kv.second, node);
    flow.nodes.emplace(id, std::move(node));
  }
}

FlowDefinition readRoot(const Reader& r, const YAML::Node& root) {
  if (!root || root.IsNull()) throw ParseError{r.source() + ": the flow is empty"};
  r.keys(root, "flow", {"name", "description", "start", "nodes", "calendars", "variables", "ui"});
  FlowDefinition flow;
  flow.source = r.source();
  flow.name = r.text(root, "name", "flow");
  if (flow.name.empty()) r.fail(root, "flow", "needs a 'name'");
  flow.description = r.text(root, "description", "flow");
  flow.start = r.text(root, "start", "flow");
  flow.startLine = root["start"] ? r.line(root["start"]) : r.line(root);
  if (flow.start.empty()) r.fail(root, "flow", "needs a 'start' node");
  readNodes(r, root["nodes"], flow);
  if (auto cals = root["calendars"]) {
    if (!cals.IsMap()) r.fail(cals, "flow", "'calendars' must map names to calendars");
    for (const auto& kv : cals) {
      std::string name = r.scalar(kv.first, "flow", "a calendar name");
      if (flow.calendars.count(name)) {
        r.fail(kv.first, "flow", "calendar '" + name + "' is defined twice");
      }
      Calendar cal = readCalendar(r, kv.second, name);
      cal.line = r.line(kv.first);
      flow.calendars.emplace(name, std::move(cal));
    }
  }
  if (auto vars = root["variables"]) {
    if (!vars.IsMap()) r.fail(vars, "flow", "'variables' must map names to values");
    for (const auto& kv : vars) {
      std::string name = r.scalar(kv.first, "flow", "a variable name");
      if (!isVariableName(name)) r.fail(kv.first, "flow", "'" + name + "' is not a variable name");
      flow.variables[name] = r.scalar(kv.second, "variable '" + name + "'", "its value");
    }
  }
  return flow;
}

}  // namespace
}  // namespace internal

Result<FlowDefinition> parseFlow(std::string_view text, std::string_view sourceName,
                                 int firstLine) {
  std::string source(sourceName.empty() ? "flow" : sourceName);
  if (text.size() > internal::kMaxSourceBytes) {
    return fail(Errc::kInvalidInput, source + ": the flow is larger than 1 MiB");
  }
  if (firstLine < 1) firstLine = 1;
  internal::Reader reader(source, firstLine);
  try {
    YAML::Node root = YAML::Load(std::string(text));
    return internal::readRoot(reader, root);
  } catch (const internal::ParseError& e) {
    return fail(Errc::kInvalidInput, e.message);
  } catch (const YAML::Exception& e) {
    std::string where = source;
    if (e.mark.line >= 0) where += ":" + std::to_string(e.mark.line + firstLine);
    return fail(Errc::kInvalidInput, where + ": not valid YAML or JSON: " + e.msg);
  } catch (const std::exception& e) {
    return fail(Errc::kInvalidInput, source + ": cannot read the flow: " + e.what());
  }
}

}  // namespace sb::flow
