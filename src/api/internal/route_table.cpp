#include "api/internal/route_table.h"

#include <algorithm>
#include <cctype>
#include <optional>

#include "api/internal/http_text.h"

namespace sb::api::internal {
namespace {

using Kind = RouteTable::Kind;
using Segment = RouteTable::Segment;
using Resource = RouteTable::Resource;

std::string parse(std::string_view pattern, std::vector<Segment>& out) {
  if (pattern.empty() || pattern.front() != '/') return "path must start with '/'";
  std::vector<std::string_view> parts = splitPath(pattern);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    std::string_view s = parts[i];
    if (s.empty() || s.front() != '{') {
      if (s.find_first_of("{}?#") != std::string_view::npos) return "stray '{', '}', '?' or '#'";
      out.push_back({Kind::kLiteral, std::string(s)});
      continue;
    }
    if (s.back() != '}') return "capture without closing '}'";
    std::string_view name = s.substr(1, s.size() - 2);
    Kind kind = Kind::kParam;
    if (name.size() > 3 && name.substr(name.size() - 3) == "...") {
      if (i + 1 != parts.size()) return "{name...} must be the last segment";
      name.remove_suffix(3);
      kind = Kind::kTail;
    }
    bool word = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
    });
    if (!word) return "capture names are [A-Za-z0-9_]+";
    for (const Segment& seg : out) {
      if (seg.kind != Kind::kLiteral && seg.text == name) return "capture name used twice";
    }
    out.push_back({kind, std::string(name)});
  }
  return {};
}

bool sameShape(const std::vector<Segment>& a, const std::vector<Segment>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const Segment& x, const Segment& y) {
    return x.kind == y.kind && (x.kind != Kind::kLiteral || x.text == y.text);
  });
}

bool matches(const Resource& r, const std::vector<std::string_view>& parts) {
  for (std::size_t i = 0; i < r.segments.size(); ++i) {
    const Segment& seg = r.segments[i];
    if (seg.kind == Kind::kTail) return i < parts.size();
    if (i >= parts.size()) return false;
    if (seg.kind == Kind::kLiteral ? parts[i] != seg.text : parts[i].empty()) return false;
  }
  return r.segments.size() == parts.size();
}

bool moreSpecific(const Resource& a, const Resource& b) {
  return std::lexicographical_compare(
      b.segments.begin(), b.segments.end(), a.segments.begin(), a.segments.end(),
      [](const Segment& x, const Segment& y) { return x.kind < y.kind; });
}

bool capture(const Resource& r, std::string_view path, const std::vector<std::string_view>& parts,
             Params& out) {
  for (std::size_t i = 0; i < r.segments.size(); ++i) {
    const Segment& seg = r.segments[i];
    if (seg.kind == Kind::kLiteral) continue;
    // A tail is everything from its first segment on; parts are views into `path`.
    std::string_view raw =
        seg.kind == Kind::kTail
            ? path.substr(static_cast<std::size_t>(parts[i].data() - path.data()))
            : parts[i];
    std::optional<std::string> value = percentDecode(raw);
    if (!value) return false;
    out.emplace_back(seg.text, std::move(*value));
  }
  return true;
}

}  // namespace

const Endpoint* RouteTable::Resource::endpointFor(std::string_view method) const {
  auto it = methods.find(method);
  if (it == methods.end() && method == "HEAD") it = methods.find(std::string_view("GET"));
  return it == methods.end() ? nullptr : &it->second;
}

std::string RouteTable::Resource::allow() const {
  std::vector<std::string_view> names;
  for (const auto& [name, endpoint] : methods) names.push_back(name);
  if (methods.count("GET") != 0 && methods.count("HEAD") == 0) names.push_back("HEAD");
  std::sort(names.begin(), names.end());
  std::string out;
  for (std::string_view n : names) out.append(out.empty() ? "" : ", ").append(n);
  return out;
}

std::string RouteTable::add(std::string method, std::string_view pattern, Endpoint endpoint) {
  if (!isToken(method)) return "method is not an HTTP token";
  std::vector<Segment> segments;
  if (std::string why = parse(pattern, segments); !why.empty()) return why;
  for (Resource& r : resources_) {
    if (!sameShape(r.segments, segments)) continue;
    if (r.pattern != pattern) return "same shape as " + r.pattern;
    if (!r.methods.emplace(std::move(method), std::move(endpoint)).second) {
      return "registered twice";
    }
    return {};
  }
  resources_.push_back(Resource{std::string(pattern), std::move(segments), {}});
  resources_.back().methods.emplace(std::move(method), std::move(endpoint));
  return {};
}

RouteTable::Match RouteTable::match(std::string_view path) const {
  Match m;
  if (path.empty() || path.front() != '/') return m;
  std::vector<std::string_view> parts = splitPath(path);
  for (const Resource& r : resources_) {
    if (matches(r, parts) && (m.resource == nullptr || moreSpecific(r, *m.resource))) {
      m.resource = &r;
    }
  }
  if (m.resource != nullptr) m.badEncoding = !capture(*m.resource, path, parts, m.params);
  return m;
}

}  // namespace sb::api::internal
