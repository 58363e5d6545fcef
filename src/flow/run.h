#pragma once
// The flow interpreter: a step machine over one published FlowVersion for one call. The app
// executes each Action (play, collect, queue, ...) and feeds its Outcome back with resume();
// branch, set and templates are evaluated in between without an action. No callbacks are
// stored, no time is read except through FlowEnv. Control loop only.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "flow/flow.h"
#include "flow/registry.h"
#include "flow/template.h"

namespace sb::flow {

/// What the run needs from the world (the app implements it per tenant).
class FlowEnv {
 public:
  virtual ~FlowEnv() = default;
  /// Wall clock, ms since the Unix epoch (business hours).
  virtual std::int64_t unixMs() const = 0;
  /// True when `number` is on this tenant's list `list` (blacklist, vip, ...).
  virtual bool inList(std::string_view list, std::string_view number) const = 0;
  /// The tenant's display name, for ${tenant_name}.
  virtual std::string tenantName() const = 0;
  /// A tenant-wide calendar (not defined in the flow) is open now; nullopt = unknown (closed).
  virtual std::optional<bool> tenantCalendarOpen(std::string_view calendar) const {
    (void)calendar;
    return std::nullopt;
  }
};

/// The facts of the call a run starts with (built-in variables caller, dialled, call_id, tenant).
struct CallFacts {
  std::string tenant;   ///< tenant id
  std::string caller;   ///< caller number as presented
  std::string dialled;  ///< the number the caller dialled (DID)
  std::string callId;   ///< the app's call id, for logs and events
};

/// Play one prompt (templates expanded), then resume with PlayOutcome.
struct Play {
  Prompt prompt;  ///< what to play
};

/// Play `prompts` in order (barge-in allowed), then collect digits; resume with CollectOutcome.
struct Collect {
  std::vector<Prompt> prompts;     ///< played first, in order; a key press stops them
  int maxDigits = 1;               ///< stop after this many digits
  char terminator = 0;             ///< '#', '*', or 0 for none
  int firstDigitTimeoutMs = 5000;  ///< from the end of the prompts
  int interDigitTimeoutMs = 3000;  ///< between digits
  bool flush = false;              ///< drop digits typed before this collection (true on retries)
};

/// Look the customer up by `key` (caller number by default); resume with LookupOutcome.
struct Lookup {
  std::string key;  ///< customer key (phone number, account)
};

/// Call the tenant's own system; resume with HttpOutcome.
struct Http {
  std::string method;                          ///< GET, POST, PUT, PATCH, DELETE
  std::string url;                             ///< expanded
  std::map<std::string, std::string> headers;  ///< expanded values
  std::string body;                            ///< expanded; empty = none
  int timeoutMs = 3000;                        ///< whole request
};

/// Put the caller in an ACD queue; resume with QueueOutcome.
struct Queue {
  std::string queue;       ///< queue name
  int priority = 0;        ///< higher is served first
  std::string customerId;  ///< ${customer.id} when a lookup found one, else empty
  std::string ownerAgent;  ///< owner routing: try this agent first (empty = none)
  int ownerWaitS = 0;      ///< how long to wait for the owner before the queue's strategy
  bool claim = false;      ///< offer/claim among several agents for a new customer
  int maxWaitS = 0;        ///< 0 = the queue's own limit
};

/// Transfer the call; resume with TransferOutcome.
struct Transfer {
  TransferKind kind = TransferKind::kAgent;  ///< agent, extension or external number
  std::string target;                        ///< agent id, extension or E.164 number
};

/// Play the prompt, a beep, record up to maxSeconds; resume with VoicemailOutcome.
struct Voicemail {
  Prompt prompt;        ///< greeting; kNone = just the beep
  int maxSeconds = 60;  ///< longest recording
  std::string mailbox;  ///< empty = the tenant's default box
};

/// Register a callback that keeps the caller's place in `queue`, play the prompt; resume
/// with CallbackOutcome.
struct Callback {
  std::string queue;   ///< the queue whose place the caller keeps
  std::string number;  ///< where to call back
  Prompt prompt;       ///< confirmation to play; kNone = none
};

/// Hang the call up; the run is finished (no resume needed).
struct Hangup {
  std::string reason;  ///< for the CDR and the event ("flow ended", "flow loop", ...)
};

/// The flow has ended: the call is with an agent, transferred, or the caller hung up. Nothing
/// to execute.
struct Done {
  std::string reason;  ///< "answered by agent a7", "transferred", "caller hung up", ...
};

/// What the app must do next. `node` is the node that asked for it (for the flow-step event).
struct Action {
  std::string node;  ///< node id
  /// The payload.
  std::variant<Play, Collect, Lookup, Http, Queue, Transfer, Voicemail, Callback, Hangup, Done>
      what;
  /// The payload if it is a T, else nullptr.
  template <class T>
  const T* as() const {
    return std::get_if<T>(&what);
  }
};

/// A Play ended (failed = the prompt could not be played; the flow goes on anyway).
struct PlayOutcome {
  bool ok = true;  ///< false: the prompt could not be played
};

/// A Collect ended with these digits (terminator not included).
struct CollectOutcome {
  /// Why collection stopped.
  enum class End : std::uint8_t { kMaxDigits, kTerminator, kTimeout };
  std::string digits;       ///< what was pressed
  End end = End::kTimeout;  ///< why it stopped
};

/// A Lookup ended: found with fields (name, owner, any custom field), not found, or failed.
struct LookupOutcome {
  bool found = false;                         ///< a customer matched
  bool failed = false;                        ///< the lookup itself failed
  std::map<std::string, std::string> fields;  ///< name, owner, id, custom fields
};

/// An Http request ended: status and body, or a transport error.
struct HttpOutcome {
  /// Transport-level failure.
  enum class Error : std::uint8_t { kNone, kTimeout, kFailed };
  int status = 0;              ///< HTTP status when a response arrived
  std::string body;            ///< response body
  Error error = Error::kNone;  ///< kNone when a response arrived
};

/// How a Queue ended.
struct QueueOutcome {
  /// answered (flow ends), timeout, no agents logged in, full, caller abandoned (flow ends).
  enum class Kind : std::uint8_t { kAnswered, kTimeout, kNoAgents, kFull, kAbandoned };
  Kind kind = Kind::kTimeout;  ///< how it ended
  std::string agent;           ///< kAnswered: who answered
};

/// A Transfer ended.
struct TransferOutcome {
  bool ok = false;  ///< the target answered / accepted
};

/// A Voicemail ended; `path` is the recording when one was made.
struct VoicemailOutcome {
  bool recorded = false;  ///< something was recorded
  std::string path;       ///< where (becomes ${voicemail.path})
};

/// A Callback request was accepted (registered) or refused (queue does not take callbacks).
struct CallbackOutcome {
  bool accepted = true;  ///< registered with the queue
};

/// The caller hung up during any action.
struct CallerHungUp {};

/// The result of the last Action.
using Outcome = std::variant<PlayOutcome, CollectOutcome, LookupOutcome, HttpOutcome, QueueOutcome,
                             TransferOutcome, VoicemailOutcome, CallbackOutcome, CallerHungUp>;

/// One step the run took, for the app's "flow step" event (W1).
struct Step {
  std::string node;                   ///< node id
  NodeType type = NodeType::kHangup;  ///< its type
  std::string detail;  ///< "option 1", "condition 2", "else", "priority=5", "timeout", ...
};

/// Internal steps (branch, set) allowed per start()/resume() before the run gives up.
inline constexpr int kStepBudget = 100;
/// Actions allowed per run before it hangs up with "flow loop".
inline constexpr int kActionBudget = 500;

/// One call walking one flow version. Built-in variables: caller, dialled, call_id, tenant,
/// tenant_name; plus the flow's `variables:` defaults.
class FlowRun {
 public:
  /// `env` must outlive the run; `flow` stays alive as long as the run (publishing a newer
  /// version does not affect it).
  FlowRun(std::shared_ptr<const FlowVersion> flow, const FlowEnv& env, CallFacts facts);

  /// Enters the start node; call once.
  Action start();
  /// Feeds the outcome of the last action and returns the next one. After Hangup or Done,
  /// returns Done. An outcome of the wrong kind hangs up with "flow error: ...".
  Action resume(const Outcome& outcome);

  /// The run's variables.
  const Variables& vars() const { return vars_; }
  /// The node the run is at (or ended at).
  const std::string& lastNode() const { return lastNode_; }
  /// True after Hangup or Done.
  bool finished() const { return finished_; }
  /// The steps taken since the last call (drains them).
  std::vector<Step> takeSteps();
  /// The version this run executes.
  const FlowVersion& flow() const { return *flow_; }

 private:
  Action advance(const Node* node);
  Action enter(const Node& node);
  Action follow(const Node& from, const std::string& target, std::string_view whyNone);
  Action resumeMenu(const Node& node, const CollectOutcome& o);
  Action resumeCollect(const Node& node, const CollectOutcome& o);
  Action resumeLookup(const Node& node, const LookupOutcome& o);
  Action resumeHttp(const Node& node, const HttpOutcome& o);
  Action resumeQueue(const Node& node, const QueueOutcome& o);
  Action resumeOther(const Node& node, const Outcome& o);
  Action collectFor(const Node& node, const Prompt* before, bool flush);
  Action hangup(const std::string& node, std::string reason);
  Action done(std::string reason);
  bool holds(const Condition& c, int depth);
  Prompt expand(const Prompt& p) const;
  std::string expand(const std::string& text) const { return expandTemplate(text, vars_); }
  void record(const Node& node, std::string detail);
  void clearPrefix(std::string_view prefix);

  std::shared_ptr<const FlowVersion> flow_;
  const FlowEnv& env_;
  CallFacts facts_;
  Variables vars_;
  const Node* waiting_ = nullptr;  ///< node whose action is outstanding
  int attempts_ = 0;               ///< menu/collect attempts at waiting_
  int actions_ = 0;
  bool finished_ = false;
  std::string lastNode_;
  std::vector<Step> steps_;
};

}  // namespace sb::flow
