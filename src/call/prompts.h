#pragma once
// Turns a Prompt (file, tone or text) into 8 kHz samples for the media engine, off the hot
// path: files load and speech renders on the blocking pool; tones render once. Results come
// back on the control loop. Control loop only (load() and its callbacks).

#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/blocking_pool.h"
#include "base/result.h"
#include "call/types.h"
#include "media/audio_file.h"
#include "media/tone.h"
#include "media/tts.h"

namespace sb::call {

/// Loads prompts; caches files by path, speech by voice and text, tones by name. Requests for
/// a prompt already being loaded wait for that load instead of starting another one (a burst
/// of calls to a new greeting renders it once).
class PromptLoader {
 public:
  /// Runs a function on the control loop (posts to its io_context); any thread.
  using PostToControl = std::function<void(std::function<void()>)>;

  PromptLoader(BlockingPool& pool, PostToControl post, media::TtsCache& tts,
               std::string defaultVoice = "flite", media::TonePlan plan = media::TonePlan::kUs);

  /// Resolves `prompt`; `done` runs on the control loop, possibly before load() returns (tones
  /// and cached files). Errors: kNotFound / kInvalidInput for a file, an unknown tone or voice,
  /// the TTS engine's errors.
  void load(const Prompt& prompt, std::function<void(Result<media::SharedSamples>)> done);
  /// Prompts (files and speech) in the cache.
  std::size_t cached() const { return cache_.size(); }
  /// Loads started on the blocking pool so far.
  std::uint64_t loadsStarted() const { return loadsStarted_; }

 private:
  BlockingPool& pool_;
  PostToControl post_;
  media::TtsCache& tts_;
  std::string defaultVoice_;
  media::TonePlan plan_;
  using Done = std::function<void(Result<media::SharedSamples>)>;
  /// Starts `load` on the pool for `key` unless one is running; `done` joins the waiters.
  void loadOnce(const std::string& key, std::function<Result<media::SharedSamples>()> load,
                Done done);

  std::unordered_map<std::string, media::SharedSamples> cache_;  // "f\n"+path, "s\n"+voice+text
  std::unordered_map<std::string, std::vector<Done>> pending_;
  std::unordered_map<int, media::SharedSamples> tones_;
  std::uint64_t loadsStarted_ = 0;
};

}  // namespace sb::call
