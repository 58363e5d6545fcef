#include "media/inband_dtmf.h"

#include <spandsp.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace sb::media {
namespace {

constexpr int kTxLevelDbm0 = -10;  // low-group level; Q.23 allows -6..-11 dBm0
constexpr int kMaxMs = 10000;
constexpr std::size_t kPutChunk = 64;     // dtmf_tx queues at most MAX_DTMF_DIGITS (128)
constexpr std::size_t kFeedChunk = 8000;  // dtmf_rx takes an int count
constexpr std::size_t kTxBlock = 1024;

// spandsp fills its Goertzel and tone tables on the first dtmf_rx_init / dtmf_tx_init through
// an unguarded static flag: two media loops creating their first detectors at once would race.
// Do that first initialisation once, under call_once; later inits only read the flag.
void initSpandspTables() {
  static std::once_flag once;
  std::call_once(once, [] {
    dtmf_rx_free(dtmf_rx_init(nullptr, nullptr, nullptr));
    dtmf_tx_free(dtmf_tx_init(nullptr));
  });
}

[[noreturn]] void outOfMemory(const char* what) {
  std::fprintf(stderr, "inband_dtmf: %s failed (out of memory)\n", what);
  std::abort();
}

// Maps a character to the digit spandsp knows, or 0 when it is not a DTMF key.
char dtmfKey(char c) {
  if (c >= 'a' && c <= 'd') c = static_cast<char>(c - 'a' + 'A');
  constexpr std::string_view kKeys = "0123456789*#ABCD";
  return kKeys.find(c) == std::string_view::npos ? '\0' : c;
}

struct TxFree {
  void operator()(dtmf_tx_state_t* s) const { dtmf_tx_free(s); }
};

}  // namespace

struct InbandDtmfDetector::State {
  dtmf_rx_state_t* rx = nullptr;
  std::string* sink = nullptr;  // set only for the duration of feed()

  State() {
    initSpandspTables();
    rx = dtmf_rx_init(nullptr, &State::onDigits, this);
    if (rx == nullptr) outOfMemory("dtmf_rx_init");
  }
  ~State() { dtmf_rx_free(rx); }
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  static void onDigits(void* user, const char* digits, int len) {
    auto* self = static_cast<State*>(user);
    if (self->sink != nullptr && len > 0) self->sink->append(digits, static_cast<std::size_t>(len));
  }
};

InbandDtmfDetector::InbandDtmfDetector() : state_(std::make_unique<State>()) {}
InbandDtmfDetector::~InbandDtmfDetector() = default;
InbandDtmfDetector::InbandDtmfDetector(InbandDtmfDetector&&) noexcept = default;
InbandDtmfDetector& InbandDtmfDetector::operator=(InbandDtmfDetector&&) noexcept = default;

void InbandDtmfDetector::feed(std::span<const std::int16_t> samples, std::string& digits) {
  if (!state_) state_ = std::make_unique<State>();
  state_->sink = &digits;
  while (!samples.empty()) {
    const std::size_t n = std::min(samples.size(), kFeedChunk);
    dtmf_rx(state_->rx, samples.data(), static_cast<int>(n));
    samples = samples.subspan(n);
  }
  state_->sink = nullptr;
}

void InbandDtmfDetector::reset() {
  state_ = std::make_unique<State>();
}

Samples renderDtmf(std::string_view digits, int toneMs, int gapMs) {
  std::string keys;
  for (char c : digits) {
    if (const char k = dtmfKey(c); k != '\0') keys.push_back(k);
  }
  if (keys.empty()) return {};
  toneMs = std::clamp(toneMs, 0, kMaxMs);
  gapMs = std::clamp(gapMs, 0, kMaxMs);

  initSpandspTables();
  std::unique_ptr<dtmf_tx_state_t, TxFree> tx(dtmf_tx_init(nullptr));
  if (!tx) outOfMemory("dtmf_tx_init");
  dtmf_tx_set_level(tx.get(), kTxLevelDbm0, 0);
  dtmf_tx_set_timing(tx.get(), toneMs, gapMs);

  Samples out;
  out.reserve(keys.size() * static_cast<std::size_t>(toneMs + gapMs) * 8);
  std::array<std::int16_t, kTxBlock> block{};
  std::size_t queued = 0;
  for (;;) {
    if (queued < keys.size()) {
      const std::size_t n = std::min(kPutChunk, keys.size() - queued);
      // dtmf_tx_put takes all of the chunk or nothing (queue full: retry after generating).
      if (dtmf_tx_put(tx.get(), keys.data() + queued, static_cast<int>(n)) == 0) queued += n;
    }
    const int got = dtmf_tx(tx.get(), block.data(), static_cast<int>(block.size()));
    if (got > 0) {
      out.insert(out.end(), block.begin(), block.begin() + got);
    } else if (queued >= keys.size()) {
      break;
    }
  }
  return out;
}

}  // namespace sb::media
