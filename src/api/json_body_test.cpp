#include "api/json_body.h"

#include <gtest/gtest.h>

#include <string>

namespace sb::api {
namespace {

using nlohmann::json;

std::string errorOf(std::string_view body, std::size_t maxDepth = kMaxJsonDepth) {
  Result<json> r = parseJsonBody(body, maxDepth);
  EXPECT_FALSE(r.ok()) << body;
  if (r.ok()) return {};
  EXPECT_EQ(r.error().code, Errc::kInvalidInput);
  return r.error().message;
}

TEST(JsonBody, ParsesValidValues) {
  Result<json> r = parseJsonBody(R"({"name":"sales","agents":[1,2,{"id":"x"}],"on":true})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)["name"], "sales");
  EXPECT_EQ((*r)["agents"][2]["id"], "x");
  EXPECT_EQ(parseJsonBody(" [1, 2.5, null, \"\\u00e9\"] ").value().size(), 4u);
  EXPECT_EQ(parseJsonBody("42").value(), 42);
}

TEST(JsonBody, SyntaxErrorsNameTheByteAndDoNotQuoteTheBody) {
  std::string m = errorOf(R"({"a":1,})");
  EXPECT_NE(m.find("invalid JSON at byte 7: syntax error"), std::string::npos) << m;
  m = errorOf(R"({"a":truMARKER})");
  EXPECT_NE(m.find("at byte 8"), std::string::npos) << m;  // 'M' ends the literal "tru"
  EXPECT_EQ(m.find("MARKER"), std::string::npos) << m;
  m = errorOf("\"" + std::string(100000, 'y'));  // unterminated string
  EXPECT_LT(m.size(), 200u) << m;
  EXPECT_NE(errorOf("{} x").find("at byte 3"), std::string::npos);
  EXPECT_NE(errorOf("\"\xff\"").find("UTF-8"), std::string::npos);
  EXPECT_EQ(errorOf(""), "empty body; expected JSON");
  EXPECT_EQ(errorOf(" \r\n"), "empty body; expected JSON");
}

TEST(JsonBody, DepthIsLimitedWhileParsing) {
  auto nested = [](std::size_t n) { return std::string(n, '[') + std::string(n, ']'); };
  EXPECT_TRUE(parseJsonBody(nested(32)).ok());
  EXPECT_EQ(errorOf(nested(33)), "JSON nested deeper than 32 levels at byte 32");
  // A megabyte of brackets fails fast at the limit instead of exhausting the stack.
  EXPECT_EQ(errorOf(std::string(1 << 20, '[')), "JSON nested deeper than 32 levels at byte 32");
  EXPECT_EQ(errorOf(R"({"a":[{"b":1}]})", 2), "JSON nested deeper than 2 levels at byte 6");
  EXPECT_TRUE(parseJsonBody(R"(["[[[[", "{\"{{"])", 1).ok());  // brackets in strings are text
  EXPECT_TRUE(parseJsonBody("7", 0).ok());
}

TEST(JsonBody, ObjectIsRequiredWhenAsked) {
  EXPECT_TRUE(parseJsonObject(R"({"a":1})").ok());
  Result<json> r = parseJsonObject("  [1]");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kInvalidInput);
  EXPECT_EQ(r.error().message, "expected a JSON object at byte 2, got array");
  EXPECT_FALSE(parseJsonObject("{").ok());
}

TEST(ErrorResponse, MapsEveryErrcByOneTable) {
  struct Row {
    Errc code;
    int status;
    const char* name;
  };
  for (Row row :
       {Row{Errc::kInvalidInput, 400, "invalid_input"}, Row{Errc::kNotFound, 404, "not_found"},
        Row{Errc::kUnauthorized, 401, "unauthorized"}, Row{Errc::kForbidden, 403, "forbidden"},
        Row{Errc::kConflict, 409, "conflict"}, Row{Errc::kOverloaded, 429, "overloaded"},
        Row{Errc::kUnsupported, 501, "unsupported"}, Row{Errc::kIo, 500, "internal"}}) {
    HttpResponse r = errorResponse(fail(row.code, "what \"went\" wrong"));
    EXPECT_EQ(r.status, row.status) << row.name;
    EXPECT_EQ(r.contentType, "application/json");
    json body = json::parse(r.body);
    EXPECT_EQ(body["error"]["code"], row.name);
    EXPECT_EQ(body["error"]["message"],
              row.code == Errc::kIo ? "internal error" : "what \"went\" wrong");
    bool challenge = !r.headers.empty() && r.headers[0].first == "WWW-Authenticate" &&
                     r.headers[0].second == "Bearer";
    EXPECT_EQ(challenge, row.code == Errc::kUnauthorized) << row.name;
  }
  // A message with invalid UTF-8 still gives valid JSON.
  EXPECT_NO_THROW(json::parse(errorResponse(fail(Errc::kInvalidInput, "bad \xff byte")).body));
}

}  // namespace
}  // namespace sb::api
