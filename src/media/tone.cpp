#include "media/tone.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>

namespace sb::media {
namespace {

constexpr int kRate = 8000;
// G.711 puts a full-scale sine at +3.14 dBm0 (G.711 §2 / the digital milliwatt), so a sine of
// level L dBm0 peaks at 32767 * 10^((L - 3.14) / 20): about 5110 for -13 dBm0.
constexpr double kFullScaleDbm0 = 3.14;
constexpr double kLevelDbm0 = -13.0;
constexpr int kRampSamples = 32;     // 4 ms raised-cosine edges: no clicks at burst on/off
constexpr int kContinuousMs = 1000;  // integer Hz frequencies complete whole cycles in 1 s
constexpr int kBeepHz = 1000;
constexpr int kBeepMs = 250;

// A tone as one cadence: `onMs` of the frequencies then `offMs` of silence; offMs 0 with
// loops means continuous.
struct Cadence {
  std::array<int, 2> freqs{};  // 0 = unused
  int onMs = 0;
  int offMs = 0;
};

Cadence cadenceFor(Tone tone, TonePlan plan) {
  if (tone == Tone::kBeep) return {{kBeepHz, 0}, kBeepMs, 0};
  if (tone == Tone::kSilence) return {{0, 0}, 0, kContinuousMs};
  if (plan == TonePlan::kUs) {
    switch (tone) {
      case Tone::kRingback:
        return {{440, 480}, 2000, 4000};
      case Tone::kBusy:
        return {{480, 620}, 500, 500};
      case Tone::kCongestion:
        return {{480, 620}, 250, 250};
      default:
        return {{350, 440}, kContinuousMs, 0};
    }
  }
  const int f = plan == TonePlan::kCn ? 450 : 425;
  const bool cn = plan == TonePlan::kCn;
  switch (tone) {
    case Tone::kRingback:
      return {{f, 0}, 1000, 4000};
    case Tone::kBusy:
      return {{f, 0}, cn ? 350 : 500, cn ? 350 : 500};
    case Tone::kCongestion:
      return {{f, 0}, cn ? 700 : 250, cn ? 700 : 250};
    default:
      return {{f, 0}, kContinuousMs, 0};
  }
}

double peakAmplitude() {
  return 32767.0 * std::pow(10.0, (kLevelDbm0 - kFullScaleDbm0) / 20.0);
}

// Gain of the burst envelope at sample i of n: raised-cosine up and down edges.
double envelope(int i, int n) {
  const int edge = std::min(i, n - 1 - i);
  if (edge >= kRampSamples) return 1.0;
  return 0.5 - 0.5 * std::cos(std::numbers::pi * (edge + 0.5) / kRampSamples);
}

}  // namespace

SharedSamples renderTone(Tone tone, TonePlan plan) {
  const Cadence c = cadenceFor(tone, plan);
  const int onSamples = c.onMs * kRate / 1000;
  const int offSamples = c.offMs * kRate / 1000;
  const bool continuous = c.offMs == 0 && toneLoops(tone);
  auto out = std::make_shared<Samples>(static_cast<std::size_t>(onSamples + offSamples), 0);
  const double amp = peakAmplitude();
  for (int f : c.freqs) {
    if (f == 0) continue;
    const double w = 2.0 * std::numbers::pi * f / kRate;
    for (int i = 0; i < onSamples; ++i) {
      // Phase from the sample index, not an accumulator: exact at the loop point.
      const double gain = continuous ? 1.0 : envelope(i, onSamples);
      const double v = (*out)[static_cast<std::size_t>(i)] + amp * gain * std::sin(w * i);
      (*out)[static_cast<std::size_t>(i)] = static_cast<std::int16_t>(std::lrint(v));
    }
  }
  return out;
}

bool toneLoops(Tone tone) {
  return tone != Tone::kBeep;
}

std::optional<Tone> toneFromName(std::string_view name) {
  for (Tone t : {Tone::kRingback, Tone::kBusy, Tone::kCongestion, Tone::kBeep, Tone::kDialTone,
                 Tone::kSilence}) {
    if (toneName(t) == name) return t;
  }
  return std::nullopt;
}

std::optional<TonePlan> tonePlanFromName(std::string_view name) {
  if (name == "us") return TonePlan::kUs;
  if (name == "eu") return TonePlan::kEu;
  if (name == "cn") return TonePlan::kCn;
  return std::nullopt;
}

std::string_view toneName(Tone tone) {
  switch (tone) {
    case Tone::kRingback:
      return "ringback";
    case Tone::kBusy:
      return "busy";
    case Tone::kCongestion:
      return "congestion";
    case Tone::kBeep:
      return "beep";
    case Tone::kDialTone:
      return "dial";
    case Tone::kSilence:
      return "silence";
  }
  return "silence";
}

double goertzelAmplitude(std::span<const std::int16_t> samples, double freqHz, int rate) {
  if (samples.empty() || rate <= 0) return 0.0;
  const double coeff = 2.0 * std::cos(2.0 * std::numbers::pi * freqHz / rate);
  double s1 = 0.0;
  double s2 = 0.0;
  for (std::int16_t x : samples) {
    const double s0 = x + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const double power = std::max(0.0, s1 * s1 + s2 * s2 - coeff * s1 * s2);
  return 2.0 * std::sqrt(power) / static_cast<double>(samples.size());
}

}  // namespace sb::media
