#include "sip/sdp.h"

#include <gtest/gtest.h>

namespace sb::sip::sdp {
namespace {

// What SIPp's default uac scenario offers.
constexpr std::string_view kSipp =
    "v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
    "t=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";

constexpr std::string_view kBaresip =
    "v=0\r\no=- 123 456 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
    "m=audio 10000 RTP/AVP 9 8 0 96\r\nb=AS:64\r\na=rtpmap:96 telephone-event/8000\r\n"
    "a=fmtp:96 0-15\r\na=ptime:20\r\na=sendrecv\r\n"
    "m=video 10002 RTP/AVP 97\r\na=rtpmap:97 H264/90000\r\n";

AnswerOptions opts() {
  AnswerOptions o;
  o.address = "127.0.0.1";
  o.port = 20000;
  o.sessionId = 7;
  o.sessionVersion = 1;
  return o;
}

TEST(SdpTest, ParsesSippOffer) {
  auto s = parse(kSipp);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->sessionId, 53655765u);
  ASSERT_EQ(s->media.size(), 1u);
  EXPECT_EQ(s->media[0].port, 6000);
  EXPECT_EQ(s->media[0].formats[0].encoding, "PCMU");
}

TEST(SdpTest, StaticTypesWithoutRtpmapGetNames) {
  auto s = parse("v=0\no=- 1 1 IN IP4 h\ns=-\nc=IN IP4 1.2.3.4/127\nt=0 0\nm=audio 1 RTP/AVP 8 9\n");
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->connectionAddress, "1.2.3.4");
  EXPECT_EQ(s->media[0].formats[0].encoding, "PCMA");
  EXPECT_EQ(s->media[0].formats[1].encoding, "G722");
}

TEST(SdpTest, RoundTrip) {
  auto s = parse(kBaresip);
  ASSERT_TRUE(s.ok());
  auto again = parse(serialize(*s));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(serialize(*again), serialize(*s));
  EXPECT_EQ(again->media[0].formats[3].fmtp, "0-15");
  EXPECT_EQ(again->media[0].ptime, 20);
}

TEST(SdpTest, AnswerPicksOffererOrderAndTelephoneEventRejectsVideo) {
  auto offer = parse(kBaresip);
  auto a = answer(*offer, opts());
  ASSERT_TRUE(a.ok()) << a.error().message;
  ASSERT_EQ(a->media.size(), 2u);
  const Media& audio = a->media[0];
  EXPECT_EQ(audio.port, 20000);
  ASSERT_EQ(audio.formats.size(), 2u);
  EXPECT_EQ(audio.formats[0].encoding, "PCMA");  // G722 unsupported, PCMA next in offer order
  EXPECT_EQ(audio.formats[1].payloadType, 96);   // the offerer's telephone-event type
  EXPECT_EQ(a->media[1].port, 0);                // video rejected
  EXPECT_EQ(a->media[1].formats.size(), 1u);
  std::string text = serialize(*a);
  EXPECT_NE(text.find("m=audio 20000 RTP/AVP 8 96"), std::string::npos) << text;
}

TEST(SdpTest, HoldDirectionsMirror) {
  std::string hold(kSipp);
  hold += "a=sendonly\r\n";
  auto a = answer(*parse(hold), opts());
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(effectiveDirection(*a, a->media[0]), Direction::kRecvOnly);
  EXPECT_NE(serialize(*a).find("a=recvonly"), std::string::npos);
  std::string sessionInactive =
      "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\na=inactive\r\n"
      "m=audio 1 RTP/AVP 0\r\n";
  auto b = answer(*parse(sessionInactive), opts());
  EXPECT_EQ(effectiveDirection(*b, b->media[0]), Direction::kInactive);
  EXPECT_EQ(answerDirection(Direction::kRecvOnly), Direction::kSendOnly);
}

TEST(SdpTest, NoCommonCodec) {
  auto s = parse("v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\n"
                 "m=audio 1 RTP/AVP 18\r\n");
  ASSERT_TRUE(s.ok());
  auto a = answer(*s, opts());
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().message, "no common codec");
}

TEST(SdpTest, MalformedInputsNameTheLine) {
  struct Case {
    const char* text;
    const char* expect;
  } cases[] = {
      {"", "empty"},
      {"o=- 1 1 IN IP4 h\r\n", "line 1"},
      {"v=0\r\no=- 1 1 IN IP4 h\r\nm=audio 99999 RTP/AVP 0\r\n", "line 3: invalid port"},
      {"v=0\r\no=- 1 1 IN IP4 h\r\nc=IN IP4 a\r\nm=audio 1 RTP/AVP x\r\n", "line 4: invalid payload type"},
      {"v=0\r\no=- 1 1 IN IP4 h\r\nc=IN IP4 a\r\nm=audio 1 RTP/AVP 200\r\n", "line 4"},
      {"v=0\r\no=- 1 IN IP4 h\r\n", "line 2: invalid o="},
      {"v=0\r\no=- 1 1 IN IP4 h\r\nc=IN XX a\r\n", "line 3: invalid c="},
      {"v=0\r\no=- 1 1 IN IP4 h\r\nbogus\r\n", "line 3"},
      {"v=0\r\no=- 1 1 IN IP4 h\r\nm=audio 1 RTP/AVP 0\r\n", "connection address"},
      {"v=0\r\no=- 1 1 IN IP4 h\r\nc=IN IP4 a\r\nm=audio 1 RTP/AVP 0\r\na=rtpmap:0 PCMU/0\r\n", "clock rate"},
  };
  for (const auto& c : cases) {
    auto r = parse(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_NE(r.error().message.find(c.expect), std::string::npos) << r.error().message;
  }
}

TEST(SdpTest, OfferHasCodecsAndTelephoneEvent) {
  std::string text = serialize(makeOffer(opts()));
  EXPECT_NE(text.find("m=audio 20000 RTP/AVP 0 8 101"), std::string::npos) << text;
  EXPECT_NE(text.find("a=rtpmap:101 telephone-event/8000"), std::string::npos);
  EXPECT_TRUE(parse(text).ok());
}

}  // namespace
}  // namespace sb::sip::sdp
