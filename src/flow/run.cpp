#include "flow/run.h"

#include <algorithm>
#include <charconv>

#include "flow/calendar.h"
#include "flow/internal/json_fields.h"

namespace sb::flow {
namespace {

constexpr int kMaxConditionDepth = 16;
constexpr int kMaxPriority = 999999;

bool startsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

int toPriority(const std::string& s) {
  int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return 0;
  return std::clamp(v, 0, kMaxPriority);
}

const char* queueKindName(QueueOutcome::Kind k) {
  switch (k) {
    case QueueOutcome::Kind::kAnswered:
      return "answered";
    case QueueOutcome::Kind::kTimeout:
      return "timeout";
    case QueueOutcome::Kind::kNoAgents:
      return "no_agents";
    case QueueOutcome::Kind::kFull:
      return "full";
    case QueueOutcome::Kind::kAbandoned:
      return "abandoned";
  }
  return "?";
}

}  // namespace

FlowRun::FlowRun(std::shared_ptr<const FlowVersion> flow, const FlowEnv& env, CallFacts facts)
    : flow_(std::move(flow)), env_(env), facts_(std::move(facts)) {
  vars_["caller"] = facts_.caller;
  vars_["dialled"] = facts_.dialled;
  vars_["call_id"] = facts_.callId;
  vars_["tenant"] = facts_.tenant;
  vars_["tenant_name"] = env_.tenantName();
  for (const auto& [name, value] : flow_->definition.variables) vars_[name] = expand(value);
}

std::vector<Step> FlowRun::takeSteps() {
  return std::exchange(steps_, {});
}

void FlowRun::record(const Node& node, std::string detail) {
  lastNode_ = node.id;
  steps_.push_back(Step{node.id, node.type, std::move(detail)});
}

void FlowRun::clearPrefix(std::string_view prefix) {
  auto it = vars_.lower_bound(prefix);
  while (it != vars_.end() && startsWith(it->first, prefix)) it = vars_.erase(it);
}

Prompt FlowRun::expand(const Prompt& p) const {
  Prompt out = p;
  out.value = expand(p.value);
  return out;
}

Action FlowRun::hangup(const std::string& node, std::string reason) {
  finished_ = true;
  waiting_ = nullptr;
  return Action{node, Hangup{std::move(reason)}};
}

Action FlowRun::done(std::string reason) {
  finished_ = true;
  waiting_ = nullptr;
  return Action{lastNode_, Done{std::move(reason)}};
}

Action FlowRun::start() {
  if (finished_ || waiting_) return hangup(lastNode_, "flow error: started twice");
  auto it = flow_->definition.nodes.find(flow_->definition.start);
  if (it == flow_->definition.nodes.end()) {
    return hangup("", "flow error: start node '" + flow_->definition.start + "' is missing");
  }
  return advance(&it->second);
}

Action FlowRun::follow(const Node& from, const std::string& target, std::string_view whyNone) {
  if (target.empty()) return hangup(from.id, std::string(whyNone));
  auto it = flow_->definition.nodes.find(target);
  if (it == flow_->definition.nodes.end()) {
    return hangup(from.id, "flow error: node '" + target + "' is missing");
  }
  return advance(&it->second);
}

// Runs internal nodes (branch, set) until a node needs the app; the budget turns a loop of
// internal nodes (which validation rejects, but a run must never hang the control loop) into
// a hangup.
Action FlowRun::advance(const Node* node) {
  for (int steps = 0;; ++steps) {
    if (steps >= kStepBudget) return hangup(node->id, "flow loop");
    const std::string* next = nullptr;
    if (node->type == NodeType::kBranch) {
      std::size_t i = 0;
      for (; i < node->cases.size() && !holds(node->cases[i].when, 0); ++i) {
      }
      bool matched = i < node->cases.size();
      record(*node, matched ? "condition " + std::to_string(i + 1) : "else");
      next = matched ? &node->cases[i].next : &node->elseNext;
    } else if (node->type == NodeType::kSet) {
      std::string value = expand(node->value);
      record(*node, node->var + "=" + value);
      vars_[node->var] = std::move(value);
      next = &node->next;
    } else {
      return enter(*node);
    }
    if (next->empty()) return hangup(node->id, "flow error: no exit");
    auto it = flow_->definition.nodes.find(*next);
    if (it == flow_->definition.nodes.end()) {
      return hangup(node->id, "flow error: node '" + *next + "' is missing");
    }
    node = &it->second;
  }
}

Action FlowRun::collectFor(const Node& node, const Prompt* before, bool flush) {
  Collect c;
  if (before && before->kind != Prompt::Kind::kNone) c.prompts.push_back(expand(*before));
  if (node.prompt.kind != Prompt::Kind::kNone) c.prompts.push_back(expand(node.prompt));
  c.firstDigitTimeoutMs = node.timeoutS * 1000;
  c.interDigitTimeoutMs = node.interDigitTimeoutS * 1000;
  c.flush = flush;
  if (node.type == NodeType::kMenu) {
    std::size_t longest = 1;
    bool hashOption = false;
    for (const auto& [digits, target] : node.options) {
      longest = std::max(longest, digits.size());
      hashOption = hashOption || digits.find('#') != std::string::npos;
    }
    c.maxDigits = static_cast<int>(longest);
    c.terminator = longest > 1 && !hashOption ? '#' : 0;
  } else {
    c.maxDigits = node.maxDigits;
    c.terminator = node.terminator.empty() ? 0 : node.terminator[0];
  }
  waiting_ = &node;
  return Action{node.id, std::move(c)};
}

Action FlowRun::enter(const Node& node) {
  if (++actions_ > kActionBudget) return hangup(node.id, "flow loop");
  record(node, "enter");
  attempts_ = 0;
  waiting_ = &node;
  switch (node.type) {
    case NodeType::kSay:
    case NodeType::kPlay:
      return Action{node.id, Play{expand(node.prompt)}};
    case NodeType::kMenu:
    case NodeType::kCollect:
      return collectFor(node, nullptr, false);
    case NodeType::kLookup:
      return Action{node.id, Lookup{expand(node.key)}};
    case NodeType::kHttp: {
      Http h{node.method, expand(node.url), {}, expand(node.body), node.timeoutMs};
      for (const auto& [name, value] : node.headers) h.headers[name] = expand(value);
      return Action{node.id, std::move(h)};
    }
    case NodeType::kQueue: {
      Queue q;
      q.queue = expand(node.queue);
      q.priority = toPriority(expand(node.priority));
      auto id = vars_.find("customer.id");
      if (id != vars_.end()) q.customerId = id->second;
      q.ownerAgent = expand(node.owner);
      q.ownerWaitS = q.ownerAgent.empty() ? 0 : node.ownerWaitS;
      q.claim = node.claim;
      q.maxWaitS = node.maxWaitS;
      return Action{node.id, std::move(q)};
    }
    case NodeType::kTransfer:
      return Action{node.id, Transfer{node.transferKind, expand(node.target)}};
    case NodeType::kVoicemail:
      return Action{node.id, Voicemail{expand(node.prompt), node.maxSeconds, expand(node.mailbox)}};
    case NodeType::kCallback:
      return Action{node.id,
                    Callback{expand(node.queue), expand(node.number), expand(node.prompt)}};
    case NodeType::kHangup:
      return hangup(node.id, node.reason.empty() ? "flow ended" : expand(node.reason));
    case NodeType::kBranch:
    case NodeType::kSet:
      break;  // handled by advance()
  }
  return hangup(node.id, "flow error: unexpected node type");
}

bool FlowRun::holds(const Condition& c, int depth) {
  if (depth > kMaxConditionDepth) return false;
  switch (c.kind) {
    case Condition::Kind::kCaller:
      return facts_.caller == c.value;
    case Condition::Kind::kCallerPrefix:
      return startsWith(facts_.caller, c.value);
    case Condition::Kind::kDialled:
      return facts_.dialled == c.value;
    case Condition::Kind::kDialledPrefix:
      return startsWith(facts_.dialled, c.value);
    case Condition::Kind::kTimeIn: {
      auto cal = flow_->definition.calendars.find(c.subject);
      if (cal != flow_->definition.calendars.end()) return isOpen(cal->second, env_.unixMs());
      return env_.tenantCalendarOpen(c.subject).value_or(false);
    }
    case Condition::Kind::kInList:
      return env_.inList(c.subject, facts_.caller);
    case Condition::Kind::kVarEquals:
    case Condition::Kind::kVarNotEquals: {
      auto it = vars_.find(c.subject);
      bool equal = it != vars_.end() && it->second == expand(c.value);
      return c.kind == Condition::Kind::kVarEquals ? equal : !equal;
    }
    case Condition::Kind::kVarExists: {
      auto it = vars_.find(c.subject);
      return (it != vars_.end() && !it->second.empty()) == c.exists;
    }
    case Condition::Kind::kAll:
      for (const auto& child : c.children) {
        if (!holds(child, depth + 1)) return false;
      }
      return true;
    case Condition::Kind::kAny:
      for (const auto& child : c.children) {
        if (holds(child, depth + 1)) return true;
      }
      return false;
    case Condition::Kind::kNot:
      return c.children.empty() ? true : !holds(c.children.front(), depth + 1);
  }
  return false;
}

Action FlowRun::resume(const Outcome& outcome) {
  if (finished_) return Action{lastNode_, Done{"flow ended"}};
  if (std::holds_alternative<CallerHungUp>(outcome)) {
    if (waiting_) record(*waiting_, "caller hung up");
    return done("caller hung up");
  }
  if (!waiting_) return hangup(lastNode_, "flow error: resume before start");
  const Node& node = *waiting_;
  waiting_ = nullptr;
  auto wrong = [&] {
    return hangup(node.id, "flow error: unexpected outcome for a " +
                               std::string(nodeTypeName(node.type)) + " node");
  };
  switch (node.type) {
    case NodeType::kSay:
    case NodeType::kPlay: {
      const auto* o = std::get_if<PlayOutcome>(&outcome);
      if (!o) return wrong();
      record(node, o->ok ? "played" : "play failed");
      return follow(node, node.next, "flow error: no exit");
    }
    case NodeType::kMenu:
    case NodeType::kCollect: {
      const auto* o = std::get_if<CollectOutcome>(&outcome);
      if (!o) return wrong();
      return node.type == NodeType::kMenu ? resumeMenu(node, *o) : resumeCollect(node, *o);
    }
    case NodeType::kLookup: {
      const auto* o = std::get_if<LookupOutcome>(&outcome);
      return o ? resumeLookup(node, *o) : wrong();
    }
    case NodeType::kHttp: {
      const auto* o = std::get_if<HttpOutcome>(&outcome);
      return o ? resumeHttp(node, *o) : wrong();
    }
    case NodeType::kQueue: {
      const auto* o = std::get_if<QueueOutcome>(&outcome);
      return o ? resumeQueue(node, *o) : wrong();
    }
    default:
      return resumeOther(node, outcome);
  }
}

Action FlowRun::resumeMenu(const Node& node, const CollectOutcome& o) {
  auto it = node.options.find(o.digits);
  if (it != node.options.end()) {
    record(node, "option " + o.digits);
    if (!node.var.empty()) vars_[node.var] = o.digits;
    return follow(node, it->second, "flow error: no exit");
  }
  bool silent = o.digits.empty();
  record(node, silent ? "timeout" : "invalid " + o.digits);
  if (++attempts_ <= node.retries) {
    Action again = collectFor(node, silent ? &node.timeoutPrompt : &node.invalidPrompt, true);
    if (++actions_ > kActionBudget) return hangup(node.id, "flow loop");
    return again;
  }
  return silent ? follow(node, node.nextTimeout, "no input")
                : follow(node, node.nextInvalid, "no valid choice");
}

Action FlowRun::resumeCollect(const Node& node, const CollectOutcome& o) {
  bool enough = static_cast<int>(o.digits.size()) >= std::max(node.minDigits, 1) ||
                (node.minDigits == 0 && o.end != CollectOutcome::End::kTimeout);
  if (enough) {
    record(node, "collected " + std::to_string(o.digits.size()) + " digits");
    vars_[node.var] = o.digits;
    return follow(node, node.next, "flow error: no exit");
  }
  record(node, o.digits.empty() ? "timeout" : "too few digits");
  if (++attempts_ <= node.retries) {
    Action again = collectFor(node, nullptr, true);
    if (++actions_ > kActionBudget) return hangup(node.id, "flow loop");
    return again;
  }
  vars_[node.var] = o.digits;
  return follow(node, node.nextTimeout.empty() ? node.next : node.nextTimeout,
                "flow error: no exit");
}

Action FlowRun::resumeLookup(const Node& node, const LookupOutcome& o) {
  clearPrefix("customer.");
  vars_["customer.found"] = o.found && !o.failed ? "true" : "false";
  if (o.failed) {
    record(node, "lookup failed");
    return follow(node, node.nextError.empty() ? node.next : node.nextError, "flow error");
  }
  if (!o.found) {
    record(node, "not found");
    return follow(node, node.nextNotFound.empty() ? node.next : node.nextNotFound, "flow error");
  }
  for (const auto& [field, value] : o.fields) {
    std::string name = "customer." + field;
    if (field != "found" && isVariableName(name)) vars_[name] = value.substr(0, kMaxValueBytes);
  }
  record(node, "found");
  return follow(node, node.next, "flow error: no exit");
}

Action FlowRun::resumeHttp(const Node& node, const HttpOutcome& o) {
  const std::string prefix = node.resultVar + ".";
  clearPrefix(prefix);
  vars_[prefix + "http_status"] = std::to_string(o.status);
  std::string error;
  if (o.error == HttpOutcome::Error::kTimeout) {
    error = "timeout";
  } else if (o.error == HttpOutcome::Error::kFailed) {
    error = "failed";
  } else if (o.status < 200 || o.status > 299) {
    error = "status " + std::to_string(o.status);
  }
  if (!error.empty()) {
    vars_[prefix + "error"] = error;
    record(node, "error: " + error);
    return follow(node, node.nextError.empty() ? node.next : node.nextError, "flow error");
  }
  if (!internal::flattenJson(o.body, node.resultVar, vars_)) {
    vars_[prefix + "body"] = o.body.substr(0, kMaxValueBytes);
  }
  record(node, "status " + std::to_string(o.status));
  return follow(node, node.next, "flow error: no exit");
}

Action FlowRun::resumeQueue(const Node& node, const QueueOutcome& o) {
  vars_["queue.result"] = queueKindName(o.kind);
  vars_["queue.agent"] = o.agent;
  record(node, queueKindName(o.kind));
  auto orNext = [&](const std::string& exit) { return exit.empty() ? node.next : exit; };
  switch (o.kind) {
    case QueueOutcome::Kind::kAnswered:
      return done("answered by agent " + o.agent);
    case QueueOutcome::Kind::kAbandoned:
      return done("caller hung up");
    case QueueOutcome::Kind::kTimeout:
      return follow(node, orNext(node.nextTimeout), "queue timeout");
    case QueueOutcome::Kind::kNoAgents:
      return follow(node, orNext(node.nextNoAgents), "no agents");
    case QueueOutcome::Kind::kFull:
      return follow(node, orNext(node.nextFull), "queue full");
  }
  return hangup(node.id, "flow error: unknown queue result");
}

Action FlowRun::resumeOther(const Node& node, const Outcome& outcome) {
  auto wrong = [&] {
    return hangup(node.id, "flow error: unexpected outcome for a " +
                               std::string(nodeTypeName(node.type)) + " node");
  };
  if (node.type == NodeType::kTransfer) {
    const auto* o = std::get_if<TransferOutcome>(&outcome);
    if (!o) return wrong();
    vars_["transfer.result"] = o->ok ? "ok" : "failed";
    record(node, o->ok ? "transferred" : "transfer failed");
    if (o->ok) return done("transferred");
    return follow(node, node.nextFailed, "transfer failed");
  }
  if (node.type == NodeType::kVoicemail) {
    const auto* o = std::get_if<VoicemailOutcome>(&outcome);
    if (!o) return wrong();
    if (o->recorded) vars_["voicemail.path"] = o->path;
    record(node, o->recorded ? "recorded" : "nothing recorded");
    return follow(node, node.next, "voicemail ended");
  }
  if (node.type == NodeType::kCallback) {
    const auto* o = std::get_if<CallbackOutcome>(&outcome);
    if (!o) return wrong();
    record(node, o->accepted ? "callback requested" : "callback refused");
    const std::string& exit =
        !o->accepted && !node.nextFailed.empty() ? node.nextFailed : node.next;
    return follow(node, exit, o->accepted ? "callback requested" : "callback refused");
  }
  return wrong();
}

}  // namespace sb::flow
