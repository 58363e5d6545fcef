#pragma once
// A flow definition: the graph of typed IVR nodes a tenant writes in YAML or JSON (F1, F2),
// parsed with errors that name source:line and node, and validated before it is published.
// Plain values; any thread. Schema reference: src/flow/README.md.

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace sb::flow {

/// Something to play: speech from text, a recorded file, or a named tone. Values are templates.
struct Prompt {
  /// What `value` holds; kNone = no prompt.
  enum class Kind : std::uint8_t { kNone, kText, kFile, kTone };
  Kind kind = Kind::kNone;  ///< kind of prompt
  std::string value;        ///< text to speak, file path or tone name ("beep", "ringback", ...)
  std::string voice;        ///< text only: TTS voice ("flite", "espeak:zh"); empty = tenant default
  int line = 0;             ///< 1-based source line, 0 when built in code
};

/// What a node does; see README.md for each type's keys.
enum class NodeType : std::uint8_t {
  kSay,
  kPlay,
  kMenu,
  kCollect,
  kBranch,
  kSet,
  kLookup,
  kHttp,
  kQueue,
  kTransfer,
  kVoicemail,
  kCallback,
  kHangup,
};

/// The YAML spelling of a node type ("say", "menu", ...).
std::string_view nodeTypeName(NodeType t);

/// A branch test. Leaves compare facts; kAll/kAny/kNot combine `children`.
struct Condition {
  /// What is tested.
  enum class Kind : std::uint8_t {
    kCaller,         ///< caller number equals `value`
    kCallerPrefix,   ///< caller number starts with `value`
    kDialled,        ///< dialled number equals `value`
    kDialledPrefix,  ///< dialled number starts with `value`
    kTimeIn,         ///< now is inside calendar `subject`
    kInList,         ///< caller number is on tenant list `subject`
    kVarEquals,      ///< variable `subject` equals `value` (a template)
    kVarNotEquals,   ///< variable `subject` is unset or differs from `value`
    kVarExists,      ///< variable `subject` is set (and non-empty) == `exists`
    kAll,            ///< every child holds
    kAny,            ///< at least one child holds
    kNot,            ///< the single child does not hold
  };
  Kind kind = Kind::kVarExists;     ///< what is tested
  std::string subject;              ///< calendar, list or variable name
  std::string value;                ///< number, prefix or template to compare with
  bool exists = true;               ///< kVarExists: expected presence
  std::vector<Condition> children;  ///< kAll/kAny: the parts; kNot: exactly one
  int line = 0;                     ///< 1-based source line, 0 when built in code
};

/// One `conditions:` entry of a branch node: the first that holds picks `next`.
struct BranchCase {
  Condition when;    ///< the `if:` test
  std::string next;  ///< node taken when it holds
  int line = 0;      ///< source line of the entry
};

/// Where a transfer goes.
enum class TransferKind : std::uint8_t { kAgent, kExtension, kNumber };

/// One node. Fields are grouped by the node types that use them; others stay default.
struct Node {
  std::string id;                       ///< the node's key in `nodes:`
  NodeType type = NodeType::kHangup;    ///< what it does
  int line = 0;                         ///< source line of its key
  std::map<std::string, int> keyLines;  ///< source line of each key's value ("next" -> 14)

  std::string next;  ///< the normal exit (most types)

  // say, play, menu, collect, voicemail, callback
  Prompt prompt;
  // menu
  std::map<std::string, std::string> options;  ///< digits -> node
  std::map<std::string, int> optionLines;      ///< digits -> source line
  Prompt invalidPrompt;                        ///< played before a retry after a wrong key
  Prompt timeoutPrompt;                        ///< played before a retry after silence
  std::string nextInvalid;                     ///< retries exhausted on wrong keys
  std::string nextTimeout;                     ///< menu/collect: silence; queue: waited too long
  int timeoutS = 5;                            ///< menu/collect: seconds to the first digit
  int retries = 2;                             ///< menu/collect: extra attempts after the first
  // collect (and menu: `var` keeps the chosen option)
  std::string var;             ///< set: variable to assign; collect: digits go here
  int maxDigits = 1;           ///< collect: stop after this many
  int minDigits = 1;           ///< collect: fewer than this counts as no input
  std::string terminator;      ///< collect: "#", "*" or "" (none)
  int interDigitTimeoutS = 3;  ///< collect: seconds between digits
  // branch
  std::vector<BranchCase> cases;
  std::string elseNext;
  // set
  std::string value;  ///< template
  // lookup
  std::string key = "${caller}";  ///< template: the customer key (caller number by default)
  std::string nextNotFound;       ///< lookup: no such customer (default: next)
  std::string nextError;          ///< lookup/http: the request failed (default: next)
  // http
  std::string method = "GET";
  std::string url;                             ///< template
  std::map<std::string, std::string> headers;  ///< values are templates
  std::string body;                            ///< template
  int timeoutMs = 3000;
  std::string resultVar;  ///< fields land in "<resultVar>.<field>"
  // queue (callback uses `queue` too)
  std::string queue;
  std::string priority;      ///< template evaluating to an integer; empty = 0
  std::string owner;         ///< template: the owning agent (owner routing); empty = none
  int ownerWaitS = 0;        ///< seconds to wait for the owner before the queue's strategy
  bool claim = false;        ///< offer a new (ownerless) caller to several agents (R3)
  int maxWaitS = 0;          ///< 0 = the queue's own limit
  std::string nextNoAgents;  ///< nobody logged in
  std::string nextFull;      ///< the queue refused (limit reached)
  // transfer
  TransferKind transferKind = TransferKind::kAgent;
  std::string target;      ///< template: agent id, extension or E.164 number
  std::string nextFailed;  ///< transfer/callback failed
  // voicemail
  int maxSeconds = 60;
  std::string mailbox;  ///< template; empty = the tenant's default box
  // callback
  std::string number = "${caller}";  ///< template: where to call back
  // hangup
  std::string reason;
};

/// Weekly opening time of one day: minutes from local midnight; end < start crosses midnight.
struct TimeRange {
  int startMin = 0;  ///< first open minute, 0..1439
  int endMin = 0;    ///< first closed minute, 1..1440
  std::string text;  ///< as written, for messages ("22:00-06:00")
};

/// A calendar date in the calendar's time zone.
struct LocalDate {
  int year = 0;      ///< e.g. 2026
  int month = 0;     ///< 1..12
  int day = 0;       ///< 1..31
  std::string text;  ///< as written ("2026-10-01")
};

/// A date whose hours replace the weekly ones (holidays are dates with no hours).
struct SpecialDay {
  LocalDate date;                ///< the day
  std::vector<TimeRange> hours;  ///< the day's ranges (replace the weekly ones)
};

/// Business hours: weekly ranges plus holidays and special days, in one IANA time zone.
struct Calendar {
  std::string name;                              ///< key in `calendars:`
  std::string timezone;                          ///< IANA name, "Asia/Shanghai"
  std::array<std::vector<TimeRange>, 7> weekly;  ///< index 0 = Sunday ... 6 = Saturday
  std::vector<LocalDate> holidays;               ///< closed all day
  std::vector<SpecialDay> specialDays;           ///< e.g. a working Saturday
  int line = 0;                                  ///< source line of its key
};

/// A whole flow: nodes by id, the start node, calendars and default variables.
struct FlowDefinition {
  std::string name;                              ///< unique within the tenant
  std::string description;                       ///< free text
  std::string source;                            ///< source name used in messages ("main.yaml")
  std::string start;                             ///< id of the first node
  int startLine = 0;                             ///< source line of `start:`
  std::map<std::string, Node> nodes;             ///< by id
  std::map<std::string, Calendar> calendars;     ///< by name
  std::map<std::string, std::string> variables;  ///< initial values (templates not expanded)
};

/// Parses a flow written in YAML or JSON (JSON is YAML). Errors are kInvalidInput with a
/// message "source:line: node 'id': what is wrong". `firstLine` is the line of `text`'s first
/// line within `sourceName` (a flow embedded in a larger file). Never throws.
Result<FlowDefinition> parseFlow(std::string_view text, std::string_view sourceName,
                                 int firstLine = 1);

/// One edge of the graph: `label` names it for messages ("next", "option '1'", "else").
struct Exit {
  std::string label;   ///< "next", "option '1'", "condition 2", "else", "next_timeout", ...
  std::string target;  ///< node id
  int line = 0;        ///< source line of the exit
};

/// Every exit a node declares, in a stable order (empty targets left out).
std::vector<Exit> exitsOf(const Node& node);

/// True for the node types that wait for the caller (menu, collect, queue, voicemail).
bool waitsForCaller(NodeType t);

/// A validation finding.
struct Issue {
  /// Errors block publishing; warnings are kept with the version.
  enum class Severity : std::uint8_t { kError, kWarning };
  Severity severity = Severity::kError;  ///< how bad
  std::string node;                      ///< node id, or "" for the flow as a whole
  int line = 0;                          ///< source line, 0 when unknown
  std::string message;  ///< full text: "main.yaml:12: node 'menu': option '1' goes to ..."
};

/// What exists in the tenant the flow is published to.
struct ValidationContext {
  std::set<std::string> queues;      ///< ACD queue names
  std::set<std::string> lists;       ///< black/white/VIP list names
  std::set<std::string> calendars;   ///< tenant-wide calendars (FlowEnv::tenantCalendarOpen)
  std::set<std::string> agents;      ///< agent ids (transfer to agent)
  std::set<std::string> extensions;  ///< extension numbers (transfer to extension)
  /// True when a prompt file exists; empty function = files are not checked.
  std::function<bool(const std::string&)> promptExists;
};

/// Checks a flow against the tenant; errors block publishing, warnings do not. Pure.
std::vector<Issue> validate(const FlowDefinition& flow, const ValidationContext& context);

/// True when any issue is an error.
bool hasErrors(const std::vector<Issue>& issues);

}  // namespace sb::flow
