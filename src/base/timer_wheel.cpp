#include "base/timer_wheel.h"

#include <algorithm>
#include <bit>
#include <cassert>

namespace sb {
namespace {

constexpr std::size_t kWordBits = 64;
// Keeps now + delay inside the 64-bit nanosecond range (~292 years); a century is "never".
constexpr Duration kMaxDelay = std::chrono::hours(24 * 365 * 100);

// Resets the re-entrancy flag even if a callback throws against the rules.
class AdvancingScope {
 public:
  explicit AdvancingScope(bool& flag) : flag_(flag) { flag_ = true; }
  ~AdvancingScope() { flag_ = false; }
  AdvancingScope(const AdvancingScope&) = delete;
  AdvancingScope& operator=(const AdvancingScope&) = delete;

 private:
  bool& flag_;
};

}  // namespace

TimerWheel::TimerWheel(TimePoint start, Duration tick, std::size_t slots)
    : tick_(tick), origin_(start), now_(start) {
  assert(tick > Duration::zero() && slots > 0 && "TimerWheel needs a positive tick and slots");
  if (tick_ <= Duration::zero()) tick_ = Duration(1);
  slots_.resize(std::max<std::size_t>(slots, 1));
  if (slots_.size() > 1 && std::has_single_bit(slots_.size())) mask_ = slots_.size() - 1;
  occupied_.resize((slots_.size() + kWordBits - 1) / kWordBits);
}

std::uint64_t TimerWheel::dueTick(Duration delay) const {
  delay = std::clamp(delay, Duration::zero(), kMaxDelay);
  Duration at = (now_ - origin_) + delay;
  auto ceil = static_cast<std::uint64_t>((at + tick_ - Duration(1)) / tick_);
  // Strictly after the tick containing now: that tick is already processed (or being fired),
  // so a zero-delay timer started from a callback waits for the next advance().
  return std::max(ceil, nowTick_ + 1);
}

std::uint32_t TimerWheel::allocate() {
  if (!free_.empty()) {
    std::uint32_t i = free_.back();
    free_.pop_back();
    return i;
  }
  assert(nodes_.size() < kNone && "TimerWheel slab exhausted");
  nodes_.emplace_back();
  return static_cast<std::uint32_t>(nodes_.size() - 1);
}

// Appends at the tail so that timers due in the same tick fire in start order.
void TimerWheel::link(std::uint32_t i) {
  Node& n = nodes_[i];
  std::size_t s = slotOf(n.due);
  Slot& slot = slots_[s];
  n.prev = slot.tail;
  n.next = kNone;
  if (slot.tail != kNone) {
    nodes_[slot.tail].next = i;
  } else {
    slot.head = i;
    occupied_[s / kWordBits] |= std::uint64_t{1} << (s % kWordBits);
  }
  slot.tail = i;
  n.state = State::kLinked;
}

void TimerWheel::unlink(std::uint32_t i) {
  Node& n = nodes_[i];
  std::size_t s = slotOf(n.due);
  Slot& slot = slots_[s];
  if (n.prev != kNone) {
    nodes_[n.prev].next = n.next;
  } else {
    slot.head = n.next;
  }
  if (n.next != kNone) {
    nodes_[n.next].prev = n.prev;
  } else {
    slot.tail = n.prev;
  }
  if (slot.head == kNone) occupied_[s / kWordBits] &= ~(std::uint64_t{1} << (s % kWordBits));
  n.prev = n.next = kNone;
}

// Returns the node to the free list and hands back its callback, so the caller can run or
// destroy it once the wheel is consistent again (either may start or cancel timers and so
// reallocate the slab).
TimerWheel::Callback TimerWheel::release(std::uint32_t i) {
  Node& n = nodes_[i];
  Callback cb = std::move(n.cb);
  n.cb = nullptr;
  n.state = State::kFree;
  if (++n.generation == 0) n.generation = 1;  // 0 marks an invalid id
  free_.push_back(i);
  --live_;
  return cb;
}

TimerId TimerWheel::start(Duration delay, Callback cb) {
  std::uint32_t i = allocate();
  Node& n = nodes_[i];
  n.cb = std::move(cb);
  n.due = dueTick(delay);
  link(i);
  ++live_;
  return TimerId{i, n.generation};
}

bool TimerWheel::cancel(TimerId id) {
  if (!id.valid() || id.index >= nodes_.size()) return false;
  Node& n = nodes_[id.index];
  if (n.generation != id.generation || n.state == State::kFree) return false;
  // A kFiring node is already off its slot list; its entry in firing_ goes stale by generation.
  if (n.state == State::kLinked) unlink(id.index);
  Callback dead = release(id.index);
  return true;
}

// First occupied slot in [from, to), or `to`. Bits past the last slot are never set.
std::size_t TimerWheel::firstOccupied(std::size_t from, std::size_t to) const {
  if (from >= to) return to;
  std::size_t w = from / kWordBits;
  std::uint64_t bits = occupied_[w] & (~std::uint64_t{0} << (from % kWordBits));
  for (;;) {
    if (bits != 0) {
      std::size_t s = w * kWordBits + static_cast<std::size_t>(std::countr_zero(bits));
      return std::min(s, to);
    }
    if (++w * kWordBits >= to) return to;
    bits = occupied_[w];
  }
}

// Slots to step forward from `from` (0 = `from` itself) to reach an occupied one, wrapping
// around; slots_.size() when all are empty.
std::size_t TimerWheel::distanceToOccupied(std::size_t from) const {
  std::size_t n = slots_.size();
  std::size_t s = firstOccupied(from, n);
  if (s < n) return s - from;
  s = firstOccupied(0, from);
  return s < from ? n - from + s : n;
}

// Moves every timer due in ticks (from, to] from its slot to firing_. Passes each slot at most
// once: after a pause longer than a revolution, one pass collects all its rounds and a sort by
// due tick restores the order.
void TimerWheel::collect(std::uint64_t from, std::uint64_t to) {
  std::size_t n = slots_.size();
  std::uint64_t elapsed = to - from;
  std::size_t visits = elapsed < n ? static_cast<std::size_t>(elapsed) : n;
  std::size_t first = slotOf(from + 1);
  std::size_t begin = firing_.size();
  for (std::size_t k = distanceToOccupied(first); k < visits;
       k += 1 + distanceToOccupied((first + k + 1) % n)) {
    std::uint32_t i = slots_[(first + k) % n].head;
    while (i != kNone) {
      std::uint32_t next = nodes_[i].next;
      if (nodes_[i].due <= to) {
        unlink(i);
        nodes_[i].state = State::kFiring;
        firing_.push_back(Due{nodes_[i].due, TimerId{i, nodes_[i].generation}});
      }
      i = next;
    }
  }
  // Within one revolution slots are passed in tick order and each list is in start order, so
  // firing_ is already sorted; stable_sort keeps start order among timers of the same tick.
  if (elapsed > n) {
    std::stable_sort(firing_.begin() + static_cast<std::ptrdiff_t>(begin), firing_.end(),
                     [](const Due& a, const Due& b) { return a.tick < b.tick; });
  }
}

std::size_t TimerWheel::fireCollected() {
  std::size_t fired = 0;
  // Indexing (not iterators, not references): callbacks may grow the slab, and a throwing
  // callback leaves cursor_ at the rest, which the next advance() runs first.
  while (cursor_ < firing_.size()) {
    TimerId id = firing_[cursor_++].id;
    if (nodes_[id.index].generation != id.generation) continue;  // cancelled by a callback
    assert(nodes_[id.index].state == State::kFiring);
    Callback cb = release(id.index);
    ++fired;
    if (cb) cb();
  }
  firing_.clear();
  cursor_ = 0;
  return fired;
}

std::size_t TimerWheel::advance(TimePoint now) {
  assert(!advancing_ && "TimerWheel::advance() called from a timer callback");
  if (advancing_ || now <= now_) return 0;
  AdvancingScope scope(advancing_);
  now_ = now;
  nowTick_ = static_cast<std::uint64_t>((now_ - origin_) / tick_);
  if (nowTick_ > processed_) {
    if (live_ > 0) collect(processed_, nowTick_);
    processed_ = nowTick_;
  }
  return fireCollected();
}

std::optional<Duration> TimerWheel::untilNext(TimePoint now) const {
  if (live_ == 0) return std::nullopt;
  if (!advancing_ && cursor_ < firing_.size()) return Duration::zero();  // left by a throw
  std::size_t n = slots_.size();
  Duration revolution = tick_ * static_cast<Duration::rep>(n);
  std::size_t d = distanceToOccupied(slotOf(processed_ + 1));
  if (d == n) return revolution;  // only timers being fired by this advance()
  std::uint64_t tick = processed_ + 1 + d;
  TimePoint at = origin_ + tick_ * static_cast<Duration::rep>(tick);
  if (at <= now) return Duration::zero();
  return std::min<Duration>(at - now, revolution);
}

}  // namespace sb
