// validate(): every rule a flow must pass before publish (README.md "Validation").
#include <algorithm>
#include <set>

#include "flow/calendar.h"
#include "flow/flow.h"
#include "flow/template.h"

namespace sb::flow {
namespace {

constexpr std::size_t kMaxLoopReports = 10;

// Variables every run starts with (run.h "Built-in variables").
constexpr std::string_view kBuiltins[] = {"caller", "dialled", "call_id", "tenant", "tenant_name"};

constexpr std::string_view kTones[] = {"ringback", "busy", "congestion", "beep", "dial", "silence"};

std::size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// " (did you mean 'sales'?)" when one known name is close to `name`.
template <class Names>
std::string suggestion(const std::string& name, const Names& known) {
  if (name.size() > 64) return {};
  std::string best;
  std::size_t bestDistance = 3;
  for (const auto& entry : known) {
    const std::string& k = [&]() -> const std::string& {
      if constexpr (std::is_same_v<typename Names::value_type, std::string>) {
        return entry;
      } else {
        return entry.first;
      }
    }();
    if (k.size() > 64) continue;
    std::size_t d = editDistance(name, k);
    if (d < bestDistance && d * 2 <= name.size()) {
      bestDistance = d;
      best = k;
    }
  }
  return best.empty() ? std::string{} : " (did you mean '" + best + "'?)";
}

class Checker {
 public:
  Checker(const FlowDefinition& flow, const ValidationContext& ctx) : flow_(flow), ctx_(ctx) {
    collectProducedVariables();
  }

  std::vector<Issue> run() {
    if (!flow_.nodes.count(flow_.start)) {
      error(
          "", flow_.startLine,
          "start node '" + flow_.start + "' is not a node" + suggestion(flow_.start, flow_.nodes));
    }
    for (const auto& [name, cal] : flow_.calendars) {
      for (const auto& p : calendarProblems(cal)) {
        add(Issue::Severity::kError, "", cal.line, "calendar '" + name + "': " + p);
      }
    }
    for (const auto& [id, node] : flow_.nodes) checkNode(node);
    checkReachable();
    checkInputlessLoops();
    return std::move(issues_);
  }

 private:
  void add(Issue::Severity sev, const std::string& node, int line, const std::string& text) {
    std::string msg = flow_.source.empty() ? std::string("flow") : flow_.source;
    if (line > 0) msg += ":" + std::to_string(line);
    msg += ": ";
    if (!node.empty()) msg += "node '" + node + "': ";
    issues_.push_back(Issue{sev, node, line, msg + text});
  }
  void error(const std::string& node, int line, const std::string& text) {
    add(Issue::Severity::kError, node, line, text);
  }
  void warning(const std::string& node, int line, const std::string& text) {
    add(Issue::Severity::kWarning, node, line, text);
  }
  static int lineOf(const Node& n, const char* key) {
    auto it = n.keyLines.find(key);
    return it != n.keyLines.end() ? it->second : n.line;
  }

  void collectProducedVariables() {
    for (auto b : kBuiltins) produced_.emplace(b);
    for (const auto& [name, value] : flow_.variables) produced_.insert(name);
    for (const auto& [id, n] : flow_.nodes) {
      if (!n.var.empty()) produced_.insert(n.var);
      if (n.type == NodeType::kLookup) prefixes_.insert("customer.");
      if (n.type == NodeType::kHttp) prefixes_.insert(n.resultVar + ".");
      if (n.type == NodeType::kVoicemail) produced_.insert("voicemail.path");
      if (n.type == NodeType::kQueue) prefixes_.insert("queue.");
      if (n.type == NodeType::kTransfer) produced_.insert("transfer.result");
    }
  }

  bool isProduced(const std::string& name) const {
    if (produced_.count(name)) return true;
    for (const auto& p : prefixes_) {
      if (name.rfind(p, 0) == 0) return true;
    }
    return false;
  }

  // Template syntax, plus a warning for variables nothing sets.
  void checkTemplate(const Node& n, const char* key, const std::string& text) {
    auto names = templateNames(text);
    if (!names) {
      error(n.id, lineOf(n, key), "'" + std::string(key) + "': " + names.error().message);
      return;
    }
    for (const auto& name : *names) {
      if (!isProduced(name)) {
        warning(n.id, lineOf(n, key),
                "'" + std::string(key) + "' uses '${" + name + "}', which no node sets" +
                    suggestion(name, produced_));
      }
    }
  }

  void checkPrompt(const Node& n, const char* key, const Prompt& p) {
    int line = p.line ? p.line : lineOf(n, key);
    switch (p.kind) {
      case Prompt::Kind::kNone:
        return;
      case Prompt::Kind::kText:
        if (p.value.empty()) error(n.id, line, std::string(key) + " has empty text");
        break;
      case Prompt::Kind::kFile:
        if (p.value.empty()) {
          error(n.id, line, std::string(key) + " has an empty file name");
        } else if (ctx_.promptExists && !hasReference(p.value) && !ctx_.promptExists(p.value)) {
          error(n.id, line, "prompt file '" + p.value + "' does not exist");
        }
        break;
      case Prompt::Kind::kTone:
        if (std::find(std::begin(kTones), std::end(kTones), p.value) == std::end(kTones)) {
          error(n.id, line,
                "unknown tone '" + p.value + "' (ringback, busy, congestion, beep, dial, silence)");
        }
        return;
    }
    checkTemplate(n, key, p.value);
  }

  void checkExits(const Node& n) {
    for (const auto& e : exitsOf(n)) {
      if (!flow_.nodes.count(e.target)) {
        error(n.id, e.line,
              e.label + " goes to '" + e.target + "', which is not a node" +
                  suggestion(e.target, flow_.nodes));
      }
    }
  }

  void checkVarName(const Node& n, const char* key, const std::string& name) {
    if (!name.empty() && !isVariableName(name)) {
      error(n.id, lineOf(n, key), "'" + name + "' is not a variable name");
    }
  }

  void requireNext(const Node& n) {
    if (n.next.empty()) {
      error(n.id, n.line,
            "has no 'next': a " + std::string(nodeTypeName(n.type)) +
                " node must say where the call goes afterwards");
    }
  }

  void checkQueueName(const Node& n) {
    if (!hasReference(n.queue) && !ctx_.queues.count(n.queue)) {
      error(n.id, lineOf(n, "queue"),
            "queue '" + n.queue + "' does not exist" + suggestion(n.queue, ctx_.queues));
    }
  }

  void checkCondition(const Node& n, const Condition& c) {
    int line = c.line ? c.line : n.line;
    switch (c.kind) {
      case Condition::Kind::kTimeIn:
        if (!flow_.calendars.count(c.subject) && !ctx_.calendars.count(c.subject)) {
          error(n.id, line,
                "calendar '" + c.subject + "' does not exist" +
                    suggestion(c.subject, flow_.calendars));
        }
        break;
      case Condition::Kind::kInList:
        if (!ctx_.lists.count(c.subject)) {
          error(n.id, line,
                "list '" + c.subject + "' does not exist" + suggestion(c.subject, ctx_.lists));
        }
        break;
      case Condition::Kind::kVarEquals:
      case Condition::Kind::kVarNotEquals:
        checkTemplate(n, "conditions", c.value);
        [[fallthrough]];
      case Condition::Kind::kVarExists:
        if (!isVariableName(c.subject)) {
          error(n.id, line, "'" + c.subject + "' is not a variable name");
        } else if (!isProduced(c.subject)) {
          warning(n.id, line, "tests variable '" + c.subject + "', which no node sets");
        }
        break;
      case Condition::Kind::kAll:
      case Condition::Kind::kAny:
      case Condition::Kind::kNot:
        for (const auto& child : c.children) checkCondition(n, child);
        break;
      default:
        if (c.value.empty()) error(n.id, line, "compares the number with an empty value");
        break;
    }
  }

  void checkQueue(const Node& n) {
    checkQueueName(n);
    checkTemplate(n, "priority", n.priority);
    checkTemplate(n, "owner", n.owner);
    if (!n.priority.empty() && !hasReference(n.priority)) {
      bool digits = n.priority.size() <= 6;
      for (char ch : n.priority) digits = digits && ch >= '0' && ch <= '9';
      if (!digits) error(n.id, lineOf(n, "priority"), "priority must be a whole number 0-999999");
    }
    if (n.next.empty() && n.nextTimeout.empty() && n.nextNoAgents.empty() && n.nextFull.empty()) {
      error(n.id, n.line, "has no exit: give next_timeout, next_no_agents, next_full or next");
      return;
    }
    if (!n.next.empty()) return;
    for (auto [key, value] :
         {std::pair{"next_timeout", &n.nextTimeout}, std::pair{"next_no_agents", &n.nextNoAgents},
          std::pair{"next_full", &n.nextFull}}) {
      if (value->empty()) {
        warning(n.id, n.line,
                std::string("no '") + key + "' (or 'next'): in that case the call hangs up");
      }
    }
  }

  void checkTransfer(const Node& n) {
    checkTemplate(n, "to", n.target);
    if (n.nextFailed.empty()) warning(n.id, n.line, "no 'next_failed': a failed transfer hangs up");
    if (hasReference(n.target)) return;
    if (n.transferKind == TransferKind::kAgent && !ctx_.agents.count(n.target)) {
      error(n.id, lineOf(n, "to"), "agent '" + n.target + "' does not exist");
    } else if (n.transferKind == TransferKind::kExtension && !ctx_.extensions.count(n.target)) {
      error(n.id, lineOf(n, "to"), "extension '" + n.target + "' does not exist");
    } else if (n.transferKind == TransferKind::kNumber) {
      bool ok = n.target.size() >= 3 && n.target.size() <= 20;
      for (std::size_t i = 0; i < n.target.size(); ++i) {
        char ch = n.target[i];
        ok = ok && ((ch >= '0' && ch <= '9') || (i == 0 && ch == '+'));
      }
      if (!ok) error(n.id, lineOf(n, "to"), "'" + n.target + "' is not a phone number");
    }
  }

  void checkHttp(const Node& n) {
    requireNext(n);
    checkTemplate(n, "url", n.url);
    if (n.url.rfind("https://", 0) != 0 && n.url.rfind("http://", 0) != 0) {
      error(n.id, lineOf(n, "url"), "url must start with https:// or http://");
    }
    for (const auto& [name, value] : n.headers) checkTemplate(n, "headers", value);
    checkTemplate(n, "body", n.body);
    checkVarName(n, "result_var", n.resultVar);
  }

  void checkMenu(const Node& n) {
    if (n.options.empty()) error(n.id, n.line, "has no options");
    checkPrompt(n, "invalid_prompt", n.invalidPrompt);
    checkPrompt(n, "timeout_prompt", n.timeoutPrompt);
    checkVarName(n, "var", n.var);
    if (n.nextInvalid.empty()) {
      warning(n.id, n.line, "no 'next_invalid': after the last wrong key the call hangs up");
    }
    if (n.nextTimeout.empty()) {
      warning(n.id, n.line, "no 'next_timeout': when the caller presses nothing the call hangs up");
    }
  }

  void checkNode(const Node& n) {
    checkExits(n);
    checkPrompt(n, "prompt", n.prompt);
    switch (n.type) {
      case NodeType::kSay:
      case NodeType::kPlay:
        requireNext(n);
        if (n.prompt.kind == Prompt::Kind::kNone) error(n.id, n.line, "has nothing to play");
        break;
      case NodeType::kMenu:
        checkMenu(n);
        break;
      case NodeType::kCollect:
        requireNext(n);
        checkVarName(n, "var", n.var);
        if (n.var.empty()) error(n.id, n.line, "needs 'var'");
        if (n.minDigits > n.maxDigits) error(n.id, n.line, "min_digits is above max_digits");
        break;
      case NodeType::kBranch:
        if (n.elseNext.empty())
          error(n.id, n.line, "has no 'else': when no condition holds the call has nowhere to go");
        for (const auto& c : n.cases) checkCondition(n, c.when);
        break;
      case NodeType::kSet:
        requireNext(n);
        checkVarName(n, "var", n.var);
        checkTemplate(n, "value", n.value);
        break;
      case NodeType::kLookup:
        requireNext(n);
        checkTemplate(n, "key", n.key);
        break;
      case NodeType::kHttp:
        checkHttp(n);
        break;
      case NodeType::kQueue:
        checkQueue(n);
        break;
      case NodeType::kTransfer:
        checkTransfer(n);
        break;
      case NodeType::kVoicemail:
        checkTemplate(n, "mailbox", n.mailbox);
        break;
      case NodeType::kCallback:
        checkQueueName(n);
        checkTemplate(n, "number", n.number);
        break;
      case NodeType::kHangup:
        checkTemplate(n, "reason", n.reason);
        break;
    }
  }

  void checkReachable() {
    std::set<std::string> seen;
    std::vector<std::string> todo;
    if (flow_.nodes.count(flow_.start)) todo.push_back(flow_.start);
    while (!todo.empty()) {
      std::string id = std::move(todo.back());
      todo.pop_back();
      if (!seen.insert(id).second) continue;
      for (const auto& e : exitsOf(flow_.nodes.at(id))) {
        if (flow_.nodes.count(e.target) && !seen.count(e.target)) todo.push_back(e.target);
      }
    }
    for (const auto& [id, node] : flow_.nodes) {
      if (!seen.count(id)) warning(id, node.line, "cannot be reached from the start node");
    }
  }

  // Iterative DFS over nodes that do not wait for the caller; a back edge closes a loop that
  // would spin (or replay prompts) forever without the caller being able to leave it.
  void checkInputlessLoops() {
    enum class Mark : std::uint8_t { kNew, kOnPath, kDone };
    std::map<std::string, Mark> mark;
    std::size_t reports = 0;
    for (const auto& [root, rootNode] : flow_.nodes) {
      if (waitsForCaller(rootNode.type) || mark[root] != Mark::kNew) continue;
      struct Frame {
        const Node* node;
        std::vector<Exit> exits;
        std::size_t next = 0;
      };
      std::vector<Frame> path;
      path.push_back(Frame{&rootNode, exitsOf(rootNode)});
      mark[root] = Mark::kOnPath;
      while (!path.empty()) {
        Frame& top = path.back();
        if (top.next == top.exits.size()) {
          mark[top.node->id] = Mark::kDone;
          path.pop_back();
          continue;
        }
        const std::string& target = top.exits[top.next++].target;
        auto it = flow_.nodes.find(target);
        if (it == flow_.nodes.end() || waitsForCaller(it->second.type)) continue;
        Mark& m = mark[target];
        if (m == Mark::kOnPath) {
          // One report per node that closes a loop keeps a tangle of loops readable.
          if (reports < kMaxLoopReports && looped_.insert(target).second) {
            ++reports;
            reportLoop(path, target);
          }
        } else if (m == Mark::kNew) {
          m = Mark::kOnPath;
          path.push_back(Frame{&it->second, exitsOf(it->second)});
        }
      }
    }
  }

  template <class Path>
  void reportLoop(const Path& path, const std::string& target) {
    std::string cycle;
    bool in = false;
    for (const auto& f : path) {
      in = in || f.node->id == target;
      if (in) cycle += "'" + f.node->id + "' -> ";
    }
    cycle += "'" + target + "'";
    const Node& first = flow_.nodes.at(target);
    error(target, first.line,
          "loop " + cycle +
              " never waits for the caller (add a menu, collect, queue or "
              "voicemail node to it)");
  }

  const FlowDefinition& flow_;
  const ValidationContext& ctx_;
  std::vector<Issue> issues_;
  std::set<std::string> produced_;
  std::set<std::string> prefixes_;
  std::set<std::string> looped_;
};

}  // namespace

std::vector<Issue> validate(const FlowDefinition& flow, const ValidationContext& context) {
  return Checker(flow, context).run();
}

}  // namespace sb::flow
