#include "sip/registrar.h"

#include <gtest/gtest.h>

namespace sb::sip {
namespace {

using std::chrono::seconds;

Message reg(std::string_view contact, std::string_view expiresHeader = {},
            std::string_view callId = "reg-1", int cseq = 1) {
  std::string m =
      "REGISTER sip:127.0.0.1 SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-r;rport\r\n"
      "From: <sip:1001@127.0.0.1>;tag=f\r\n"
      "To: <sip:1001@127.0.0.1>\r\n"
      "Call-ID: " + std::string(callId) + "\r\n"
      "CSeq: " + std::to_string(cseq) + " REGISTER\r\n";
  if (!contact.empty()) m += "Contact: " + std::string(contact) + "\r\n";
  if (!expiresHeader.empty()) m += "Expires: " + std::string(expiresHeader) + "\r\n";
  m += "Content-Length: 0\r\n\r\n";
  auto parsed = Message::parse(m);
  EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error().message);
  Message msg = std::move(parsed).value();
  Source src;
  src.remote = *Endpoint::parse("127.0.0.1", 5070);
  msg.setSource(src);
  return msg;
}

class RegistrarTest : public ::testing::Test {
 protected:
  ManualClock clock;
  Registrar registrar{clock, RegistrarConfig{}};
};

TEST_F(RegistrarTest, BindsAndLooksUp) {
  auto out = registrar.apply("demo/1001", reg("<sip:1001@127.0.0.1:5070>", "600"));
  EXPECT_EQ(out.status, 200);
  ASSERT_EQ(out.headers.size(), 1u);
  EXPECT_EQ(out.headers[0].second, "<sip:1001@127.0.0.1:5070>;expires=600");
  auto b = registrar.lookup("demo/1001");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].contact, "sip:1001@127.0.0.1:5070");
  EXPECT_EQ(b[0].flow.remote.toString(), "127.0.0.1:5070");
  EXPECT_TRUE(registrar.lookup("other/1001").empty());
}

TEST_F(RegistrarTest, ExpiresAndPurges) {
  (void)registrar.apply("demo/1001", reg("<sip:1001@127.0.0.1:5070>", "60"));
  clock.advance(seconds(59));
  EXPECT_EQ(registrar.lookup("demo/1001").size(), 1u);
  clock.advance(seconds(2));
  EXPECT_TRUE(registrar.lookup("demo/1001").empty());
  EXPECT_EQ(registrar.purgeExpired(), 1u);
  EXPECT_EQ(registrar.aorCount(), 0u);
}

TEST_F(RegistrarTest, TooBriefGets423WithMinExpires) {
  auto out = registrar.apply("demo/1001", reg("<sip:1001@127.0.0.1:5070>", "10"));
  EXPECT_EQ(out.status, 423);
  ASSERT_EQ(out.headers.size(), 1u);
  EXPECT_EQ(out.headers[0], std::make_pair(std::string("Min-Expires"), std::string("60")));
}

TEST_F(RegistrarTest, ContactExpiresParamWinsAndMaxIsClamped) {
  auto out = registrar.apply("demo/1001", reg("<sip:1001@127.0.0.1:5070>;expires=99999", "120"));
  EXPECT_EQ(out.headers.at(0).second, "<sip:1001@127.0.0.1:5070>;expires=3600");
}

TEST_F(RegistrarTest, ZeroExpiresRemovesAndWildcardClearsAll) {
  (void)registrar.apply("demo/1001", reg("<sip:1001@127.0.0.1:5070>", "600", "a", 1));
  (void)registrar.apply("demo/1001", reg("<sip:1001@127.0.0.1:5071>", "600", "b", 1));
  EXPECT_EQ(registrar.lookup("demo/1001").size(), 2u);
  (void)registrar.apply("demo/1001", reg("<sip:1001@127.0.0.1:5070>", "0", "a", 2));
  EXPECT_EQ(registrar.lookup("demo/1001").size(), 1u);
  EXPECT_EQ(registrar.apply("demo/1001", reg("*", "600", "c", 1)).status, 400);
  EXPECT_EQ(registrar.apply("demo/1001", reg("*", "0", "c", 1)).status, 200);
  EXPECT_TRUE(registrar.lookup("demo/1001").empty());
}

TEST_F(RegistrarTest, OutOfOrderCSeqOnSameCallIdIs500) {
  (void)registrar.apply("demo/1001", reg("<sip:1001@127.0.0.1:5070>", "600", "a", 5));
  EXPECT_EQ(registrar.apply("demo/1001", reg("<sip:1001@127.0.0.1:5070>", "600", "a", 5)).status,
            500);
  EXPECT_EQ(registrar.apply("demo/1001", reg("<sip:1001@127.0.0.1:5070>", "600", "a", 6)).status,
            200);
}

TEST_F(RegistrarTest, QueryWithoutContactListsBindings) {
  (void)registrar.apply("demo/1001", reg("<sip:1001@127.0.0.1:5070>", "600"));
  auto out = registrar.apply("demo/1001", reg("", "", "q", 1));
  EXPECT_EQ(out.status, 200);
  EXPECT_EQ(out.headers.size(), 1u);
}

TEST_F(RegistrarTest, BindingLimitReplacesOldest) {
  Registrar small{clock, RegistrarConfig{60, 3600, 3600, 2, 10}};
  (void)small.apply("t/u", reg("<sip:u@127.0.0.1:1>", "600", "a", 1));
  clock.advance(seconds(1));
  (void)small.apply("t/u", reg("<sip:u@127.0.0.1:2>", "600", "b", 1));
  clock.advance(seconds(1));
  (void)small.apply("t/u", reg("<sip:u@127.0.0.1:3>", "600", "c", 1));
  auto b = small.lookup("t/u");
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0].contact, "sip:u@127.0.0.1:3");
  EXPECT_EQ(b[1].contact, "sip:u@127.0.0.1:2");
}

TEST_F(RegistrarTest, HigherQFirst) {
  (void)registrar.apply("t/u", reg("<sip:u@127.0.0.1:1>;q=0.5", "600", "a", 1));
  (void)registrar.apply("t/u", reg("<sip:u@127.0.0.1:2>;q=1.0", "600", "b", 1));
  auto b = registrar.lookup("t/u");
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0].contact, "sip:u@127.0.0.1:2");
  EXPECT_EQ(b[1].q1000, 500);
}

}  // namespace
}  // namespace sb::sip
