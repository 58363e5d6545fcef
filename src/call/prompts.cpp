#include "call/prompts.h"

namespace sb::call {
namespace {

constexpr std::size_t kMaxCached = 1024;  // prompts kept in memory (TtsCache keeps disk copies)

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
    case Prompt::Kind::kFile:
      loadOnce(
          "f\n" + prompt.value, [path = prompt.value] { return media::loadAudioFile(path); },
          std::move(done));
      return;
    case Prompt::Kind::kSpeech: {
      std::string voice = prompt.voice.empty() ? defaultVoice_ : prompt.voice;
      loadOnce(
          "s\n" + voice + "\n" + prompt.value,
          [this, text = prompt.value, voice] { return tts_.load(text, voice); }, std::move(done));
      return;
    }
  }
}

void PromptLoader::loadOnce(const std::string& key,
                            std::function<Result<media::SharedSamples>()> load, Done done) {
  if (auto it = cache_.find(key); it != cache_.end()) {
    done(it->second);
    return;
  }
  auto [waiting, first] = pending_.try_emplace(key);
  waiting->second.push_back(std::move(done));
  if (!first) return;
  ++loadsStarted_;
  pool_.post([this, key, load = std::move(load)] {
    auto loaded = load();
    post_([this, key, loaded = std::move(loaded)]() mutable {
      auto node = pending_.extract(key);
      if (loaded) {
        if (cache_.size() >= kMaxCached) cache_.clear();  // simple bound: start over
        cache_.emplace(key, *loaded);
      }
      for (auto& d : node.mapped()) d(loaded);
    });
  });
}

}  // namespace sb::call
