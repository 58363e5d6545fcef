// URI grammar (RFC 3261 §19.1, §25.1), the IPv6 cases of RFC 5118, and the lexical helpers.
#include "sip/uri.h"

#include <gtest/gtest.h>

#include <string>

namespace sb::sip {
namespace {

TEST(UriTest, ParsesAllSipUriParts) {
  auto u = parseUri("sip:alice:secret@Example.COM:5070;transport=tcp;lr?subject=hi%20there");
  ASSERT_TRUE(u.ok()) << u.error().message;
  EXPECT_EQ(u->scheme, "sip");
  EXPECT_EQ(u->user, "alice");
  EXPECT_EQ(u->password, "secret");
  EXPECT_EQ(u->host, "Example.COM");
  EXPECT_EQ(u->port, 5070);
  EXPECT_EQ(u->params, "transport=tcp;lr");
  EXPECT_EQ(u->headers, "subject=hi%20there");
  EXPECT_FALSE(u->ipv6);
  EXPECT_TRUE(u->isSip());
  EXPECT_EQ(u->param("TRANSPORT"), "tcp");
  EXPECT_EQ(u->param("lr"), "");
  EXPECT_FALSE(u->param("maddr").has_value());
}

TEST(UriTest, SchemeCaseAndSips) {
  EXPECT_TRUE(parseUri("SIP:a@b")->isSip());
  EXPECT_TRUE(parseUri("sIpS:a@b")->isSip());
  EXPECT_FALSE(parseUri("tel:+1-201-555-0123")->isSip());
}

TEST(UriTest, HostOnlyAndIpv4) {
  auto u = parseUri("sip:192.0.2.4");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->user, "");
  EXPECT_EQ(u->host, "192.0.2.4");
  EXPECT_EQ(u->port, 0);
}

// RFC 4475 §3.1.1.2: the user part may hold '?', ';', ',', '/' and the password odd marks.
TEST(UriTest, WideRangeOfUserAndPasswordCharacters) {
  auto u = parseUri(
      "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too."
      "(doesn't-it)@example.com");
  ASSERT_TRUE(u.ok()) << u.error().message;
  EXPECT_EQ(u->user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
  EXPECT_EQ(u->password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
  EXPECT_EQ(u->host, "example.com");
  EXPECT_EQ(u->headers, "");
}

// RFC 4475 §3.1.1.9: ';' in the user part is not a URI parameter.
TEST(UriTest, SemicolonInUserPart) {
  auto u = parseUri("sip:user;par=u%40example.net@example.com");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->user, "user;par=u%40example.net");
  EXPECT_EQ(u->host, "example.com");
  EXPECT_EQ(u->params, "");
}

// RFC 4475 §3.1.1.3 / §3.1.1.4.
TEST(UriTest, EscapesAreValidatedAndKept) {
  auto u = parseUri("sip:sips%3Auser%40example.com@example.net");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->user, "sips%3Auser%40example.com");
  EXPECT_EQ(unescape(u->user), "sips:user@example.com");
  auto n = parseUri("sip:null-%00-null@example.com");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(unescape(n->user), std::string("null-\0-null", 11));
  EXPECT_TRUE(parseUri("sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31").ok());
  EXPECT_FALSE(parseUri("sip:us%zzer@example.com").ok());
  EXPECT_FALSE(parseUri("sip:user%4@example.com").ok());
  EXPECT_FALSE(parseUri("sip:user%@example.com").ok());
  EXPECT_FALSE(parseUri("sip:host;p=%4").ok());
}

TEST(UriTest, HeadersComeAfterHostAndParams) {
  auto u = parseUri("sip:user@example.com?Route=%3Csip:sip.example.com%3E");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "example.com");
  EXPECT_EQ(u->headers, "Route=%3Csip:sip.example.com%3E");
  auto h = parseUri("sip:example.com;lr?a=b");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->params, "lr");
  EXPECT_EQ(h->headers, "a=b");
  EXPECT_FALSE(parseUri("sip:example.com?a=<b>").ok());
}

// RFC 5118 §4.1-4.4, §4.8, §4.10.
TEST(UriTest, Ipv6References) {
  auto good = parseUri("sip:[2001:db8::10]");
  ASSERT_TRUE(good.ok());
  EXPECT_TRUE(good->ipv6);
  EXPECT_EQ(good->host, "2001:db8::10");
  EXPECT_EQ(good->port, 0);

  auto ambiguous = parseUri("sip:[2001:db8::10:5070]");
  ASSERT_TRUE(ambiguous.ok());
  EXPECT_EQ(ambiguous->host, "2001:db8::10:5070");
  EXPECT_EQ(ambiguous->port, 0);

  auto withPort = parseUri("sip:user@[2001:db8::10]:5070;transport=udp");
  ASSERT_TRUE(withPort.ok());
  EXPECT_EQ(withPort->host, "2001:db8::10");
  EXPECT_EQ(withPort->port, 5070);
  EXPECT_EQ(withPort->params, "transport=udp");

  auto mapped = parseUri("sip:user@[::ffff:192.0.2.10]:19823");
  ASSERT_TRUE(mapped.ok());
  EXPECT_EQ(mapped->host, "::ffff:192.0.2.10");

  EXPECT_TRUE(parseUri("sip:user@[2001:db8::192.0.2.1]").ok());
  EXPECT_FALSE(parseUri("sip:user@[2001:db8:::192.0.2.1]").ok());  // three colons
  EXPECT_FALSE(parseUri("sip:2001:db8::10").ok());                 // no brackets
  EXPECT_FALSE(parseUri("sip:[2001:db8::10").ok());
  EXPECT_FALSE(parseUri("sip:[2001:db8::10]5060").ok());
  EXPECT_FALSE(parseUri("sip:[2001:db8::10]:").ok());
  EXPECT_FALSE(parseUri("sip:[]").ok());
  EXPECT_FALSE(parseUri("sip:[192.0.2.1]").ok());
}

TEST(UriTest, Ipv6AddressText) {
  for (const char* ok : {"::", "::1", "1::", "2001:db8::9:1", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::",
                         "::ffff:192.0.2.10", "1:2:3:4:5:6:192.0.2.1", "FE80::A:b"}) {
    EXPECT_TRUE(isIpv6Address(ok)) << ok;
  }
  for (const char* bad :
       {"", ":", ":1", "1:", "1::2::3", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "12345::", "g::1",
        "::1.2.3", "::1.2.3.256", "1:2:3:4:5:6:7:1.2.3.4", "2001:db8:::1", "::1:"}) {
    EXPECT_FALSE(isIpv6Address(bad)) << bad;
  }
}

TEST(UriTest, HostNames) {
  EXPECT_TRUE(isHostName("example.com"));
  EXPECT_TRUE(isHostName("192.0.2.1"));
  EXPECT_TRUE(isHostName("host-1.example.com."));
  EXPECT_FALSE(isHostName(""));
  EXPECT_FALSE(isHostName("ho$t"));
  EXPECT_FALSE(isHostName("a b"));
  EXPECT_FALSE(isHostName(std::string(256, 'a')));
}

// RFC 4475 §3.3.2 - §3.3.4: unknown schemes parse; only the scheme is checked.
TEST(UriTest, OtherSchemesKeepOnlySchemeAndRaw) {
  for (const char* text :
       {"nobodyknowsthisscheme:totallyopaquecontent", "soap.beep://192.0.2.103:3002",
        "isbn:2983792873", "http://www.example.com", "name:John_Smith", "urn:service:sos",
        "tel:+1-201-555-0123;phone-context=x"}) {
    auto u = parseUri(text);
    ASSERT_TRUE(u.ok()) << text;
    EXPECT_FALSE(u->isSip());
    EXPECT_EQ(u->raw, text);
    EXPECT_EQ(u->host, "");
  }
  EXPECT_FALSE(parseUri("tel:").ok());
  EXPECT_FALSE(parseUri("tel:12 34").ok());
  EXPECT_FALSE(parseUri("http://a<b").ok());
}

TEST(UriTest, RejectsMalformedUris) {
  for (const char* text : {"",
                           ":",
                           "sip",
                           "example.com",
                           ":user@host",
                           "1sip:host",
                           "s_p:host",
                           "sip:",
                           "sip:@example.com",
                           "sip:user@",
                           "sip:user@host:",
                           "sip:user@host:0",
                           "sip:user@host:65536",
                           "sip:user@host:12a",
                           "sip:user@ho$t",
                           "sip:us er@host",
                           "sip:user@host ",
                           "sip:user@host;p=a b",
                           "sip:user@host;p=<x>",
                           "sip:user@host:99999999999"}) {
    EXPECT_FALSE(parseUri(text).ok()) << text;
  }
  EXPECT_EQ(parseUri("sip:user@host:65535")->port, 65535);
  EXPECT_EQ(parseUri("sip:user@host:1")->port, 1);
}

TEST(FindParamTest, CaseInsensitiveTrimmedAndQuoteAware) {
  EXPECT_EQ(findParam("tag=1;lr", "TAG"), "1");
  EXPECT_EQ(findParam("  tag    = 1918181833n ", "tag"), "1918181833n");
  EXPECT_EQ(findParam("lr;foo", "lr"), "");
  EXPECT_FALSE(findParam("lr;foo", "bar").has_value());
  EXPECT_FALSE(findParam("", "bar").has_value());
  EXPECT_FALSE(findParam("tagx=1", "tag").has_value());
  EXPECT_EQ(findParam(";;tag=2", "tag"), "2");
  EXPECT_EQ(findParam("x=\"a;tag=evil\";tag=good", "tag"), "good");
  EXPECT_EQ(findParam("x=\"a\\\";tag=evil\";tag=good", "tag"), "good");
  EXPECT_EQ(findParam("x=\"a;b\"", "x"), "\"a;b\"");
}

TEST(FindParamTest, FirstParamLength) {
  EXPECT_EQ(firstParamLength(""), 0u);
  EXPECT_EQ(firstParamLength("a=1;b"), 3u);
  EXPECT_EQ(firstParamLength("a=\"x;y\";b"), 7u);
  EXPECT_EQ(firstParamLength("a=\"x;y"), 6u);  // unterminated: the rest
}

TEST(UnescapeTest, DecodesValidEscapesOnly) {
  EXPECT_EQ(unescape("I%20have%20spaces"), "I have spaces");
  EXPECT_EQ(unescape("%41%4a%4A"), "AJJ");
  EXPECT_EQ(unescape("%ZK-%4"), "%ZK-%4");
  EXPECT_EQ(unescape("100%"), "100%");
  EXPECT_EQ(unescape("%%41"), "%A");
  EXPECT_EQ(unescape("%ff"), "\xff");
  EXPECT_EQ(unescape(""), "");
}

TEST(LexTest, IequalsAndTrim) {
  EXPECT_TRUE(iequals("Call-ID", "call-id"));
  EXPECT_FALSE(iequals("Call-ID", "call-i"));
  EXPECT_FALSE(iequals("a", "b"));
  EXPECT_TRUE(iequals("", ""));
  EXPECT_EQ(trim(" \t x y \r\n"), "x y");
  EXPECT_EQ(trim("   "), "");
  EXPECT_EQ(trim(""), "");
}

TEST(LexTest, ParseNumber) {
  EXPECT_EQ(parseNumber("0"), 0u);
  EXPECT_EQ(parseNumber("0068"), 68u);
  EXPECT_EQ(parseNumber("4294967295"), 4294967295u);
  EXPECT_EQ(parseNumber("000000000000004294967295"), 4294967295u);
  EXPECT_FALSE(parseNumber("4294967296"));
  EXPECT_FALSE(parseNumber("36893488147419103232"));
  EXPECT_FALSE(parseNumber(""));
  EXPECT_FALSE(parseNumber("-1"));
  EXPECT_FALSE(parseNumber("+1"));
  EXPECT_FALSE(parseNumber(" 1"));
  EXPECT_FALSE(parseNumber("1a"));
  EXPECT_EQ(parseNumber("255", 255), 255u);
  EXPECT_FALSE(parseNumber("256", 255));
}

}  // namespace
}  // namespace sb::sip
