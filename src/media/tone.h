#pragma once
// Call-progress tones, rendered once into sample buffers that playback loops. Pure functions:
// safe on any thread. Rendering costs about a millisecond per second of tone; callers render
// once per tone and plan and keep the buffer.

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "media/audio_file.h"

namespace sb::media {

/// A call-progress signal.
enum class Tone : std::uint8_t { kRingback, kBusy, kCongestion, kBeep, kDialTone, kSilence };

/// Tone plans (ITU-T E.180 and its national supplements):
/// - kUs: ringback 440+480 Hz 2 s on/4 s off, busy 480+620 Hz 0.5/0.5 s, congestion (reorder)
///   480+620 Hz 0.25/0.25 s, dial 350+440 Hz continuous;
/// - kEu (ETSI TR 101 041): 425 Hz; ringback 1 s on/4 s off, busy 0.5/0.5 s, congestion
///   0.25/0.25 s, dial continuous;
/// - kCn (China, as listed in ITU-T E.180 Suppl. 2): 450 Hz; ringback 1 s on/4 s off, busy
/// 0.35/0.35 s, congestion
///   0.7/0.7 s, dial continuous.
/// Beep is 1000 Hz for 250 ms, not looped, in every plan; silence is 1 s of zeros.
enum class TonePlan : std::uint8_t { kUs, kEu, kCn };

/// One full cadence period of the tone at 8 kHz: on bursts with 4 ms raised-cosine edges, then
/// the off time; continuous tones are 1 s and phase-continuous across the looping point. Level
/// -13 dBm0 per frequency (peak about 5110 of 32767), so dual tones never clip.
SharedSamples renderTone(Tone tone, TonePlan plan = TonePlan::kUs);

/// True when the tone repeats (everything but kBeep).
bool toneLoops(Tone tone);

/// "ringback", "busy", "congestion", "beep", "dial", "silence"; nullopt otherwise.
std::optional<Tone> toneFromName(std::string_view name);

/// "us", "eu", "cn"; nullopt otherwise.
std::optional<TonePlan> tonePlanFromName(std::string_view name);

/// The name toneFromName() accepts for `tone`.
std::string_view toneName(Tone tone);

/// The amplitude (in sample units, a sine of peak A gives about A) of the `freqHz` component
/// of `samples` at `rate` Hz, by the Goertzel algorithm. For tone checks and tests.
double goertzelAmplitude(std::span<const std::int16_t> samples, double freqHz, int rate = 8000);

}  // namespace sb::media
