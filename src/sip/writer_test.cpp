// MessageWriter and responseTo: every output must re-parse as a stream message (Content-Length
// framing) and carry the request's Vias in order, received/rport filled in for the top one.
#include "sip/writer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/endpoint.h"

namespace sb::sip {
namespace {

#define ASSERT_PARSED(r) ASSERT_TRUE((r).ok()) << (r).error().message

constexpr std::string_view kInvite =
    "INVITE sip:bob@example.com SIP/2.0\r\n"
    "v: SIP/2.0/UDP 10.0.0.1:5060;rport;branch=z9hG4bKtop, SIP/2.0/TCP proxy.example.com;"
    "branch=z9hG4bKmid\r\n"
    "Via: SIP/2.0/UDP origin.example.com;branch=z9hG4bKlast;received=192.0.2.9\r\n"
    "Max-Forwards: 70\r\n"
    "Record-Route: <sip:rr1.example.com;lr>, <sip:rr2.example.com;lr>\r\n"
    "f: \"Alice\" <sip:alice@example.com>;tag=a1\r\n"
    "t: <sip:bob@example.com>\r\n"
    "i: call-1@10.0.0.1\r\n"
    "CSeq: 42 INVITE\r\n"
    "Contact: <sip:alice@10.0.0.1>\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

Message parseRequest(std::string_view text, std::string_view remoteIp = "198.51.100.7",
                     std::uint16_t remotePort = 40000) {
  auto m = Message::parse(text);
  EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message);
  Message msg = std::move(m.value());
  if (!remoteIp.empty()) {
    Source src;
    src.transport = Transport::kUdp;
    src.remote = *Endpoint::parse(remoteIp, remotePort);
    src.local = *Endpoint::parse("192.0.2.1", 5060);
    msg.setSource(src);
  }
  return msg;
}

std::string replaced(std::string_view text, std::string_view from, std::string_view to) {
  std::string s(text);
  auto pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos) s.replace(pos, from.size(), to);
  return s;
}

std::vector<std::string> viaValues(const Message& m) {
  std::vector<std::string> out;
  m.forEach(HeaderId::kVia, [&](std::string_view v) { out.emplace_back(v); });
  return out;
}

TEST(ReasonPhraseTest, KnownAndFallbacks) {
  EXPECT_EQ(reasonPhrase(100), "Trying");
  EXPECT_EQ(reasonPhrase(200), "OK");
  EXPECT_EQ(reasonPhrase(481), "Call/Transaction Does Not Exist");
  EXPECT_EQ(reasonPhrase(489), "Bad Event");
  EXPECT_EQ(reasonPhrase(199), "Early Dialog Terminated");
  EXPECT_EQ(reasonPhrase(299), "OK");
  EXPECT_EQ(reasonPhrase(399), "Redirect");
  EXPECT_EQ(reasonPhrase(499), "Client Error");
  EXPECT_EQ(reasonPhrase(599), "Server Error");
  EXPECT_EQ(reasonPhrase(699), "Global Failure");
}

TEST(MessageWriterTest, RequestRoundTripsWithBody) {
  std::string sdp = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n";
  std::string text = MessageWriter::request("INVITE", "sip:bob@example.com")
                         .header("Via", {"SIP/2.0/TCP 192.0.2.1:5060;branch=", "z9hG4bK1"})
                         .header("Max-Forwards", "70")
                         .header("From", "<sip:alice@example.com>;tag=1")
                         .header("To", "<sip:bob@example.com>")
                         .header("Call-ID", "w1")
                         .header("CSeq", "1 INVITE")
                         .finish("application/sdp", sdp);
  auto m = Message::parse(text, false);
  ASSERT_PARSED(m);
  EXPECT_EQ(m->method(), Method::kInvite);
  EXPECT_EQ(m->topVia().branch, "z9hG4bK1");
  EXPECT_EQ(m->header(HeaderId::kContentType), "application/sdp");
  EXPECT_EQ(m->header(HeaderId::kContentLength), std::to_string(sdp.size()));
  EXPECT_EQ(m->body(), sdp);
}

TEST(MessageWriterTest, ResponseWithoutBodyHasNoContentType) {
  std::string text = MessageWriter::response(486).finish("application/sdp", "");
  EXPECT_EQ(text, "SIP/2.0 486 Busy Here\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(MessageWriter::response(299, "Custom").finish(),
            "SIP/2.0 299 Custom\r\nContent-Length: 0\r\n\r\n");
}

TEST(ResponseToTest, CopiesViasInOrderAndFillsTopViaReceivedAndRport) {
  Message req = parseRequest(kInvite);
  std::string text = responseTo(req, 180, {}, "uas-tag").finish();
  auto m = Message::parse(text, false);
  ASSERT_PARSED(m);
  EXPECT_EQ(m->status(), 180);
  EXPECT_EQ(m->reason(), "Ringing");
  auto vias = viaValues(*m);
  ASSERT_EQ(vias.size(), 3u);
  EXPECT_EQ(vias[0],
            "SIP/2.0/UDP 10.0.0.1:5060;rport=40000;branch=z9hG4bKtop;received=198.51.100.7");
  EXPECT_EQ(vias[1], "SIP/2.0/TCP proxy.example.com;branch=z9hG4bKmid");
  EXPECT_EQ(vias[2], "SIP/2.0/UDP origin.example.com;branch=z9hG4bKlast;received=192.0.2.9");
  EXPECT_EQ(m->topVia().received, "198.51.100.7");
  EXPECT_EQ(m->topVia().param("rport"), "40000");
  EXPECT_EQ(m->header(HeaderId::kFrom), "\"Alice\" <sip:alice@example.com>;tag=a1");
  EXPECT_EQ(m->to().tag(), "uas-tag");
  EXPECT_EQ(m->callId(), "call-1@10.0.0.1");
  EXPECT_EQ(m->cseq().number, 42u);
  EXPECT_EQ(m->cseq().method, Method::kInvite);
  EXPECT_EQ(m->count(HeaderId::kRecordRoute), 0u);
  EXPECT_EQ(m->header(HeaderId::kContentLength), "0");
  EXPECT_EQ(text.find("v:"), std::string::npos);  // compact forms are written in full
}

TEST(ResponseToTest, ToTagOnlyWhenAbsent) {
  Message tagged = parseRequest(
      replaced(kInvite, "t: <sip:bob@example.com>", "t: <sip:bob@example.com>;tag=existing"));
  auto m = Message::parse(responseTo(tagged, 200, {}, "new").finish(), false);
  ASSERT_PARSED(m);
  EXPECT_EQ(m->to().tag(), "existing");
  EXPECT_EQ(m->header(HeaderId::kTo).find("new"), std::string::npos);

  Message upper = parseRequest(
      replaced(kInvite, "t: <sip:bob@example.com>", "t: <sip:bob@example.com>;TAG=Up"));
  auto u = Message::parse(responseTo(upper, 200, {}, "new").finish(), false);
  ASSERT_PARSED(u);
  EXPECT_EQ(u->header(HeaderId::kTo), "<sip:bob@example.com>;TAG=Up");

  Message plain = parseRequest(kInvite);
  auto none = Message::parse(responseTo(plain, 100).finish(), false);
  ASSERT_PARSED(none);
  EXPECT_EQ(none->to().tag(), "");

  Message spec = parseRequest(
      replaced(kInvite, "t: <sip:bob@example.com>", "t: sip:bob@example.com;user=phone"));
  auto s = Message::parse(responseTo(spec, 404, {}, "t9").finish(), false);
  ASSERT_PARSED(s);
  EXPECT_EQ(s->to().tag(), "t9");
  EXPECT_EQ(s->to().param("user"), "phone");
}

TEST(ResponseToTest, RecordRouteAndBody) {
  Message req = parseRequest(kInvite);
  std::string sdp = "v=0\r\n";
  std::string text = responseTo(req, 200, "Fine", "x", true)
                         .header("Contact", "<sip:bob@192.0.2.1>")
                         .finish("application/sdp", sdp);
  auto m = Message::parse(text, false);
  ASSERT_PARSED(m);
  EXPECT_EQ(m->reason(), "Fine");
  std::vector<std::string> rr;
  m->forEach(HeaderId::kRecordRoute, [&](std::string_view v) { rr.emplace_back(v); });
  EXPECT_EQ(rr, (std::vector<std::string>{"<sip:rr1.example.com;lr>", "<sip:rr2.example.com;lr>"}));
  EXPECT_EQ(m->header(HeaderId::kContentLength), "5");
  EXPECT_EQ(m->body(), sdp);
}

TEST(ResponseTopViaTest, ReceivedRules) {
  // Same host as the source, no rport: nothing to add (§18.2.1).
  Message same =
      parseRequest(replaced(kInvite, "10.0.0.1:5060;rport;branch", "198.51.100.7:5060;branch"));
  EXPECT_EQ(responseTopVia(same), "SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKtop");
  // Host differs: received added; an existing received is replaced; rport with a value kept.
  Message differs = parseRequest(
      replaced(kInvite, ";rport;branch=z9hG4bKtop", ";received=1.1.1.1;rport=7;branch=z9hG4bKtop"));
  EXPECT_EQ(responseTopVia(differs),
            "SIP/2.0/UDP 10.0.0.1:5060;received=198.51.100.7;rport=7;branch=z9hG4bKtop");
  // No source known: the Via is echoed, rport left empty.
  Message unknown = parseRequest(kInvite, "");
  EXPECT_EQ(responseTopVia(unknown), "SIP/2.0/UDP 10.0.0.1:5060;rport;branch=z9hG4bKtop");
  // IPv6 sent-by keeps its brackets; received is a bare IPv6address (§20.42 grammar).
  Message v6 = parseRequest(replaced(kInvite, "10.0.0.1:5060;rport", "[2001:db8::9]:5070;rport"),
                            "2001:db8::7", 5071);
  std::string top = responseTopVia(v6);
  EXPECT_EQ(top,
            "SIP/2.0/UDP [2001:db8::9]:5070;rport=5071;branch=z9hG4bKtop;received=2001:db8::7");
  EXPECT_TRUE(parseVia(top).ok());
  // A quoted parameter value holding ';' survives unchanged.
  Message quoted =
      parseRequest(replaced(kInvite, ";rport;branch=z9hG4bKtop", ";x=\"a; b\";branch=z9hG4bKtop"));
  EXPECT_EQ(responseTopVia(quoted),
            "SIP/2.0/UDP 10.0.0.1:5060;x=\"a; b\";branch=z9hG4bKtop;received=198.51.100.7");
}

TEST(ResponseToTest, FoldedAndTortuousRequestStillYieldsAParsableResponse) {
  std::string req =
      "OPTIONS sip:user@example.com SIP/2.0\r\n"
      "Via  : SIP  /   2.0\r\n /UDP\r\n    192.0.2.2 ; rport ;branch=390skdjuw\r\n"
      "TO :\r\n sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n\r\n"
      "from   : \"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com>\r\n  ;\r\n  tag = "
      "98asjd8\r\n"
      "Call-ID: wsinv.ndaksdj@192.0.2.1\r\n"
      "cseq: 0009\r\n  OPTIONS\r\n"
      "Content-Length: 0\r\n\r\n";
  Message m = parseRequest(req);
  auto resp = Message::parse(responseTo(m, 200, {}, "zz").finish(), false);
  ASSERT_PARSED(resp);
  EXPECT_EQ(resp->to().tag(), "1918181833n");
  EXPECT_EQ(resp->from().tag(), "98asjd8");
  EXPECT_EQ(resp->topVia().param("rport"), "40000");
  EXPECT_EQ(resp->cseq().number, 9u);
}

}  // namespace
}  // namespace sb::sip
