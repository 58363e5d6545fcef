#include "media/rtp_stats.h"

#include <algorithm>
#include <cmath>

namespace sb::media {
namespace {

constexpr std::uint32_t kSeqMod = 1u << 16;  // RTP_SEQ_MOD of A.1
constexpr std::int64_t kMaxLost = 0x7FFFFF;  // the 24-bit signed report field (A.3)
constexpr std::int64_t kMinLost = -0x800000;

}  // namespace

void RtpReceiveStats::reset() {
  *this = RtpReceiveStats{};
}

bool RtpReceiveStats::onPacket(std::uint16_t sequence, std::uint32_t rtpTimestamp,
                               std::uint32_t arrival) {
  if (!started_) {
    // A.1: a new source starts probation with max_seq just below its first packet.
    started_ = true;
    initSequence(sequence);
    maxSeq_ = static_cast<std::uint16_t>(sequence - 1);
    probation_ = kMinSequential;
  }
  if (!updateSequence(sequence)) return false;
  updateJitter(rtpTimestamp, arrival);
  return true;
}

void RtpReceiveStats::initSequence(std::uint16_t sequence) {
  baseSeq_ = sequence;
  maxSeq_ = sequence;
  badSeq_ = kSeqMod + 1;  // no sequence number matches
  cycles_ = 0;
  received_ = 0;
  receivedPrior_ = 0;
  expectedPrior_ = 0;
  // A restart usually moves the timestamps too: do not let that step feed the jitter.
  haveTransit_ = false;
}

// RFC 3550 A.1 update_seq(), with the probation comparison done modulo 2^16 so that a source
// starting at 65535 passes probation.
bool RtpReceiveStats::updateSequence(std::uint16_t sequence) {
  const auto udelta = static_cast<std::uint16_t>(sequence - maxSeq_);
  if (probation_ > 0) {
    if (sequence == static_cast<std::uint16_t>(maxSeq_ + 1)) {
      --probation_;
      maxSeq_ = sequence;
      if (probation_ == 0) {
        initSequence(sequence);
        ++received_;
        return true;
      }
    } else {
      probation_ = kMinSequential - 1;
      maxSeq_ = sequence;
    }
    return false;
  }
  if (udelta < kMaxDropout) {
    // In order, with a permissible gap.
    if (sequence < maxSeq_) cycles_ += kSeqMod;  // wrapped
    maxSeq_ = sequence;
  } else if (udelta <= kSeqMod - kMaxMisorder) {
    // A very large jump. Two sequential packets after it mean the sender restarted its
    // sequence numbers (without a new SSRC): resynchronise on the second one.
    if (sequence != badSeq_) {
      badSeq_ = (std::uint32_t{sequence} + 1) & (kSeqMod - 1);
      return false;
    }
    initSequence(sequence);
  }
  // else: a duplicate or a packet at most kMaxMisorder late; counted, as A.1 does.
  ++received_;
  return true;
}

// RFC 3550 A.8: J += (|D(i-1,i)| - J) / 16, D being the change in transit time. The unsigned
// subtraction followed by a signed view copes with both clocks wrapping.
void RtpReceiveStats::updateJitter(std::uint32_t rtpTimestamp, std::uint32_t arrival) {
  const std::uint32_t transit = arrival - rtpTimestamp;
  if (haveTransit_) {
    const auto d = static_cast<std::int32_t>(transit - transit_);
    jitter_ += (std::fabs(static_cast<double>(d)) - jitter_) / 16.0;
  }
  transit_ = transit;
  haveTransit_ = true;
}

std::uint64_t RtpReceiveStats::received() const {
  return received_;
}

std::int64_t RtpReceiveStats::expected() const {
  if (!valid()) return 0;
  return std::int64_t{extendedHighestSequence()} - std::int64_t{baseSeq_} + 1;
}

std::int64_t RtpReceiveStats::cumulativeLost() const {
  return expected() - static_cast<std::int64_t>(received_);
}

std::uint32_t RtpReceiveStats::extendedHighestSequence() const {
  return cycles_ + maxSeq_;
}

double RtpReceiveStats::jitter() const {
  return jitter_;
}

ReportBlock RtpReceiveStats::takeReportBlock(std::uint32_t ssrc) {
  // RFC 3550 A.3: loss over the interval since the previous report.
  const std::int64_t expectedNow = expected();
  const std::int64_t expectedInterval = expectedNow - expectedPrior_;
  expectedPrior_ = expectedNow;
  const auto receivedInterval = static_cast<std::int64_t>(received_ - receivedPrior_);
  receivedPrior_ = received_;
  const std::int64_t lostInterval = expectedInterval - receivedInterval;

  ReportBlock b;
  b.ssrc = ssrc;
  if (expectedInterval > 0 && lostInterval > 0)
    b.fractionLost = static_cast<std::uint8_t>(
        std::min<std::int64_t>((lostInterval << 8) / expectedInterval, 255));
  b.cumulativeLost = static_cast<std::int32_t>(std::clamp(cumulativeLost(), kMinLost, kMaxLost));
  b.extendedHighestSeq = extendedHighestSequence();
  b.jitter = static_cast<std::uint32_t>(jitter_);
  return b;
}

}  // namespace sb::media
