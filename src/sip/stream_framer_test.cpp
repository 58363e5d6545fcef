#include "sip/stream_framer.h"

#include <gtest/gtest.h>

namespace sb::sip {
namespace {

constexpr std::string_view kMsg =
    "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nl: 4\r\n\r\nbody";

TEST(StreamFramerTest, WholeMessage) {
  Frame f = nextFrame(kMsg);
  EXPECT_EQ(f.kind, Frame::Kind::kMessage);
  EXPECT_EQ(f.length, kMsg.size());
}

TEST(StreamFramerTest, PartialHeaderAndBodyNeedMore) {
  EXPECT_EQ(nextFrame(kMsg.substr(0, 20)).kind, Frame::Kind::kNeedMore);
  EXPECT_EQ(nextFrame(kMsg.substr(0, kMsg.size() - 1)).kind, Frame::Kind::kNeedMore);
}

TEST(StreamFramerTest, TwoMessagesBackToBack) {
  std::string two = std::string(kMsg) + std::string(kMsg);
  Frame f = nextFrame(two);
  ASSERT_EQ(f.kind, Frame::Kind::kMessage);
  EXPECT_EQ(f.length, kMsg.size());
  EXPECT_EQ(nextFrame(std::string_view(two).substr(f.length)).length, kMsg.size());
}

TEST(StreamFramerTest, KeepaliveAndStrayCrlf) {
  EXPECT_EQ(nextFrame("\r\n\r\n").kind, Frame::Kind::kKeepalive);
  EXPECT_EQ(nextFrame("\r\n").kind, Frame::Kind::kNeedMore);
  Frame f = nextFrame("\r\nOPTIONS");
  EXPECT_EQ(f.kind, Frame::Kind::kCrlf);
  EXPECT_EQ(f.length, 2u);
}

TEST(StreamFramerTest, MissingOrBadContentLengthIsFatal) {
  EXPECT_EQ(nextFrame("OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n\r\n").kind, Frame::Kind::kError);
  EXPECT_EQ(nextFrame("OPTIONS sip:a@b SIP/2.0\r\nContent-Length: -1\r\n\r\n").kind,
            Frame::Kind::kError);
  EXPECT_EQ(nextFrame("OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 2\r\nl: 3\r\n\r\n").kind,
            Frame::Kind::kError);
}

TEST(StreamFramerTest, OversizedIsFatal) {
  std::string big = "OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 70000\r\n\r\n";
  EXPECT_EQ(nextFrame(big).kind, Frame::Kind::kError);
  std::string noEnd(70000, 'a');
  EXPECT_EQ(nextFrame(noEnd).kind, Frame::Kind::kError);
}

}  // namespace
}  // namespace sb::sip
