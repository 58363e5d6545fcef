#include "media/audio_file.h"

#include <sndfile.h>
#include <speex/speex_resampler.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

namespace sb::media {
namespace {

constexpr int kResampleQuality = 5;  // speexdsp 0..10; 5 is transparent for telephony
constexpr int kMinRate = 1000;
constexpr int kMaxRate = 192000;
constexpr sf_count_t kChunkFrames = 4096;
constexpr int kMaxChannels = 64;
// libsndfile reads integer formats as floats in [-1, 1); the resampler works in that scale
// multiplied up to 16-bit units so that rounding happens once, at the end.
constexpr float kPcmScale = 32768.0f;

struct SndfileCloser {
  void operator()(SNDFILE* f) const { sf_close(f); }
};
using SndfilePtr = std::unique_ptr<SNDFILE, SndfileCloser>;

struct ResamplerDestroyer {
  void operator()(SpeexResamplerState* r) const { speex_resampler_destroy(r); }
};
using ResamplerPtr = std::unique_ptr<SpeexResamplerState, ResamplerDestroyer>;

std::int16_t toPcm16(float v) {
  // NaN (from a corrupt float file) becomes silence rather than undefined behaviour.
  if (std::isnan(v)) return 0;
  const float clipped = std::clamp(v, -32768.0f, 32767.0f);
  return static_cast<std::int16_t>(std::lrint(clipped));
}

// Mono float (16-bit scale) in at one rate, int16 out at another; a pass-through when the
// rates are equal.
class MonoConverter {
 public:
  MonoConverter(int inRate, int outRate) : inRate_(inRate), outRate_(outRate) {}

  Result<void> init() {
    if (inRate_ == outRate_) return {};
    int err = RESAMPLER_ERR_SUCCESS;
    resampler_.reset(speex_resampler_init(1, static_cast<spx_uint32_t>(inRate_),
                                          static_cast<spx_uint32_t>(outRate_), kResampleQuality,
                                          &err));
    if (!resampler_ || err != RESAMPLER_ERR_SUCCESS)
      return fail(Errc::kInvalidInput, std::string("resampler: ") + speex_resampler_strerror(err));
    // The filter delay would otherwise shift the prompt by latency samples of silence.
    speex_resampler_skip_zeros(resampler_.get());
    return {};
  }

  void push(const float* in, std::size_t n, Samples& out) {
    if (!resampler_) {
      for (std::size_t i = 0; i < n; ++i) out.push_back(toPcm16(in[i]));
      return;
    }
    while (n > 0) {
      auto inLen = static_cast<spx_uint32_t>(std::min<std::size_t>(n, kChunkFrames));
      auto outLen = static_cast<spx_uint32_t>(scratch_.size());
      speex_resampler_process_float(resampler_.get(), 0, in, &inLen, scratch_.data(), &outLen);
      for (spx_uint32_t i = 0; i < outLen; ++i) out.push_back(toPcm16(scratch_[i]));
      if (inLen == 0 && outLen == 0) break;  // cannot happen with a sane state; never spin
      in += inLen;
      n -= inLen;
    }
  }

  // Pushes the filter tail out, then cuts the output to exactly the resampled duration.
  void finish(std::uint64_t inFrames, Samples& out) {
    if (resampler_) {
      const std::vector<float> zeros(speex_resampler_get_input_latency(resampler_.get()), 0.0f);
      push(zeros.data(), zeros.size(), out);
    }
    const auto want = static_cast<std::size_t>((inFrames * static_cast<std::uint64_t>(outRate_) +
                                                static_cast<std::uint64_t>(inRate_) / 2) /
                                               static_cast<std::uint64_t>(inRate_));
    out.resize(want, 0);
  }

 private:
  int inRate_;
  int outRate_;
  ResamplerPtr resampler_;
  // Large enough for any rate ratio we accept (192 kHz from 1 kHz is 192x one input chunk).
  std::vector<float> scratch_ = std::vector<float>(kChunkFrames * 4);
};

// kNotFound for a missing path, kInvalidInput for a path that is not a regular file.
Result<void> checkExists(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    const int e = errno;
    if (e == ENOENT || e == ENOTDIR) return fail(Errc::kNotFound, "audio file not found: " + path);
    return fail(Errc::kInvalidInput, "audio file unreadable: " + path + ": " + std::strerror(e));
  }
  if (!S_ISREG(st.st_mode)) return fail(Errc::kInvalidInput, "not a regular file: " + path);
  return {};
}

}  // namespace

Result<SharedSamples> loadAudioFile(const std::string& path, int rate, int maxSeconds) {
  if (rate < kMinRate || rate > kMaxRate)
    return fail(Errc::kInvalidInput, "bad sample rate " + std::to_string(rate) + " for " + path);
  if (maxSeconds <= 0) return fail(Errc::kInvalidInput, "bad length limit for " + path);
  if (auto r = checkExists(path); !r) return r.error();

  SF_INFO info{};
  SndfilePtr file(sf_open(path.c_str(), SFM_READ, &info));
  if (!file)
    return fail(Errc::kInvalidInput,
                "unsupported audio file " + path + ": " + sf_strerror(nullptr));
  if (info.samplerate < kMinRate || info.samplerate > kMaxRate || info.channels < 1 ||
      info.channels > kMaxChannels)
    return fail(Errc::kInvalidInput, "unsupported audio format in " + path + " (" +
                                         std::to_string(info.samplerate) + " Hz, " +
                                         std::to_string(info.channels) + " channels)");
  const auto maxFrames =
      static_cast<std::uint64_t>(maxSeconds) * static_cast<std::uint64_t>(info.samplerate);
  const auto tooLong = [&] {
    return fail(Errc::kInvalidInput, path + " is longer than " + std::to_string(maxSeconds) + " s");
  };
  if (info.frames > 0 && static_cast<std::uint64_t>(info.frames) > maxFrames) return tooLong();

  MonoConverter conv(info.samplerate, rate);
  if (auto r = conv.init(); !r) return fail(r.error().code, r.error().message + " for " + path);

  auto out = std::make_shared<Samples>();
  out->reserve(
      static_cast<std::size_t>(std::max<sf_count_t>(info.frames, 0) * rate / info.samplerate + 16));
  const auto channels = static_cast<std::size_t>(info.channels);
  std::vector<float> interleaved(static_cast<std::size_t>(kChunkFrames) * channels);
  std::vector<float> mono(static_cast<std::size_t>(kChunkFrames));
  std::uint64_t total = 0;
  for (;;) {
    const sf_count_t got = sf_readf_float(file.get(), interleaved.data(), kChunkFrames);
    if (got <= 0) break;
    const auto n = static_cast<std::size_t>(got);
    total += n;
    if (total > maxFrames) return tooLong();  // streams whose header did not tell the length
    const float gain = kPcmScale / static_cast<float>(channels);
    for (std::size_t i = 0; i < n; ++i) {
      float sum = 0.0f;
      for (std::size_t c = 0; c < channels; ++c) sum += interleaved[i * channels + c];
      mono[i] = sum * gain;
    }
    conv.push(mono.data(), n, *out);
  }
  if (sf_error(file.get()) != SF_ERR_NO_ERROR)
    return fail(Errc::kInvalidInput, "corrupt audio in " + path + ": " + sf_strerror(file.get()));
  conv.finish(total, *out);
  return SharedSamples(std::move(out));
}

Result<void> writeWavFile(const std::string& path, std::span<const std::int16_t> samples,
                          int rate) {
  if (rate < kMinRate || rate > kMaxRate)
    return fail(Errc::kInvalidInput, "bad sample rate " + std::to_string(rate) + " for " + path);
  SF_INFO info{};
  info.samplerate = rate;
  info.channels = 1;
  info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
  SNDFILE* raw = sf_open(path.c_str(), SFM_WRITE, &info);
  if (raw == nullptr) return fail(Errc::kIo, "cannot create " + path + ": " + sf_strerror(nullptr));
  SndfilePtr file(raw);
  const auto n = static_cast<sf_count_t>(samples.size());
  if (n > 0 && sf_write_short(file.get(), samples.data(), n) != n)
    return fail(Errc::kIo, "cannot write " + path + ": " + sf_strerror(file.get()));
  // sf_close writes the final header sizes; its error is the one that matters.
  if (const int err = sf_close(file.release()); err != 0)
    return fail(Errc::kIo, "cannot finish " + path + ": " + sf_error_number(err));
  return {};
}

}  // namespace sb::media
