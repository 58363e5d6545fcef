#include "media/tone.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <numbers>
#include <string>
#include <vector>

namespace sb::media {
namespace {

// -13 dBm0 with a full-scale sine at +3.14 dBm0.
const double kExpectedPeak = 32767.0 * std::pow(10.0, (-13.0 - 3.14) / 20.0);

struct Expected {
  Tone tone;
  TonePlan plan;
  std::vector<double> freqs;
  int onMs;
  int offMs;
};

// Tone plan tables written out independently of tone.cpp.
const std::vector<Expected>& plans() {
  static const std::vector<Expected> kPlans = {
      {Tone::kRingback, TonePlan::kUs, {440, 480}, 2000, 4000},
      {Tone::kBusy, TonePlan::kUs, {480, 620}, 500, 500},
      {Tone::kCongestion, TonePlan::kUs, {480, 620}, 250, 250},
      {Tone::kDialTone, TonePlan::kUs, {350, 440}, 1000, 0},
      {Tone::kRingback, TonePlan::kEu, {425}, 1000, 4000},
      {Tone::kBusy, TonePlan::kEu, {425}, 500, 500},
      {Tone::kCongestion, TonePlan::kEu, {425}, 250, 250},
      {Tone::kDialTone, TonePlan::kEu, {425}, 1000, 0},
      {Tone::kRingback, TonePlan::kCn, {450}, 1000, 4000},
      {Tone::kBusy, TonePlan::kCn, {450}, 350, 350},
      {Tone::kCongestion, TonePlan::kCn, {450}, 700, 700},
      {Tone::kDialTone, TonePlan::kCn, {450}, 1000, 0},
      {Tone::kBeep, TonePlan::kUs, {1000}, 250, 0},
      {Tone::kBeep, TonePlan::kCn, {1000}, 250, 0},
  };
  return kPlans;
}

std::string label(const Expected& e) {
  return std::string(toneName(e.tone)) + "/" + std::to_string(static_cast<int>(e.plan));
}

std::span<const std::int16_t> slice(const Samples& s, std::size_t from, std::size_t to) {
  return std::span<const std::int16_t>(s).subspan(from, to - from);
}

TEST(ToneTest, PeriodsMatchTheCadence) {
  for (const auto& e : plans()) {
    const auto s = renderTone(e.tone, e.plan);
    EXPECT_EQ(s->size(), static_cast<std::size_t>((e.onMs + e.offMs) * 8)) << label(e);
  }
  EXPECT_EQ(renderTone(Tone::kSilence)->size(), 8000u);
}

TEST(ToneTest, OnPartCarriesExactlyThePlannedFrequencies) {
  const double others[] = {350, 425, 440, 450, 480, 620, 1000};
  for (const auto& e : plans()) {
    const auto s = renderTone(e.tone, e.plan);
    // The middle of the burst, clear of the edge ramps.
    const auto on = slice(*s, 80, static_cast<std::size_t>(e.onMs * 8) - 80);
    for (double f : e.freqs)
      EXPECT_NEAR(goertzelAmplitude(on, f), kExpectedPeak, kExpectedPeak * 0.03)
          << label(e) << " " << f;
    for (double f : others) {
      // Neighbours closer than 30 Hz leak through the short bursts' rectangular window.
      if (std::any_of(e.freqs.begin(), e.freqs.end(),
                      [f](double p) { return std::abs(p - f) < 30; }))
        continue;
      EXPECT_LT(goertzelAmplitude(on, f), kExpectedPeak * 0.1) << label(e) << " " << f;
    }
  }
}

TEST(ToneTest, OffPartIsSilent) {
  for (const auto& e : plans()) {
    if (e.offMs == 0) continue;
    const auto s = renderTone(e.tone, e.plan);
    const auto off = slice(*s, static_cast<std::size_t>(e.onMs * 8), s->size());
    EXPECT_TRUE(std::all_of(off.begin(), off.end(), [](std::int16_t v) { return v == 0; }))
        << label(e);
  }
  const auto silence = renderTone(Tone::kSilence, TonePlan::kEu);
  EXPECT_TRUE(std::all_of(silence->begin(), silence->end(), [](std::int16_t v) { return v == 0; }));
}

TEST(ToneTest, NoClippingAndBothFrequenciesAtLevel) {
  for (const auto& e : plans()) {
    const auto s = renderTone(e.tone, e.plan);
    int peak = 0;
    for (std::int16_t v : *s) peak = std::max(peak, std::abs(static_cast<int>(v)));
    const double expected = kExpectedPeak * static_cast<double>(e.freqs.size());
    EXPECT_LE(peak, static_cast<int>(expected) + 2) << label(e);
    EXPECT_GT(peak, static_cast<int>(expected * 0.95)) << label(e);
    EXPECT_LT(peak, 32767) << label(e);
  }
}

TEST(ToneTest, SingleToneLevelIsMinus13Dbm0) {
  const auto s = renderTone(Tone::kDialTone, TonePlan::kEu);
  double sum = 0;
  for (std::int16_t v : *s) sum += static_cast<double>(v) * v;
  const double rms = std::sqrt(sum / static_cast<double>(s->size()));
  const double dbm0 = 20.0 * std::log10(rms * std::sqrt(2.0) / 32767.0) + 3.14;
  EXPECT_NEAR(dbm0, -13.0, 0.1);
}

TEST(ToneTest, ContinuousTonesLoopWithoutAJump) {
  for (TonePlan plan : {TonePlan::kUs, TonePlan::kEu, TonePlan::kCn}) {
    const auto s = renderTone(Tone::kDialTone, plan);
    int maxStep = 0;
    for (std::size_t i = 1; i < s->size(); ++i)
      maxStep = std::max(maxStep, std::abs((*s)[i] - (*s)[i - 1]));
    // The loop point (last sample -> first) is just another step of the waveform, and the
    // first sample is where a sine starts.
    EXPECT_LE(std::abs(s->front() - s->back()), maxStep) << static_cast<int>(plan);
    EXPECT_EQ(s->front(), 0);
    // Looping twice: the second period continues the first exactly.
    Samples twice = *s;
    twice.insert(twice.end(), s->begin(), s->end());
    const double f = plan == TonePlan::kUs ? 350 : plan == TonePlan::kEu ? 425 : 450;
    EXPECT_NEAR(goertzelAmplitude(twice, f), kExpectedPeak, kExpectedPeak * 0.01);
  }
}

TEST(ToneTest, BurstEdgesAreRamped) {
  const auto s = renderTone(Tone::kBusy, TonePlan::kUs);
  EXPECT_LT(std::abs((*s)[0]), 100);
  EXPECT_LT(std::abs((*s)[3999]), 400);
  const auto beep = renderTone(Tone::kBeep);
  EXPECT_LT(std::abs(beep->back()), 400);
}

TEST(ToneTest, SoxAgreesOnTheFrequency) {
  char tmpl[] = "/tmp/sb_tone_XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  struct Case {
    Tone tone;
    TonePlan plan;
    double hz;
  };
  for (const Case& c :
       {Case{Tone::kDialTone, TonePlan::kEu, 425}, Case{Tone::kDialTone, TonePlan::kCn, 450},
        Case{Tone::kBeep, TonePlan::kUs, 1000}}) {
    const std::string path = dir + "/tone.wav";
    ASSERT_TRUE(writeWavFile(path, *renderTone(c.tone, c.plan)).ok());
    FILE* p = ::popen(("sox " + path + " -n stat 2>&1").c_str(), "r");
    ASSERT_NE(p, nullptr);
    std::string out;
    char buf[256];
    while (std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
    ::pclose(p);
    const auto at = out.find("Rough   frequency:");
    ASSERT_NE(at, std::string::npos) << out;
    const double hz = std::atof(out.c_str() + at + 18);
    // sox estimates from RMS(delta)/RMS, which reads about 2.5% low at 1 kHz / 8 kHz.
    EXPECT_NEAR(hz, c.hz, c.hz * 0.04) << out;
  }
  std::filesystem::remove_all(dir);
}

TEST(ToneTest, GoertzelMeasuresAmplitude) {
  Samples s(4000);
  for (std::size_t i = 0; i < s.size(); ++i)
    s[i] = static_cast<std::int16_t>(
        std::lrint(1000 * std::sin(2 * std::numbers::pi * 700 * static_cast<double>(i) / 8000)));
  EXPECT_NEAR(goertzelAmplitude(s, 700), 1000.0, 5.0);
  EXPECT_LT(goertzelAmplitude(s, 1200), 5.0);
  EXPECT_EQ(goertzelAmplitude({}, 700), 0.0);
}

TEST(ToneTest, OnlyBeepIsOneShot) {
  EXPECT_FALSE(toneLoops(Tone::kBeep));
  for (Tone t : {Tone::kRingback, Tone::kBusy, Tone::kCongestion, Tone::kDialTone, Tone::kSilence})
    EXPECT_TRUE(toneLoops(t)) << toneName(t);
}

TEST(ToneTest, Names) {
  EXPECT_EQ(toneFromName("ringback"), Tone::kRingback);
  EXPECT_EQ(toneFromName("busy"), Tone::kBusy);
  EXPECT_EQ(toneFromName("congestion"), Tone::kCongestion);
  EXPECT_EQ(toneFromName("beep"), Tone::kBeep);
  EXPECT_EQ(toneFromName("dial"), Tone::kDialTone);
  EXPECT_EQ(toneFromName("silence"), Tone::kSilence);
  EXPECT_EQ(toneFromName("Busy"), std::nullopt);
  EXPECT_EQ(toneFromName(""), std::nullopt);
  EXPECT_EQ(toneFromName("dialtone"), std::nullopt);
  EXPECT_EQ(tonePlanFromName("us"), TonePlan::kUs);
  EXPECT_EQ(tonePlanFromName("eu"), TonePlan::kEu);
  EXPECT_EQ(tonePlanFromName("cn"), TonePlan::kCn);
  EXPECT_EQ(tonePlanFromName("uk"), std::nullopt);
  for (Tone t : {Tone::kRingback, Tone::kBusy, Tone::kCongestion, Tone::kBeep, Tone::kDialTone,
                 Tone::kSilence})
    EXPECT_EQ(toneFromName(toneName(t)), t);
}

}  // namespace
}  // namespace sb::media
