#include "sip/auth_guard.h"

#include <algorithm>
#include <vector>

namespace sb::sip {

AuthGuard::AuthGuard(const Clock& clock, Config config) : clock_(clock), config_(config) {}

bool AuthGuard::isBanned(std::string_view source) const {
  if (sources_.empty()) return false;
  auto it = sources_.find(std::string(source));
  return it != sources_.end() && it->second.bannedUntil > clock_.now();
}

bool AuthGuard::recordFailure(std::string_view source) {
  TimePoint now = clock_.now();
  auto it = sources_.find(std::string(source));
  if (it == sources_.end()) {
    if (sources_.size() >= config_.maxSources) evict(now);
    it = sources_.emplace(std::string(source), Entry{0, now, {}, now}).first;
  }
  Entry& e = it->second;
  e.lastSeen = now;
  if (e.bannedUntil > now) return false;  // already banned
  if (now - e.windowStart > config_.window) {
    e.windowStart = now;
    e.failures = 0;
  }
  if (++e.failures < config_.limit) return false;
  e.bannedUntil = now + config_.banFor;
  e.failures = 0;
  return true;
}

void AuthGuard::recordSuccess(std::string_view source) {
  auto it = sources_.find(std::string(source));
  if (it != sources_.end() && it->second.bannedUntil <= clock_.now()) sources_.erase(it);
}

void AuthGuard::evict(TimePoint now) {
  // Drop everything no longer relevant; if the table is still full, drop the oldest quarter.
  for (auto it = sources_.begin(); it != sources_.end();) {
    bool idle = it->second.bannedUntil <= now && now - it->second.windowStart > config_.window;
    it = idle ? sources_.erase(it) : std::next(it);
  }
  if (sources_.size() < config_.maxSources) return;
  std::vector<std::pair<TimePoint, std::string>> byAge;
  byAge.reserve(sources_.size());
  for (const auto& [k, e] : sources_) byAge.emplace_back(e.lastSeen, k);
  auto quarter = byAge.begin() + static_cast<long>(byAge.size() / 4 + 1);
  std::nth_element(byAge.begin(), quarter, byAge.end());
  for (auto it = byAge.begin(); it != quarter; ++it) sources_.erase(it->second);
}

}  // namespace sb::sip
