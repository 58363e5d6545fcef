// Deadlines: one min-heap with lazy cancellation. An entry is live while its target still
// names the entry's sequence number for that kind; dead entries are dropped when they reach
// the top, or all at once when they outnumber the live ones.

#include <algorithm>
#include <cmath>

#include "acd/acd.h"

namespace sb::acd {

using internal::Stage;

std::uint64_t Acd::arm(TimePoint at, TimerKind kind, std::uint64_t target) {
  std::uint64_t seq = ++timerSeq_;
  heap_.push_back(Timer{at, seq, kind, target});
  std::push_heap(heap_.begin(), heap_.end(), internal::TimerLater{});
  // At most two timers per agent, one per offer and four per contact are live.
  std::size_t liveBound = offers_.size() + 2 * agents_.size() + 4 * contacts_.size();
  if (heap_.size() > 1024 + 2 * liveBound) {
    std::erase_if(heap_, [this, seq](const Timer& t) { return !timerLive(t) && t.seq != seq; });
    std::make_heap(heap_.begin(), heap_.end(), internal::TimerLater{});
  }
  return seq;
}

bool Acd::timerLive(const Timer& t) const {
  switch (t.kind) {
    case TimerKind::kOfferTimeout: {
      auto it = offers_.find(t.target);
      return it != offers_.end() && it->second.timer == t.seq;
    }
    case TimerKind::kWrapUpEnd:
      return agents_[t.target - 1].wrapTimer == t.seq;
    case TimerKind::kAvailable:
      return agents_[t.target - 1].availTimer == t.seq;
    default:
      break;
  }
  auto it = contacts_.find(t.target);
  if (it == contacts_.end()) return false;
  const Contact& c = it->second;
  switch (t.kind) {
    case TimerKind::kOwnerWait:
      return c.ownerTimer == t.seq;
    case TimerKind::kWiden:
      return c.widenTimer == t.seq;
    case TimerKind::kMaxWait:
      return c.maxWaitTimer == t.seq;
    case TimerKind::kAnnounce:
      return c.announceTimer == t.seq;
    default:
      return false;
  }
}

std::optional<TimePoint> Acd::nextDeadline() const {
  while (!heap_.empty() && !timerLive(heap_.front())) {
    std::pop_heap(heap_.begin(), heap_.end(), internal::TimerLater{});
    heap_.pop_back();
  }
  if (heap_.empty()) return std::nullopt;
  return heap_.front().at;
}

void Acd::runDue() {
  Batch batch(*this);
  TimePoint now = clock_.now();
  while (!heap_.empty() && heap_.front().at <= now) {
    Timer t = heap_.front();
    std::pop_heap(heap_.begin(), heap_.end(), internal::TimerLater{});
    heap_.pop_back();
    if (timerLive(t)) fire(t);
  }
}

void Acd::fire(const Timer& t) {
  switch (t.kind) {
    case TimerKind::kOfferTimeout:
      failOffer(t.target, "timeout", true);
      return;
    case TimerKind::kWrapUpEnd:
      finishWork(agentRef(static_cast<AgentId>(t.target)), "wrap_up_end");
      return;
    case TimerKind::kAvailable: {
      Agent& a = agentRef(static_cast<AgentId>(t.target));
      a.availTimer = 0;
      makeRoutable(a);
      return;
    }
    default:
      break;
  }
  Contact& c = contacts_.at(t.target);
  switch (t.kind) {
    case TimerKind::kOwnerWait:
      c.ownerTimer = 0;
      if (c.stage == Stage::kOwnerWait) fallBackToQueue(c, "owner_wait_expired");
      break;
    case TimerKind::kWiden:
      c.widenTimer = 0;
      onWiden(c);
      break;
    case TimerKind::kMaxWait:
      c.maxWaitTimer = 0;
      onMaxWait(c);
      break;
    case TimerKind::kAnnounce:
      c.announceTimer = 0;
      onAnnounce(c);
      break;
    default:
      break;
  }
}

// Called when a contact joins a queue, before it is placed in any index.
void Acd::armContactTimers(Contact& c) {
  const QueueSpec& spec = queueRef(c.queue).spec;
  c.maxWaitTimer = 0;
  c.announceTimer = 0;
  if (!c.callback && spec.maxWait.count() > 0) {
    c.maxWaitTimer = arm(c.joinedAt + spec.maxWait, TimerKind::kMaxWait, c.id);
  }
  if (!c.callback && spec.announceEvery.count() > 0) {
    c.announceTimer = arm(c.joinedAt + spec.announceEvery, TimerKind::kAnnounce, c.id);
  }
  armWiden(c);
}

// Applies widening steps already due and arms the next one. Not while in a waiting bucket.
void Acd::armWiden(Contact& c) {
  const auto& steps = queueRef(c.queue).spec.widening;
  TimePoint now = clock_.now();
  while (c.nextStep < steps.size() && c.joinedAt + steps[c.nextStep].after <= now) {
    c.widen = std::min(kMaxSkillLevel, c.widen + steps[c.nextStep].lowerBy);
    ++c.nextStep;
  }
  c.widenTimer = 0;
  if (c.nextStep < steps.size() && c.widen < kMaxSkillLevel) {
    c.widenTimer = arm(c.joinedAt + steps[c.nextStep].after, TimerKind::kWiden, c.id);
  }
}

void Acd::onWiden(Contact& c) {
  bool waiting = c.stage == Stage::kWaiting;
  if (waiting) eraseWaiting(c);
  armWiden(c);
  if (waiting) {
    insertWaiting(c);
    dispatchContact(c);
  }
}

void Acd::onMaxWait(Contact& c) {
  if (c.callback || c.stage == Stage::kAccepted) return;
  if (c.stage == Stage::kOffered) {
    c.maxWaitDue = true;  // decided when the ringing ends without an answer
    return;
  }
  if (!tryOverflow(c)) leave(c, LeaveReason::kMaxWait);
}

// 1-based rank among the queue's unanswered contacts. O(queue length), once per period.
std::size_t Acd::positionOf(const Contact& c) const {
  const Queue& q = queues_[c.queue - 1];
  internal::WaitKey mine = c.key();
  std::size_t ahead = 0;
  for (ContactId id : q.contacts) {
    if (id != c.id && contacts_.at(id).key() < mine) ++ahead;
  }
  return ahead + 1;
}

void Acd::onAnnounce(Contact& c) {
  if (c.callback || c.stage == Stage::kAccepted) return;
  const Queue& q = queueRef(c.queue);
  if (c.stage != Stage::kOffered) {
    std::size_t position = positionOf(c);
    double staffed = static_cast<double>(std::max<std::size_t>(1, q.loggedIn));
    double seconds = q.avgHandleSeconds * static_cast<double>(position) / staffed;
    outbox_.emplace_back(internal::AnnounceCall{
        c.id, position, std::chrono::seconds(static_cast<std::int64_t>(std::ceil(seconds)))});
  }
  c.announceTimer = arm(clock_.now() + q.spec.announceEvery, TimerKind::kAnnounce, c.id);
}

}  // namespace sb::acd
