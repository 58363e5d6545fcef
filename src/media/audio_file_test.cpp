#include "media/audio_file.h"

#include "media/internal/test_support.h"

#include <gtest/gtest.h>
#include <sndfile.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <string>
#include <vector>

namespace sb::media {
namespace {

namespace fs = std::filesystem;

// A fresh directory per test, removed afterwards.
class AudioFileTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(scratch_.path().empty()); }
  std::string file(const std::string& name) const { return scratch_.file(name); }

  testing::ScratchDir scratch_{"sb_audio_file"};
};

std::vector<float> sine(double freq, int rate, double seconds, double amp) {
  std::vector<float> out(static_cast<std::size_t>(std::lround(seconds * rate)));
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<float>(
        amp * std::sin(2.0 * std::numbers::pi * freq * static_cast<double>(i) / rate));
  return out;
}

std::vector<std::int16_t> toPcm(const std::vector<float>& v) {
  std::vector<std::int16_t> out(v.size());
  for (std::size_t i = 0; i < v.size(); ++i)
    out[i] = static_cast<std::int16_t>(std::lrint(v[i] * 32767.0f));
  return out;
}

// Writes interleaved float frames with libsndfile in the given container/encoding.
void writeWithSndfile(const std::string& path, const std::vector<float>& interleaved, int rate,
                      int channels, int format) {
  SF_INFO info{};
  info.samplerate = rate;
  info.channels = channels;
  info.format = format;
  SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
  ASSERT_NE(f, nullptr) << sf_strerror(nullptr);
  const auto frames = static_cast<sf_count_t>(interleaved.size()) / channels;
  EXPECT_EQ(sf_writef_float(f, interleaved.data(), frames), frames);
  sf_close(f);
}

// Frequency estimate from zero crossings (independent of any Goertzel under test).
double zeroCrossingHz(const Samples& s, int rate) {
  std::size_t crossings = 0;
  for (std::size_t i = 1; i < s.size(); ++i) {
    if ((s[i - 1] < 0) != (s[i] < 0)) ++crossings;
  }
  return static_cast<double>(crossings) / 2.0 / (static_cast<double>(s.size()) / rate);
}

double rms(const Samples& s, std::size_t from = 0, std::size_t to = SIZE_MAX) {
  to = std::min(to, s.size());
  double sum = 0;
  for (std::size_t i = from; i < to; ++i) sum += static_cast<double>(s[i]) * s[i];
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

TEST_F(AudioFileTest, Pcm16kHzIsResampledTo8kHz) {
  const std::string path = file("tone16k.wav");
  ASSERT_TRUE(writeWavFile(path, toPcm(sine(1000, 16000, 1.0, 0.5)), 16000).ok());
  auto r = loadAudioFile(path);
  ASSERT_TRUE(r.ok()) << r.error().message;
  const Samples& s = **r;
  EXPECT_EQ(s.size(), 8000u);
  EXPECT_NEAR(zeroCrossingHz(s, 8000), 1000.0, 10.0);
  EXPECT_NEAR(rms(s, 200, 7800), 0.5 * 32767 / std::sqrt(2.0), 0.5 * 32767 * 0.05);
}

TEST_F(AudioFileTest, Stereo44100IsMixedDownAndResampled) {
  const auto left = sine(440, 44100, 2.0, 0.4);
  std::vector<float> interleaved;
  for (float v : left) interleaved.insert(interleaved.end(), {v, v});
  const std::string path = file("stereo.wav");
  writeWithSndfile(path, interleaved, 44100, 2, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  auto r = loadAudioFile(path);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)->size(), 16000u);
  EXPECT_NEAR(zeroCrossingHz(**r, 8000), 440.0, 5.0);
  EXPECT_NEAR(rms(**r, 400, 15600), 0.4 * 32768 / std::sqrt(2.0), 0.4 * 32768 * 0.05);
}

TEST_F(AudioFileTest, StereoMixdownAveragesChannels) {
  // Opposite channels cancel only if the mixdown averages them.
  const auto left = sine(500, 8000, 1.0, 0.5);
  std::vector<float> interleaved;
  for (float v : left) interleaved.insert(interleaved.end(), {v, -v});
  const std::string path = file("cancel.wav");
  writeWithSndfile(path, interleaved, 8000, 2, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  auto r = loadAudioFile(path);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)->size(), 8000u);
  EXPECT_LT(rms(**r), 2.0);
}

TEST_F(AudioFileTest, MuLawAndALawDecode) {
  const auto tone = sine(700, 8000, 1.5, 0.5);
  for (int enc : {SF_FORMAT_ULAW, SF_FORMAT_ALAW}) {
    const std::string path = file("g711_" + std::to_string(enc) + ".wav");
    writeWithSndfile(path, tone, 8000, 1, SF_FORMAT_WAV | enc);
    auto r = loadAudioFile(path);
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ((*r)->size(), tone.size());
    EXPECT_NEAR(zeroCrossingHz(**r, 8000), 700.0, 5.0);
    // G.711 companding error stays within a few percent of the sample value.
    for (std::size_t i = 0; i < tone.size(); i += 37)
      EXPECT_NEAR((**r)[i], tone[i] * 32768.0, std::abs(tone[i] * 32768.0) * 0.07 + 40) << i;
  }
}

TEST_F(AudioFileTest, FloatWavIsScaledAndClipped) {
  // Float files may exceed full scale; 1.5x must saturate, not wrap around.
  const std::string loud = file("loud.wav");
  writeWithSndfile(loud, sine(300, 22050, 1.0, 1.5), 22050, 1, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  auto r = loadAudioFile(loud);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)->size(), 8000u);
  EXPECT_NEAR(zeroCrossingHz(**r, 8000), 300.0, 5.0);  // wrapping would add crossings
  const auto [lo, hi] = std::minmax_element((*r)->begin(), (*r)->end());
  EXPECT_EQ(*hi, 32767);
  EXPECT_EQ(*lo, -32768);

  const std::string quiet = file("quiet.wav");
  writeWithSndfile(quiet, sine(300, 22050, 1.0, 0.25), 22050, 1, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  auto q = loadAudioFile(quiet);
  ASSERT_TRUE(q.ok()) << q.error().message;
  EXPECT_NEAR(rms(**q, 200, 7800), 0.25 * 32768 / std::sqrt(2.0), 0.25 * 32768 * 0.05);
}

TEST_F(AudioFileTest, ResamplingKeepsTimingAligned) {
  // 0.5 s of silence then a tone: the onset must stay at 0.5 s (filter delay compensated).
  std::vector<float> v(24000, 0.0f);
  const auto tone = sine(400, 48000, 0.5, 0.5);
  v.insert(v.end(), tone.begin(), tone.end());
  const std::string path = file("onset.wav");
  writeWithSndfile(path, v, 48000, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  auto r = loadAudioFile(path);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ((*r)->size(), 8000u);
  std::size_t onset = 0;
  while (onset < (*r)->size() && std::abs((**r)[onset]) < 1000) ++onset;
  EXPECT_NEAR(static_cast<double>(onset), 4000.0, 8.0);
}

TEST_F(AudioFileTest, LoadsWhatSoxWrites) {
  const std::string path = file("sox.wav");
  ASSERT_EQ(
      std::system(("sox -n -r 48000 -c 2 -b 16 " + path + " synth 1.5 sine 700 vol 0.5").c_str()),
      0);
  auto r = loadAudioFile(path);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)->size(), 12000u);
  EXPECT_NEAR(zeroCrossingHz(**r, 8000), 700.0, 5.0);
}

TEST_F(AudioFileTest, UpsamplesToOtherRates) {
  const std::string path = file("8k.wav");
  ASSERT_TRUE(writeWavFile(path, toPcm(sine(600, 8000, 1.0, 0.5))).ok());
  auto r = loadAudioFile(path, 16000);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)->size(), 16000u);
  EXPECT_NEAR(zeroCrossingHz(**r, 16000), 600.0, 5.0);
}

TEST_F(AudioFileTest, MissingFileIsNotFound) {
  const std::string path = file("nope.wav");
  auto r = loadAudioFile(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kNotFound);
  EXPECT_NE(r.error().message.find(path), std::string::npos);
}

TEST_F(AudioFileTest, GarbageIsInvalidInput) {
  const std::string path = file("garbage.wav");
  std::ofstream(path) << "this is not audio at all, just text pretending to be a wav file\n";
  auto r = loadAudioFile(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kInvalidInput);
  EXPECT_NE(r.error().message.find(path), std::string::npos);
}

TEST_F(AudioFileTest, DirectoryIsInvalidInput) {
  auto r = loadAudioFile(scratch_.path());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kInvalidInput);
}

TEST_F(AudioFileTest, TooLongIsRejected) {
  const std::string path = file("long.wav");
  ASSERT_TRUE(writeWavFile(path, toPcm(sine(600, 16000, 2.5, 0.5)), 16000).ok());
  auto r = loadAudioFile(path, 8000, 2);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kInvalidInput);
  EXPECT_NE(r.error().message.find(path), std::string::npos);
  EXPECT_TRUE(loadAudioFile(path, 8000, 3).ok());
}

TEST_F(AudioFileTest, BadRateIsRejected) {
  const std::string path = file("x.wav");
  ASSERT_TRUE(writeWavFile(path, toPcm(sine(600, 8000, 0.1, 0.5))).ok());
  EXPECT_EQ(loadAudioFile(path, 0).error().code, Errc::kInvalidInput);
  EXPECT_EQ(writeWavFile(path, {}, -5).error().code, Errc::kInvalidInput);
}

TEST_F(AudioFileTest, WriteWavIsReadBySox) {
  const std::string path = file("out.wav");
  const auto pcm = toPcm(sine(1000, 8000, 0.75, 0.5));
  ASSERT_TRUE(writeWavFile(path, pcm).ok());
  EXPECT_EQ(run("sox --i -r " + path), "8000\n");
  EXPECT_EQ(run("sox --i -c " + path), "1\n");
  EXPECT_EQ(run("sox --i -s " + path), "6000\n");
  EXPECT_EQ(run("sox --i -e " + path), "Signed Integer PCM\n");
  auto back = loadAudioFile(path);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(**back, pcm);
}

TEST_F(AudioFileTest, WriteIntoMissingDirectoryIsIo) {
  const std::string path = file("no/such/dir/out.wav");
  auto r = writeWavFile(path, std::vector<std::int16_t>(10, 0));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kIo);
  EXPECT_NE(r.error().message.find(path), std::string::npos);
}

TEST_F(AudioFileTest, EmptyFileLoadsAsEmptyPrompt) {
  const std::string path = file("empty.wav");
  ASSERT_TRUE(writeWavFile(path, {}, 16000).ok());
  auto r = loadAudioFile(path);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE((*r)->empty());
}

}  // namespace
}  // namespace sb::media
