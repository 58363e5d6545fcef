#include <gtest/gtest.h>

#include <numeric>
#include <vector>

#include "media/internal/session.h"

namespace sb::media::internal {
namespace {

std::vector<std::int16_t> ramp(int from, std::size_t n) {
  std::vector<std::int16_t> v(n);
  std::iota(v.begin(), v.end(), static_cast<std::int16_t>(from));
  return v;
}

TEST(PcmFifoTest, KeepsOrderAcrossTheWrapAndPadsWithSilence) {
  PcmFifo f;
  std::vector<std::int16_t> out(kFrame);
  for (int round = 0; round < 20; ++round) {  // 20 x 160 samples wraps the 1280-sample ring
    auto in = ramp(round * 160, kFrame);
    f.push(in.data(), in.size());
    f.pop(out.data(), out.size());
    EXPECT_EQ(out, in) << "round " << round;
  }
  auto half = ramp(7, 50);
  f.push(half.data(), half.size());
  f.pop(out.data(), out.size());
  EXPECT_TRUE(std::equal(half.begin(), half.end(), out.begin()));
  EXPECT_TRUE(std::all_of(out.begin() + 50, out.end(), [](std::int16_t s) { return s == 0; }));
}

TEST(PcmFifoTest, OverflowDropsTheOldestAudio) {
  PcmFifo f;
  auto in = ramp(0, 9 * kFrame);  // one frame more than fits
  f.push(in.data(), 5 * kFrame);
  f.push(in.data() + 5 * kFrame, 4 * kFrame);
  std::vector<std::int16_t> out(kFrame);
  f.pop(out.data(), out.size());
  EXPECT_EQ(out.front(), static_cast<std::int16_t>(kFrame)) << "the first frame was dropped";
  auto big = ramp(100, 20 * kFrame);  // a single push larger than the ring
  f.clear();
  f.push(big.data(), big.size());
  f.pop(out.data(), out.size());
  EXPECT_EQ(out.front(), big[12 * kFrame]) << "only the newest 8 frames stay";
}

}  // namespace
}  // namespace sb::media::internal
