// G.711 costs per 20 ms frame (160 samples at 8 kHz), the unit a media worker handles per
// packet: decode for recording/mixing, encode for prompts, transcode for µ-law <-> A-law
// relays. Each iteration is one frame, so "Time" reads as ns/frame.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <random>
#include <string>

#include "media/g711.h"

namespace sb::media {
namespace {

constexpr std::size_t kFrame = 160;

// Speech-like input: mostly small samples, some loud ones, every code used.
std::array<std::int16_t, kFrame> pcmFrame() {
  std::mt19937 rng(42);
  std::normal_distribution<double> dist(0.0, 3000.0);
  std::array<std::int16_t, kFrame> f{};
  for (auto& s : f) s = static_cast<std::int16_t>(std::clamp(dist(rng), -32768.0, 32767.0));
  return f;
}

std::array<std::uint8_t, kFrame> codeFrame(Codec c) {
  const auto pcm = pcmFrame();
  std::array<std::uint8_t, kFrame> f{};
  encode(c, pcm, f);
  return f;
}

void BM_Decode(benchmark::State& state) {
  const auto codec = static_cast<Codec>(state.range(0));
  const auto in = codeFrame(codec);
  std::array<std::int16_t, kFrame> out{};
  for (auto _ : state) {
    decode(codec, in, out);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kFrame));
  state.SetLabel(std::string(codecName(codec)));
}
BENCHMARK(BM_Decode)->Arg(static_cast<int>(Codec::kPcmu))->Arg(static_cast<int>(Codec::kPcma));

void BM_Encode(benchmark::State& state) {
  const auto codec = static_cast<Codec>(state.range(0));
  const auto in = pcmFrame();
  std::array<std::uint8_t, kFrame> out{};
  for (auto _ : state) {
    encode(codec, in, out);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kFrame));
  state.SetLabel(std::string(codecName(codec)));
}
BENCHMARK(BM_Encode)->Arg(static_cast<int>(Codec::kPcmu))->Arg(static_cast<int>(Codec::kPcma));

// The direct table (G.711 Tables 3/4), in place as a relay does it.
void BM_Transcode(benchmark::State& state) {
  const auto from = static_cast<Codec>(state.range(0));
  const Codec to = from == Codec::kPcmu ? Codec::kPcma : Codec::kPcmu;
  auto buf = codeFrame(from);
  for (auto _ : state) {
    transcode(from, to, buf, buf);
    transcode(to, from, buf, buf);  // back, so the input stays a realistic frame
    benchmark::DoNotOptimize(buf.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(2 * kFrame));
  state.SetLabel(std::string(codecName(from)) + "->" + std::string(codecName(to)) + "->back");
}
BENCHMARK(BM_Transcode)->Arg(static_cast<int>(Codec::kPcmu))->Arg(static_cast<int>(Codec::kPcma));

// What transcoding would cost through linear PCM instead of the table.
void BM_TranscodeViaLinear(benchmark::State& state) {
  const auto in = codeFrame(Codec::kPcmu);
  std::array<std::int16_t, kFrame> pcm{};
  std::array<std::uint8_t, kFrame> out{};
  for (auto _ : state) {
    decode(Codec::kPcmu, in, pcm);
    encode(Codec::kPcma, pcm, out);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kFrame));
}
BENCHMARK(BM_TranscodeViaLinear);

}  // namespace
}  // namespace sb::media
