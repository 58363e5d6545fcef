#include "flow/template.h"

#include <gtest/gtest.h>

namespace sb::flow {
namespace {

TEST(Template, ExpandsKnownAndUnknownVariables) {
  Variables v{{"tenant_name", "Acme"}, {"customer.name", "Li Lei"}};
  EXPECT_EQ(expandTemplate("Welcome to ${tenant_name}, ${customer.name}!", v),
            "Welcome to Acme, Li Lei!");
  EXPECT_EQ(expandTemplate("x${missing}y", v), "xy");
  EXPECT_EQ(expandTemplate("cost $$5 and $x", v), "cost $5 and $x");
}

TEST(Template, ReportsInvalidReferences) {
  EXPECT_FALSE(templateNames("Hi ${name").ok());
  EXPECT_NE(templateNames("Hi ${name").error().message.find("not closed"), std::string::npos);
  EXPECT_FALSE(templateNames("${}").ok());
  EXPECT_FALSE(templateNames("${a b}").ok());
  EXPECT_FALSE(templateNames("${9x}").ok());
  auto names = templateNames("${a}-${b.c}");
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"a", "b.c"}));
}

TEST(Template, MalformedTemplateExpandsToItself) {
  EXPECT_EQ(expandTemplate("Hi ${name", {{"name", "x"}}), "Hi ${name");
}

TEST(Template, ExpansionIsBounded) {
  Variables v{{"big", std::string(3000, 'a')}};
  EXPECT_EQ(expandTemplate("${big}${big}", v).size(), kMaxValueBytes);
}

TEST(Template, HasReference) {
  EXPECT_TRUE(hasReference("a${b}"));
  EXPECT_FALSE(hasReference("plain"));
}

}  // namespace
}  // namespace sb::flow
