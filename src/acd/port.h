#pragma once
// AcdPort: what the ACD asks of the outside world (phones, the caller's flow, the event log).
// Implemented by the app; the simulator and tests implement it too.

#include <chrono>
#include <cstddef>

#include "acd/types.h"

namespace sb::acd {

/// Calls from the engine, made on the control loop after the engine's state is consistent
/// (queued during an Acd call and delivered when it returns), so an implementation may call
/// back into the Acd from inside them.
class AcdPort {
 public:
  virtual ~AcdPort() = default;
  /// Ring `offer.agent` for `offer.contact`; answer with offerAccepted / offerFailed.
  virtual void offer(const Offer& offer) = 0;
  /// Stop ringing an offer; the app must not report on it afterwards.
  virtual void retract(OfferId offer, RetractReason reason) = 0;
  /// The contact left the ACD without an agent; the caller's flow continues at an exit.
  virtual void contactLeft(ContactId contact, LeaveReason reason) = 0;
  /// Tell a waiting caller their position (1-based) and expected wait (0 = unknown).
  virtual void announce(ContactId contact, std::size_t position,
                        std::chrono::seconds expectedWait) = 0;
  /// Every transition, for the event log and live views.
  virtual void onEvent(const AcdEvent& event) = 0;
};

}  // namespace sb::acd
