#pragma once
// Receive-side statistics of one RTP source (RFC 3550 appendix A): sequence validation with
// probation (A.1), expected/lost/fraction per report interval (A.3) and interarrival jitter
// (A.8). One instance per source, owned by the media loop of its session; no allocation.

#include <cstdint>

#include "media/rtcp.h"

namespace sb::media {

/// A.1: packets in sequence needed before a new source is valid.
inline constexpr int kMinSequential = 2;
/// A.1: largest forward jump still taken as loss rather than a restart.
inline constexpr std::uint16_t kMaxDropout = 3000;
/// A.1: largest backward step still taken as a late or duplicate packet.
inline constexpr std::uint16_t kMaxMisorder = 100;

/// Sequence, loss and jitter bookkeeping for one source (RFC 3550 A.1, A.3, A.8).
class RtpReceiveStats {
 public:
  /// Resets to a new source; the first packet starts probation.
  void reset();
  /// Feeds a packet that parsed; `arrival` is the arrival time in RTP clock units (e.g. 8 kHz
  /// ticks). Returns false when the packet is rejected by A.1 (probation, big jump, or a packet
  /// more than kMaxMisorder behind, which A.1 treats like a jump) — the caller may still play
  /// it or not; jitter is updated only for accepted packets. As in A.1, duplicates and late
  /// packets within kMaxMisorder are accepted and counted, so cumulativeLost() can go negative.
  /// Two sequential packets after a big jump resynchronise: counters restart from there.
  bool onPacket(std::uint16_t sequence, std::uint32_t rtpTimestamp, std::uint32_t arrival);
  /// Accepted packets since the source became valid (or resynchronised).
  std::uint64_t received() const;
  /// Expected - received, may be negative (duplicates).
  std::int64_t cumulativeLost() const;
  /// Highest sequence number seen, with the wrap count in the upper 16 bits.
  std::uint32_t extendedHighestSequence() const;
  /// Interarrival jitter J of A.8, in RTP units.
  double jitter() const;
  /// Packets expected since the source became valid: extended highest - base + 1 (A.3).
  std::int64_t expected() const;
  /// True once probation ended: a valid source with counters.
  bool valid() const { return probation_ == 0; }
  /// Report block for this source and start a new interval (fraction lost since the previous
  /// call, A.3). lastSr/delaySinceLastSr are filled by the caller.
  ReportBlock takeReportBlock(std::uint32_t ssrc);

 private:
  void initSequence(std::uint16_t sequence);
  bool updateSequence(std::uint16_t sequence);
  void updateJitter(std::uint32_t rtpTimestamp, std::uint32_t arrival);

  bool started_ = false;            // a first packet was seen since reset()
  int probation_ = kMinSequential;  // sequential packets still needed
  std::uint16_t maxSeq_ = 0;        // highest sequence seen
  std::uint32_t cycles_ = 0;        // wraps, shifted left 16
  std::uint32_t baseSeq_ = 0;       // first sequence of the valid run
  std::uint32_t badSeq_ = 0;        // sequence expected after a jump; > 0xFFFF when none
  std::uint64_t received_ = 0;
  std::int64_t expectedPrior_ = 0;  // expected() at the previous report
  std::uint64_t receivedPrior_ = 0;
  bool haveTransit_ = false;   // transit_ holds a previous packet's value
  std::uint32_t transit_ = 0;  // arrival - timestamp of the previous accepted packet
  double jitter_ = 0;
};

}  // namespace sb::media
