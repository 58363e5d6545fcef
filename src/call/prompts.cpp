#include "call/prompts.h"

namespace sb::call {
namespace {

constexpr std::size_t kMaxCachedFiles = 1024;

}  // namespace

Prompt Prompt::speech(std::string text, std::string voice) {
  return Prompt{Kind::kSpeech, std::move(text), std::move(voice), false};
}
Prompt Prompt::file(std::string path, bool loop) {
  return Prompt{Kind::kFile, std::move(path), {}, loop};
}
Prompt Prompt::tone(std::string name, bool loop) {
  return Prompt{Kind::kTone, std::move(name), {}, loop};
}

PromptLoader::PromptLoader(BlockingPool& pool, PostToControl post, media::TtsCache& tts,
                           std::string defaultVoice, media::TonePlan plan)
    : pool_(pool),
      post_(std::move(post)),
      tts_(tts),
      defaultVoice_(std::move(defaultVoice)),
      plan_(plan) {}

void PromptLoader::load(const Prompt& prompt,
                        std::function<void(Result<media::SharedSamples>)> done) {
  switch (prompt.kind) {
    case Prompt::Kind::kTone: {
      auto tone = media::toneFromName(prompt.value);
      if (!tone) {
        done(fail(Errc::kInvalidInput, "unknown tone '" + prompt.value + "'"));
        return;
      }
      auto& cached = tones_[static_cast<int>(*tone)];
      if (!cached) cached = media::renderTone(*tone, plan_);
      done(cached);
      return;
    }
    case Prompt::Kind::kFile: {
      if (auto it = files_.find(prompt.value); it != files_.end()) {
        done(it->second);
        return;
      }
      pool_.post([this, path = prompt.value, done = std::move(done)]() mutable {
        auto loaded = media::loadAudioFile(path);
        post_([this, path, loaded = std::move(loaded), done = std::move(done)]() mutable {
          if (loaded && files_.size() < kMaxCachedFiles) files_.emplace(path, *loaded);
          done(std::move(loaded));
        });
      });
      return;
    }
    case Prompt::Kind::kSpeech: {
      std::string voice = prompt.voice.empty() ? defaultVoice_ : prompt.voice;
      pool_.post([this, text = prompt.value, voice, done = std::move(done)]() mutable {
        auto loaded = tts_.load(text, voice);
        post_([loaded = std::move(loaded), done = std::move(done)]() mutable {
          done(std::move(loaded));
        });
      });
      return;
    }
  }
}

}  // namespace sb::call
