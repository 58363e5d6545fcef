#include "api/json_body.h"

#include <string>
#include <vector>

namespace sb::api {
namespace {

using json = nlohmann::json;

/// Builds the DOM from SAX events like nlohmann's own parser, but refuses to open a container
/// beyond the depth limit. nlohmann parses iteratively; this keeps the tree (and with it every
/// later recursive walk over it, such as dump()) shallow as well.
class DepthLimitedBuilder {
 public:
  DepthLimitedBuilder(json& root, std::size_t maxDepth) : root_(root), maxDepth_(maxDepth) {}

  bool null() { return add(nullptr); }
  bool boolean(bool v) { return add(v); }
  bool number_integer(json::number_integer_t v) { return add(v); }
  bool number_unsigned(json::number_unsigned_t v) { return add(v); }
  bool number_float(json::number_float_t v, const std::string&) { return add(v); }
  bool string(json::string_t& v) { return add(std::move(v)); }
  bool binary(json::binary_t& v) { return add(json::binary(std::move(v))); }
  bool start_object(std::size_t) { return open(json::object()); }
  bool key(json::string_t& k) {
    key_ = std::move(k);
    return true;
  }
  bool end_object() { return close(); }
  bool start_array(std::size_t) { return open(json::array()); }
  bool end_array() { return close(); }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) {
    errorPosition_ = position;
    errorText_ = e.what();
    return false;
  }

  bool tooDeep() const { return tooDeep_; }
  std::size_t errorPosition() const { return errorPosition_; }
  const std::string& errorText() const { return errorText_; }

 private:
  // Places `v` in the current container (or as the root); returns where it now lives.
  json* place(json&& v) {
    if (stack_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    json& parent = *stack_.back();
    if (parent.is_array()) {
      parent.push_back(std::move(v));
      return &parent.back();
    }
    json& slot = parent[key_];
    slot = std::move(v);
    return &slot;
  }
  bool add(json&& v) {
    place(std::move(v));
    return true;
  }
  bool open(json&& container) {
    if (stack_.size() >= maxDepth_) {
      tooDeep_ = true;
      return false;
    }
    stack_.push_back(place(std::move(container)));
    return true;
  }
  bool close() {
    stack_.pop_back();
    return true;
  }

  json& root_;
  std::size_t maxDepth_;
  std::vector<json*> stack_;
  std::string key_;
  bool tooDeep_ = false;
  std::size_t errorPosition_ = 0;
  std::string errorText_;
};

// The 0-based offset of the bracket that opens nesting level maxDepth + 1. Only called after
// the parser stopped there, so everything before it is valid JSON and strings are well formed.
std::size_t depthOffset(std::string_view body, std::size_t maxDepth) {
  std::size_t depth = 0;
  bool inString = false;
  for (std::size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (inString) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        inString = false;
      }
    } else if (c == '"') {
      inString = true;
    } else if (c == '[' || c == '{') {
      if (++depth > maxDepth) return i;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return body.size();
}

// nlohmann's text is "[json.exception.parse_error.101] parse error at line 1, column 5:
// syntax error while parsing value - invalid literal; last read: 'tru,'". Keep what follows
// the position; drop "last read", which quotes the body (and can be as long as it).
std::string describe(const std::string& what) {
  std::size_t colon = what.find(": ");
  std::string text = colon == std::string::npos ? what : what.substr(colon + 2);
  std::size_t quote = text.find("; last read:");
  if (quote != std::string::npos) text.resize(quote);
  return text;
}

struct ErrorRow {
  Errc code;
  int status;
  std::string_view name;
};

// The one Errc -> HTTP table (docs/errors.md "Edges map errors once"). kOverloaded is 429: at
// this edge it means the caller went over a limit of its own (failed logins, a tenant's quota);
// the server's own overload is answered 503 by HttpServer before any handler runs.
constexpr ErrorRow kErrorTable[] = {
    {Errc::kInvalidInput, 400, "invalid_input"}, {Errc::kNotFound, 404, "not_found"},
    {Errc::kUnauthorized, 401, "unauthorized"},  {Errc::kForbidden, 403, "forbidden"},
    {Errc::kConflict, 409, "conflict"},          {Errc::kOverloaded, 429, "overloaded"},
    {Errc::kUnsupported, 501, "unsupported"},    {Errc::kIo, 500, "internal"},
};

}  // namespace

Result<nlohmann::json> parseJsonBody(std::string_view body, std::size_t maxDepth) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return fail(Errc::kInvalidInput, "empty body; expected JSON");
  }
  json root;
  DepthLimitedBuilder builder(root, maxDepth);
  bool ok = false;
  try {
    ok = json::sax_parse(body.begin(), body.end(), &builder, json::input_format_t::json,
                         /*strict=*/true);
  } catch (...) {
    // sax_parse reports through parse_error(); nothing else is expected, but no exception
    // leaves this edge.
    return fail(Errc::kInvalidInput, "invalid JSON");
  }
  if (ok) return root;
  if (builder.tooDeep()) {
    return fail(Errc::kInvalidInput, "JSON nested deeper than " + std::to_string(maxDepth) +
                                         " levels at byte " +
                                         std::to_string(depthOffset(body, maxDepth)));
  }
  std::size_t offset = builder.errorPosition() > 0 ? builder.errorPosition() - 1 : 0;
  return fail(Errc::kInvalidInput, "invalid JSON at byte " + std::to_string(offset) + ": " +
                                       describe(builder.errorText()));
}

Result<nlohmann::json> parseJsonObject(std::string_view body, std::size_t maxDepth) {
  Result<json> value = parseJsonBody(body, maxDepth);
  if (value.ok() && !value->is_object()) {
    return fail(Errc::kInvalidInput, std::string("expected a JSON object at byte ") +
                                         std::to_string(body.find_first_not_of(" \t\r\n")) +
                                         ", got " + value->type_name());
  }
  return value;
}

HttpResponse errorResponse(const Error& error) {
  ErrorRow row{Errc::kIo, 500, "internal"};
  for (const ErrorRow& r : kErrorTable) {
    if (r.code == error.code) row = r;
  }
  json body = {
      {"error",
       {{"code", std::string(row.name)},
        {"message", error.code == Errc::kIo ? std::string("internal error") : error.message}}}};
  HttpResponse response{row.status,
                        "application/json",
                        body.dump(-1, ' ', false, json::error_handler_t::replace),
                        {}};
  if (error.code == Errc::kUnauthorized)
    response.headers.emplace_back("WWW-Authenticate", "Bearer");
  return response;
}

}  // namespace sb::api
