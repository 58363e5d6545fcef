#pragma once
// Prompt files: loading anything libsndfile reads into 8 kHz mono PCM, and writing PCM WAV.
// Both functions do file I/O and (for loading) resampling: call them on the blocking pool,
// never on a media loop. They are pure functions of their arguments: safe on any thread.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"

namespace sb::media {

/// 16-bit signed linear PCM samples, mono.
using Samples = std::vector<std::int16_t>;
/// Immutable 8 kHz mono PCM prompt, shared between sessions and threads (const after load).
using SharedSamples = std::shared_ptr<const Samples>;

/// Loads any file libsndfile reads (WAV PCM/µ-law/A-law/float, any rate, mono or stereo ->
/// mixed down) and resamples to `rate` with speexdsp (quality 5). kNotFound for a missing
/// file, kInvalidInput for unreadable/unsupported content, a `rate` outside 1000..192000 Hz
/// or more than `maxSeconds` of audio; the message names the path. Blocking: call on the
/// blocking pool, never on a media loop.
Result<SharedSamples> loadAudioFile(const std::string& path, int rate = 8000, int maxSeconds = 600);

/// Writes (creating or truncating) a mono 16-bit PCM WAV at `rate` Hz (tests and TTS cache).
/// kInvalidInput for a bad rate, kIo with the path when the file cannot be written. Blocking.
Result<void> writeWavFile(const std::string& path, std::span<const std::int16_t> samples,
                          int rate = 8000);

}  // namespace sb::media
