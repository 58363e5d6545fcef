#pragma once
// DTMF in the audio itself (ITU-T Q.23/Q.24), for peers that do not negotiate RFC 4733
// telephone-event: detection and generation through spandsp's dtmf_rx / dtmf_tx, which stay
// out of this header.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "media/audio_file.h"

namespace sb::media {

/// Finds DTMF digits in an 8 kHz stream. One per session; owned by one media loop (not
/// thread-safe, but instances on different threads are independent).
class InbandDtmfDetector {
 public:
  /// A detector in the idle state (spandsp defaults: 8 dB twist, 4 dB reverse twist).
  InbandDtmfDetector();
  ~InbandDtmfDetector();
  InbandDtmfDetector(const InbandDtmfDetector&) = delete;
  InbandDtmfDetector& operator=(const InbandDtmfDetector&) = delete;
  /// Moves the detector state; the moved-from detector is re-created on its next use.
  InbandDtmfDetector(InbandDtmfDetector&&) noexcept;
  /// Moves the detector state; see the move constructor.
  InbandDtmfDetector& operator=(InbandDtmfDetector&&) noexcept;

  /// Feeds 8 kHz samples, any chunk size; appends each digit detected (once per key press,
  /// when the tone starts: '0'-'9', '*', '#', 'A'-'D') to `digits`.
  void feed(std::span<const std::int16_t> samples, std::string& digits);
  /// Forgets any tone in progress (e.g. after a stream restart).
  void reset();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

/// Renders `digits` as in-band DTMF at 8 kHz: per digit `toneMs` of tone then `gapMs` of
/// silence, low group at -10 dBm0, no twist. Characters other than 0-9 * # A-D (any case) are
/// skipped; times are clamped to 0..10000 ms. Any thread.
Samples renderDtmf(std::string_view digits, int toneMs = 100, int gapMs = 100);

}  // namespace sb::media
