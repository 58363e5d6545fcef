#pragma once
// RFC 4733 telephone-events (DTMF digits as RTP payload): the 4-byte payload (§2.3), a
// receiver that turns one source's packet stream into digits once each (§2.5.2), and a sender
// that produces the packets of one digit (§2.5.1). No allocation. Receiver and sender belong
// to the media loop of their session.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace sb::media {

/// Size of one telephone-event block.
inline constexpr std::size_t kDtmfEventSize = 4;
/// End packets sent per digit: the final packet goes out three times (RFC 4733 §2.5.1).
inline constexpr int kDtmfEndPackets = 3;

/// One telephone-event block (RFC 4733 §2.3).
struct DtmfEvent {
  std::uint8_t event = 0;      ///< 0..15 are DTMF digits (§3.2); others are other events
  bool end = false;            ///< E bit: the event has ended
  std::uint8_t volume = 10;    ///< power level in -dBm0, 0..63 (6 bits on the wire)
  std::uint16_t duration = 0;  ///< since the event's RTP timestamp, in RTP clock units
  /// Field-wise equality.
  bool operator==(const DtmfEvent&) const = default;
};

/// False when the payload is not 4 bytes (or a multiple; take the first block) — RFC 4733
/// §2.3. The R bit is ignored.
bool parseDtmfEvent(std::span<const std::uint8_t> payload, DtmfEvent& out);
/// Writes one block; 4, or 0 if too small. Volume is masked to 6 bits, R is 0.
std::size_t writeDtmfEvent(std::span<std::uint8_t> out, const DtmfEvent& e);

/// '0'..'9','*','#','A'..'D' for events 0..15; '\0' for other events (flash etc.).
char dtmfEventChar(std::uint8_t event);
/// Inverse; -1 for a char that is not a DTMF digit (accept lowercase a-d).
int dtmfCharEvent(char digit);

/// Turns the packet stream of one source into digits once each (RFC 4733 §2.5.1.4: one event
/// per RTP timestamp; retransmitted end packets and a lost first packet must not duplicate or
/// lose the digit). Reports a digit on the first packet of a new event (timestamp change, or
/// after an end). Also: late packets of the last few events are ignored; a packet of the same
/// unfinished event whose timestamp lies within the duration seen so far continues it (the
/// segments of a long-duration event, RFC 4733 §2.5.1, and senders that wrongly advance the
/// timestamp).
class DtmfEventReceiver {
 public:
  /// The digit when this packet starts a new DTMF event, else nullopt (also for non-DTMF events).
  std::optional<char> onPacket(std::uint32_t rtpTimestamp, const DtmfEvent& e);
  /// Forgets all events (new source).
  void reset();

 private:
  struct Seen {
    std::uint32_t timestamp = 0;
    std::uint8_t event = 0;
  };
  static constexpr std::size_t kHistory = 8;  // finished events remembered for late packets

  bool seenBefore(std::uint32_t timestamp, std::uint8_t event) const;
  void remember(std::uint32_t timestamp, std::uint8_t event);

  bool haveCurrent_ = false;
  Seen current_;
  bool currentEnded_ = false;
  std::uint16_t currentDuration_ = 0;  // longest duration seen for the current timestamp
  std::array<Seen, kHistory> history_{};
  std::size_t historySize_ = 0;
  std::size_t historyNext_ = 0;
};

/// Produces the packets of one digit to send (RFC 4733 §2.5.1): every `packetMs` a packet with
/// the same timestamp (the event start), growing duration, marker on the first; then three end
/// packets with the final duration. Units: `clockRate` Hz. A 100 ms digit at 20 ms gives
/// durations 160, 320, 480, 640, then 800 (end) three times: 7 packets.
class DtmfEventSender {
 public:
  /// One packet to send: payload `event`, RTP marker and timestamp.
  struct Packet {
    DtmfEvent event;
    bool marker = false;
    std::uint32_t timestamp = 0;
  };
  /// Starts a digit (returns false for an invalid char, or a non-positive duration, packet time
  /// or clock rate). durationMs default 100; durations are capped at 0xFFFF ticks. Replaces a
  /// digit still in progress.
  bool start(char digit, std::uint32_t startTimestamp, int durationMs = 100, int packetMs = 20,
             int clockRate = 8000);
  /// Next packet to send now (call once per packetMs); nullopt when the digit is finished.
  std::optional<Packet> next();
  /// True while a digit has packets left to send.
  bool active() const;
  /// Volume (-dBm0, 0..63) of the packets of the next start(); default 10.
  void setVolume(std::uint8_t volume) { volume_ = volume; }

 private:
  bool active_ = false;
  bool first_ = true;
  std::uint8_t event_ = 0;
  std::uint8_t volume_ = 10;
  std::uint32_t timestamp_ = 0;
  std::uint32_t total_ = 0;  // final duration, ticks
  std::uint32_t step_ = 0;   // ticks per packet
  std::uint32_t sent_ = 0;   // duration of the last packet sent
  int endsLeft_ = 0;
};

}  // namespace sb::media
