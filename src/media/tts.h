#pragma once
// Text to speech through a real engine (flite, espeak-ng), rendered off the hot path into an
// on-disk cache of 8 kHz WAV files plus an in-memory cache of loaded prompts. Everything here
// blocks (process spawn, file I/O): call it on the blocking pool, never on a media loop.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

#include "base/result.h"
#include "media/audio_file.h"

namespace sb::media {

/// Longest text render() accepts, in bytes.
inline constexpr std::size_t kMaxTtsTextBytes = 4000;

/// Where the engines are and how much memory loaded prompts may take.
struct TtsOptions {
  std::chrono::milliseconds timeout = std::chrono::seconds(20);  ///< bounds one render
  std::string flitePath = "/usr/bin/flite";                      ///< flite binary
  std::string espeakPath = "/usr/bin/espeak-ng";                 ///< espeak-ng binary
  std::size_t memoryBytes = std::size_t{64} << 20;               ///< load() LRU budget
};

/// Renders and caches prompts. Voices: "flite" (default, English, flite's built-in voice;
/// "flite:slt", "flite:kal", "flite:awb", "flite:rms" pick flite's -voice), "espeak:<lang>"
/// (espeak-ng -v <lang>, e.g. "espeak:zh" Mandarin, "espeak:en", "espeak:de"). Thread-safe.
class TtsCache {
 public:
  /// `cacheDir` is created if missing. `timeout` bounds one render.
  explicit TtsCache(std::string cacheDir,
                    std::chrono::milliseconds timeout = std::chrono::seconds(20));
  /// As above with every option explicit (tests point the engine paths elsewhere).
  TtsCache(std::string cacheDir, TtsOptions options);
  TtsCache(const TtsCache&) = delete;
  TtsCache& operator=(const TtsCache&) = delete;

  /// Path of an 8 kHz mono 16-bit WAV speaking `text` in `voice`, rendering it first if the
  /// cache lacks it (key: SHA-256 of voice + "\n" + text; written to a temporary name, then
  /// renamed, so concurrent renders and crashes never leave a half file under the key). The
  /// engine runs by posix_spawn with an argv (no shell; the text goes in a file) and is killed
  /// on timeout. Errors: kInvalidInput for empty or oversize (> kMaxTtsTextBytes) text or an
  /// unknown voice, kUnsupported when the engine binary is missing, kIo for engine failure or
  /// timeout (the message has its exit status) or a cache directory problem. Blocking.
  Result<std::string> render(const std::string& text, const std::string& voice = "flite");
  /// render() + loadAudioFile(), with an in-memory LRU of loaded prompts bounded by
  /// TtsOptions::memoryBytes. Same errors as render(), kIo when the cached file is unreadable.
  Result<SharedSamples> load(const std::string& text, const std::string& voice = "flite");

  /// Engine runs so far (cache misses that spawned an engine); for tests and metrics.
  std::uint64_t renderCount() const { return renderCount_.load(std::memory_order_relaxed); }
  /// Bytes of samples held by the in-memory cache.
  std::size_t memoryBytes() const;
  /// The on-disk cache directory.
  const std::string& cacheDir() const { return cacheDir_; }

 private:
  struct Entry {
    std::string key;
    SharedSamples samples;
  };
  void remember(const std::string& key, const SharedSamples& samples);

  std::string cacheDir_;
  TtsOptions options_;
  std::atomic<std::uint64_t> renderCount_{0};
  std::atomic<std::uint64_t> tempSeq_{0};  // unique temporary names within this process

  mutable std::mutex mu_;
  std::list<Entry> lru_;  // GUARDED_BY(mu_); most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;  // GUARDED_BY(mu_)
  std::size_t bytes_ = 0;                                              // GUARDED_BY(mu_)
};

}  // namespace sb::media
