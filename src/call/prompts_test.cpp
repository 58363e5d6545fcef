#include "call/prompts.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>

namespace sb::call {
namespace {

/// Stands in for the control loop: what the loader posts runs when the test drains it.
class FakeLoop {
 public:
  PromptLoader::PostToControl post() {
    return [this](std::function<void()> f) {
      std::lock_guard lock(m_);
      q_.push_back(std::move(f));
      cv_.notify_all();
    };
  }
  /// Runs posted work until `done()` or 30 s pass.
  template <class P>
  bool runUntil(P done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!done()) {
      std::function<void()> f;
      {
        std::unique_lock lock(m_);
        if (!cv_.wait_until(lock, deadline, [&] { return !q_.empty(); })) return false;
        f = std::move(q_.front());
        q_.pop_front();
      }
      f();
    }
    return true;
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> q_;
};

class PromptLoaderTest : public ::testing::Test {
 protected:
  std::filesystem::path dir_ =
      std::filesystem::temp_directory_path() / ("sb-prompts-test-" + std::to_string(::getpid()));
  BlockingPool pool_{2};
  FakeLoop loop_;
  media::TtsCache tts_{dir_.string()};
  PromptLoader loader_{pool_, loop_.post(), tts_};
  ~PromptLoaderTest() override { std::filesystem::remove_all(dir_); }
};

TEST_F(PromptLoaderTest, ABurstOfRequestsRendersSpeechOnce) {
  std::vector<media::SharedSamples> got;
  for (int i = 0; i < 20; ++i) {
    loader_.load(Prompt::speech("Thank you for calling."), [&](Result<media::SharedSamples> r) {
      ASSERT_TRUE(r.ok()) << r.error().message;
      got.push_back(*r);
    });
  }
  ASSERT_TRUE(loop_.runUntil([&] { return got.size() == 20; }));
  EXPECT_EQ(loader_.loadsStarted(), 1u);
  EXPECT_EQ(tts_.renderCount(), 1u);
  for (const auto& s : got) EXPECT_EQ(s.get(), got.front().get()) << "one shared buffer";
  EXPECT_GT(got.front()->size(), 4000u) << "at least half a second of speech";
  bool again = false;
  loader_.load(Prompt::speech("Thank you for calling."), [&](Result<media::SharedSamples> r) {
    again = r.ok() && r->get() == got.front().get();
  });
  EXPECT_TRUE(again) << "a cached prompt is answered at once, on the caller's loop";
}

TEST_F(PromptLoaderTest, TonesAndErrors) {
  bool tone = false;
  loader_.load(Prompt::tone("busy"),
               [&](Result<media::SharedSamples> r) { tone = r.ok() && !(*r)->empty(); });
  EXPECT_TRUE(tone);
  std::string unknownTone;
  loader_.load(Prompt::tone("kazoo"), [&](Result<media::SharedSamples> r) {
    unknownTone = r.ok() ? "" : r.error().message;
  });
  EXPECT_EQ(unknownTone, "unknown tone 'kazoo'");
  std::optional<Errc> missing;
  loader_.load(Prompt::file("/nonexistent/prompt.wav"), [&](Result<media::SharedSamples> r) {
    missing = r.ok() ? Errc::kIo : r.error().code;
  });
  ASSERT_TRUE(loop_.runUntil([&] { return missing.has_value(); }));
  EXPECT_EQ(*missing, Errc::kNotFound);
  EXPECT_EQ(loader_.cached(), 0u) << "failures are not cached";
}

}  // namespace
}  // namespace sb::call
