#include "sip/auth_guard.h"

#include <algorithm>
#include <iterator>

namespace sb::sip {

AuthGuard::AuthGuard(const Clock& clock, Config config) : clock_(clock), config_(config) {
  config_.limit = std::max(config_.limit, 1);
  config_.maxSources = std::max<std::size_t>(config_.maxSources, 1);
}

bool AuthGuard::isBanned(std::string_view source) const {
  auto it = sources_.find(source);
  return it != sources_.end() && it->second.banned && it->second.bannedUntil > clock_.now();
}

bool AuthGuard::recordFailure(std::string_view source) {
  TimePoint now = clock_.now();
  dropExpired(now);
  auto it = sources_.find(source);
  if (it == sources_.end()) {
    if (sources_.size() >= config_.maxSources) makeRoom();
    it = sources_.emplace(std::string(source), Entry{}).first;
    failing_.push_back(&it->first);
    it->second.pos = std::prev(failing_.end());
  }
  Entry& e = it->second;
  if (e.banned) return false;  // still banned: dropExpired removed the expired bans
  // Sliding window: a failure counts while it is younger than `window`.
  auto live = std::find_if(e.failures.begin(), e.failures.end(),
                           [&](TimePoint t) { return now - t < config_.window; });
  e.failures.erase(e.failures.begin(), live);
  e.failures.push_back(now);
  if (e.failures.size() < static_cast<std::size_t>(config_.limit)) {
    failing_.splice(failing_.end(), failing_, e.pos);
    return false;
  }
  e.failures.clear();
  e.failures.shrink_to_fit();
  e.banned = true;
  e.bannedUntil = now + config_.banFor;
  banned_.splice(banned_.end(), failing_, e.pos);
  return true;
}

void AuthGuard::recordSuccess(std::string_view source) {
  auto it = sources_.find(source);
  if (it == sources_.end()) return;
  if (it->second.banned && it->second.bannedUntil > clock_.now()) return;
  erase(it);
}

void AuthGuard::erase(Map::iterator it) {
  (it->second.banned ? banned_ : failing_).erase(it->second.pos);
  sources_.erase(it);
}

// Both lists are in time order (the clock is monotonic), so expired entries sit at the front and
// this is amortised O(1) per failure.
void AuthGuard::dropExpired(TimePoint now) {
  while (!banned_.empty()) {
    auto it = sources_.find(*banned_.front());
    if (it->second.bannedUntil > now) break;
    erase(it);
  }
  while (!failing_.empty()) {
    auto it = sources_.find(*failing_.front());
    if (now - it->second.failures.back() < config_.window) break;
    erase(it);
  }
}

// The table is full of live entries: evict the source whose last failure is oldest; only when
// every tracked source is banned, end the ban closest to expiry. Bans outlive failing sources so
// a flood of fresh addresses cannot cheaply flush an attacker's ban.
void AuthGuard::makeRoom() {
  Order& victims = failing_.empty() ? banned_ : failing_;
  erase(sources_.find(*victims.front()));
}

}  // namespace sb::sip
