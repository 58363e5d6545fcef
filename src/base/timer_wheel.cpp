#include "base/timer_wheel.h"

#include <algorithm>

namespace sb {

TimerWheel::TimerWheel(TimePoint start, Duration tick, std::size_t slots)
    : tick_(tick), origin_(start), lastNow_(start), heads_(slots, kNone) {}

void TimerWheel::link(std::uint32_t i) {
  Node& n = nodes_[i];
  n.slot = static_cast<std::uint32_t>(n.dueTick % heads_.size());
  n.prev = kNone;
  n.next = heads_[n.slot];
  if (n.next != kNone) nodes_[n.next].prev = i;
  heads_[n.slot] = i;
}

void TimerWheel::unlink(std::uint32_t i) {
  Node& n = nodes_[i];
  if (n.prev != kNone) {
    nodes_[n.prev].next = n.next;
  } else {
    heads_[n.slot] = n.next;
  }
  if (n.next != kNone) nodes_[n.next].prev = n.prev;
  n.prev = n.next = kNone;
}

void TimerWheel::release(std::uint32_t i) {
  Node& n = nodes_[i];
  n.slot = kNone;
  n.cb = nullptr;
  if (++n.generation == 0) n.generation = 1;  // 0 marks an invalid id
  free_.push_back(i);
  --live_;
}

TimerId TimerWheel::start(Duration delay, Callback cb) {
  std::uint32_t i;
  if (!free_.empty()) {
    i = free_.back();
    free_.pop_back();
  } else {
    i = static_cast<std::uint32_t>(nodes_.size());
    nodes_.emplace_back();
  }
  Node& n = nodes_[i];
  n.cb = std::move(cb);
  // Due at the first tick boundary at or after (time of the last advance + delay), and
  // strictly after the tick being processed, so a 0-delay timer from a callback waits.
  Duration at = (lastNow_ - origin_) + std::max(delay, Duration::zero());
  auto due = static_cast<std::uint64_t>((at + tick_ - Duration(1)) / tick_);
  n.dueTick = std::max(due, current_ + 1);
  link(i);
  ++live_;
  return TimerId{i, n.generation};
}

bool TimerWheel::cancel(TimerId id) {
  if (!id.valid() || id.index >= nodes_.size()) return false;
  Node& n = nodes_[id.index];
  if (n.generation != id.generation || n.slot == kNone) return false;
  unlink(id.index);
  release(id.index);
  return true;
}

std::size_t TimerWheel::advance(TimePoint now) {
  if (now < origin_) return 0;
  lastNow_ = std::max(lastNow_, now);
  auto target = static_cast<std::uint64_t>((now - origin_) / tick_);
  std::size_t fired = 0;
  std::vector<std::uint32_t> due;
  while (current_ < target) {
    if (live_ == 0) {
      current_ = target;
      break;
    }
    std::uint64_t t = current_ + 1;
    // After a long pause only one revolution of slots needs visiting per catch-up step.
    std::size_t slot = static_cast<std::size_t>(t % heads_.size());
    due.clear();
    for (std::uint32_t i = heads_[slot]; i != kNone; i = nodes_[i].next) {
      if (nodes_[i].dueTick <= t) due.push_back(i);
    }
    current_ = t;
    for (std::uint32_t i : due) {
      Node& n = nodes_[i];
      if (n.slot == kNone || n.dueTick > t) continue;  // cancelled by an earlier callback
      unlink(i);
      Callback cb = std::move(n.cb);
      release(i);
      ++fired;
      cb();
    }
    if (target - current_ > heads_.size()) {
      // Long pause: skip empty ticks straight to the earliest due timer.
      std::uint64_t earliest = UINT64_MAX;
      for (std::uint32_t h : heads_) {
        for (std::uint32_t i = h; i != kNone; i = nodes_[i].next) {
          earliest = std::min(earliest, nodes_[i].dueTick);
        }
      }
      if (earliest > current_ + 1) current_ = std::min(target, earliest - 1);
    }
  }
  return fired;
}

std::optional<Duration> TimerWheel::untilNext(TimePoint now) const {
  if (live_ == 0) return std::nullopt;
  std::uint64_t earliest = UINT64_MAX;
  std::size_t visited = 0;
  for (std::uint64_t t = current_ + 1; visited < heads_.size(); ++t, ++visited) {
    for (std::uint32_t i = heads_[t % heads_.size()]; i != kNone; i = nodes_[i].next) {
      earliest = std::min(earliest, nodes_[i].dueTick);
    }
    if (earliest <= t) break;
  }
  if (earliest == UINT64_MAX) return static_cast<Duration>(tick_ * heads_.size());
  TimePoint due = origin_ + tick_ * static_cast<std::int64_t>(earliest);
  return due <= now ? Duration::zero() : due - now;
}

}  // namespace sb
