#include "sip/sdp.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace sb::sip::sdp {
namespace {

// SIPp's built-in uac scenario body with its keywords filled in.
constexpr std::string_view kSipp =
    "v=0\r\n"
    "o=user1 53655765 2353687637 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "c=IN IP4 127.0.0.1\r\n"
    "t=0 0\r\n"
    "m=audio 6000 RTP/AVP 0\r\n"
    "a=rtpmap:0 PCMU/8000\r\n";

// The shape baresip offers: opus first, telephone-event at 101, session a=tool.
constexpr std::string_view kBaresip =
    "v=0\r\n"
    "o=- 1843545423 2124587932 IN IP4 192.168.1.10\r\n"
    "s=-\r\n"
    "c=IN IP4 192.168.1.10\r\n"
    "t=0 0\r\n"
    "a=tool:baresip 3.10.1\r\n"
    "m=audio 10036 RTP/AVP 96 9 0 8 101\r\n"
    "b=AS:128\r\n"
    "a=rtpmap:96 opus/48000/2\r\n"
    "a=fmtp:96 stereo=1;sprop-stereo=1\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-15\r\n"
    "a=rtcp-rsize\r\n"
    "a=ptime:20\r\n"
    "a=sendrecv\r\n"
    "a=label:1\r\n";

// Linphone-like: audio plus video, media-level c=, telephone-event at 96, a=rtcp.
constexpr std::string_view kAudioVideo =
    "v=0\n"
    "o=alice 2890 2891 IN IP4 203.0.113.5\n"
    "s=Talk\n"
    "t=0 0\n"
    "m=audio 7078 RTP/AVP 8 0 96\n"
    "c=IN IP4 203.0.113.5\n"
    "a=rtpmap:96 telephone-event/8000\n"
    "a=rtcp:7079\n"
    "m=video 9078 RTP/AVP 97\n"
    "c=IN IP4 203.0.113.6\n"
    "a=rtpmap:97 H264/90000\n"
    "a=fmtp:97 profile-level-id=42801F\n";

std::string withLines(std::string_view base, std::string_view extra) {
  return std::string(base) + std::string(extra);
}

AnswerOptions opts() {
  AnswerOptions o;
  o.address = "198.51.100.1";
  o.port = 20000;
  o.sessionId = 7;
  o.sessionVersion = 1;
  return o;
}

Session parsed(std::string_view text) {
  auto s = parse(text);
  EXPECT_TRUE(s.ok()) << s.error().message << "\n" << text;
  return s.ok() ? *s : Session{};
}

TEST(SdpParseTest, SippDefaultOffer) {
  Session s = parsed(kSipp);
  EXPECT_EQ(s.originUser, "user1");
  EXPECT_EQ(s.sessionId, 53655765u);
  EXPECT_EQ(s.sessionVersion, 2353687637u);
  EXPECT_EQ(s.originAddress, "127.0.0.1");
  EXPECT_EQ(s.name, "-");
  EXPECT_EQ(s.connectionAddress, "127.0.0.1");
  EXPECT_EQ(s.direction, Direction::kSendRecv);
  ASSERT_EQ(s.media.size(), 1u);
  const Media& m = s.media[0];
  EXPECT_EQ(m.type, "audio");
  EXPECT_EQ(m.port, 6000);
  EXPECT_EQ(m.portCount, 1);
  EXPECT_EQ(m.proto, "RTP/AVP");
  EXPECT_EQ(m.formats, (std::vector<Format>{{0, "PCMU", 8000, 1, ""}}));
  EXPECT_EQ(m.connectionAddress, "");
  EXPECT_FALSE(m.direction.has_value());
}

TEST(SdpParseTest, BaresipOffer) {
  Session s = parsed(kBaresip);
  EXPECT_EQ(s.attributes,
            (std::vector<std::pair<std::string, std::string>>{{"tool", "baresip 3.10.1"}}));
  ASSERT_EQ(s.media.size(), 1u);
  const Media& m = s.media[0];
  ASSERT_EQ(m.formats.size(), 5u);
  EXPECT_EQ(m.formats[0], (Format{96, "opus", 48000, 2, "stereo=1;sprop-stereo=1"}));
  EXPECT_EQ(m.formats[1], (Format{9, "G722", 8000, 1, ""}));
  EXPECT_EQ(m.formats[4], (Format{101, "telephone-event", 8000, 1, "0-15"}));
  EXPECT_EQ(m.ptime, 20);
  EXPECT_EQ(m.direction, Direction::kSendRecv);
  EXPECT_EQ(m.attributes,
            (std::vector<std::pair<std::string, std::string>>{{"rtcp-rsize", ""}, {"label", "1"}}));
}

TEST(SdpParseTest, StaticTypesWithoutRtpmapGetDefaultNames) {
  Session s = parsed(
      "v=0\no=- 1 1 IN IP4 h\ns=-\nc=IN IP4 192.0.2.4\nt=0 0\n"
      "m=audio 4000 RTP/AVP 0 8 9 18 3 13 100\n");
  const auto& f = s.media.at(0).formats;
  ASSERT_EQ(f.size(), 7u);
  EXPECT_EQ(f[0], (Format{0, "PCMU", 8000, 1, ""}));
  EXPECT_EQ(f[1], (Format{8, "PCMA", 8000, 1, ""}));
  EXPECT_EQ(f[2], (Format{9, "G722", 8000, 1, ""}));
  EXPECT_EQ(f[3], (Format{18, "G729", 8000, 1, ""}));
  EXPECT_EQ(f[4].encoding, "GSM");
  EXPECT_EQ(f[5].encoding, "CN");
  EXPECT_EQ(f[6], (Format{100, "", 0, 1, ""}));  // dynamic type without rtpmap: unknown
  // An explicit rtpmap wins over the default name.
  Session t = parsed(
      "v=0\no=- 1 1 IN IP4 h\ns=-\nc=IN IP4 192.0.2.4\nt=0 0\n"
      "m=audio 4000 RTP/AVP 18\na=rtpmap:18 G729a/8000\n");
  EXPECT_EQ(t.media.at(0).formats.at(0).encoding, "G729a");
}

TEST(SdpParseTest, SessionAndMediaLevelConnectionAndDirection) {
  Session s = parsed(
      "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1/127\r\n"
      "t=0 0\r\na=sendonly\r\n"
      "m=audio 4000 RTP/AVP 0\r\n"
      "m=audio 4002 RTP/AVP 0\r\nc=IN IP4 192.0.2.9\r\na=inactive\r\n");
  EXPECT_EQ(s.connectionAddress, "192.0.2.1");  // the /ttl is dropped
  EXPECT_EQ(s.direction, Direction::kSendOnly);
  ASSERT_EQ(s.media.size(), 2u);
  EXPECT_EQ(s.media[0].connectionAddress, "");
  EXPECT_EQ(effectiveDirection(s, s.media[0]), Direction::kSendOnly);
  EXPECT_EQ(s.media[1].connectionAddress, "192.0.2.9");
  EXPECT_EQ(effectiveDirection(s, s.media[1]), Direction::kInactive);
}

TEST(SdpParseTest, Ipv6MediaLevelConnectionOnly) {
  Session s = parsed(
      "v=0\r\no=- 5 6 IN IP6 2001:db8::1\r\ns= \r\nt=0 0\r\n"
      "m=audio 5004/2 RTP/AVP 8\r\nc=IN IP6 2001:db8::2\r\n");
  EXPECT_EQ(s.originAddress, "2001:db8::1");
  EXPECT_EQ(s.name, " ");
  EXPECT_EQ(s.media.at(0).connectionAddress, "2001:db8::2");
  EXPECT_EQ(s.media.at(0).portCount, 2);
  std::string text = serialize(s);
  EXPECT_NE(text.find("o=- 5 6 IN IP6 2001:db8::1\r\n"), std::string::npos) << text;
  EXPECT_NE(text.find("m=audio 5004/2 RTP/AVP 8\r\nc=IN IP6 2001:db8::2\r\n"), std::string::npos);
}

TEST(SdpParseTest, NonRtpFormatsAreTokens) {
  Session s = parsed(
      "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
      "m=image 4010 udptl t38\r\na=T38FaxVersion:0\r\na=fmtp:t38 x\r\n");
  const Media& m = s.media.at(0);
  EXPECT_EQ(m.formats, (std::vector<Format>{{-1, "t38", 0, 1, ""}}));
  ASSERT_EQ(m.attributes.size(), 2u);  // fmtp of a non-RTP stream stays a plain attribute
  EXPECT_EQ(m.attributes[1], (std::pair<std::string, std::string>{"fmtp", "t38 x"}));
}

TEST(SdpParseTest, EmptyNameBecomesDashAndBlankLinesAreSkipped) {
  Session s = parsed("\r\nv=0\r\no=- 1 1 IN IP4 h\r\ns=\r\n\r\nt=0 0\r\n\r\n");
  EXPECT_EQ(s.name, "-");
  EXPECT_TRUE(s.media.empty());
}

TEST(SdpRoundTripTest, SerializeThenParseIsIdentity) {
  for (std::string_view text : {kSipp, kBaresip, kAudioVideo}) {
    Session s = parsed(text);
    std::string out = serialize(s);
    auto again = parse(out);
    ASSERT_TRUE(again.ok()) << again.error().message << "\n" << out;
    EXPECT_EQ(*again, s) << out;
    EXPECT_EQ(serialize(*again), out);
  }
}

TEST(SdpRoundTripTest, OddButValidShapesSurvive) {
  // fmtp without rtpmap, rtpmap for a type the m= line does not list (dropped), multicast
  // c= with ttl and count, a port count, a non-RTP stream, valueless and colon-only attributes.
  Session s = parsed(
      "v=0\no=u 1 2 IN IP4 host.example\ns=x y\nc=IN IP4 224.2.1.1/127/3\nt=0 0\na=flag\n"
      "a=empty:\nm=audio 4000/2 RTP/AVP 100 0\na=fmtp:100 mode=30\na=rtpmap:101 x/8000\n"
      "a=rtcp:4001 IN IP4 192.0.2.1\na=weird::v\nm=image 0 udptl t38\na=rtpmap:t38 raw\n");
  EXPECT_EQ(s.connectionAddress, "224.2.1.1");
  EXPECT_EQ(s.attributes,
            (std::vector<std::pair<std::string, std::string>>{{"flag", ""}, {"empty", ""}}));
  const Media& audio = s.media.at(0);
  EXPECT_EQ(audio.formats.at(0), (Format{100, "", 0, 1, "mode=30"}));
  EXPECT_EQ(audio.formats.size(), 2u);
  EXPECT_EQ(audio.rtcpPort, 4001);
  EXPECT_EQ(audio.attributes.at(0).second, ":v");
  EXPECT_EQ(s.media.at(1).attributes.at(0).first, "rtpmap");
  auto again = parse(serialize(s));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(*again, s) << serialize(s);
  EXPECT_TRUE(isRtp("UDP/TLS/RTP/SAVPF"));
  EXPECT_TRUE(isRtp("RTP/AVP"));
  EXPECT_FALSE(isRtp("udptl"));
  EXPECT_FALSE(isRtp("RTPX/AVP"));
}

TEST(SdpRoundTripTest, SerializerWritesCrlfInRfcOrder) {
  Session s = parsed(kBaresip);
  std::string out = serialize(s);
  EXPECT_EQ(out.find('\n'), out.find("\r\n") + 1);
  for (std::size_t i = out.find('\n'); i != std::string::npos; i = out.find('\n', i + 1)) {
    EXPECT_EQ(out[i - 1], '\r') << "bare LF at " << i;
  }
  EXPECT_EQ(out.rfind("\r\n"), out.size() - 2);
  EXPECT_EQ(out.substr(0, out.find("m=")),
            "v=0\r\no=- 1843545423 2124587932 IN IP4 192.168.1.10\r\ns=-\r\n"
            "c=IN IP4 192.168.1.10\r\nt=0 0\r\na=tool:baresip 3.10.1\r\n");
  EXPECT_EQ(out.substr(out.find("m=")),
            "m=audio 10036 RTP/AVP 96 9 0 8 101\r\n"
            "a=rtpmap:96 opus/48000/2\r\na=fmtp:96 stereo=1;sprop-stereo=1\r\n"
            "a=rtpmap:9 G722/8000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
            "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n"
            "a=ptime:20\r\na=rtcp-rsize\r\na=label:1\r\na=sendrecv\r\n");
}

TEST(SdpAnswerTest, SippOfferGetsPcmuWithoutTelephoneEvent) {
  auto a = answer(parsed(kSipp), opts());
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(serialize(*a),
            "v=0\r\no=- 7 1 IN IP4 198.51.100.1\r\ns=-\r\nc=IN IP4 198.51.100.1\r\nt=0 0\r\n"
            "m=audio 20000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=ptime:20\r\na=sendrecv\r\n");
}

TEST(SdpAnswerTest, OfferersFirstSupportedFormatAndItsTelephoneEventType) {
  auto a = answer(parsed(kBaresip), opts());
  ASSERT_TRUE(a.ok()) << a.error().message;
  const Media& m = a->media.at(0);
  EXPECT_EQ(m.port, 20000);
  // opus and G722 are not ours; PCMU comes before PCMA in the offer.
  EXPECT_EQ(m.formats, (std::vector<Format>{{0, "PCMU", 8000, 1, ""},
                                            {101, "telephone-event", 8000, 1, "0-15"}}));
  Session video = parsed(kAudioVideo);  // offers 8 before 0 and telephone-event at 96
  auto b = answer(video, opts());
  ASSERT_TRUE(b.ok());
  EXPECT_NE(serialize(*b).find("m=audio 20000 RTP/AVP 8 96\r\n"), std::string::npos)
      << serialize(*b);
  AnswerOptions noDtmf = opts();
  noDtmf.telephoneEvent = false;
  EXPECT_EQ(answer(video, noDtmf)->media.at(0).formats.size(), 1u);
}

TEST(SdpAnswerTest, CodecNamesAreCaseInsensitiveAndRatesMustMatch) {
  AnswerOptions o = opts();
  o.codecs = {"pcma"};
  EXPECT_EQ(answer(parsed(kAudioVideo), o)->media.at(0).formats.at(0).payloadType, 8);
  // PCMU at a non-standard rate is not PCMU we can decode; telephone-event/16000 does not
  // go with an 8 kHz codec.
  Session s = parsed(
      "v=0\no=- 1 1 IN IP4 h\ns=-\nc=IN IP4 192.0.2.4\nt=0 0\n"
      "m=audio 4000 RTP/AVP 96 8 97\na=rtpmap:96 PCMU/16000\n"
      "a=rtpmap:97 telephone-event/16000\n");
  auto a = answer(s, opts());
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->media.at(0).formats, (std::vector<Format>{{8, "PCMA", 8000, 1, ""}}));
}

TEST(SdpAnswerTest, VideoRejectedWithPortZeroKeepingFormats) {
  Session offer = parsed(kAudioVideo);
  auto a = answer(offer, opts());
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->media.size(), 2u);
  const Media& v = a->media[1];
  EXPECT_EQ(v.type, "video");
  EXPECT_EQ(v.port, 0);
  EXPECT_EQ(v.formats, offer.media[1].formats);
  std::string text = serialize(*a);
  EXPECT_NE(text.find("m=video 0 RTP/AVP 97\r\n"), std::string::npos) << text;
  EXPECT_TRUE(parse(text).ok());
}

TEST(SdpAnswerTest, OnlyTheFirstAcceptableAudioStreamIsTaken) {
  Session s = parsed(
      "v=0\no=- 1 1 IN IP4 h\ns=-\nc=IN IP4 192.0.2.4\nt=0 0\n"
      "m=audio 4000 RTP/SAVP 0\n"   // SRTP: not ours
      "m=audio 4002 RTP/AVP 18\n"   // no common codec
      "m=audio 0 RTP/AVP 0\n"       // disabled by the offerer
      "m=audio 4004 RTP/AVP 8\n"    // accepted
      "m=audio 4006 RTP/AVP 0\n");  // a second audio stream: rejected
  auto a = answer(s, opts());
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->media.size(), 5u);
  EXPECT_EQ(a->media[0].port, 0);
  EXPECT_EQ(a->media[0].proto, "RTP/SAVP");
  EXPECT_EQ(a->media[1].port, 0);
  EXPECT_EQ(a->media[2].port, 0);
  EXPECT_EQ(a->media[3].port, 20000);
  EXPECT_EQ(a->media[3].formats.at(0).payloadType, 8);
  EXPECT_EQ(a->media[4].port, 0);
}

TEST(SdpAnswerTest, HoldAndDirectionsMirror) {
  auto hold = answer(parsed(withLines(kSipp, "a=sendonly\r\n")), opts());
  ASSERT_TRUE(hold.ok());
  EXPECT_EQ(hold->media.at(0).direction, Direction::kRecvOnly);
  EXPECT_NE(serialize(*hold).find("a=recvonly\r\n"), std::string::npos);

  auto inactive = answer(parsed(withLines(kSipp, "a=inactive\r\n")), opts());
  EXPECT_EQ(inactive->media.at(0).direction, Direction::kInactive);

  auto recvonly = answer(parsed(withLines(kSipp, "a=recvonly\r\n")), opts());
  EXPECT_EQ(recvonly->media.at(0).direction, Direction::kSendOnly);

  // Session-level sendonly applies to a stream without its own attribute.
  auto session = answer(parsed("v=0\no=- 1 1 IN IP4 h\ns=-\nc=IN IP4 192.0.2.4\nt=0 0\n"
                               "a=sendonly\nm=audio 4000 RTP/AVP 0\n"),
                        opts());
  EXPECT_EQ(effectiveDirection(*session, session->media.at(0)), Direction::kRecvOnly);

  // RFC 2543 hold: c=0.0.0.0 means the offerer does not want to receive.
  auto legacy = answer(parsed("v=0\no=- 1 2 IN IP4 h\ns=-\nc=IN IP4 0.0.0.0\nt=0 0\n"
                              "m=audio 4000 RTP/AVP 0\n"),
                       opts());
  EXPECT_EQ(legacy->media.at(0).direction, Direction::kRecvOnly);

  EXPECT_EQ(answerDirection(Direction::kSendRecv), Direction::kSendRecv);
  EXPECT_EQ(answerDirection(Direction::kSendOnly), Direction::kRecvOnly);
  EXPECT_EQ(answerDirection(Direction::kRecvOnly), Direction::kSendOnly);
  EXPECT_EQ(answerDirection(Direction::kInactive), Direction::kInactive);
}

TEST(SdpAnswerTest, NoCommonCodecIsInvalidInput) {
  const std::string head = "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 192.0.2.4\r\nt=0 0\r\n";
  const std::string offers[] = {
      head + "m=audio 1 RTP/AVP 18\r\n",                                        // G729 only
      head + "m=audio 1 RTP/AVP 101\r\na=rtpmap:101 telephone-event/8000\r\n",  // DTMF only
      head + "m=video 1 RTP/AVP 0\r\n",                                         // not audio
      head + "m=audio 1 RTP/SAVP 0\r\n",                                        // SRTP
      head,                                                                     // no media
  };
  for (const std::string& text : offers) {
    auto a = answer(parsed(text), opts());
    ASSERT_FALSE(a.ok()) << text;
    EXPECT_EQ(a.error().code, Errc::kInvalidInput);
    EXPECT_EQ(a.error().message, "no common codec");
  }
}

TEST(SdpOfferTest, OfferListsCodecsAndTelephoneEventAndAnswersItself) {
  AnswerOptions o = opts();
  o.codecs = {"PCMA", "g722", "PCMA", "opus"};  // duplicates and unknown static names skipped
  std::string text = serialize(makeOffer(o));
  EXPECT_EQ(text,
            "v=0\r\no=- 7 1 IN IP4 198.51.100.1\r\ns=-\r\nc=IN IP4 198.51.100.1\r\nt=0 0\r\n"
            "m=audio 20000 RTP/AVP 8 9 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:9 G722/8000\r\n"
            "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\n"
            "a=sendrecv\r\n");
  auto offer = parse(text);
  ASSERT_TRUE(offer.ok());
  auto a = answer(*offer, opts());  // PCMU/PCMA: PCMA is the offer's first we support
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(
      a->media.at(0).formats,
      (std::vector<Format>{{8, "PCMA", 8000, 1, ""}, {101, "telephone-event", 8000, 1, "0-16"}}));
  EXPECT_NE(serialize(makeOffer(opts())).find("m=audio 20000 RTP/AVP 0 8 101\r\n"),
            std::string::npos);
}

TEST(SdpParseTest, LimitsOnMediaAndFormats) {
  std::string head = "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 192.0.2.4\r\nt=0 0\r\n";
  std::string text = head;
  for (std::size_t i = 0; i < kMaxMedia; ++i) text += "m=audio 4000 RTP/AVP 0\r\n";
  EXPECT_EQ(parsed(text).media.size(), kMaxMedia);
  auto tooMany = parse(text + "m=audio 4000 RTP/AVP 0\r\n");
  ASSERT_FALSE(tooMany.ok());
  EXPECT_EQ(tooMany.error().message, "SDP line 70: too many media sections (max 64)");

  std::string all = head + "m=audio 4000 RTP/AVP";
  for (int pt = 0; pt <= 127; ++pt) all += " " + std::to_string(pt);
  EXPECT_EQ(parsed(all).media.at(0).formats.size(), kMaxFormats);
  std::string tokens = head + "m=application 9 TCP/MSRP";
  for (std::size_t i = 0; i <= kMaxFormats; ++i) tokens += " x";
  auto extra = parse(tokens);
  ASSERT_FALSE(extra.ok());
  EXPECT_EQ(extra.error().message, "SDP line 6: too many formats (max 128)");
}

TEST(SdpParseTest, MalformedInputsNameLineAndReason) {
  const std::string ok = "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 192.0.2.4\r\nt=0 0\r\n";
  struct Case {
    std::string text;
    std::string error;
  } cases[] = {
      {"", "SDP: empty description"},
      {"\r\n\n", "SDP: empty description"},
      {"o=- 1 1 IN IP4 h\r\n", "SDP line 1: description must start with v=0"},
      {"v=1\r\n", "SDP line 1: description must start with v=0"},
      {"v=0\r\nv=0\r\n", "SDP line 2: repeated v= line"},
      {"v=0\r\nbogus\r\n", "SDP line 2: expected <type>=<value>"},
      {"v=0\r\nx=1\r\n", "SDP line 2: unknown line type"},
      {"v=0\r\no=- 1 IN IP4 h\r\n", "SDP line 2: o= needs 6 fields"},
      {"v=0\r\no=- x 1 IN IP4 h\r\n", "SDP line 2: invalid o= session id"},
      {"v=0\r\no=- 1 99999999999999999999 IN IP4 h\r\n", "SDP line 2: invalid o= session version"},
      {"v=0\r\no=- 1 1 IN IPX h\r\n", "SDP line 2: o= must be IN IP4|IP6"},
      {"v=0\r\no=- 1 1 IN IP4 h\r\no=- 1 1 IN IP4 h\r\n", "SDP line 3: repeated o= line"},
      {"v=0\r\ns=-\r\n", "SDP: missing o= line"},
      {"v=0\r\no=- 1 1 IN IP4 h\r\n", "SDP: missing s= line"},
      {"v=0\r\no=- 1 1 IN IP4 h\r\nm=audio 1 RTP/AVP 0\r\n",
       "SDP line 3: m= before the o= and s= lines"},
      {ok + "c=IN IP4 192.0.2.5\r\n", "SDP line 6: repeated c= line"},
      {ok + "t=now\r\n", "SDP line 6: invalid t= line"},
      {ok + "m=audio 99999 RTP/AVP 0\r\n", "SDP line 6: invalid port (want 0..65535)"},
      {ok + "m=audio -1 RTP/AVP 0\r\n", "SDP line 6: invalid port (want 0..65535)"},
      {ok + "m=audio 65535/2 RTP/AVP 0\r\n", "SDP line 6: invalid port count"},
      {ok + "m=audio 1 RTP/AVP\r\n",
       "SDP line 6: m= needs media, port, proto and at least one format"},
      {ok + "m=audio 1 RTP/AVP x\r\n", "SDP line 6: invalid payload type"},
      {ok + "m=audio 1 RTP/AVP 128\r\n", "SDP line 6: payload type out of range (0..127)"},
      {ok + "m=audio 1 RTP/AVP 0 0\r\n", "SDP line 6: duplicate payload type"},
      {ok + "m=audio 1 RTP//AVP 0\r\n", "SDP line 6: invalid m= proto"},
      {ok + "m=audio 1 RTP/AVP 0\r\na=rtpmap:0 PCMU/0\r\n",
       "SDP line 7: invalid a=rtpmap clock rate"},
      {ok + "m=audio 1 RTP/AVP 96\r\na=rtpmap:96 opus\r\n",
       "SDP line 7: invalid a=rtpmap (want <payload type> <name>/<rate>)"},
      {ok + "m=audio 1 RTP/AVP 96\r\na=rtpmap:96 opus/48000/x\r\n",
       "SDP line 7: invalid a=rtpmap channel count"},
      {ok + "m=audio 1 RTP/AVP 96\r\na=rtpmap:96 a/1\r\na=rtpmap:96 b/1\r\n",
       "SDP line 8: repeated a=rtpmap for one payload type"},
      {ok + "m=audio 1 RTP/AVP 96\r\na=fmtp:x 0-15\r\n", "SDP line 7: invalid a=fmtp payload type"},
      {ok + "m=audio 1 RTP/AVP 0\r\na=ptime:0\r\n",
       "SDP line 7: invalid a=ptime (want 1..1000 ms)"},
      {ok + "m=audio 1 RTP/AVP 0\r\na=rtcp:70000\r\n", "SDP line 7: invalid a=rtcp"},
      {ok + "m=audio 1 RTP/AVP 0\r\na=\r\n", "SDP line 7: invalid attribute name"},
      {ok + "m=audio 1 RTP/AVP 0\r\ns=late\r\n", "SDP line 7: s= line inside a media section"},
      {ok + "m=audio 1 RTP/AVP 0\r\nc=IN IP4 a b\r\n",
       "SDP line 7: invalid c= line (want IN IP4|IP6 <address>[/ttl])"},
      {ok + "a=x\ry\r\n", "SDP line 6: NUL or CR inside a line"},
      {ok + std::string("a=x\0y\r\n", 7), "SDP line 6: NUL or CR inside a line"},
      {"v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\nm=audio 1 RTP/AVP 0\r\n",
       "SDP line 5: m= section without c= and no session-level c="},
  };
  for (const auto& c : cases) {
    auto r = parse(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.error().code, Errc::kInvalidInput);
    EXPECT_EQ(r.error().message, c.error) << c.text;
  }
}

}  // namespace
}  // namespace sb::sip::sdp
