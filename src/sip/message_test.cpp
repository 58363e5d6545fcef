// Message parser: the RFC 4475 torture messages (valid and invalid), the RFC 5118 IPv6 cases,
// framing rules, header lookup, list splitting, NameAddr/Via forms and badRequestResponse.
// Messages are written with LF line ends and converted to CRLF by crlf().
#include "sip/message.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sb::sip {
namespace {

std::string crlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 64);
  for (char c : text) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

Result<Message> parseText(std::string_view lfText, bool datagram = true) {
  return Message::parse(crlf(lfText), datagram);
}

#define ASSERT_PARSED(r) ASSERT_TRUE((r).ok()) << (r).error().message

// The SDP body most torture messages carry: 150 octets with CRLF line ends.
constexpr std::string_view kSdp = R"SIP(v=0
o=mhandley 29739 7272939 IN IP4 192.0.2.3
s=-
c=IN IP4 192.0.2.4
t=0 0
m=audio 49217 RTP/AVP 0 12
m=video 3227 RTP/AVP 31
a=rtpmap:31 LPC
)SIP";

// A plain valid request; tests derive variants by replacing one line.
constexpr std::string_view kOptions = R"SIP(OPTIONS sip:user@example.com SIP/2.0
Via: SIP/2.0/UDP host.example.com:5060;branch=z9hG4bK776asdhds
Max-Forwards: 70
To: <sip:user@example.com>
From: "Caller" <sip:caller@example.net>;tag=1928301774
Call-ID: a84b4c76e66710@pc33.example.net
CSeq: 63104 OPTIONS
Content-Length: 0

)SIP";

std::string replaced(std::string_view text, std::string_view from, std::string_view to) {
  std::string s(text);
  auto pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos) s.replace(pos, from.size(), to);
  return s;
}

// ---- RFC 4475 §3.1.1: valid messages ----

TEST(TortureValidTest, ShortTortuousInvite) {  // §3.1.1.1 wsinv
  std::string msg = crlf(R"SIP(INVITE sip:vivekg@chair-dnrc.example.com;unknownparam SIP/2.0
TO :
 sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n
from   : "J Rosenberg \\\""       <sip:jdrosen@example.com>
  ;
  tag = 98asjd8
MaX-fOrWaRdS: 0068
Call-ID: wsinv.ndaksdj@192.0.2.1
Content-Length   : 150
cseq: 0009
  INVITE
Via  : SIP  /   2.0
 /UDP
    192.0.2.2;branch=390skdjuw
s :
NewFangledHeader:   newfangled value
 continued newfangled value
UnknownHeaderWithUnusualValue: ;;,,;;,;
Content-Type: application/sdp
Route:
 <sip:services.example.com;lr;unknownwith=value;unknown-no-value>
v:  SIP  / 2.0  / TCP     spindle.example.com   ;
  branch  =   z9hG4bK9ikj8  ,
 SIP  /    2.0   / UDP  192.168.255.111   ; branch=
 z9hG4bK30239
m:"Quoted string \"\"" <sip:jdrosen@example.com> ; newparam =
      newvalue ;
  secondparam ; q = 0.33

)SIP") + crlf(kSdp);
  auto m = Message::parse(msg);
  ASSERT_PARSED(m);
  EXPECT_EQ(m->method(), Method::kInvite);
  EXPECT_EQ(m->requestUri().param("unknownparam"), "");
  EXPECT_EQ(m->to().uri.user, "vivekg");
  EXPECT_EQ(m->to().tag(), "1918181833n");
  EXPECT_EQ(m->from().displayName, R"(J Rosenberg \\\")");
  EXPECT_EQ(m->from().tag(), "98asjd8");
  EXPECT_EQ(m->maxForwards(), 68);
  EXPECT_EQ(m->cseq().number, 9u);
  EXPECT_EQ(m->cseq().method, Method::kInvite);
  ASSERT_EQ(m->count(HeaderId::kVia), 3u);
  EXPECT_EQ(m->topVia().transport, "UDP");
  EXPECT_EQ(m->topVia().host, "192.0.2.2");
  EXPECT_EQ(m->topVia().branch, "390skdjuw");
  std::vector<Via> vias;
  m->forEach(HeaderId::kVia, [&](std::string_view v) { vias.push_back(*parseVia(v)); });
  EXPECT_EQ(vias[1].transport, "TCP");
  EXPECT_EQ(vias[1].host, "spindle.example.com");
  EXPECT_EQ(vias[1].branch, "z9hG4bK9ikj8");
  EXPECT_EQ(vias[2].host, "192.168.255.111");
  EXPECT_EQ(vias[2].branch, "z9hG4bK30239");
  EXPECT_EQ(m->count(HeaderId::kSubject), 1u);
  EXPECT_EQ(m->header(HeaderId::kSubject), "");
  EXPECT_NE(m->header("newfangledheader").find("continued newfangled value"), std::string::npos);
  EXPECT_EQ(m->header("UnknownHeaderWithUnusualValue"), ";;,,;;,;");
  auto contact = parseNameAddr(m->header(HeaderId::kContact));
  ASSERT_PARSED(contact);
  EXPECT_EQ(contact->displayName, R"(Quoted string \"\")");
  EXPECT_EQ(contact->param("newparam"), "newvalue");
  EXPECT_EQ(contact->param("secondparam"), "");
  EXPECT_EQ(contact->param("q"), "0.33");
  auto route = parseNameAddr(m->header(HeaderId::kRoute));
  ASSERT_PARSED(route);
  EXPECT_EQ(route->uri.param("unknown-no-value"), "");
  EXPECT_EQ(m->body(), crlf(kSdp));
}

TEST(TortureValidTest, WideRangeOfValidCharacters) {  // §3.1.1.2 intmeth
  std::string msg = crlf(
      R"SIP(!interesting-Method0123456789_*+`.%indeed'~ sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com SIP/2.0
Via: SIP/2.0/TCP host1.example.com;branch=z9hG4bK-.!%66*_+`'~
To: "BEL:\<BEL> NUL:\<NUL> DEL:\<DEL>" <sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*@example.com>
From: token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;fromParam''~+*_!.-%="работающий";tag=_token~1'+`*%!-.
Call-ID: intmeth.word%ZK-!.*_+'@word`~)(><:\/"][?}{
CSeq: 139122385 !interesting-Method0123456789_*+`.%indeed'~
Max-Forwards: 255
extensionHeader-!.%*+_`'~: 大停電
Content-Length: 0

)SIP");
  msg = replaced(replaced(replaced(msg, "<BEL>", "\x07"), "<NUL>", std::string(1, '\0')), "<DEL>",
                 "\x7f");
  auto m = Message::parse(msg);
  ASSERT_PARSED(m);
  EXPECT_EQ(m->method(), Method::kUnknown);
  EXPECT_EQ(m->methodText(), "!interesting-Method0123456789_*+`.%indeed'~");
  EXPECT_EQ(m->requestUri().user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
  EXPECT_EQ(m->requestUri().password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
  EXPECT_EQ(m->to().displayName, std::string("BEL:\\\x07 NUL:\\\0 DEL:\\\x7f", 20));
  EXPECT_EQ(m->from().displayName, "token1~` token2'+_ token3*%!.-");
  EXPECT_EQ(m->from().param("fromParam''~+*_!.-%"), "\"работающий\"");
  EXPECT_EQ(m->from().tag(), "_token~1'+`*%!-.");
  EXPECT_EQ(m->callId(), R"(intmeth.word%ZK-!.*_+'@word`~)(><:\/"][?}{)");
  EXPECT_EQ(m->maxForwards(), 255);
  EXPECT_EQ(m->header("extensionHeader-!.%*+_`'~"), "大停電");
  EXPECT_EQ(m->topVia().branch, "z9hG4bK-.!%66*_+`'~");
}

TEST(TortureValidTest, EscapedUris) {  // §3.1.1.3 esc01, §3.1.1.4 escnull, §3.1.1.5 esc02
  std::string esc01 = crlf(R"SIP(INVITE sip:sips%3Auser%40example.com@example.net SIP/2.0
To: sip:%75se%72@example.com
From: <sip:I%20have%20spaces@example.net>;tag=938
Max-Forwards: 87
i: esc01.239409asdfakjkn23onasd0-3234
CSeq: 234234 INVITE
Via: SIP/2.0/UDP host5.example.net;branch=z9hG4bKkdjuw
C: application/sdp
Contact:
  <sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31>
Content-Length: 150

)SIP") + crlf(kSdp);
  auto m = Message::parse(esc01);
  ASSERT_PARSED(m);
  EXPECT_EQ(unescape(m->requestUri().user), "sips:user@example.com");
  EXPECT_EQ(m->requestUri().host, "example.net");
  EXPECT_EQ(unescape(m->to().uri.user), "user");
  EXPECT_EQ(unescape(m->from().uri.user), "I have spaces");
  EXPECT_EQ(m->callId(), "esc01.239409asdfakjkn23onasd0-3234");
  EXPECT_EQ(m->header(HeaderId::kContentType), "application/sdp");
  auto contact = parseNameAddr(m->header(HeaderId::kContact));
  ASSERT_PARSED(contact);
  EXPECT_EQ(contact->uri.param("n%61me"), "v%61lue%25%34%31");

  auto escnull = parseText(R"SIP(REGISTER sip:example.com SIP/2.0
To: sip:null-%00-null@example.com
From: sip:null-%00-null@example.com;tag=839923423
Max-Forwards: 70
Call-ID: escnull.39203ndfvkjdasfkq3w4otrq0adsfdfnavd
CSeq: 14398234 REGISTER
Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bKkdjuw
Contact: <sip:%00@host5.example.com>
Contact: <sip:%00%00@host5.example.com>
L:0

)SIP");
  ASSERT_PARSED(escnull);
  EXPECT_EQ(unescape(escnull->to().uri.user), std::string("null-\0-null", 11));
  EXPECT_EQ(escnull->count(HeaderId::kContact), 2u);

  auto esc02 = parseText(R"SIP(RE%47IST%45R sip:registrar.example.com SIP/2.0
To: "%Z%45" <sip:resource@example.com>
From: "%Z%45" <sip:resource@example.com>;tag=f232jadfj23
Call-ID: esc02.asdfnqwo34rq23i34jrjasdcnl23nrlknsdf
Via: SIP/2.0/TCP host.example.com;rport;branch=z9hG4bK209asDfr
CSeq: 29344 RE%47IST%45R
Max-Forwards: 70
Contact: <sip:alias1@host1.example.com>
C%6Fntact: <sip:alias2@host2.example.com>
Contact: <sip:alias3@host3.example.com>
l: 0

)SIP");
  ASSERT_PARSED(esc02);
  EXPECT_EQ(esc02->method(), Method::kUnknown);  // %-escapes are not decoded in methods
  EXPECT_EQ(esc02->methodText(), "RE%47IST%45R");
  EXPECT_EQ(esc02->to().displayName, "%Z%45");
  EXPECT_EQ(esc02->count(HeaderId::kContact), 2u);
  EXPECT_EQ(esc02->header("C%6Fntact"), "<sip:alias2@host2.example.com>");
  EXPECT_TRUE(esc02->topVia().rport);
}

TEST(TortureValidTest, NoLwsBeforeLaquot) {  // §3.1.1.6 lwsdisp
  auto m = parseText(R"SIP(OPTIONS sip:user@example.com SIP/2.0
To: sip:user@example.com
From: caller<sip:caller@example.com>;tag=323
Max-Forwards: 70
Call-ID: lwsdisp.1234abcd@funky.example.com
CSeq: 60 OPTIONS
Via: SIP/2.0/UDP funky.example.com;branch=z9hG4bKkdjuw
l: 0

)SIP");
  ASSERT_PARSED(m);
  EXPECT_EQ(m->from().displayName, "caller");
  EXPECT_EQ(m->from().uri.user, "caller");
}

TEST(TortureValidTest, LongValues) {  // §3.1.1.7 longreq
  std::string extreme;
  for (int i = 0; i < 10; ++i) extreme += "extreme";
  std::string longValue(2000, 'v');
  std::string msg = "INVITE sip:user@example.com SIP/2.0\r\n";
  msg += "To: \"I have a user name of " + extreme +
         " proportion\"<sip:user@example.com:6000;"
         "unknownparam1=very" +
         longValue + ";longparam" + std::string(300, 'n') +
         "=shortvalue;verylongParameterNameWithNoValue" + std::string(300, 'x') + ">\r\n";
  msg += "F: sip:" + std::string(500, 'c') +
         "@example.net;tag=12982398248309874932;"
         "unknownheaderparam" +
         std::string(400, 'p') + "=" + longValue + "\r\n";
  msg += "Call-ID: longreq.one" + std::string(1000, 'r') + "@example.com\r\n";
  msg += "CSeq: 3882340 INVITE\r\n";
  msg += "Unknown-" + std::string(200, 'L') + "-Header: unknown-" + longValue + ";x=" + longValue +
         "\r\n";
  const char* viaNames[] = {"Via", "v", "V", "ViA", "vIA"};
  for (int i = 33; i > 0; --i) {
    msg +=
        std::string(viaNames[i % 5]) + ": SIP/2.0/TCP sip" + std::to_string(i) + ".example.com\r\n";
  }
  msg += "Via: SIP/2.0/TCP 192.0.2.1;received=192.0.2.1;branch=z9hG4bK" + std::string(200, 'b') +
         "\r\nMax-Forwards: 70\r\nContact: <sip:" + std::string(500, 'c') +
         "@host5.example.net>\r\nContent-Type: application/sdp\r\nl: 150\r\n\r\n" + crlf(kSdp);
  ASSERT_GT(msg.size(), 9000u);
  auto m = Message::parse(msg);
  ASSERT_PARSED(m);
  EXPECT_EQ(m->count(HeaderId::kVia), 34u);
  EXPECT_EQ(m->topVia().host, "sip33.example.com");
  EXPECT_EQ(m->from().uri.user.size(), 500u);
  EXPECT_EQ(m->from().param("unknownheaderparam" + std::string(400, 'p')), longValue);
  EXPECT_EQ(m->to().uri.param("unknownparam1")->size(), 2004u);
  EXPECT_EQ(m->callId().size(), 1023u);
  EXPECT_EQ(m->body().size(), 150u);
}

TEST(TortureValidTest, ExtraTrailingOctetsInDatagram) {  // §3.1.1.8 dblreq
  std::string msg = crlf(R"SIP(REGISTER sip:example.com SIP/2.0
To: sip:j.user@example.com
From: sip:j.user@example.com;tag=43251j3j324
Max-Forwards: 8
I: dblreq.0ha0isndaksdj99sdfafnl3lk233412
Contact: sip:j.user@host.example.com
CSeq: 8 REGISTER
Via: SIP/2.0/UDP 192.0.2.125;branch=z9hG4bKkdjuw23492
Content-Length: 0


INVITE sip:joe@example.com SIP/2.0
t: sip:joe@example.com
From: sip:caller@example.net;tag=141334
Max-Forwards: 8
Call-ID: dblreq.0ha0isnda977644900765@192.0.2.15
CSeq: 8 INVITE
Via: SIP/2.0/UDP 192.0.2.15;branch=z9hG4bKkdjuw380234
Content-Type: application/sdp
Content-Length: 150

)SIP") + crlf(kSdp);
  auto m = Message::parse(msg);
  ASSERT_PARSED(m);
  EXPECT_EQ(m->method(), Method::kRegister);
  EXPECT_EQ(m->callId(), "dblreq.0ha0isndaksdj99sdfafnl3lk233412");
  EXPECT_EQ(m->body(), "");
}

TEST(TortureValidTest, SemicolonSeparatedUserPart) {  // §3.1.1.9 semiuri
  auto m = parseText(R"SIP(OPTIONS sip:user;par=u%40example.net@example.com SIP/2.0
To: sip:j_user@example.com
From: sip:caller@example.org;tag=33242
Max-Forwards: 3
Call-ID: semiuri.0ha0isndaksdj
CSeq: 8 OPTIONS
Accept: application/sdp, application/pkcs7-mime,
        multipart/mixed, multipart/signed,
        message/sip, message/sipfrag
Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKkdjuw
l: 0

)SIP");
  ASSERT_PARSED(m);
  EXPECT_EQ(m->requestUri().user, "user;par=u%40example.net");
  EXPECT_EQ(m->requestUri().host, "example.com");
  EXPECT_FALSE(m->requestUri().param("par").has_value());
  EXPECT_NE(m->header(HeaderId::kAccept).find("message/sipfrag"), std::string::npos);
}

TEST(TortureValidTest, VariedAndUnknownTransports) {  // §3.1.1.10 transports
  auto m = parseText(R"SIP(OPTIONS sip:user@example.com SIP/2.0
To: sip:user@example.com
From: <sip:caller@example.com>;tag=323
Max-Forwards: 70
Call-ID:  transports.kijh4akdnaqjkwendsasfdj
Accept: application/sdp
CSeq: 60 OPTIONS
Via: SIP/2.0/UDP t1.example.com;branch=z9hG4bKkdjuw
Via: SIP/2.0/SCTP t2.example.com;branch=z9hG4bKklasjdhf
Via: SIP/2.0/TLS t3.example.com;branch=z9hG4bK2980unddj
Via: SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en
Via: SIP/2.0/TCP t5.example.com;branch=z9hG4bK0a9idfnee
l: 0

)SIP");
  ASSERT_PARSED(m);
  std::vector<std::string> transports;
  m->forEach(HeaderId::kVia,
             [&](std::string_view v) { transports.emplace_back(parseVia(v)->transport); });
  EXPECT_EQ(transports, (std::vector<std::string>{"UDP", "SCTP", "TLS", "UNKNOWN", "TCP"}));
  EXPECT_EQ(m->callId(), "transports.kijh4akdnaqjkwendsasfdj");
}

TEST(TortureValidTest, MultipartBody) {  // §3.1.1.11 mpart01 (signature shortened)
  std::string body = crlf(R"SIP(
--===============0174466930==
Content-Type: application/sdp

v=0
o=- 1 1 IN IP4 192.0.2.1
s=-
c=IN IP4 192.0.2.1
t=0 0
m=audio 5000 RTP/AVP 0

--===============0174466930==
Content-Type: application/pkcs7-signature; name=smime.p7s
Content-Transfer-Encoding: base64

MIIBUgYJKoZIhvcNAQcCoIIBQzCCAT8CAQExCTAHBgUrDgMCGjALBgkqhkiG9w0B
--===============0174466930==--
)SIP");
  std::string msg = crlf(R"SIP(MESSAGE sip:kumiko@example.org SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-d87543-4dade06d0bdb11ee-1--d87543-;rport
Max-Forwards: 70
Route: <sip:127.0.0.1:5080>
Identity: r5mwreLuyDRYBi/0TiPwEsY3rEVsk/G2WxhgTV1PF7hHuL
From: <sip:fluffy@example.com>;tag=2fb0dcc9
To: <sip:kumiko@example.org>
Call-ID: 3d9485ad0c49859b@Zmx1ZmZ5LW1hYy0xNi5sb2NhbA..
CSeq: 1 MESSAGE
Content-Transfer-Encoding: binary
Content-Type: multipart/mixed;boundary="===============0174466930=="
Date: Thu, 02 Sep 2004 21:24:02 GMT
)SIP") +
                    "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  auto m = Message::parse(msg);
  ASSERT_PARSED(m);
  EXPECT_EQ(m->method(), Method::kMessage);
  EXPECT_EQ(m->body(), body);
  EXPECT_TRUE(m->topVia().rport);
}

TEST(TortureValidTest, UnusualAndEmptyReasonPhrases) {  // §3.1.1.12 unreason, §3.1.1.13
  std::string body = crlf(kSdp);
  auto m = Message::parse(crlf(R"SIP(SIP/2.0 200 = 2**3 * 5**2 но сто девяносто девять - простое
Via: SIP/2.0/UDP 192.0.2.198;branch=z9hG4bK1324923
Call-ID: unreason.1234ksdfak3j2erwedfsASdf
CSeq: 35 INVITE
From: sip:user@example.com;tag=11141343
To: sip:user@example.edu;tag=2229
Content-Length: 150
Content-Type: application/sdp
Contact: <sip:user@host198.example.com>

)SIP") + body);
  ASSERT_PARSED(m);
  EXPECT_FALSE(m->isRequest());
  EXPECT_EQ(m->status(), 200);
  EXPECT_EQ(m->reason(), "= 2**3 * 5**2 но сто девяносто девять - простое");
  EXPECT_EQ(m->method(), Method::kInvite);
  EXPECT_EQ(m->methodText(), "INVITE");

  auto empty = parseText(R"SIP(SIP/2.0 100 
Via: SIP/2.0/UDP 192.0.2.105;branch=z9hG4bK2398ndaoe
Call-ID: noreason.asndj203insdf99223ndf
CSeq: 35 INVITE
From: <sip:user@example.com>;tag=39ansfi3
To: <sip:user@example.edu>;tag=902jndnke3
Content-Length: 0
Contact: <sip:user@host105.example.com>

)SIP");
  ASSERT_PARSED(empty);
  EXPECT_EQ(empty->status(), 100);
  EXPECT_EQ(empty->reason(), "");
  auto bare = parseText(replaced(kOptions, "OPTIONS sip:user@example.com SIP/2.0", "SIP/2.0 180"));
  ASSERT_PARSED(bare);
  EXPECT_EQ(bare->status(), 180);
}

// RFC 4475 §3.2, §3.3 and §3.4: syntactically valid; semantics are the application's.
TEST(TortureValidTest, ApplicationLayerCasesParse) {
  std::vector<std::pair<const char*, std::string>> cases = {
      {"unkscm", replaced(kOptions, "OPTIONS sip:user@example.com",
                          "OPTIONS nobodyknowsthisscheme:totallyopaquecontent")},
      {"novelsc",
       replaced(kOptions, "OPTIONS sip:user@example.com", "OPTIONS soap.beep://192.0.2.103:3002")},
      {"unksm2", replaced(replaced(kOptions, "To: <sip:user@example.com>", "To: isbn:2983792873"),
                          "<sip:caller@example.net>", "<http://www.example.com>")},
      {"zeromf", replaced(kOptions, "Max-Forwards: 70", "Max-Forwards: 0")},
      {"badbranch", replaced(kOptions, "branch=z9hG4bK776asdhds", "branch=z9hG4bK")},
      {"cparam01",
       replaced(kOptions, "Max-Forwards: 70",
                "Max-Forwards: 70\nContact: sip:+19725552222@gw1.example.net;unknownparam")},
      {"cparam02",
       replaced(kOptions, "Max-Forwards: 70",
                "Max-Forwards: 70\nContact: <sip:+19725552222@gw1.example.net;unknownparam>")},
      {"regescrt", replaced(kOptions, "Max-Forwards: 70",
                            "Max-Forwards: 70\nContact: "
                            "<sip:user@example.com?Route=%3Csip:sip.example.com%3E>")},
      {"bext01",
       replaced(kOptions, "Max-Forwards: 70",
                "Max-Forwards: 70\nRequire: nothingSupportsThis, nothingSupportsThisEither"
                "\nProxy-Require: noProxiesSupportThis, norDoAnyProxiesSupportThis")},
      {"nocl", replaced(kOptions, "Content-Length: 0\n", "")},
      {"lf-only", std::string(kOptions)},
  };
  for (const auto& [name, text] : cases) {
    auto m = std::string(name) == "lf-only" ? Message::parse(text) : parseText(text);
    EXPECT_TRUE(m.ok()) << name << ": " << (m.ok() ? "" : m.error().message);
  }
  auto zero = parseText(cases[3].second);
  EXPECT_EQ(zero->maxForwards(), 0);
  auto unknownScheme = parseText(cases[0].second);
  EXPECT_FALSE(unknownScheme->requestUri().isSip());
  EXPECT_EQ(unknownScheme->requestUri().scheme, "nobodyknowsthisscheme");
}

TEST(TortureValidTest, Rfc2543StyleInvite) {  // §3.4.1 inv2543: no branch, tags, MF, CL
  auto m = parseText(std::string(R"SIP(INVITE sip:UserB@example.com SIP/2.0
Via: SIP/2.0/UDP iftgw.example.com
From: <sip:+13035551111@ift.here.com;user=phone>
Record-Route: <sip:UserB@example.com;maddr=ss1.example.com>
To: sip:+16505552222@ss1.example.net;user=phone
Call-ID: inv2543.1717@ift.here.com
CSeq: 56 INVITE
Content-Type: application/sdp

)SIP") + std::string(kSdp));
  ASSERT_PARSED(m);
  EXPECT_EQ(m->topVia().branch, "");
  EXPECT_EQ(m->from().tag(), "");
  EXPECT_EQ(m->maxForwards(), 70);
  EXPECT_EQ(m->to().uri.params, "");  // addr-spec: ;user=phone belongs to the header
  EXPECT_EQ(m->to().param("user"), "phone");
  EXPECT_EQ(m->body(), crlf(kSdp));
}

// RFC 5118: IPv6 torture messages.
TEST(TortureValidTest, Ipv6Variants) {
  std::string good = replaced(
      replaced(replaced(kOptions, "OPTIONS sip:user@example.com", "OPTIONS sip:[2001:db8::10]"),
               "host.example.com:5060", "[2001:db8::9:1]"),
      "Max-Forwards: 70", "Max-Forwards: 70\nContact: \"Caller\" <sip:caller@[2001:db8::1]>");
  auto m = parseText(good);
  ASSERT_PARSED(m);
  EXPECT_TRUE(m->requestUri().ipv6);
  EXPECT_EQ(m->requestUri().host, "2001:db8::10");
  EXPECT_EQ(m->topVia().host, "2001:db8::9:1");
  EXPECT_EQ(m->topVia().port, 0);

  for (const char* uri : {"sip:[2001:db8::10:5070]", "sip:[2001:db8::10]:5070",
                          "sip:user@[::ffff:192.0.2.10]", "sip:user@[2001:db8::192.0.2.1]"}) {
    EXPECT_TRUE(
        parseText(replaced(kOptions, "sip:user@example.com SIP", std::string(uri) + " SIP")).ok())
        << uri;
  }
  for (const char* via : {"[2001:db8::9:1]:5060;received=[2001:db8::9:255];branch=z9hG4bKas3",
                          "[2001:db8::9:1];received=2001:db8::9:255;branch=z9hG4bKas3",
                          "[::ffff:192.0.2.10]:19823;branch=z9hG4bKbnbn"}) {
    auto v = parseText(replaced(kOptions, "host.example.com:5060;branch=z9hG4bK776asdhds", via));
    EXPECT_TRUE(v.ok()) << via;
  }
  auto received = parseVia("SIP/2.0/UDP [2001:db8::9:1]:5060;received=[2001:db8::9:255]");
  ASSERT_PARSED(received);
  EXPECT_EQ(received->port, 5060);
  EXPECT_EQ(received->received, "[2001:db8::9:255]");

  // §4.2 ipv6-bad and §4.10 three colons.
  EXPECT_FALSE(
      parseText(replaced(kOptions, "sip:user@example.com SIP", "sip:2001:db8::10 SIP")).ok());
  EXPECT_FALSE(parseText(replaced(kOptions, "sip:user@example.com SIP",
                                  "sip:user@[2001:db8:::192.0.2.1] SIP"))
                   .ok());
  EXPECT_FALSE(parseText(replaced(kOptions, "host.example.com:5060", "[2001:db8:::9:1]")).ok());
}

// ---- RFC 4475 §3.1.2 and §3.3: invalid messages ----

struct InvalidCase {
  const char* name;
  std::string text;  // LF line ends
  Errc code;
  const char* why;  // substring of the error message
};

std::vector<InvalidCase> invalidCases() {
  auto swap = [](std::string_view from, std::string_view to) {
    return replaced(kOptions, from, to);
  };
  auto addHeader = [](std::string_view line) {
    return replaced(kOptions, "Max-Forwards: 70", "Max-Forwards: 70\n" + std::string(line));
  };
  const std::string invite =
      replaced(replaced(kOptions, "OPTIONS sip", "INVITE sip"), "63104 OPTIONS", "63104 INVITE");
  auto inviteWith = [&](std::string_view line) {
    return replaced(invite, "Max-Forwards: 70", "Max-Forwards: 70\n" + std::string(line));
  };
  const auto kBad = Errc::kInvalidInput;
  return {
      {"badinv01", swap("host.example.com:5060;branch=z9hG4bK776asdhds", "192.0.2.15;;,;,,"), kBad,
       "Via"},
      {"badinv01-params", swap(";tag=1928301774", ";;tag=1928301774"), kBad, "From"},
      {"badinv01-contact", addHeader("Contact: \"Joe\" <sip:joe@example.org>;;;;"), kBad,
       "Contact"},
      {"clerr", swap("Content-Length: 0\n\n", "Content-Length: 9999\n\nv=0\n"), kBad, "shorter"},
      {"ncl", swap("Content-Length: 0", "Content-Length: -999"), kBad, "Content-Length"},
      {"cl-empty", swap("Content-Length: 0", "Content-Length:"), kBad, "Content-Length"},
      {"cl-overflow", swap("Content-Length: 0", "Content-Length: 4294967296"), kBad,
       "Content-Length"},
      {"mcl01", swap("Content-Length: 0", "Content-Length: 0\nl: 5"), kBad, "Content-Length"},
      {"scalar02", swap("CSeq: 63104", "CSeq: 36893488147419103232"), kBad, "CSeq"},
      {"scalarlg-mf", swap("Max-Forwards: 70", "Max-Forwards: 300"), kBad, "Max-Forwards"},
      {"mf-empty", swap("Max-Forwards: 70", "Max-Forwards: "), kBad, "Max-Forwards"},
      {"mf-negative", swap("Max-Forwards: 70", "Max-Forwards: -1"), kBad, "Max-Forwards"},
      {"cseq-2^31", swap("CSeq: 63104", "CSeq: 2147483648"), kBad, "CSeq"},
      {"cseq-negative", swap("CSeq: 63104", "CSeq: -1"), kBad, "CSeq"},
      {"cseq-no-method", swap("CSeq: 63104 OPTIONS", "CSeq: 63104"), kBad, "CSeq"},
      {"cseq-no-number", swap("CSeq: 63104 OPTIONS", "CSeq: OPTIONS"), kBad, "CSeq"},
      {"cseq-two-methods", swap("CSeq: 63104 OPTIONS", "CSeq: 1 OPTIONS INVITE"), kBad, "CSeq"},
      {"mismatch01", swap("CSeq: 63104 OPTIONS", "CSeq: 63104 INVITE"), kBad, "does not match"},
      {"mismatch02", swap("OPTIONS sip", "NEWMETHOD sip"), kBad, "does not match"},
      {"method-case", swap("CSeq: 63104 OPTIONS", "CSeq: 63104 options"), kBad, "does not match"},
      {"quotbal", swap("To: <sip:user@example.com>", "To: \"Mr. J. User <sip:j.user@example.com>"),
       kBad, "To"},
      {"ltgtruri", swap("OPTIONS sip:user@example.com", "OPTIONS <sip:user@example.com>"), kBad,
       "Request-URI"},
      {"lwsruri", swap("sip:user@example.com SIP", "sip:user@example.com; lr SIP"), kBad,
       "Request-URI"},
      {"lwsstart",
       swap("OPTIONS sip:user@example.com SIP/2.0", "OPTIONS  sip:user@example.com  SIP/2.0"), kBad,
       "Request-URI"},
      {"trws", swap("SIP/2.0\nVia", "SIP/2.0 \nVia"), kBad, "malformed"},
      {"escruri",
       swap("sip:user@example.com SIP", "sip:user@example.com?Route=%3Csip:example.com%3E SIP"),
       kBad, "headers in Request-URI"},
      {"regbadct", addHeader("Contact: sip:user@example.com?Route=%3Csip:sip.example.com%3E"), kBad,
       "Contact"},
      {"badaspec",
       swap("To: <sip:user@example.com>", "To: \"Watson, Thomas\" < sip:t.watson@ieee.org >"), kBad,
       "To"},
      {"baddn", swap("\"Caller\" <sip:", "Bell, Alexander <sip:"), kBad, "From"},
      {"badvers",
       swap("OPTIONS sip:user@example.com SIP/2.0", "OPTIONS sip:t.watson@ieee.org SIP/7.0"),
       Errc::kUnsupported, "version"},
      {"badvers-response", swap("OPTIONS sip:user@example.com SIP/2.0", "SIP/7.0 200 OK"),
       Errc::kUnsupported, "version"},
      {"bigcode",
       swap("OPTIONS sip:user@example.com SIP/2.0", "SIP/2.0 4294967301 better not break"), kBad,
       "status"},
      {"code-2-digits", swap("OPTIONS sip:user@example.com SIP/2.0", "SIP/2.0 20 OK"), kBad,
       "status"},
      {"code-099", swap("OPTIONS sip:user@example.com SIP/2.0", "SIP/2.0 099 Low"), kBad, "status"},
      {"code-700", swap("OPTIONS sip:user@example.com SIP/2.0", "SIP/2.0 700 High"), kBad,
       "status"},
      {"code-glued", swap("OPTIONS sip:user@example.com SIP/2.0", "SIP/2.0 200OK"), kBad, "status"},
      {"no-version", swap("OPTIONS sip:user@example.com SIP/2.0", "OPTIONS sip:user@example.com"),
       kBad, "request line"},
      {"http", swap("OPTIONS sip:user@example.com SIP/2.0", "HTTP/1.1 200 OK"), kBad, "method"},
      {"method-not-token", swap("OPTIONS sip", "OPT(ONS sip"), kBad, "method"},
      {"insuf-via", swap("Via: SIP/2.0/UDP host.example.com:5060;branch=z9hG4bK776asdhds\n", ""),
       kBad, "Via"},
      {"insuf-from", swap("From: \"Caller\" <sip:caller@example.net>;tag=1928301774\n", ""), kBad,
       "From"},
      {"insuf-to", swap("To: <sip:user@example.com>\n", ""), kBad, "To"},
      {"insuf-callid", swap("Call-ID: a84b4c76e66710@pc33.example.net\n", ""), kBad, "Call-ID"},
      {"insuf-cseq", swap("CSeq: 63104 OPTIONS\n", ""), kBad, "CSeq"},
      {"callid-space", swap("Call-ID: a84b4c76e66710@pc33.example.net", "Call-ID: a b"), kBad,
       "Call-ID"},
      {"multi01-callid", addHeader("i: other@192.0.2.2"), kBad, "duplicate"},
      {"multi01-to", addHeader("To: sip:other@example.net"), kBad, "duplicate"},
      {"multi01-from", addHeader("f: sip:caller@example.net;tag=2923420123"), kBad, "duplicate"},
      {"multi01-cseq", addHeader("CSeq: 59 OPTIONS"), kBad, "duplicate"},
      {"multi01-mf", addHeader("Max-Forwards: 5"), kBad, "duplicate"},
      {"multi01-ct", addHeader("Content-Type: a/b\nc: c/d"), kBad, "duplicate"},
      {"wildcard-from", swap("\"Caller\" <sip:caller@example.net>;tag=1928301774", "*"), kBad,
       "From"},
      {"unkscheme-contact-invite", inviteWith("Contact: <tel:+12015550123>"), kBad, "SIP or SIPS"},
      {"http-contact-invite", inviteWith("Contact: <http://example.com/x>"), kBad, "SIP or SIPS"},
      {"two-contacts-invite", inviteWith("Contact: <sip:a@x>, <sip:b@y>"), kBad, "SIP or SIPS"},
      {"wildcard-contact-invite", inviteWith("Contact: *"), kBad, "SIP or SIPS"},
      {"via-no-sent-by", swap("UDP host.example.com:5060;branch=z9hG4bK776asdhds", "UDP"), kBad,
       "Via"},
      {"via-version", swap("Via: SIP/2.0/UDP", "Via: SIP/3.0/UDP"), kBad, "Via"},
      {"via-no-transport", swap("Via: SIP/2.0/UDP", "Via: SIP/2.0"), kBad, "Via"},
      {"via-bad-port", swap("host.example.com:5060", "host.example.com:99999"), kBad, "Via"},
      {"via-empty-port", swap("host.example.com:5060", "host.example.com:"), kBad, "Via"},
      {"via-bad-host", swap("host.example.com:5060", "ho$t.example.com"), kBad, "Via"},
      {"via-junk", swap("host.example.com:5060;", "host.example.com junk;"), kBad, "Via"},
      {"via-trailing-semi", swap("z9hG4bK776asdhds", "z9hG4bK776asdhds;"), kBad, "Via"},
      {"via-empty-branch", swap("branch=z9hG4bK776asdhds", "branch="), kBad, "Via"},
      {"via-unbracketed-v6", swap("host.example.com:5060", "2001:db8::1"), kBad, "Via"},
      {"nul-in-value", swap("Call-ID: a84b4c76e66710", std::string("Call-ID: a84b4c\0", 16)), kBad,
       "control"},
      {"bel-in-start-line", swap("OPTIONS sip", "OPTIONS\x07 sip"), kBad, "control"},
      {"del-in-header",
       addHeader("Subject: a\x7f"
                 "b"),
       kBad, "control"},
      {"unescaped-ctl-in-quotes", swap("\"Caller\"", "\"Cal\x01ler\""), kBad, "control"},
      {"bare-cr", addHeader("Subject: a\rb"), kBad, "header"},
      {"fold-first", swap("Via:", " Via:"), kBad, "continuation"},
      {"no-colon", addHeader("NoColonHere"), kBad, "':'"},
      {"bad-header-name", addHeader("Bad Name: x"), kBad, "header name"},
      {"empty-header-name", addHeader(": x"), kBad, "header name"},
      {"contact-unbalanced", addHeader("Contact: <sip:a@b"), kBad, "Contact"},
      {"contact-empty-element", addHeader("Contact: <sip:a@b>,,<sip:c@d>"), kBad, "Contact"},
      {"route-empty", addHeader("Route:"), kBad, "Route"},
  };
}

TEST(TortureInvalidTest, EveryCaseFailsForItsReason) {
  for (const auto& c : invalidCases()) {
    auto m = parseText(c.text);
    if (m.ok()) {
      ADD_FAILURE() << c.name << " parsed";
      continue;
    }
    EXPECT_EQ(m.error().code, c.code) << c.name << ": " << m.error().message;
    EXPECT_NE(m.error().message.find(c.why), std::string::npos)
        << c.name << ": " << m.error().message;
  }
}

TEST(TortureInvalidTest, InsufficientHeadersFromRfc) {  // §3.3.1 insuf
  EXPECT_FALSE(parseText(R"SIP(INVITE sip:user@example.com SIP/2.0
CSeq: 193942 INVITE
Via: SIP/2.0/UDP 192.0.2.95;branch=z9hG4bKkdj.insuf
Content-Type: application/sdp
l: 150

)SIP" + std::string(kSdp))
                   .ok());
}

TEST(TortureInvalidTest, GarbageAndLimits) {
  for (std::string_view bytes : {std::string_view(""), std::string_view("\r\n\r\n"),
                                 std::string_view("INVITE"), std::string_view("\0\0\0\0", 4)}) {
    EXPECT_FALSE(Message::parse(bytes).ok());
  }
  std::string msg = crlf(kOptions);
  ParseLimits small;
  small.maxBytes = msg.size() - 1;
  EXPECT_FALSE(Message::parse(msg, true, small).ok());
  small.maxBytes = msg.size();
  EXPECT_TRUE(Message::parse(msg, true, small).ok());
  small.maxHeaders = 7;  // exactly the number of header fields
  EXPECT_TRUE(Message::parse(msg, true, small).ok());
  small.maxHeaders = 6;
  EXPECT_FALSE(Message::parse(msg, true, small).ok());
  std::string list = "SIP/2.0/UDP a.example.com";
  for (int i = 0; i < 300; ++i) list += ", SIP/2.0/UDP a.example.com";
  auto manyVias = Message::parse(replaced(msg, "Max-Forwards: 70", "Via: " + list));
  ASSERT_FALSE(manyVias.ok());
  EXPECT_NE(manyVias.error().message.find("too many headers"), std::string::npos);
}

// ---- Framing ----

TEST(FramingTest, DatagramBodyLongerThanContentLengthIsTruncated) {
  auto m =
      parseText(replaced(kOptions, "Content-Length: 0\n\n", "Content-Length: 4\n\nv=0\nextra"));
  ASSERT_PARSED(m);
  EXPECT_EQ(m->body(), "v=0\r");
}

TEST(FramingTest, DatagramWithoutContentLengthTakesTheRest) {
  auto m = parseText(replaced(kOptions, "Content-Length: 0\n\n", "\nhello\n"));
  ASSERT_PARSED(m);
  EXPECT_EQ(m->body(), "hello\r\n");
  auto noBlank = Message::parse(crlf(replaced(kOptions, "Content-Length: 0\n\n", "")));
  ASSERT_PARSED(noBlank);
  EXPECT_EQ(noBlank->body(), "");
}

TEST(FramingTest, StreamRequiresContentLengthAndBlankLine) {
  EXPECT_TRUE(parseText(kOptions, false).ok());
  auto noCl = parseText(replaced(kOptions, "Content-Length: 0\n", ""), false);
  ASSERT_FALSE(noCl.ok());
  EXPECT_NE(noCl.error().message.find("Content-Length required"), std::string::npos);
  EXPECT_FALSE(
      parseText(replaced(kOptions, "Content-Length: 0\n\n", "Content-Length: 0\n"), false).ok());
  EXPECT_FALSE(
      parseText(replaced(kOptions, "Content-Length: 0\n\n", "Content-Length: 5\n\nabc"), false)
          .ok());
  auto withBody =
      parseText(replaced(kOptions, "Content-Length: 0\n\n", "Content-Length: 3\n\nabc"), false);
  ASSERT_PARSED(withBody);
  EXPECT_EQ(withBody->body(), "abc");
}

TEST(FramingTest, LeadingCrlfsAreIgnored) {
  auto m = Message::parse("\r\n\r\n\n" + crlf(kOptions), false);
  ASSERT_PARSED(m);
  EXPECT_EQ(m->method(), Method::kOptions);
}

TEST(FramingTest, MovedMessageKeepsItsViews) {
  auto r = parseText(kOptions);
  ASSERT_PARSED(r);
  Message m = std::move(r.value());
  Message moved = std::move(m);
  EXPECT_EQ(moved.callId(), "a84b4c76e66710@pc33.example.net");
  EXPECT_EQ(moved.from().displayName, "Caller");
  EXPECT_EQ(moved.bytes().substr(0, 7), "OPTIONS");
}

// ---- Header access ----

TEST(HeaderTest, LookupByIdAndNameIncludingCompactForms) {
  auto m = parseText(R"SIP(INVITE sip:bob@example.com SIP/2.0
v: SIP/2.0/UDP pc33.example.com;branch=z9hG4bK1
f: <sip:alice@example.com>;tag=1
t: <sip:bob@example.com>
i: compact@pc33
CSeq: 1 INVITE
m: <sip:alice@pc33.example.com>
c: application/sdp
k: 100rel
o: presence
X-Custom: one
x-custom: two
l: 0

)SIP");
  ASSERT_PARSED(m);
  EXPECT_EQ(m->header(HeaderId::kCallId), "compact@pc33");
  EXPECT_EQ(m->header("Call-ID"), "compact@pc33");
  EXPECT_EQ(m->header("CALL-ID"), "compact@pc33");
  EXPECT_EQ(m->header("i"), "compact@pc33");
  EXPECT_EQ(m->header("Content-Type"), "application/sdp");
  EXPECT_EQ(m->header("Supported"), "100rel");
  EXPECT_EQ(m->header(HeaderId::kEvent), "presence");
  EXPECT_EQ(m->header("x-CUSTOM"), "one");
  EXPECT_EQ(m->header("X-Missing"), "");
  EXPECT_EQ(m->header(HeaderId::kRoute), "");
  EXPECT_EQ(m->count(HeaderId::kOther), 2u);
  EXPECT_EQ(m->count(HeaderId::kRoute), 0u);
  EXPECT_EQ(m->headers()[0].name, "v");
  EXPECT_EQ(m->headers()[0].id, HeaderId::kVia);
}

TEST(HeaderTest, NameTable) {
  EXPECT_EQ(headerIdFromName("VIA"), HeaderId::kVia);
  EXPECT_EQ(headerIdFromName("record-ROUTE"), HeaderId::kRecordRoute);
  EXPECT_EQ(headerIdFromName("l"), HeaderId::kContentLength);
  EXPECT_EQ(headerIdFromName("e"), HeaderId::kContentEncoding);
  EXPECT_EQ(headerIdFromName("r"), HeaderId::kReferTo);
  EXPECT_EQ(headerIdFromName("b"), HeaderId::kReferredBy);
  EXPECT_EQ(headerIdFromName("x"), HeaderId::kSessionExpires);
  EXPECT_EQ(headerIdFromName("u"), HeaderId::kAllowEvents);
  EXPECT_EQ(headerIdFromName("Via2"), HeaderId::kOther);
  EXPECT_EQ(headerIdFromName(""), HeaderId::kOther);
  EXPECT_EQ(methodFromName("INVITE"), Method::kInvite);
  EXPECT_EQ(methodFromName("invite"), Method::kUnknown);  // methods are case-sensitive
  EXPECT_EQ(methodName(Method::kPublish), "PUBLISH");
  EXPECT_EQ(methodName(Method::kUnknown), "");
  EXPECT_EQ(transportName(Transport::kWss), "WSS");
  EXPECT_FALSE(isReliable(Transport::kUdp));
  EXPECT_TRUE(isReliable(Transport::kTls));
}

TEST(HeaderTest, CaseVariants) {
  auto m = parseText(R"SIP(invite sip:bob@example.com sip/2.0
vIA: sip/2.0/udp pc33.example.com;BRANCH=z9hG4bK1
FROM: <SIP:alice@example.com>;TAG=1
tO: <sip:bob@example.com>
CALL-id: case@pc33
cSeQ: 1 invite
content-LENGTH: 0

)SIP");
  ASSERT_PARSED(m);
  EXPECT_EQ(m->method(), Method::kUnknown);
  EXPECT_EQ(m->methodText(), "invite");
  EXPECT_EQ(m->topVia().branch, "z9hG4bK1");
  EXPECT_EQ(m->topVia().transport, "udp");
  EXPECT_EQ(m->from().tag(), "1");
  EXPECT_TRUE(m->from().uri.isSip());
}

TEST(HeaderTest, ListSplittingRespectsQuotesAndAngles) {
  auto m = parseText(replaced(kOptions, "Max-Forwards: 70", R"(Max-Forwards: 70
Contact: "Doe, John" <sip:jd@a.example.com>;q=0.5, <sip:x,y@b.example.com>,sip:c@c.example.com
Route: <sip:p1.example.com;lr>,<sip:p2.example.com;lr>
Route: <sip:p3.example.com;lr>
Record-Route: <sip:rr1.example.com;lr>, <sip:rr2.example.com;lr;x="a,b">
Via: SIP/2.0/UDP second.example.com;branch=z9hG4bK2, SIP/2.0/TCP third.example.com;branch=z9hG4bK3)"));
  ASSERT_PARSED(m);
  std::vector<std::string> contacts;
  m->forEach(HeaderId::kContact, [&](std::string_view v) { contacts.emplace_back(v); });
  ASSERT_EQ(contacts.size(), 3u);
  EXPECT_EQ(contacts[0], "\"Doe, John\" <sip:jd@a.example.com>;q=0.5");
  EXPECT_EQ(contacts[1], "<sip:x,y@b.example.com>");
  EXPECT_EQ(contacts[2], "sip:c@c.example.com");
  EXPECT_EQ(parseNameAddr(contacts[1])->uri.user, "x,y");
  EXPECT_EQ(m->count(HeaderId::kRoute), 3u);
  EXPECT_EQ(m->count(HeaderId::kRecordRoute), 2u);
  std::vector<std::string> hosts;
  m->forEach(HeaderId::kVia, [&](std::string_view v) { hosts.emplace_back(parseVia(v)->host); });
  EXPECT_EQ(hosts, (std::vector<std::string>{"host.example.com", "second.example.com",
                                             "third.example.com"}));
}

// ---- NameAddr and Via ----

TEST(NameAddrTest, Forms) {
  auto quoted = parseNameAddr(R"("A \"quoted\" name" <sip:a@example.com;transport=tcp>;tag=x;q=1)");
  ASSERT_PARSED(quoted);
  EXPECT_EQ(quoted->displayName, R"(A \"quoted\" name)");
  EXPECT_EQ(quoted->uri.param("transport"), "tcp");
  EXPECT_EQ(quoted->tag(), "x");
  EXPECT_EQ(quoted->param("Q"), "1");

  auto token = parseNameAddr("Alice  Smith <sip:a@example.com>");
  ASSERT_PARSED(token);
  EXPECT_EQ(token->displayName, "Alice  Smith");

  auto bare = parseNameAddr("<sips:a@example.com>");
  ASSERT_PARSED(bare);
  EXPECT_EQ(bare->displayName, "");
  EXPECT_EQ(bare->params, "");

  auto spec = parseNameAddr("sip:a@example.com;transport=tcp;tag=7");
  ASSERT_PARSED(spec);
  EXPECT_EQ(spec->uri.raw, "sip:a@example.com");
  EXPECT_EQ(spec->uri.params, "");
  EXPECT_EQ(spec->param("transport"), "tcp");
  EXPECT_EQ(spec->tag(), "7");

  auto star = parseNameAddr(" * ");
  ASSERT_PARSED(star);
  EXPECT_TRUE(star->wildcard);

  auto quotedParam = parseNameAddr(R"(<sip:a@b>;x="semi;colon";tag=9)");
  ASSERT_PARSED(quotedParam);
  EXPECT_EQ(quotedParam->tag(), "9");
  EXPECT_EQ(quotedParam->param("x"), "\"semi;colon\"");
  EXPECT_EQ(parseNameAddr("<sip:a@b>;+sip.instance=\"<urn:uuid:1>\";reg-id=1")->param("reg-id"),
            "1");
}

TEST(NameAddrTest, Rejects) {
  for (const char* text : {"",
                           "\"unterminated <sip:a@b>",
                           "\"name\" sip:a@b",
                           "\"name\" x <sip:a@b>",
                           "<sip:a@b",
                           "<sip:a@b> junk",
                           "< sip:a@b>",
                           "<sip:a@b >",
                           "Bell, A <sip:a@b>",
                           "<sip:a@b>;",
                           "<sip:a@b>;;tag=1",
                           "<sip:a@b>;tag=",
                           "<sip:a@b>;tag=a b",
                           "<sip:a@b>;x=\"open",
                           "<sip:a@b>;=1",
                           "<sip:a@b>;tag",
                           "<sip:a@b>;TAG;x=1",
                           "sip:a@b?x=y",
                           "sip:a b@c",
                           "<>",
                           "<nonsense>",
                           "* ;expires=0"}) {
    EXPECT_FALSE(parseNameAddr(text).ok()) << text;
  }
}

TEST(ViaTest, Forms) {
  auto v = parseVia("SIP/2.0/UDP 192.0.2.1:5060;rport;branch=z9hG4bK1;received=10.0.0.1");
  ASSERT_PARSED(v);
  EXPECT_EQ(v->transport, "UDP");
  EXPECT_EQ(v->host, "192.0.2.1");
  EXPECT_EQ(v->port, 5060);
  EXPECT_TRUE(v->rport);
  EXPECT_EQ(v->branch, "z9hG4bK1");
  EXPECT_EQ(v->received, "10.0.0.1");
  EXPECT_EQ(v->param("RPORT"), "");
  EXPECT_FALSE(v->param("maddr").has_value());

  auto spaced =
      parseVia(" SIP / 2.0 / TCP  host.example.com : 5061 ; rport = 1234 ; branch = z9hG4bKx ");
  ASSERT_PARSED(spaced);
  EXPECT_EQ(spaced->transport, "TCP");
  EXPECT_EQ(spaced->host, "host.example.com");
  EXPECT_EQ(spaced->port, 5061);
  EXPECT_TRUE(spaced->rport);
  EXPECT_EQ(spaced->param("rport"), "1234");
  EXPECT_EQ(spaced->branch, "z9hG4bKx");

  auto v6 = parseVia("SIP/2.0/WSS [2001:db8::1]:443;branch=z9hG4bKw");
  ASSERT_PARSED(v6);
  EXPECT_EQ(v6->host, "2001:db8::1");
  EXPECT_EQ(v6->port, 443);
  auto lower = parseVia("sip/2.0/tls host");
  ASSERT_PARSED(lower);
  EXPECT_FALSE(lower->rport);
  EXPECT_EQ(lower->port, 0);
}

TEST(ViaTest, Rejects) {
  for (const char* text :
       {"", "SIP/2.0/UDP", "SIP/2.0/UDP ", "SIP/2.0 host", "SIP/2.1/UDP host", "SIPS/2.0/UDP host",
        "SIP/2.0/UDP host:0", "SIP/2.0/UDP host:x", "SIP/2.0/UDP [::1", "SIP/2.0/UDP [::1]x",
        "SIP/2.0/UDP [1::2::3]", "SIP/2.0/UDP a b", "SIP/2.0/UDP host;",
        "SIP/2.0/UDP host;;branch=1", "SIP/2.0/UDP/ host", "SIP/2.0/U(P host",
        "SIP/2.0/UDP host;branch", "SIP/2.0/UDP host;received;branch=z9hG4bK1"}) {
    EXPECT_FALSE(parseVia(text).ok()) << text;
  }
}

// ---- badRequestResponse ----

TEST(BadRequestTest, SalvageableRequestGetsA400ThatParses) {
  std::string bad = crlf(R"SIP(INVITE sip:bob@example.com SIP/2.0
Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp1, SIP/2.0/UDP pc33.example.com;branch=z9hG4bK1
Via: SIP/2.0/TCP origin.example.com;branch=z9hG4bK0
From: Alice <sip:alice@example.com>;tag=88
To: <sip:bob@example.com>
Call-ID: salvage@pc33
CSeq: 7 INVITE
Subject: folded
 Via: SIP/2.0/UDP evil.example.com
Content-Length: 9999

)SIP");
  auto parsed = Message::parse(bad);
  ASSERT_FALSE(parsed.ok());
  auto resp = badRequestResponse(bad, "bad\r\nthing\x01");
  ASSERT_TRUE(resp.has_value());
  auto m = Message::parse(*resp, false);
  ASSERT_PARSED(m);
  EXPECT_EQ(m->status(), 400);
  EXPECT_EQ(m->reason(), "Bad Request (bad  thing )");
  std::vector<std::string> vias;
  m->forEach(HeaderId::kVia, [&](std::string_view v) { vias.emplace_back(parseVia(v)->host); });
  EXPECT_EQ(vias, (std::vector<std::string>{"proxy.example.com", "pc33.example.com",
                                            "origin.example.com"}));
  EXPECT_EQ(m->from().tag(), "88");
  EXPECT_FALSE(m->to().tag().empty());
  EXPECT_EQ(m->callId(), "salvage@pc33");
  EXPECT_EQ(m->cseq().number, 7u);
  EXPECT_EQ(m->cseq().method, Method::kInvite);
  EXPECT_EQ(badRequestResponse(bad, "x"), badRequestResponse(bad, "x"));  // stable To tag

  std::string tagged =
      replaced(bad, "To: <sip:bob@example.com>", "To: <sip:bob@example.com>;tag=b");
  auto taggedResp = Message::parse(*badRequestResponse("\r\n" + tagged, "why"), false);
  ASSERT_PARSED(taggedResp);
  EXPECT_EQ(taggedResp->to().tag(), "b");
}

TEST(BadRequestTest, UnsalvageableOrResponsesGetNothing) {
  std::string req = crlf(replaced(kOptions, "Content-Length: 0", "Content-Length: -1"));
  ASSERT_TRUE(badRequestResponse(req, "x").has_value());
  EXPECT_FALSE(badRequestResponse(replaced(req, "Call-ID:", "X-Call-ID:"), "x"));
  EXPECT_FALSE(badRequestResponse(replaced(req, "Via: SIP/2.0/UDP", "Via: SIP/9/UDP"), "x"));
  EXPECT_FALSE(badRequestResponse(replaced(req, "To: <", "To: \"<"), "x"));
  EXPECT_FALSE(badRequestResponse(replaced(req, "CSeq: 63104", "CSeq: x"), "x"));
  EXPECT_FALSE(badRequestResponse(replaced(req, "CSeq: 63104 OPTIONS", "CSeq: 1 ACK"), "x"));
  EXPECT_FALSE(badRequestResponse(replaced(req, "OPTIONS sip", "ACK sip"), "x"));
  EXPECT_FALSE(badRequestResponse(replaced(req, "a84b4c76e66710", std::string("a\0b", 3)), "x"));
  EXPECT_FALSE(badRequestResponse(
      replaced(req, "OPTIONS sip:user@example.com SIP/2.0", "SIP/2.0 200 OK"), "x"));
  EXPECT_FALSE(badRequestResponse(
      replaced(req, "OPTIONS sip:user@example.com SIP/2.0", "sip/2.0 200 OK"), "x"));
  EXPECT_FALSE(badRequestResponse(
      "\r\n" + replaced(req, "OPTIONS sip:user@example.com SIP/2.0", "SIP/2.0 200 OK"), "x"));
  EXPECT_FALSE(badRequestResponse("", "x"));
  EXPECT_FALSE(badRequestResponse("\r\n\r\n", "x"));
  EXPECT_FALSE(badRequestResponse("garbage without lines", "x"));
  EXPECT_FALSE(badRequestResponse(std::string("\x16\x03\x01\x02\x00\n", 6), "x"));
}

}  // namespace
}  // namespace sb::sip
