#pragma once
// The simulated customers: calls to the configured number at Poisson times from a small pool
// of caller numbers (some call again, which exercises owner routing), a menu digit after the
// IVR answers, then a wait for an agent's "#" — abandoning after their patience runs out —
// and a bounded conversation. Control loop only.

#include <string>
#include <unordered_map>
#include <vector>

#include "base/endpoint.h"
#include "call/types.h"
#include "crowd/internal/crowd_context.h"

namespace sb::crowd::internal {

/// Every customer call of the crowd.
class Customers {
 public:
  /// `server` is where the INVITEs go.
  Customers(CrowdContext& ctx, Endpoint server);
  ~Customers();
  Customers(const Customers&) = delete;
  Customers& operator=(const Customers&) = delete;

  /// Starts the arrivals (no-op when callsPerMinute is 0 or no number is set).
  void start();
  /// Stops the arrivals and cancels every timer (the legs are hung up by the call layer).
  void stop();
  /// True when `leg` is a customer call; the digit is handled.
  bool onDigit(call::LegId leg, char digit);
  /// True when `leg` is a customer call; its end is handled.
  bool onLegEnded(call::LegId leg, call::HangupCause cause);
  /// Customer calls in progress.
  std::size_t active() const { return calls_.size(); }

 private:
  struct Customer {
    std::string caller;
    TimePoint placed;
    TimePoint connectedAt;
    bool answered = false;
    bool connected = false;
    bool leaving = false;  // we hang up ourselves (abandon, cap)
    TimerId menuTimer;
    TimerId patienceTimer;
    TimerId capTimer;
  };
  Customer* find(call::LegId leg);
  std::string pickCaller();
  void scheduleArrival();
  void placeCall();
  void onOutcome(call::LegId leg, const call::OriginateOutcome& outcome);
  void onAnswered(call::LegId leg, Customer& c);
  void giveUp(call::LegId leg);
  void leave(call::LegId leg, const std::string& why);
  void erase(call::LegId leg);

  CrowdContext& ctx_;
  Endpoint server_;
  std::vector<std::string> callerPool_;
  std::unordered_map<call::LegId, Customer> calls_;
  TimerId arrivalTimer_;
  bool running_ = false;
};

}  // namespace sb::crowd::internal
