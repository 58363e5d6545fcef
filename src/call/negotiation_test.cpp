#include "call/negotiation.h"

#include <gtest/gtest.h>

namespace sb::call {
namespace {

namespace sdp = sip::sdp;

sdp::Session offerOf(const std::string& text) {
  auto s = sdp::parse(text);
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
  return s.ok() ? *s : sdp::Session{};
}

std::string offerText(const std::string& formats, const std::string& extra,
                      const std::string& addr = "192.0.2.10") {
  return "v=0\r\no=- 1 1 IN IP4 " + addr + "\r\ns=-\r\nc=IN IP4 " + addr +
         "\r\nt=0 0\r\nm=audio 40000 RTP/AVP " + formats + "\r\n" + extra;
}

const LocalMedia kLocal{"127.0.0.1", 20000, 77, 1};

TEST(NegotiationTest, AnswerTakesTheOfferersFirstCodecAndItsEventType) {
  auto n =
      answerOffer(offerOf(offerText("8 0 96", "a=rtpmap:96 telephone-event/8000\r\n")), kLocal);
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_EQ(n->params.codec, media::Codec::kPcma);
  EXPECT_EQ(n->params.payloadType, 8);
  EXPECT_EQ(n->params.telephoneEvent, 96);
  ASSERT_TRUE(n->params.remote.has_value());
  EXPECT_EQ(n->params.remote->toString(), "192.0.2.10:40000");
  EXPECT_FALSE(n->params.remoteRtcp.has_value());
  EXPECT_EQ(n->params.direction, media::Direction::kSendRecv);
  ASSERT_EQ(n->sdp.media.size(), 1u);
  EXPECT_EQ(n->sdp.media[0].port, 20000);
  EXPECT_EQ(n->sdp.sessionId, 77u);
}

TEST(NegotiationTest, NoTelephoneEventMeansInbandDetection) {
  auto n = answerOffer(offerOf(offerText("0", "")), kLocal);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->params.codec, media::Codec::kPcmu);
  EXPECT_EQ(n->params.telephoneEvent, -1);
}

TEST(NegotiationTest, UnsupportedCodecsAreRejected) {
  auto n = answerOffer(offerOf(offerText("18 9", "")), kLocal);  // G.729, G.722
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.error().message, "no common codec");
}

TEST(NegotiationTest, SendonlyOfferHoldsUsAndWeOnlyReceive) {
  auto offer = offerOf(offerText("0 101", "a=rtpmap:101 telephone-event/8000\r\na=sendonly\r\n"));
  EXPECT_TRUE(offerHolds(offer));
  auto n = answerOffer(offer, kLocal);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->params.direction, media::Direction::kRecvOnly);
}

TEST(NegotiationTest, ZeroAddressHoldHasNoRemoteToSendTo) {
  auto offer = offerOf(offerText("0", "", "0.0.0.0"));
  EXPECT_TRUE(offerHolds(offer));
  auto n = answerOffer(offer, kLocal);
  ASSERT_TRUE(n.ok());
  EXPECT_FALSE(n->params.remote.has_value());
}

TEST(NegotiationTest, WhileWeHoldTheAnswerIsSendonly) {
  auto n = answerOffer(offerOf(offerText("0", "")), kLocal, true);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->params.direction, media::Direction::kSendOnly);
  EXPECT_EQ(n->sdp.media[0].direction, sdp::Direction::kSendOnly);
  auto inactive = answerOffer(offerOf(offerText("0", "a=sendonly\r\n")), kLocal, true);
  ASSERT_TRUE(inactive.ok());
  EXPECT_EQ(inactive->params.direction, media::Direction::kInactive);
}

TEST(NegotiationTest, RtcpAttributeGivesTheRtcpAddress) {
  auto n = answerOffer(offerOf(offerText("0", "a=rtcp:40005\r\n")), kLocal);
  ASSERT_TRUE(n.ok());
  ASSERT_TRUE(n->params.remoteRtcp.has_value());
  EXPECT_EQ(n->params.remoteRtcp->port, 40005);
}

TEST(NegotiationTest, OfferAndAnswerRoundTrip) {
  sdp::Session ours = makeOffer(kLocal);
  ASSERT_EQ(ours.media.size(), 1u);
  EXPECT_EQ(ours.media[0].port, 20000);
  EXPECT_EQ(makeOffer(kLocal, true).media[0].direction, sdp::Direction::kSendOnly);
  // The peer answers recvonly to our sendonly hold offer: we send, it does not.
  auto answer = offerOf(offerText("0 101", "a=rtpmap:101 telephone-event/8000\r\na=recvonly\r\n"));
  auto params = acceptAnswer(answer);
  ASSERT_TRUE(params.ok()) << params.error().message;
  EXPECT_EQ(params->direction, media::Direction::kSendOnly);
  EXPECT_EQ(params->telephoneEvent, 101);
  EXPECT_EQ(params->remote->port, 40000);
}

TEST(NegotiationTest, AnswerRejectingAudioIsAnError) {
  auto answer = offerOf(
      "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
      "m=audio 0 RTP/AVP 0\r\n");
  EXPECT_FALSE(acceptAnswer(answer).ok());
}

}  // namespace
}  // namespace sb::call
