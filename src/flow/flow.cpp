#include "flow/flow.h"

namespace sb::flow {

std::string_view nodeTypeName(NodeType t) {
  switch (t) {
    case NodeType::kSay:
      return "say";
    case NodeType::kPlay:
      return "play";
    case NodeType::kMenu:
      return "menu";
    case NodeType::kCollect:
      return "collect";
    case NodeType::kBranch:
      return "branch";
    case NodeType::kSet:
      return "set";
    case NodeType::kLookup:
      return "lookup";
    case NodeType::kHttp:
      return "http";
    case NodeType::kQueue:
      return "queue";
    case NodeType::kTransfer:
      return "transfer";
    case NodeType::kVoicemail:
      return "voicemail";
    case NodeType::kCallback:
      return "callback";
    case NodeType::kHangup:
      return "hangup";
  }
  return "?";
}

bool waitsForCaller(NodeType t) {
  return t == NodeType::kMenu || t == NodeType::kCollect || t == NodeType::kQueue ||
         t == NodeType::kVoicemail;
}

std::vector<Exit> exitsOf(const Node& node) {
  std::vector<Exit> out;
  auto lineOf = [&](const std::string& key) {
    auto it = node.keyLines.find(key);
    return it != node.keyLines.end() ? it->second : node.line;
  };
  auto add = [&](const char* key, const std::string& target) {
    if (!target.empty()) out.push_back(Exit{key, target, lineOf(key)});
  };
  for (const auto& [digits, target] : node.options) {
    auto it = node.optionLines.find(digits);
    out.push_back(Exit{"option '" + digits + "'", target,
                       it != node.optionLines.end() ? it->second : lineOf("options")});
  }
  for (std::size_t i = 0; i < node.cases.size(); ++i) {
    const auto& c = node.cases[i];
    if (!c.next.empty()) {
      out.push_back(
          Exit{"condition " + std::to_string(i + 1), c.next, c.line ? c.line : node.line});
    }
  }
  add("else", node.elseNext);
  add("next", node.next);
  add("next_invalid", node.nextInvalid);
  add("next_timeout", node.nextTimeout);
  add("next_no_agents", node.nextNoAgents);
  add("next_full", node.nextFull);
  add("next_not_found", node.nextNotFound);
  add("next_error", node.nextError);
  add("next_failed", node.nextFailed);
  return out;
}

bool hasErrors(const std::vector<Issue>& issues) {
  for (const auto& i : issues) {
    if (i.severity == Issue::Severity::kError) return true;
  }
  return false;
}

}  // namespace sb::flow
