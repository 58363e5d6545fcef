#pragma once
// Turns a Prompt (file, tone or text) into 8 kHz samples for the media engine, off the hot
// path: files load and speech renders on the blocking pool; tones render once. Results come
// back on the control loop. Control loop only (load() and its callbacks).

#include <functional>
#include <string>
#include <unordered_map>

#include "base/blocking_pool.h"
#include "base/result.h"
#include "call/types.h"
#include "media/audio_file.h"
#include "media/tone.h"
#include "media/tts.h"

namespace sb::call {

/// Loads prompts; caches files by path and tones by name (speech is cached by TtsCache).
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
  /// Files in the cache.
  std::size_t cachedFiles() const { return files_.size(); }

 private:
  BlockingPool& pool_;
  PostToControl post_;
  media::TtsCache& tts_;
  std::string defaultVoice_;
  media::TonePlan plan_;
  std::unordered_map<std::string, media::SharedSamples> files_;
  std::unordered_map<int, media::SharedSamples> tones_;
};

}  // namespace sb::call
