#pragma once
// Derives call detail records, agent state intervals and recording index entries from the
// event log (W1, T4), one event at a time, in log order. The rules are docs/metrics.md
// "CDRs", "Hang-up side", "Wrap-up", "Agent states" and "Recordings". Pure logic: time comes
// from the events. Thread: the one that owns the builder (the store writer); not thread-safe.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "store/event.h"
#include "store/records.h"

namespace sb::report {

/// A tenant's thresholds (docs/metrics.md "Service level", "Abandons"), in ms.
struct Thresholds {
  std::int64_t serviceLevelMs = 20000;  ///< answered (or abandoned) within this: in SL
  std::int64_t shortAbandonMs = 5000;   ///< abandoned within this: short abandon
};

namespace internal {
class BuilderState;
}

/// Derives CDRs, agent state intervals and recording entries from the event log, event by event.
class CdrBuilder {
 public:
  /// The thresholds of a tenant, asked when one of its CDRs is emitted.
  using ThresholdsOf = std::function<Thresholds(std::string_view tenant)>;
  /// A builder classifying CDRs with `thresholds`.
  explicit CdrBuilder(ThresholdsOf thresholds);
  /// Destroys the builder (open calls are dropped; call interruptAll first to keep them).
  ~CdrBuilder();
  /// Movable, not copyable.
  CdrBuilder(CdrBuilder&&) noexcept;
  /// Movable, not copyable.
  CdrBuilder& operator=(CdrBuilder&&) noexcept;

  /// Feeds one event of run `run`, in log order; records completed by it are appended to `out`.
  void apply(std::uint64_t run, const store::Event& e, store::Derived& out);
  /// Closes everything still open at `timeMs`: calls as Disposition::kInterrupted (with what is
  /// known, endMs = timeMs, hangupSide "system", hangupCause "interrupted"), open agent
  /// intervals ending at timeMs; ended calls held back for wrap-up are emitted as they are.
  void interruptAll(std::int64_t timeMs, store::Derived& out);
  /// Calls open (started, no CDR yet), including ended calls held back for wrap-up.
  std::size_t openCalls() const;
  /// Events ignored because their body was malformed (not a JSON object, wrong field types,
  /// a required field missing).
  std::uint64_t malformed() const;

 private:
  std::unique_ptr<internal::BuilderState> state_;
};

/// Sets answeredInSl / abandonedInSl / shortAbandon of `cdr` from its waitMs and disposition.
void classify(store::Cdr& cdr, const Thresholds& t);

}  // namespace sb::report
