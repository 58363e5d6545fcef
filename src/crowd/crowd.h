#pragma once
// The simulated people of `switchboard demo`: agents whose phones REGISTER and answer offers,
// and customers who call a number at Poisson times, press a menu digit and wait for an agent
// or give up. They are a separate SIP user agent of our own stack (own event loop, thread,
// loopback UDP socket and RTP ports) and reach the server only over the network, so every call
// is real SIP with real RTP. Asio stays in crowd.cpp.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"

namespace sb::crowd {

/// One simulated agent phone: the extension it registers as and its digest password.
struct AgentSeat {
  std::string user;
  std::string password;
};

/// Who is in the crowd and how they behave. Durations are means of exponential draws unless
/// said otherwise; every behavioural draw comes from `seed` (SIP tags and Call-IDs stay random).
struct CrowdConfig {
  std::string serverAddress = "127.0.0.1";  ///< the server's SIP address (an IP literal)
  std::uint16_t serverPort = 5060;          ///< its UDP port
  std::string domain;  ///< tenant SIP domain (To/From host); empty: serverAddress
  std::string bindAddress = "127.0.0.1";      ///< our SIP socket and RTP address
  std::uint16_t sipPort = 0;                  ///< our UDP port; 0 picks a free one
  std::vector<AgentSeat> agents;              ///< agent phones
  bool registerAgents = true;                 ///< REGISTER them at the server (off: tests)
  std::chrono::seconds registerExpires{300};  ///< requested binding lifetime
  std::string number;                         ///< the number customers call
  double callsPerMinute = 12;                 ///< Poisson arrival rate; 0: no customers
  std::chrono::seconds talkMean{20};          ///< agent handling time, at least min(3 s, talkMean)
  std::chrono::seconds patienceMean{40};      ///< wait for an agent before abandoning, >= 5 s
                                              ///< (or patienceMean when shorter)
  std::chrono::milliseconds ringMin{1000};    ///< agent ring time, uniform in [ringMin, ringMax]
  std::chrono::milliseconds ringMax{4000};    ///< upper bound of the ring time
  double agentNoAnswer = 0.1;    ///< probability an agent lets an offer ring until cancelled
  std::string menuDigits = "1";  ///< pressed menuDelay after the call is answered; "" none
  std::chrono::milliseconds menuDelay{2500};  ///< from the answer to the menu digits
  std::uint16_t rtpPortMin = 45000;           ///< our RTP port range (even ports, RTCP + 1)
  std::uint16_t rtpPortMax = 49999;           ///< last port of the range
  std::uint64_t seed = 1;                     ///< seeds every random draw
  std::size_t maxCalls = 0;                   ///< stop placing calls after this many; 0 unlimited
};

/// Counters since start(); a snapshot of relaxed atomics.
struct CrowdStats {
  std::uint64_t callsPlaced = 0;       ///< customer INVITEs sent
  std::uint64_t callsAnswered = 0;     ///< customer calls answered (by the server's IVR)
  std::uint64_t connectedToAgent = 0;  ///< customers who heard an agent's "#"
  std::uint64_t abandoned = 0;         ///< customers who gave up waiting
  std::uint64_t offers = 0;            ///< INVITEs offered to idle agents
  std::uint64_t agentAnswered = 0;     ///< offers the agents answered
  std::uint64_t agentMissed = 0;       ///< offers that ended before the agent answered
  std::uint64_t agentBusy = 0;         ///< offers to a busy agent, rejected 486
  std::uint64_t registered = 0;        ///< agents registered now (gauge)
  std::uint64_t errors = 0;            ///< failed calls and registrations
  std::uint64_t legsLive = 0;          ///< our live call legs (gauge, 100 ms fresh)
  std::uint64_t dialogsLive = 0;       ///< our live SIP dialogs (gauge, 100 ms fresh)
  std::uint64_t mediaSessions = 0;     ///< our open RTP sessions
  std::uint64_t rtpIn = 0;             ///< RTP packets received
  std::uint64_t rtpOut = 0;            ///< RTP packets sent
};

/// The crowd. Construct, start(), let it run, stop() (or destroy).
class Crowd {
 public:
  /// `print` receives one short line per notable thing ("crowd: agent 1001 answers"); it is
  /// called on the crowd's thread.
  Crowd(CrowdConfig config, std::function<void(const std::string&)> print);
  /// Stops first when still running.
  ~Crowd();
  Crowd(const Crowd&) = delete;
  Crowd& operator=(const Crowd&) = delete;

  /// Binds the SIP socket and RTP range, starts the crowd's thread, registers the agents and
  /// starts the arrivals. kInvalidInput for a bad config (server address not an IP literal,
  /// bad RTP range, negative rates), kIo when a socket cannot be bound, kConflict when called
  /// twice. Any thread but the crowd's.
  Result<void> start();
  /// Hangs up every leg, removes the registrations, waits (at most about 2 s) for the BYEs to
  /// be answered, closes the sockets and joins the thread. Idempotent; any thread but the
  /// crowd's own (not from `print`).
  void stop();
  /// Counters; any thread.
  CrowdStats stats() const;
  /// Our bound SIP UDP port (0 before start()); any thread.
  std::uint16_t sipPort() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sb::crowd
