#include "media/tts.h"

#include "media/internal/test_support.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <sndfile.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace sb::media {
namespace {

namespace fs = std::filesystem;

using testing::readWav;
using WavInfo = testing::WavContents;

class TtsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(scratch_.path().empty());
    dir_ = scratch_.path();
    cacheDir_ = dir_ + "/cache";
  }
  // Files in the cache directory other than finished prompts.
  std::vector<std::string> leftovers() const {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(cacheDir_, ec))
      if (e.path().extension() != ".wav" || e.path().filename().string().front() == '.')
        out.push_back(e.path().filename().string());
    return out;
  }

  testing::ScratchDir scratch_{"sb_tts"};
  std::string dir_;
  std::string cacheDir_;
};

std::string sha256Hex(const std::string& s) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(s.data(), s.size(), md, &len, EVP_sha256(), nullptr);
  std::string out;
  char buf[3];
  for (unsigned int i = 0; i < len; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", md[i]);
    out += buf;
  }
  return out;
}

struct timespec mtimeOf(const std::string& path) {
  struct stat st {};
  ::stat(path.c_str(), &st);
  return st.st_mtim;
}

TEST_F(TtsTest, FliteRendersAn8kHzPrompt) {
  TtsCache tts(cacheDir_);
  auto path = tts.render("Welcome to Switchboard");
  ASSERT_TRUE(path.ok()) << path.error().message;
  EXPECT_EQ(fs::path(*path).parent_path(), fs::path(cacheDir_));
  EXPECT_EQ(fs::path(*path).filename(), sha256Hex("flite\nWelcome to Switchboard") + ".wav");
  const WavInfo w = readWav(*path);
  EXPECT_EQ(w.rate, 8000);
  EXPECT_EQ(w.channels, 1);
  EXPECT_EQ(w.format, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  EXPECT_GT(w.seconds(), 0.8);
  EXPECT_LT(w.seconds(), 4.0);
  EXPECT_GT(w.rms(), 300.0);
  EXPECT_EQ(tts.renderCount(), 1u);
  EXPECT_TRUE(leftovers().empty());
}

TEST_F(TtsTest, SecondRenderHitsTheCache) {
  TtsCache tts(cacheDir_);
  auto first = tts.render("Your call is important to us");
  ASSERT_TRUE(first.ok()) << first.error().message;
  const auto mtime = mtimeOf(*first);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  auto second = tts.render("Your call is important to us");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, *first);
  EXPECT_EQ(tts.renderCount(), 1u);
  EXPECT_EQ(mtimeOf(*second).tv_nsec, mtime.tv_nsec);
  EXPECT_EQ(mtimeOf(*second).tv_sec, mtime.tv_sec);

  // The disk cache outlives the object: a new cache on the same directory renders nothing.
  TtsCache again(cacheDir_);
  auto third = again.render("Your call is important to us");
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(*third, *first);
  EXPECT_EQ(again.renderCount(), 0u);
}

TEST_F(TtsTest, VoiceIsPartOfTheKey) {
  TtsCache tts(cacheDir_);
  auto plain = tts.render("Please hold");
  auto slt = tts.render("Please hold", "flite:slt");
  auto kal = tts.render("Please hold", "flite:kal");
  ASSERT_TRUE(plain.ok() && slt.ok() && kal.ok());
  EXPECT_NE(*plain, *slt);
  EXPECT_NE(*slt, *kal);
  EXPECT_EQ(tts.renderCount(), 3u);
  // slt speaks at 16 kHz: the cache holds it resampled.
  const WavInfo w = readWav(*slt);
  EXPECT_EQ(w.rate, 8000);
  EXPECT_GT(w.seconds(), 0.3);
  EXPECT_GT(w.rms(), 300.0);
}

TEST_F(TtsTest, EspeakSpeaksMandarin) {
  TtsCache tts(cacheDir_);
  auto path = tts.render("欢迎致电", "espeak:zh");
  ASSERT_TRUE(path.ok()) << path.error().message;
  const WavInfo w = readWav(*path);
  EXPECT_EQ(w.rate, 8000);
  EXPECT_EQ(w.channels, 1);
  EXPECT_GT(w.seconds(), 0.5);
  EXPECT_LT(w.seconds(), 6.0);
  EXPECT_GT(w.rms(), 300.0);
  auto de = tts.render("Willkommen", "espeak:de");
  ASSERT_TRUE(de.ok()) << de.error().message;
  EXPECT_NE(*de, *path);
}

TEST_F(TtsTest, UnknownVoicesAreInvalid) {
  TtsCache tts(cacheDir_);
  for (const char* voice : {"festival", "flite:bogus", "flite:", "espeak:", "espeak:-x",
                            "espeak:zh;rm", "espeak:../../etc", "FLITE", ""}) {
    auto r = tts.render("hello", voice);
    ASSERT_FALSE(r.ok()) << voice;
    EXPECT_EQ(r.error().code, Errc::kInvalidInput) << voice;
  }
  EXPECT_EQ(tts.renderCount(), 0u);
  // Well-formed, but espeak-ng has no such language.
  auto r = tts.render("hello", "espeak:qq-nothing");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kInvalidInput) << r.error().message;
  EXPECT_TRUE(leftovers().empty());
}

TEST_F(TtsTest, TextLimits) {
  TtsCache tts(cacheDir_);
  EXPECT_EQ(tts.render("").error().code, Errc::kInvalidInput);
  EXPECT_EQ(tts.render(std::string(kMaxTtsTextBytes + 1, 'a')).error().code, Errc::kInvalidInput);
  EXPECT_EQ(tts.load("").error().code, Errc::kInvalidInput);
  EXPECT_EQ(tts.renderCount(), 0u);
}

TEST_F(TtsTest, ShellMetacharactersAreSpokenNotExecuted) {
  TtsCache tts(cacheDir_);
  const std::string a = dir_ + "/pwned_a";
  const std::string b = dir_ + "/pwned_b";
  const std::string c = dir_ + "/pwned_c";
  const std::string text = "Hello $(touch " + a + ") `touch " + b + "`; touch " + c +
                           " | cat > /dev/null & -voice kal '\"";
  auto path = tts.render(text);
  ASSERT_TRUE(path.ok()) << path.error().message;
  EXPECT_FALSE(fs::exists(a));
  EXPECT_FALSE(fs::exists(b));
  EXPECT_FALSE(fs::exists(c));
  EXPECT_GT(readWav(*path).seconds(), 2.0);  // the whole text was read out
  auto en = tts.render("$(touch " + a + ")", "espeak:en");
  ASSERT_TRUE(en.ok()) << en.error().message;
  EXPECT_FALSE(fs::exists(a));
}

TEST_F(TtsTest, TimeoutKillsTheEngine) {
  TtsOptions opt;
  opt.timeout = std::chrono::milliseconds(1);
  TtsCache tts(cacheDir_, opt);
  std::string text;
  while (text.size() < 3900) text += "This sentence keeps the engine busy for a while. ";
  const auto start = std::chrono::steady_clock::now();
  auto r = tts.render(text);
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kIo);
  EXPECT_NE(r.error().message.find("timed out"), std::string::npos) << r.error().message;
  EXPECT_LT(took, std::chrono::seconds(2));
  EXPECT_TRUE(leftovers().empty());
  EXPECT_FALSE(fs::exists(cacheDir_ + "/" + sha256Hex("flite\n" + text) + ".wav"));
}

TEST_F(TtsTest, MissingEngineIsUnsupported) {
  TtsOptions opt;
  opt.flitePath = dir_ + "/no/flite";
  opt.espeakPath = dir_ + "/no/espeak-ng";
  TtsCache tts(cacheDir_, opt);
  EXPECT_EQ(tts.render("hello").error().code, Errc::kUnsupported);
  EXPECT_EQ(tts.render("hello", "espeak:en").error().code, Errc::kUnsupported);
  EXPECT_EQ(tts.load("hello").error().code, Errc::kUnsupported);
}

TEST_F(TtsTest, EngineFailureReportsExitStatus) {
  TtsOptions opt;
  opt.flitePath = "/bin/false";
  TtsCache tts(cacheDir_, opt);
  auto r = tts.render("hello");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kIo);
  EXPECT_NE(r.error().message.find("exit status 1"), std::string::npos) << r.error().message;
  EXPECT_TRUE(leftovers().empty());
}

TEST_F(TtsTest, EngineWithoutOutputIsIo) {
  TtsOptions opt;
  opt.flitePath = "/bin/true";
  TtsCache tts(cacheDir_, opt);
  auto r = tts.render("hello");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kIo);
  EXPECT_TRUE(leftovers().empty());
}

TEST_F(TtsTest, LoadCachesInMemory) {
  TtsCache tts(cacheDir_);
  auto a = tts.load("Thank you for calling");
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_GT((*a)->size(), 4000u);
  EXPECT_EQ(tts.memoryBytes(), (*a)->size() * 2);
  auto b = tts.load("Thank you for calling");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->get(), b->get());  // same buffer: served from memory
  EXPECT_EQ(tts.renderCount(), 1u);
  auto path = tts.render("Thank you for calling");
  ASSERT_TRUE(path.ok());
  EXPECT_EQ(readWav(*path).samples, **a);
}

TEST_F(TtsTest, MemoryCacheEvictsLeastRecentlyUsed) {
  std::size_t oneBytes = 0;
  std::size_t twoBytes = 0;
  {
    TtsCache probe(cacheDir_);
    auto one = probe.load("One");
    auto two = probe.load("Two");
    ASSERT_TRUE(one.ok() && two.ok());
    oneBytes = (*one)->size() * 2;
    twoBytes = (*two)->size() * 2;
    EXPECT_EQ(probe.memoryBytes(), oneBytes + twoBytes);
  }
  TtsOptions opt;
  opt.memoryBytes = std::max(oneBytes, twoBytes) + 16;  // room for one prompt, not two
  TtsCache tts(cacheDir_, opt);
  auto one = tts.load("One");
  ASSERT_TRUE(one.ok()) << one.error().message;
  auto two = tts.load("Two");
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(tts.memoryBytes(), twoBytes);
  auto twoAgain = tts.load("Two");
  EXPECT_EQ(two->get(), twoAgain->get());  // the most recent one stayed
  auto oneAgain = tts.load("One");
  ASSERT_TRUE(oneAgain.ok());
  EXPECT_NE(one->get(), oneAgain->get());  // evicted, reloaded from disk...
  EXPECT_EQ(**one, **oneAgain);
  EXPECT_EQ(tts.renderCount(), 0u);  // ...never re-rendered
  EXPECT_EQ(tts.memoryBytes(), oneBytes);

  TtsOptions tiny;
  tiny.memoryBytes = 100;  // smaller than any prompt: nothing is kept, loads still work
  TtsCache none(cacheDir_, tiny);
  auto a = none.load("One");
  auto b = none.load("One");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->get(), b->get());
  EXPECT_EQ(none.memoryBytes(), 0u);
}

TEST_F(TtsTest, ConcurrentRendersOfOneKeyAgree) {
  TtsCache tts(cacheDir_);
  std::vector<std::string> paths(4);
  std::vector<std::thread> threads;
  for (auto& p : paths) {
    threads.emplace_back([&tts, &p] {
      auto r = tts.render("All of our agents are busy");
      p = r.ok() ? *r : "error: " + r.error().message;
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& p : paths) EXPECT_EQ(p, paths[0]);
  const WavInfo w = readWav(paths[0]);
  EXPECT_EQ(w.rate, 8000);
  EXPECT_GT(w.seconds(), 1.0);
  EXPECT_TRUE(leftovers().empty());
}

TEST_F(TtsTest, StaleTemporariesAreRemovedAtStart) {
  fs::create_directories(cacheDir_);
  const std::string stale = cacheDir_ + "/.tmp-dead-1-0.wav";
  const std::string fresh = cacheDir_ + "/.tmp-live-2-0.wav";
  std::ofstream(stale) << "half";
  std::ofstream(fresh) << "half";
  const timeval old[2] = {{::time(nullptr) - 7200, 0}, {::time(nullptr) - 7200, 0}};
  ASSERT_EQ(::utimes(stale.c_str(), old), 0);
  TtsCache tts(cacheDir_);
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(fresh));
}

TEST_F(TtsTest, CreatesTheCacheDirectory) {
  const std::string nested = dir_ + "/a/b/tts";
  TtsCache tts(nested);
  EXPECT_TRUE(fs::is_directory(nested));
  EXPECT_EQ(tts.cacheDir(), nested);
}

}  // namespace
}  // namespace sb::media
