// bridge_load: measurement — the tool's RTP packet layout, RFC 3550 jitter, a latency
// histogram, the per-stream send and receive state, and the totals the summary reports.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "clock.h"

namespace bridge_load {

inline constexpr std::size_t kRtpSize = 172;  ///< 12-byte header + 160 bytes of PCMU (RFC 3551)
inline constexpr std::uint32_t kMagic = 0x424c5254;   ///< "BLRT": a payload this tool wrote
inline constexpr std::uint32_t kNoSeq = 0xffffffffU;  ///< no sender sequence (yet)

/// RFC 3550 A.8 interarrival jitter over "transit" values in ns (J += (|D| - J) / 16).
struct Jitter {
  Ns prev = 0;
  bool have = false;
  double j = 0;
  double peak = 0;
  void add(Ns transit) {
    if (have) {
      j += (std::fabs(static_cast<double>(transit - prev)) - j) / 16.0;
      peak = std::max(peak, j);
    }
    prev = transit;
    have = true;
  }
};

/// Fixed 10 µs bins up to 1 s (and one overflow bin): percentiles of many samples.
class Histogram {
 public:
  void add(Ns v) {
    std::size_t bin = v <= 0 ? 0 : static_cast<std::size_t>(v / kBin);
    ++bins_[std::min(bin, bins_.size() - 1)];
    ++count_;
    max_ = std::max(max_, v);
    sum_ += static_cast<double>(v);
  }
  /// The upper edge of the bin holding percentile `p` (0..100), in ms; 0 with no samples.
  double percentileMs(double p) const;
  double maxMs() const { return static_cast<double>(max_) / 1e6; }
  double meanMs() const { return count_ ? sum_ / static_cast<double>(count_) / 1e6 : 0; }
  std::uint64_t count() const { return count_; }

 private:
  static constexpr Ns kBin = 10'000;
  std::vector<std::uint64_t> bins_ = std::vector<std::uint64_t>(100'001);
  std::uint64_t count_ = 0;
  Ns max_ = 0;
  double sum_ = 0;
};

/// A stream this tool sends: 20 ms PCMU, its own SSRC/sequence/timestamp.
struct TxStream {
  bool active = false;
  std::uint32_t ssrc = 0;
  std::uint16_t seq = 0;
  std::uint32_t ts0 = 0;
  std::int64_t period0 = 0;  // grid period of the first packet: ts = ts0 + 160 (n - period0)
  std::uint32_t sent = 0;    // packets sent; also the next sequence number carried in the payload
  std::uint32_t winFirst = kNoSeq, winLast = 0;  // payload sequence range sent in the window
  Jitter lateness;  // actual send time vs the grid: the tool's own contribution to jitter
};

/// A relayed stream this tool receives from one server session port.
struct RxStream {
  std::uint64_t packets = 0;   // every RTP packet from that port (ringback included)
  std::uint64_t inWindow = 0;  // ours, with a payload sequence in the sender's window
  std::uint64_t foreign = 0;   // not our payload: the server's own audio (ringback)
  // RFC 3550 A.1/A.3 over the server's RTP sequence of in-window packets.
  bool seqInit = false;
  std::uint16_t maxSeq = 0;
  std::uint32_t cycles = 0, baseSeq = 0;
  std::uint64_t seqReceived = 0;
  std::uint32_t tsBase = 0;
  Jitter rfc;    // RFC 3550 A.8 against the RTP timestamp (includes the tool's send lateness)
  Jitter added;  // the same against the actual send time carried in the payload

  /// One in-window packet: the server's RTP sequence and timestamp, its kernel receive time
  /// and the send time the payload carries (both realtime ns).
  void addInWindow(std::uint16_t seq, std::uint32_t ts, Ns rx, Ns sentAt);
};

/// `v` sorted ascending.
std::vector<double> sorted(std::vector<double> v);
/// Percentile `p` (0..100, nearest rank) of the sorted `s`; 0 when empty.
double pct(const std::vector<double>& s, double p);
/// The mean of `v`; 0 when empty.
double mean(const std::vector<double>& v);
/// Loss in % of `e` expected packets when `r` arrived; 0 when none were expected.
double lossPct(std::uint64_t e, std::uint64_t r);

/// Loss and jitter over every measured stream of the run (a stream with a window).
struct StreamTotals {
  std::uint64_t streams = 0, expected = 0, received = 0, seqExpected = 0, seqReceived = 0,
                lossy = 0;
  std::vector<double> jRfc, jAdded, jTool, jPeak;  // ms, one per stream; sorted by sort()

  /// The relayed stream `rx` of the source stream `tx`.
  void add(const RxStream& rx, const TxStream& tx);
  void sort();
};

}  // namespace bridge_load
