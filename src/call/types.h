#pragma once
// Vocabulary of the call layer: ids, hangup causes, prompts, digit collection, originate
// requests and the events every call and leg emits. Plain values, any thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/endpoint.h"
#include "media/engine.h"
#include "sip/transaction.h"
#include "sip/user_agent.h"

namespace sb::call {

/// A call: the legs that belong to one customer contact (for CDRs). Never reused.
using CallId = std::uint64_t;
/// One SIP dialog side of a call (caller, agent, transfer target). Never reused.
using LegId = std::uint64_t;

/// Why a leg ended (Q.850-like, mapped to SIP statuses by table in call_manager.cpp).
enum class HangupCause : std::uint8_t {
  kNormal,        ///< a party hung up after answer
  kCancelled,     ///< the caller gave up before answer (CANCEL / 487)
  kBusy,          ///< 486/600
  kNoAnswer,      ///< ring timeout, 408/480
  kRejected,      ///< 603 or another 4xx-6xx
  kUnavailable,   ///< no registered contact, trunk full, 404
  kMediaTimeout,  ///< no RTP for the configured time
  kPeerGone,      ///< the bridged party hung up, so we cleared this side
  kTransferred,   ///< handed to another party (blind transfer)
  kShutdown,      ///< the node is stopping
  kError,         ///< media or signalling failure on our side
};
std::string_view hangupCauseName(HangupCause c);

/// Something to play: a file, a tone, or text to speak.
struct Prompt {
  enum class Kind : std::uint8_t { kFile, kTone, kSpeech };
  Kind kind = Kind::kSpeech;
  std::string value;  ///< file path, tone name ("ringback", "busy", "beep", ...) or text
  std::string voice;  ///< speech: "flite", "espeak:zh", ...; empty: the node default
  bool loop = false;  ///< repeat until stopped (music on hold, ringback)
  /// Shorthands.
  static Prompt speech(std::string text, std::string voice = {});
  static Prompt file(std::string path, bool loop = false);
  static Prompt tone(std::string name, bool loop = true);
};

/// Digit collection (an IVR "collect digits" node).
struct CollectSpec {
  std::size_t maxDigits = 1;                          ///< stop after this many
  char terminator = '#';                              ///< stops collection, not included; 0 none
  std::chrono::milliseconds firstDigitTimeout{5000};  ///< from the start to the first digit
  std::chrono::milliseconds interDigitTimeout{3000};  ///< between digits
  bool flushBuffered = false;                         ///< drop digits typed ahead of the start
};

/// How a collection ended.
struct CollectResult {
  enum class End : std::uint8_t { kMaxDigits, kTerminator, kTimeout, kHangup };
  std::string digits;
  End end = End::kTimeout;
};

/// Where an outgoing leg goes, resolved by the app (registrar contact or trunk).
struct OriginateSpec {
  std::string tenant;
  CallId call = 0;               ///< the call this leg belongs to; 0 starts a new call
  std::string requestUri;        ///< "sip:1001@127.0.0.1:5070"
  sip::Destination destination;  ///< transport and address to send to
  std::string fromUser;          ///< caller ID user part
  std::string fromDisplay;       ///< caller ID display name
  std::string trunk;             ///< trunk name when sent out a trunk (channel limit)
  std::optional<sip::ClientCredentials> credentials;  ///< answer the trunk's challenge
  std::chrono::seconds ringTimeout{30};
  media::SessionId nearMedia = 0;  ///< media loop affinity (the leg it will be bridged to)
};

/// How an originate ended: answered (the leg is up) or failed with a cause.
struct OriginateOutcome {
  bool answered = false;
  HangupCause cause = HangupCause::kNormal;
  int sipStatus = 0;
};

/// The facts of a new inbound call, given to the app.
struct IncomingCall {
  CallId call = 0;
  LegId leg = 0;
  std::string tenant;
  std::string number;    ///< the dialled number (Request-URI user)
  std::string fromUser;  ///< caller ID
  std::string fromDisplay;
  std::string sipCallId;
  std::string domain;  ///< Request-URI host
  Endpoint source;     ///< where the INVITE came from (feature codes match it to a binding)
};

/// One thing that happened to a call or leg ("if you can't track it, don't do it").
struct CallEvent {
  enum class Kind : std::uint8_t {
    kCallCreated,
    kLegCreated,
    kRinging,
    kAnswered,
    kBridged,
    kUnbridged,
    kDtmf,
    kHold,
    kUnhold,
    kRecordingStarted,
    kRecordingPaused,
    kRecordingResumed,
    kRecordingStopped,
    kTransferred,
    kLegEnded,
    kCallEnded,
  };
  Kind kind = Kind::kCallCreated;
  std::int64_t timeMs = 0;  ///< wall clock, ms since the Unix epoch
  std::string tenant;
  CallId call = 0;
  LegId leg = 0;
  LegId otherLeg = 0;  ///< bridged/transfer partner
  std::string detail;  ///< digit, cause, recording path, number, ...
  bool byUs = false;   ///< leg_ended: the app hung the leg up, not the party (hang-up side)
};
std::string_view callEventName(CallEvent::Kind k);

/// Receives call events on the control loop (the reporting issue persists them).
class CallEventSink {
 public:
  virtual ~CallEventSink() = default;
  virtual void onCallEvent(const CallEvent& e) = 0;
};

}  // namespace sb::call
