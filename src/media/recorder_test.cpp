#include "media/recorder.h"

#include "media/internal/test_support.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sndfile.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <string>
#include <vector>

namespace sb::media {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kFrame = 160;

using testing::readWav;
using Wav = testing::WavContents;

class RecorderTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(scratch_.path().empty()); }
  std::string file(const std::string& name) const { return scratch_.file(name); }

  testing::ScratchDir scratch_{"sb_recorder"};
};

// One 20 ms frame of a 1 kHz tone, phase-continuous frame to frame (1 kHz = 8 samples/cycle).
std::vector<std::int16_t> toneFrame() {
  std::vector<std::int16_t> f(kFrame);
  for (std::size_t i = 0; i < kFrame; ++i)
    f[i] = static_cast<std::int16_t>(
        std::lrint(8000 * std::sin(2 * std::numbers::pi * 1000.0 * static_cast<double>(i) / 8000)));
  return f;
}

// Writes `seconds` of tone on the left channel only, frame by frame as the engine does.
void writeLeftTone(WavRecorder& rec, int seconds) {
  const auto f = toneFrame();
  for (int i = 0; i < seconds * 50; ++i) rec.write(f.data(), nullptr, kFrame);
}

double channelRms(const Wav& w, int ch, std::size_t from, std::size_t to) {
  double sum = 0;
  for (std::size_t i = from; i < to; ++i) {
    const double v =
        w.samples[i * static_cast<std::size_t>(w.channels) + static_cast<std::size_t>(ch)];
    sum += v * v;
  }
  return to > from ? std::sqrt(sum / static_cast<double>(to - from)) : 0.0;
}

std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char buf[256];
  while (std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
  ::pclose(p);
  return out;
}

std::uint32_t headerField(const std::string& path, std::size_t offset) {
  std::ifstream in(path, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(offset));
  unsigned char b[4] = {};
  in.read(reinterpret_cast<char*>(b), 4);
  return static_cast<std::uint32_t>(b[0] | (b[1] << 8) | (b[2] << 16)) |
         (static_cast<std::uint32_t>(b[3]) << 24);
}

TEST_F(RecorderTest, StereoChannelsStaySeparate) {
  const std::string path = file("call.wav");
  auto rec = WavRecorder::create(path);
  ASSERT_TRUE(rec.ok()) << rec.error().message;
  writeLeftTone(**rec, 3);
  EXPECT_EQ((*rec)->frames(), 24000u);
  ASSERT_TRUE((*rec)->flush().ok());
  auto size = (*rec)->close();
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, 44u + 24000u * 4u);
  EXPECT_EQ(fs::file_size(path), *size);

  const Wav w = readWav(path);
  ASSERT_EQ(w.channels, 2);
  EXPECT_EQ(w.rate, 8000);
  EXPECT_EQ(w.format, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  ASSERT_EQ(w.frames(), 24000u);
  EXPECT_NEAR(channelRms(w, 0, 0, 24000), 8000 / std::sqrt(2.0), 100);
  EXPECT_EQ(channelRms(w, 1, 0, 24000), 0.0);
  EXPECT_EQ(run("sox --i -D " + path), "3.000000\n");
  EXPECT_EQ(run("sox --i -c " + path), "2\n");
}

TEST_F(RecorderTest, RightChannelIsTheAgent) {
  const std::string path = file("agent.wav");
  {
    auto rec = WavRecorder::create(path);
    ASSERT_TRUE(rec.ok());
    const auto f = toneFrame();
    for (int i = 0; i < 50; ++i) (*rec)->write(nullptr, f.data(), kFrame);
  }  // the destructor flushes and closes
  const Wav w = readWav(path);
  ASSERT_EQ(w.frames(), 8000u);
  EXPECT_EQ(channelRms(w, 0, 0, 8000), 0.0);
  EXPECT_GT(channelRms(w, 1, 0, 8000), 5000.0);
}

TEST_F(RecorderTest, SurvivesSigkillUpToLastFlush) {
  const std::string path = file("killed/call.wav");
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Child: record 3 s, flush, 0.5 s more unflushed, then die without any cleanup.
    auto rec = WavRecorder::create(path);
    if (!rec.ok()) ::_exit(2);
    writeLeftTone(**rec, 3);
    if (!(*rec)->flush().ok()) ::_exit(3);
    const auto f = toneFrame();
    for (int i = 0; i < 25; ++i) (*rec)->write(f.data(), f.data(), kFrame);
    ::raise(SIGKILL);
    ::_exit(4);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
  ASSERT_EQ(WTERMSIG(status), SIGKILL);

  const std::string copy = file("copy.wav");
  fs::copy_file(path, copy);
  EXPECT_EQ(run("sox --i -D " + copy), "3.000000\n");
  EXPECT_EQ(run("sox --i -s " + copy), "24000\n");
  const Wav w = readWav(copy);
  ASSERT_EQ(w.channels, 2);
  ASSERT_EQ(w.frames(), 24000u);
  EXPECT_GT(channelRms(w, 0, 23000, 24000), 5000.0);
  EXPECT_EQ(channelRms(w, 1, 0, 24000), 0.0);
}

TEST_F(RecorderTest, KilledBeforeFirstFlushIsAnEmptyValidWav) {
  const std::string path = file("early.wav");
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto rec = WavRecorder::create(path);
    if (!rec.ok()) ::_exit(2);
    writeLeftTone(**rec, 1);
    ::raise(SIGKILL);
    ::_exit(4);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));
  const Wav w = readWav(path);
  EXPECT_EQ(w.channels, 2);
  EXPECT_EQ(w.frames(), 0u);
  EXPECT_EQ(run("sox --i -s " + path), "0\n");
}

TEST_F(RecorderTest, FlushRewritesHeaderSizes) {
  const std::string path = file("sizes.wav");
  auto rec = WavRecorder::create(path);
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(headerField(path, 40), 0u);
  writeLeftTone(**rec, 1);
  EXPECT_EQ(headerField(path, 40), 0u) << "buffered until flush";
  ASSERT_TRUE((*rec)->flush().ok());
  EXPECT_EQ(headerField(path, 40), 32000u);
  EXPECT_EQ(headerField(path, 4), 36u + 32000u);
  writeLeftTone(**rec, 1);
  ASSERT_TRUE((*rec)->flush().ok());
  EXPECT_EQ(headerField(path, 40), 64000u);
  EXPECT_EQ(headerField(path, 4), 36u + 64000u);
  EXPECT_EQ(fs::file_size(path), 44u + 64000u);
}

TEST_F(RecorderTest, FlushesByItselfWhenTheBufferGrows) {
  const std::string path = file("auto.wav");
  auto rec = WavRecorder::create(path);
  ASSERT_TRUE(rec.ok());
  writeLeftTone(**rec, 10);
  EXPECT_GE(headerField(path, 40), 8u * 8000u * 4u);
  EXPECT_LE(headerField(path, 40), 10u * 8000u * 4u);
  ASSERT_TRUE((*rec)->flush().ok());
  EXPECT_EQ(headerField(path, 40), 10u * 8000u * 4u);
}

TEST_F(RecorderTest, PauseIsRecordedAsSilence) {
  const std::string path = file("pause.wav");
  auto rec = WavRecorder::create(path);
  ASSERT_TRUE(rec.ok());
  const auto f = toneFrame();
  for (int i = 0; i < 50; ++i) (*rec)->write(f.data(), f.data(), kFrame);
  (*rec)->writeSilence(8000);
  for (int i = 0; i < 50; ++i) (*rec)->write(f.data(), f.data(), kFrame);
  EXPECT_EQ((*rec)->frames(), 24000u);
  ASSERT_TRUE((*rec)->close().ok());

  const Wav w = readWav(path);
  ASSERT_EQ(w.frames(), 24000u);
  for (int ch = 0; ch < 2; ++ch) {
    EXPECT_GT(channelRms(w, ch, 0, 8000), 5000.0);
    EXPECT_EQ(channelRms(w, ch, 8000, 16000), 0.0);
    EXPECT_GT(channelRms(w, ch, 16000, 24000), 5000.0);
  }
}

TEST_F(RecorderTest, MonoIgnoresRight) {
  const std::string path = file("mono.wav");
  auto rec = WavRecorder::create(path, 1);
  ASSERT_TRUE(rec.ok());
  const auto f = toneFrame();
  const std::vector<std::int16_t> loud(kFrame, 30000);
  for (int i = 0; i < 25; ++i) (*rec)->write(f.data(), loud.data(), kFrame);
  auto size = (*rec)->close();
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, 44u + 4000u * 2u);
  const Wav w = readWav(path);
  ASSERT_EQ(w.channels, 1);
  ASSERT_EQ(w.frames(), 4000u);
  EXPECT_EQ(std::vector<std::int16_t>(w.samples.begin(), w.samples.begin() + kFrame), f);
}

TEST_F(RecorderTest, WritesAfterCloseAreIgnored) {
  const std::string path = file("closed.wav");
  auto rec = WavRecorder::create(path);
  ASSERT_TRUE(rec.ok());
  writeLeftTone(**rec, 1);
  auto first = (*rec)->close();
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE((*rec)->closed());
  writeLeftTone(**rec, 1);
  (*rec)->writeSilence(100);
  EXPECT_EQ((*rec)->frames(), 8000u);
  EXPECT_TRUE((*rec)->flush().ok());
  auto second = (*rec)->close();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, *first);
  EXPECT_EQ(fs::file_size(path), *first);
}

TEST_F(RecorderTest, CreatesParentDirectoriesAndTruncates) {
  const std::string path = file("a/b/c/rec.wav");
  {
    auto rec = WavRecorder::create(path);
    ASSERT_TRUE(rec.ok()) << rec.error().message;
    EXPECT_EQ((*rec)->path(), path);
    writeLeftTone(**rec, 2);
  }
  EXPECT_EQ(fs::file_size(path), 44u + 64000u);
  auto again = WavRecorder::create(path);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(fs::file_size(path), 44u);
}

TEST_F(RecorderTest, UncreatablePathIsIo) {
  const std::string blocker = file("plain_file");
  std::ofstream(blocker) << "x";
  const std::string path = blocker + "/rec.wav";
  auto rec = WavRecorder::create(path);
  ASSERT_FALSE(rec.ok());
  EXPECT_EQ(rec.error().code, Errc::kIo);
  EXPECT_NE(rec.error().message.find(path), std::string::npos);
}

TEST_F(RecorderTest, BadChannelCountIsInvalid) {
  auto rec = WavRecorder::create(file("x.wav"), 3);
  ASSERT_FALSE(rec.ok());
  EXPECT_EQ(rec.error().code, Errc::kInvalidInput);
  EXPECT_FALSE(fs::exists(file("x.wav")));
}

}  // namespace
}  // namespace sb::media
