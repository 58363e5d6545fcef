// Node and condition schemas (README.md "Node types"). Throws internal::ParseError only.
#include <string>

#include "flow/internal/yaml_reader.h"

namespace sb::flow::internal {
namespace {

constexpr int kMaxConditionDepth = 8;
constexpr int kMaxTimeoutS = 3600;

struct TypeName {
  const char* name;
  NodeType type;
};
constexpr TypeName kTypes[] = {
    {"say", NodeType::kSay},
    {"play", NodeType::kPlay},
    {"menu", NodeType::kMenu},
    {"collect", NodeType::kCollect},
    {"branch", NodeType::kBranch},
    {"set", NodeType::kSet},
    {"lookup", NodeType::kLookup},
    {"http", NodeType::kHttp},
    {"queue", NodeType::kQueue},
    {"transfer", NodeType::kTransfer},
    {"voicemail", NodeType::kVoicemail},
    {"callback", NodeType::kCallback},
    {"hangup", NodeType::kHangup},
};

// Reads an exit key: a node id (checked against the graph by validate()).
std::string exitOf(const Reader& r, const YAML::Node& map, const char* key,
                   std::string_view subject) {
  return r.text(map, key, subject);
}

void readSay(const Reader& r, const YAML::Node& n, Node& node, std::string_view subject) {
  r.keys(n, subject,
         {"type", "description", "ui", "text", "voice", "file", "tone", "prompt", "next"});
  if (n["prompt"]) {
    if (n["text"] || n["file"] || n["tone"] || n["voice"]) {
      r.fail(n, subject, "give either 'prompt' or text/file/tone, not both");
    }
    node.prompt = r.prompt(n["prompt"], subject, "'prompt'");
  } else {
    int kinds = 0;
    for (auto [key, kind] :
         {std::pair{"text", Prompt::Kind::kText}, std::pair{"file", Prompt::Kind::kFile},
          std::pair{"tone", Prompt::Kind::kTone}}) {
      if (!n[key]) continue;
      ++kinds;
      node.prompt.kind = kind;
      node.prompt.value = r.text(n, key, subject);
    }
    if (kinds != 1) r.fail(n, subject, "needs exactly one of 'text', 'file', 'tone' (or 'prompt')");
    node.prompt.voice = r.text(n, "voice", subject);
    if (!node.prompt.voice.empty() && node.prompt.kind != Prompt::Kind::kText) {
      r.fail(n, subject, "'voice' goes with 'text' only");
    }
    node.prompt.line = node.line;
  }
  node.next = exitOf(r, n, "next", subject);
}

void readMenu(const Reader& r, const YAML::Node& n, Node& node, std::string_view subject) {
  r.keys(n, subject,
         {"type", "description", "ui", "prompt", "options", "timeout", "retries", "invalid_prompt",
          "timeout_prompt", "next_invalid", "next_timeout", "var"});
  if (n["prompt"]) node.prompt = r.prompt(n["prompt"], subject, "'prompt'");
  if (n["invalid_prompt"]) {
    node.invalidPrompt = r.prompt(n["invalid_prompt"], subject, "'invalid_prompt'");
  }
  if (n["timeout_prompt"]) {
    node.timeoutPrompt = r.prompt(n["timeout_prompt"], subject, "'timeout_prompt'");
  }
  YAML::Node options = n["options"];
  if (!options || !options.IsMap() || options.size() == 0) {
    r.fail(options ? options : n, subject, "'options' must map keys (\"1\", \"2\", ...) to nodes");
  }
  for (const auto& kv : options) {
    std::string key = r.scalar(kv.first, subject, "an option key");
    bool dtmf = !key.empty() && key.size() <= 8;
    for (char c : key) dtmf = dtmf && ((c >= '0' && c <= '9') || c == '*' || c == '#');
    if (!dtmf) {
      r.fail(kv.first, subject, "option '" + key + "' is not keypad digits (0-9, *, #)");
    }
    if (node.options.count(key)) r.fail(kv.first, subject, "option '" + key + "' appears twice");
    node.options[key] = r.scalar(kv.second, subject, "option '" + key + "'");
    node.optionLines[key] = r.line(kv.second);
  }
  node.timeoutS = r.integer(n, "timeout", subject, 5, 1, kMaxTimeoutS);
  node.retries = r.integer(n, "retries", subject, 2, 0, 10);
  node.nextInvalid = exitOf(r, n, "next_invalid", subject);
  node.nextTimeout = exitOf(r, n, "next_timeout", subject);
  node.var = r.text(n, "var", subject);
}

void readCollect(const Reader& r, const YAML::Node& n, Node& node, std::string_view subject) {
  r.keys(n, subject,
         {"type", "description", "ui", "prompt", "var", "max_digits", "min_digits", "terminator",
          "timeout", "inter_digit_timeout", "retries", "next", "next_timeout"});
  if (n["prompt"]) node.prompt = r.prompt(n["prompt"], subject, "'prompt'");
  node.var = r.text(n, "var", subject);
  if (node.var.empty()) r.fail(n, subject, "needs 'var', the variable that gets the digits");
  node.maxDigits = r.integer(n, "max_digits", subject, 1, 1, 64);
  node.minDigits = r.integer(n, "min_digits", subject, 1, 0, 64);
  node.terminator = r.text(n, "terminator", subject);
  if (!node.terminator.empty() && node.terminator != "#" && node.terminator != "*") {
    r.fail(n["terminator"], subject, "'terminator' must be \"#\", \"*\" or \"\"");
  }
  node.timeoutS = r.integer(n, "timeout", subject, 5, 1, kMaxTimeoutS);
  node.interDigitTimeoutS = r.integer(n, "inter_digit_timeout", subject, 3, 1, kMaxTimeoutS);
  node.retries = r.integer(n, "retries", subject, 0, 0, 10);
  node.next = exitOf(r, n, "next", subject);
  node.nextTimeout = exitOf(r, n, "next_timeout", subject);
}

void readBranch(const Reader& r, const YAML::Node& n, Node& node, std::string_view subject) {
  r.keys(n, subject, {"type", "description", "ui", "conditions", "else"});
  YAML::Node list = n["conditions"];
  if (list && !list.IsSequence()) r.fail(list, subject, "'conditions' must be a list");
  if (list) {
    for (const auto& item : list) {
      r.keys(item, subject, {"if", "next"});
      if (!item["if"]) r.fail(item, subject, "a condition needs 'if'");
      BranchCase c;
      c.line = r.line(item);
      c.when = readCondition(r, item["if"], subject, 0);
      c.next = r.text(item, "next", subject);
      if (c.next.empty()) r.fail(item, subject, "a condition needs 'next'");
      node.cases.push_back(std::move(c));
    }
  }
  node.elseNext = exitOf(r, n, "else", subject);
}

void readHttp(const Reader& r, const YAML::Node& n, Node& node, std::string_view subject) {
  r.keys(n, subject,
         {"type", "description", "ui", "method", "url", "headers", "body", "timeout_ms",
          "result_var", "next", "next_error"});
  node.method = r.text(n, "method", subject, "GET");
  static constexpr const char* kMethods[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
  bool known = false;
  for (const char* m : kMethods) known = known || node.method == m;
  if (!known) r.fail(n["method"], subject, "'method' must be GET, POST, PUT, PATCH or DELETE");
  node.url = r.text(n, "url", subject);
  if (node.url.empty()) r.fail(n, subject, "needs 'url'");
  if (auto headers = n["headers"]) {
    if (!headers.IsMap()) r.fail(headers, subject, "'headers' must map names to values");
    for (const auto& kv : headers) {
      node.headers[r.scalar(kv.first, subject, "a header name")] =
          r.scalar(kv.second, subject, "a header value");
    }
  }
  node.body = r.text(n, "body", subject);
  node.timeoutMs = r.integer(n, "timeout_ms", subject, 3000, 100, 30000);
  node.resultVar = r.text(n, "result_var", subject, "http");
  node.next = exitOf(r, n, "next", subject);
  node.nextError = exitOf(r, n, "next_error", subject);
}

void readQueue(const Reader& r, const YAML::Node& n, Node& node, std::string_view subject) {
  r.keys(n, subject,
         {"type", "description", "ui", "queue", "priority", "owner", "owner_wait", "claim",
          "max_wait", "next", "next_timeout", "next_no_agents", "next_full"});
  node.queue = r.text(n, "queue", subject);
  if (node.queue.empty()) r.fail(n, subject, "needs 'queue'");
  node.priority = r.text(n, "priority", subject);
  node.ownerWaitS = r.integer(n, "owner_wait", subject, 0, 0, kMaxTimeoutS);
  node.owner = r.text(n, "owner", subject, node.ownerWaitS > 0 ? "${customer.owner}" : "");
  if (!node.owner.empty() && node.ownerWaitS == 0) node.ownerWaitS = 20;
  node.claim = r.boolean(n, "claim", subject, false);
  node.maxWaitS = r.integer(n, "max_wait", subject, 0, 0, 24 * kMaxTimeoutS);
  node.next = exitOf(r, n, "next", subject);
  node.nextTimeout = exitOf(r, n, "next_timeout", subject);
  node.nextNoAgents = exitOf(r, n, "next_no_agents", subject);
  node.nextFull = exitOf(r, n, "next_full", subject);
}

void readTransfer(const Reader& r, const YAML::Node& n, Node& node, std::string_view subject) {
  r.keys(n, subject, {"type", "description", "ui", "to", "next_failed"});
  YAML::Node to = n["to"];
  if (!to) r.fail(n, subject, "needs 'to' ({agent: ...}, {extension: ...} or {number: ...})");
  r.keys(to, subject, {"agent", "extension", "number"});
  if (to.size() != 1) r.fail(to, subject, "'to' needs exactly one of agent, extension, number");
  if (to["agent"]) {
    node.transferKind = TransferKind::kAgent;
    node.target = r.text(to, "agent", subject);
  } else if (to["extension"]) {
    node.transferKind = TransferKind::kExtension;
    node.target = r.text(to, "extension", subject);
  } else {
    node.transferKind = TransferKind::kNumber;
    node.target = r.text(to, "number", subject);
  }
  if (node.target.empty()) r.fail(to, subject, "the transfer target is empty");
  node.nextFailed = exitOf(r, n, "next_failed", subject);
}

void readOther(const Reader& r, const YAML::Node& n, Node& node, std::string_view subject) {
  switch (node.type) {
    case NodeType::kSet:
      r.keys(n, subject, {"type", "description", "ui", "var", "value", "next"});
      node.var = r.text(n, "var", subject);
      if (node.var.empty()) r.fail(n, subject, "needs 'var'");
      if (!n["value"]) r.fail(n, subject, "needs 'value'");
      node.value = r.text(n, "value", subject);
      node.next = exitOf(r, n, "next", subject);
      break;
    case NodeType::kLookup:
      r.keys(n, subject,
             {"type", "description", "ui", "key", "next", "next_not_found", "next_error"});
      node.key = r.text(n, "key", subject, "${caller}");
      node.next = exitOf(r, n, "next", subject);
      node.nextNotFound = exitOf(r, n, "next_not_found", subject);
      node.nextError = exitOf(r, n, "next_error", subject);
      break;
    case NodeType::kVoicemail:
      r.keys(n, subject, {"type", "description", "ui", "prompt", "max_seconds", "mailbox", "next"});
      if (n["prompt"]) node.prompt = r.prompt(n["prompt"], subject, "'prompt'");
      node.maxSeconds = r.integer(n, "max_seconds", subject, 60, 5, 600);
      node.mailbox = r.text(n, "mailbox", subject);
      node.next = exitOf(r, n, "next", subject);
      break;
    case NodeType::kCallback:
      r.keys(n, subject,
             {"type", "description", "ui", "prompt", "queue", "number", "next", "next_failed"});
      if (n["prompt"]) node.prompt = r.prompt(n["prompt"], subject, "'prompt'");
      node.queue = r.text(n, "queue", subject);
      if (node.queue.empty()) r.fail(n, subject, "needs 'queue'");
      node.number = r.text(n, "number", subject, "${caller}");
      node.next = exitOf(r, n, "next", subject);
      node.nextFailed = exitOf(r, n, "next_failed", subject);
      break;
    default:  // kHangup
      r.keys(n, subject, {"type", "description", "ui", "reason"});
      node.reason = r.text(n, "reason", subject);
      break;
  }
}

}  // namespace

void readNode(const Reader& r, const YAML::Node& n, Node& node) {
  std::string subject = "node '" + node.id + "'";
  if (!n.IsMap()) r.fail(n, subject, "expected a mapping with a 'type'");
  std::string type = r.text(n, "type", subject);
  if (type.empty()) r.fail(n, subject, "needs a 'type'");
  bool found = false;
  for (const auto& t : kTypes) {
    if (type == t.name) {
      node.type = t.type;
      found = true;
    }
  }
  if (!found) {
    r.fail(n["type"], subject,
           "unknown type '" + type +
               "' (say, play, menu, collect, branch, set, lookup, http, "
               "queue, transfer, voicemail, callback, hangup)");
  }
  for (const auto& kv : n) {
    if (kv.first.IsScalar()) node.keyLines[kv.first.Scalar()] = r.line(kv.second);
  }
  switch (node.type) {
    case NodeType::kSay:
    case NodeType::kPlay:
      return readSay(r, n, node, subject);
    case NodeType::kMenu:
      return readMenu(r, n, node, subject);
    case NodeType::kCollect:
      return readCollect(r, n, node, subject);
    case NodeType::kBranch:
      return readBranch(r, n, node, subject);
    case NodeType::kHttp:
      return readHttp(r, n, node, subject);
    case NodeType::kQueue:
      return readQueue(r, n, node, subject);
    case NodeType::kTransfer:
      return readTransfer(r, n, node, subject);
    default:
      return readOther(r, n, node, subject);
  }
}

namespace {

Condition readCombination(const Reader& r, const YAML::Node& v, std::string_view subject, int depth,
                          const std::string& key) {
  Condition c;
  c.line = r.line(v);
  YAML::Node inner = v[key];
  if (key == "not") {
    c.kind = Condition::Kind::kNot;
    c.children.push_back(readCondition(r, inner, subject, depth + 1));
    return c;
  }
  c.kind = key == "all" ? Condition::Kind::kAll : Condition::Kind::kAny;
  if (!inner.IsSequence() || inner.size() == 0) {
    r.fail(inner, subject, "'" + key + "' needs a list of conditions");
  }
  for (const auto& item : inner) c.children.push_back(readCondition(r, item, subject, depth + 1));
  return c;
}

}  // namespace

Condition readCondition(const Reader& r, const YAML::Node& v, std::string_view subject, int depth) {
  if (depth > kMaxConditionDepth) r.fail(v, subject, "conditions are nested too deeply");
  r.keys(v, subject,
         {"caller", "caller_prefix", "dialled", "dialled_prefix", "time_in", "in_list", "var",
          "equals", "not_equals", "exists", "all", "any", "not"});
  for (const char* key : {"all", "any", "not"}) {
    if (v[key]) {
      if (v.size() != 1) r.fail(v, subject, std::string("'") + key + "' must stand alone");
      return readCombination(r, v, subject, depth, key);
    }
  }
  Condition c;
  c.line = r.line(v);
  if (v["var"]) {
    c.subject = r.text(v, "var", subject);
    int tests = (v["equals"] ? 1 : 0) + (v["not_equals"] ? 1 : 0) + (v["exists"] ? 1 : 0);
    if (tests != 1 || v.size() != 2) {
      r.fail(v, subject, "'var' needs exactly one of equals, not_equals, exists");
    }
    if (v["equals"]) {
      c.kind = Condition::Kind::kVarEquals;
      c.value = r.text(v, "equals", subject);
    } else if (v["not_equals"]) {
      c.kind = Condition::Kind::kVarNotEquals;
      c.value = r.text(v, "not_equals", subject);
    } else {
      c.kind = Condition::Kind::kVarExists;
      c.exists = r.boolean(v, "exists", subject, true);
    }
    return c;
  }
  struct Leaf {
    const char* key;
    Condition::Kind kind;
    bool isSubject;
  };
  static constexpr Leaf kLeaves[] = {
      {"caller", Condition::Kind::kCaller, false},
      {"caller_prefix", Condition::Kind::kCallerPrefix, false},
      {"dialled", Condition::Kind::kDialled, false},
      {"dialled_prefix", Condition::Kind::kDialledPrefix, false},
      {"time_in", Condition::Kind::kTimeIn, true},
      {"in_list", Condition::Kind::kInList, true},
  };
  if (v.size() != 1) r.fail(v, subject, "a condition tests one thing (use all/any to combine)");
  for (const auto& leaf : kLeaves) {
    if (!v[leaf.key]) continue;
    c.kind = leaf.kind;
    (leaf.isSubject ? c.subject : c.value) = r.text(v, leaf.key, subject);
    return c;
  }
  r.fail(v, subject, "'equals', 'not_equals' and 'exists' go with 'var'");
}

}  // namespace sb::flow::internal
