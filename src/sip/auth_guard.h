#pragma once
// Counts authentication failures per source address and bans a source after `limit` failures
// within a sliding `window`, for `banFor` (ADR 0003). Pure logic on an injected clock with
// bounded memory. Single-threaded: the control loop.

#include <cstddef>
#include <functional>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/clock.h"

namespace sb::sip {

/// Failure counter and ban list keyed by source IP address text. Control loop only.
class AuthGuard {
 public:
  /// Policy and memory bound; `limit` and `maxSources` below 1 count as 1.
  struct Config {
    int limit = 5;                               ///< failures that start a ban
    Duration window = std::chrono::seconds(60);  ///< sliding window for `limit`
    Duration banFor = std::chrono::minutes(5);   ///< length of a ban
    std::size_t maxSources = 100000;             ///< most sources tracked at once
  };

  /// Starts with no sources tracked; `clock` must outlive the guard.
  AuthGuard(const Clock& clock, Config config);

  /// True while `source` (IP address text) is banned.
  bool isBanned(std::string_view source) const;
  /// Records a failure; returns true exactly when this failure starts a ban (a failure from a
  /// source already banned neither extends nor restarts the ban).
  bool recordFailure(std::string_view source);
  /// Clears the failure count of `source`; an active ban stays.
  void recordSuccess(std::string_view source);
  /// Sources currently tracked (with failures in the window or banned; expired ones may linger
  /// until the next recordFailure). Never above `maxSources`.
  std::size_t trackedSources() const { return sources_.size(); }

 private:
  // Heterogeneous lookup so string_view queries do not allocate.
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Order = std::list<const std::string*>;  // keys point into sources_ (node-stable)
  struct Entry {
    std::vector<TimePoint> failures;  // within the window, oldest first, fewer than limit
    bool banned = false;
    TimePoint bannedUntil{};
    Order::iterator pos;  // in banned_ when banned, else in failing_
  };
  using Map = std::unordered_map<std::string, Entry, KeyHash, std::equal_to<>>;

  void dropExpired(TimePoint now);
  void makeRoom();
  void erase(Map::iterator it);

  const Clock& clock_;
  Config config_;
  Map sources_;
  Order failing_;  // by last failure, oldest first
  Order banned_;   // by ban expiry, soonest first (bans all last banFor)
};

}  // namespace sb::sip
