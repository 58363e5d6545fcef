#include "media/inband_dtmf.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "media/tone.h"

namespace sb::media {
namespace {

// -10 dBm0 with a full-scale sine at +3.14 dBm0.
const double kTxPeak = 32767.0 * std::pow(10.0, (-10.0 - 3.14) / 20.0);

Samples withSilence(Samples s, std::size_t before = 800, std::size_t after = 1600) {
  s.insert(s.begin(), before, 0);
  s.insert(s.end(), after, 0);
  return s;
}

std::string detectAll(const Samples& s) {
  InbandDtmfDetector det;
  std::string digits;
  det.feed(s, digits);
  return digits;
}

// Attenuates by `db` and adds seeded Gaussian noise of the given RMS.
Samples degrade(const Samples& s, double db, double noiseRms, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0.0, noiseRms);
  const double gain = std::pow(10.0, -db / 20.0);
  Samples out(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const double v = s[i] * gain + noise(rng);
    out[i] = static_cast<std::int16_t>(std::lrint(std::clamp(v, -32768.0, 32767.0)));
  }
  return out;
}

TEST(InbandDtmfTest, RenderLengthIsToneAndGapPerDigit) {
  EXPECT_EQ(renderDtmf("159#*0").size(), 6u * 1600u);
  EXPECT_EQ(renderDtmf("1", 40, 60).size(), 800u);
  EXPECT_EQ(renderDtmf("").size(), 0u);
}

TEST(InbandDtmfTest, RenderPutsTheRightPairAtLevel) {
  const Samples s = renderDtmf("1", 200, 0);
  const std::span<const std::int16_t> on(s);
  EXPECT_NEAR(goertzelAmplitude(on, 697), kTxPeak, kTxPeak * 0.05);
  EXPECT_NEAR(goertzelAmplitude(on, 1209), kTxPeak, kTxPeak * 0.05);
  for (double f : {770.0, 852.0, 941.0, 1336.0, 1477.0, 1633.0})
    EXPECT_LT(goertzelAmplitude(on, f), kTxPeak * 0.05) << f;
  const Samples gap = renderDtmf("1", 100, 100);
  EXPECT_TRUE(std::all_of(gap.begin() + 800, gap.end(), [](std::int16_t v) { return v == 0; }));
}

TEST(InbandDtmfTest, RoundTripsDigits) {
  EXPECT_EQ(detectAll(withSilence(renderDtmf("159#*0"))), "159#*0");
}

TEST(InbandDtmfTest, RoundTripsEveryKey) {
  EXPECT_EQ(detectAll(withSilence(renderDtmf("0123456789*#ABCD"))), "0123456789*#ABCD");
}

TEST(InbandDtmfTest, RepeatedDigitsAreSeparatePresses) {
  EXPECT_EQ(detectAll(withSilence(renderDtmf("1111"))), "1111");
}

TEST(InbandDtmfTest, LongPressIsOneDigit) {
  EXPECT_EQ(detectAll(withSilence(renderDtmf("5", 1500, 100))), "5");
}

TEST(InbandDtmfTest, ShortFastDigitsStillDetected) {
  // Q.24 minimums: 40 ms tone, 40 ms pause.
  EXPECT_EQ(detectAll(withSilence(renderDtmf("2580", 50, 50))), "2580");
}

TEST(InbandDtmfTest, SurvivesAttenuationAndNoise) {
  const Samples clean = withSilence(renderDtmf("159#*0"));
  // 20 dB down (about -30 dBm0 per tone) with noise ~20 dB below the tones.
  const double tonePeak = kTxPeak * 0.1;
  EXPECT_EQ(detectAll(degrade(clean, 20.0, tonePeak / std::sqrt(2.0) / 10.0, 7)), "159#*0");
  // 6 dB down with noise 15 dB below.
  EXPECT_EQ(detectAll(degrade(clean, 6.0, kTxPeak * 0.5 / std::sqrt(2.0) / 5.6, 11)), "159#*0");
}

TEST(InbandDtmfTest, PureNoiseGivesNothing) {
  EXPECT_EQ(detectAll(degrade(Samples(16000, 0), 0.0, 3000.0, 3)), "");
}

TEST(InbandDtmfTest, SingleToneGivesNothing) {
  Samples s(16000);
  for (std::size_t i = 0; i < s.size(); ++i)
    s[i] = static_cast<std::int16_t>(
        std::lrint(8000 * std::sin(2 * std::numbers::pi * 440 * static_cast<double>(i) / 8000)));
  EXPECT_EQ(detectAll(s), "");
}

TEST(InbandDtmfTest, CallProgressTonesGiveNothing) {
  for (Tone t : {Tone::kDialTone, Tone::kRingback, Tone::kBusy, Tone::kBeep}) {
    for (TonePlan p : {TonePlan::kUs, TonePlan::kEu, TonePlan::kCn})
      EXPECT_EQ(detectAll(*renderTone(t, p)), "") << toneName(t) << static_cast<int>(p);
  }
}

TEST(InbandDtmfTest, ArbitraryChunkSizesDetectEachDigitOnce) {
  const Samples s = withSilence(renderDtmf("159#*0"));
  std::mt19937 rng(42);
  for (int round = 0; round < 20; ++round) {
    std::uniform_int_distribution<std::size_t> size(1, round < 10 ? 40 : 700);
    InbandDtmfDetector det;
    std::string digits;
    std::size_t pos = 0;
    while (pos < s.size()) {
      const std::size_t n = std::min(size(rng), s.size() - pos);
      det.feed(std::span<const std::int16_t>(s).subspan(pos, n), digits);
      pos += n;
    }
    EXPECT_EQ(digits, "159#*0") << "round " << round;
  }
  for (std::size_t chunk : {std::size_t{1}, std::size_t{160}, std::size_t{161}}) {
    InbandDtmfDetector det;
    std::string digits;
    for (std::size_t pos = 0; pos < s.size(); pos += chunk)
      det.feed(std::span<const std::int16_t>(s).subspan(pos, std::min(chunk, s.size() - pos)),
               digits);
    EXPECT_EQ(digits, "159#*0") << chunk;
  }
}

TEST(InbandDtmfTest, DigitsAppendToExistingText) {
  InbandDtmfDetector det;
  std::string digits = "9";
  det.feed(withSilence(renderDtmf("12")), digits);
  EXPECT_EQ(digits, "912");
}

TEST(InbandDtmfTest, ResetForgetsADigitInProgress) {
  const Samples s = renderDtmf("7", 200, 100);
  InbandDtmfDetector det;
  std::string digits;
  det.feed(std::span<const std::int16_t>(s).first(12), digits);  // far too short to detect
  det.reset();
  det.feed(Samples(800, 0), digits);
  EXPECT_EQ(digits, "");
  det.feed(s, digits);
  EXPECT_EQ(digits, "7");
  det.reset();
  det.feed(s, digits);
  EXPECT_EQ(digits, "77");
}

TEST(InbandDtmfTest, MoveKeepsState) {
  const Samples s = withSilence(renderDtmf("34"));
  InbandDtmfDetector a;
  std::string digits;
  a.feed(std::span<const std::int16_t>(s).first(1200), digits);  // into the first tone
  InbandDtmfDetector b(std::move(a));
  b.feed(std::span<const std::int16_t>(s).subspan(1200), digits);
  EXPECT_EQ(digits, "34");
  std::string again;
  a.feed(s, again);  // NOLINT(bugprone-use-after-move): moved-from is documented as usable
  EXPECT_EQ(again, "34");
  InbandDtmfDetector c;
  c = std::move(b);
  std::string third;
  c.feed(s, third);
  EXPECT_EQ(third, "34");
}

TEST(InbandDtmfTest, InvalidCharactersAreSkipped) {
  EXPECT_EQ(renderDtmf("1x 2,w"), renderDtmf("12"));
  EXPECT_EQ(renderDtmf("abcd"), renderDtmf("ABCD"));
}

TEST(InbandDtmfTest, IndependentDetectorsOnThreads) {
  // First use from several threads at once: spandsp's lazy table set-up must not race.
  std::vector<std::string> results(4);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < results.size(); ++t) {
    threads.emplace_back([t, &results] {
      const std::string digits = std::to_string(1000 + 37 * t);
      results[t] = detectAll(withSilence(renderDtmf(digits)));
    });
  }
  for (auto& th : threads) th.join();
  for (std::size_t t = 0; t < results.size(); ++t)
    EXPECT_EQ(results[t], std::to_string(1000 + 37 * t));
}

}  // namespace
}  // namespace sb::media
