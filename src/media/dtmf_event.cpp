#include "media/dtmf_event.h"

#include <algorithm>
#include <string_view>

namespace sb::media {
namespace {

// RFC 4733 §3.2: events 0..15 are the DTMF digits in this order.
constexpr std::string_view kDigits = "0123456789*#ABCD";
constexpr std::uint8_t kEndBit = 0x80;
constexpr std::uint8_t kVolumeMask = 0x3F;
constexpr std::uint32_t kMaxDuration = 0xFFFF;

}  // namespace

bool parseDtmfEvent(std::span<const std::uint8_t> payload, DtmfEvent& out) {
  // RFC 4733 §2.3: event (8), E (1), R (1), volume (6), duration (16).
  if (payload.empty() || payload.size() % kDtmfEventSize != 0) return false;
  out.event = payload[0];
  out.end = (payload[1] & kEndBit) != 0;
  out.volume = payload[1] & kVolumeMask;
  out.duration = static_cast<std::uint16_t>((payload[2] << 8) | payload[3]);
  return true;
}

std::size_t writeDtmfEvent(std::span<std::uint8_t> out, const DtmfEvent& e) {
  if (out.size() < kDtmfEventSize) return 0;
  out[0] = e.event;
  out[1] = static_cast<std::uint8_t>((e.end ? kEndBit : 0) | (e.volume & kVolumeMask));
  out[2] = static_cast<std::uint8_t>(e.duration >> 8);
  out[3] = static_cast<std::uint8_t>(e.duration);
  return kDtmfEventSize;
}

char dtmfEventChar(std::uint8_t event) {
  return event < kDigits.size() ? kDigits[event] : '\0';
}

int dtmfCharEvent(char digit) {
  if (digit >= 'a' && digit <= 'd') digit = static_cast<char>(digit - 'a' + 'A');
  if (digit == '\0') return -1;
  const std::size_t at = kDigits.find(digit);
  return at == std::string_view::npos ? -1 : static_cast<int>(at);
}

// --- DtmfEventReceiver ---------------------------------------------------------------------

std::optional<char> DtmfEventReceiver::onPacket(std::uint32_t rtpTimestamp, const DtmfEvent& e) {
  if (haveCurrent_ && e.event == current_.event) {
    if (rtpTimestamp == current_.timestamp) {
      // More of the current event, a retransmitted end packet, or one that arrived late.
      currentEnded_ = currentEnded_ || e.end;
      currentDuration_ = std::max(currentDuration_, e.duration);
      return std::nullopt;
    }
    // A new timestamp inside the span the unfinished event already covers: the next segment
    // of a long-duration event (RFC 4733 §2.5.1) or a sender advancing the timestamp per
    // packet. A genuinely new press of the same digit starts after the previous one ended.
    if (!currentEnded_ && rtpTimestamp - current_.timestamp <= currentDuration_) {
      remember(current_.timestamp, current_.event);
      current_.timestamp = rtpTimestamp;
      currentEnded_ = e.end;
      currentDuration_ = e.duration;
      return std::nullopt;
    }
  }
  if (seenBefore(rtpTimestamp, e.event)) return std::nullopt;  // late packet of an older event

  // The first packet we see of a new event; with the marker packet lost this is a later one.
  if (haveCurrent_) remember(current_.timestamp, current_.event);
  haveCurrent_ = true;
  current_ = {rtpTimestamp, e.event};
  currentEnded_ = e.end;
  currentDuration_ = e.duration;
  const char digit = dtmfEventChar(e.event);
  if (digit == '\0') return std::nullopt;
  return digit;
}

void DtmfEventReceiver::reset() {
  *this = DtmfEventReceiver{};
}

bool DtmfEventReceiver::seenBefore(std::uint32_t timestamp, std::uint8_t event) const {
  return std::any_of(history_.begin(), history_.begin() + static_cast<std::ptrdiff_t>(historySize_),
                     [&](const Seen& s) { return s.timestamp == timestamp && s.event == event; });
}

void DtmfEventReceiver::remember(std::uint32_t timestamp, std::uint8_t event) {
  history_[historyNext_] = {timestamp, event};
  historyNext_ = (historyNext_ + 1) % kHistory;
  historySize_ = std::min(historySize_ + 1, kHistory);
}

// --- DtmfEventSender -----------------------------------------------------------------------

bool DtmfEventSender::start(char digit, std::uint32_t startTimestamp, int durationMs, int packetMs,
                            int clockRate) {
  const int event = dtmfCharEvent(digit);
  if (event < 0 || durationMs <= 0 || packetMs <= 0 || clockRate <= 0) return false;
  auto ticks = [&](int ms) {
    const long long t = static_cast<long long>(ms) * clockRate / 1000;
    return static_cast<std::uint32_t>(std::clamp<long long>(t, 1, kMaxDuration));
  };
  active_ = true;
  first_ = true;
  event_ = static_cast<std::uint8_t>(event);
  timestamp_ = startTimestamp;
  total_ = ticks(durationMs);
  step_ = ticks(packetMs);
  sent_ = 0;
  endsLeft_ = kDtmfEndPackets;
  return true;
}

std::optional<DtmfEventSender::Packet> DtmfEventSender::next() {
  if (!active_) return std::nullopt;
  Packet p;
  p.timestamp = timestamp_;  // every packet of the event carries its start time
  p.marker = first_;
  first_ = false;
  p.event.event = event_;
  p.event.volume = volume_;
  if (sent_ + step_ < total_) {
    sent_ += step_;  // still going: the duration so far
  } else {
    sent_ = total_;
    p.event.end = true;
    if (--endsLeft_ == 0) active_ = false;
  }
  p.event.duration = static_cast<std::uint16_t>(sent_);
  return p;
}

bool DtmfEventSender::active() const {
  return active_;
}

}  // namespace sb::media
