#pragma once
// Counts authentication failures per source address and bans a source after `limit` failures
// within `window`, for `banFor` (ADR 0003). Pure logic on an injected clock with bounded memory.
// Control loop only.

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/clock.h"

namespace sb::sip {

/// Failure counter and ban list keyed by source IP text.
class AuthGuard {
 public:
  /// Policy and memory bound.
  struct Config {
    int limit = 5;
    Duration window = std::chrono::seconds(60);
    Duration banFor = std::chrono::minutes(5);
    std::size_t maxSources = 100000;
  };

  AuthGuard(const Clock& clock, Config config);
  /// True while `source` is banned.
  bool isBanned(std::string_view source) const;
  /// Records a failure; returns true exactly when this failure starts a ban.
  bool recordFailure(std::string_view source);
  /// Clears the failure count of `source` (not an active ban).
  void recordSuccess(std::string_view source);
  /// Sources currently tracked (failing or banned).
  std::size_t trackedSources() const { return sources_.size(); }

 private:
  struct Entry {
    int failures = 0;
    TimePoint windowStart{};
    TimePoint bannedUntil{};
    TimePoint lastSeen{};
  };
  void evict(TimePoint now);

  const Clock& clock_;
  Config config_;
  std::unordered_map<std::string, Entry> sources_;
};

}  // namespace sb::sip
