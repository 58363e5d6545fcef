#pragma once
// Shared by the media tests (never by the library): a scratch directory per test and a WAV
// reader built on libsndfile, so each test file does not carry its own copy.

#include <sndfile.h>
#include <stdlib.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace sb::media::testing {

/// A fresh directory under /tmp, removed with everything in it when destroyed.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& prefix) {
    std::string tmpl = "/tmp/" + prefix + "_XXXXXX";
    if (::mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  /// The directory; empty when it could not be created.
  const std::string& path() const { return path_; }
  /// A path inside it.
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

/// A WAV file as read back: format and interleaved 16-bit samples.
struct WavContents {
  int rate = 0;
  int channels = 0;                   ///< 0 when the file did not open
  int format = 0;                     ///< libsndfile SF_FORMAT_* bits
  std::vector<std::int16_t> samples;  ///< interleaved
  std::size_t frames() const {
    return channels ? samples.size() / static_cast<std::size_t>(channels) : 0;
  }
  double seconds() const { return rate ? static_cast<double>(frames()) / rate : 0.0; }
  double rms() const {
    double sum = 0;
    for (std::int16_t v : samples) sum += static_cast<double>(v) * v;
    return samples.empty() ? 0.0 : std::sqrt(sum / static_cast<double>(samples.size()));
  }
};

/// Reads a WAV (any libsndfile format) as 16-bit samples.
inline WavContents readWav(const std::string& path) {
  WavContents w;
  SF_INFO info{};
  SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
  if (f == nullptr) return w;
  w.rate = info.samplerate;
  w.channels = info.channels;
  w.format = info.format;
  w.samples.resize(static_cast<std::size_t>(info.frames * info.channels));
  sf_readf_short(f, w.samples.data(), info.frames);
  sf_close(f);
  return w;
}

}  // namespace sb::media::testing
