#pragma once
// Private to flow: reads flow YAML with source lines in every message. Reader methods throw
// ParseError, which parseFlow (the only caller) turns into a Result; nothing escapes flow.

#include <initializer_list>
#include <string>
#include <string_view>

#include <yaml-cpp/yaml.h>

#include "flow/flow.h"

namespace sb::flow::internal {

/// A schema error with its full message ("main.yaml:12: node 'menu': ...").
struct ParseError {
  std::string message;
};

/// Typed access to YAML values; `subject` ("node 'menu'", "calendar 'x'", "flow") prefixes
/// every message.
class Reader {
 public:
  /// `source` names the text in messages ("main.yaml"); its first line is `firstLine`.
  Reader(std::string_view source, int firstLine) : source_(source), firstLine_(firstLine) {}

  /// 1-based line of `n` in the source, 0 when yaml-cpp has no position for it.
  int line(const YAML::Node& n) const;
  /// Throws ParseError "source:line: subject: what".
  [[noreturn]] void fail(const YAML::Node& at, std::string_view subject,
                         const std::string& what) const;
  /// Throws unless `map` is a mapping whose keys are all in `allowed`.
  void keys(const YAML::Node& map, std::string_view subject,
            std::initializer_list<const char*> allowed) const;
  /// The scalar text of `value`; throws when it is a list, a mapping or null.
  std::string scalar(const YAML::Node& value, std::string_view subject,
                     std::string_view what) const;
  /// `map[key]` as text, or `fallback` when absent.
  std::string text(const YAML::Node& map, const char* key, std::string_view subject,
                   std::string fallback = {}) const;
  /// `map[key]` as an integer within [min, max], or `fallback` when absent.
  int integer(const YAML::Node& map, const char* key, std::string_view subject, int fallback,
              int min, int max) const;
  /// `map[key]` as true/false (also yes/no), or `fallback` when absent.
  bool boolean(const YAML::Node& map, const char* key, std::string_view subject,
               bool fallback) const;
  /// A prompt: a plain string (text), or {text, voice} | {file} | {tone}.
  Prompt prompt(const YAML::Node& value, std::string_view subject, std::string_view what) const;
  /// The source name.
  const std::string& source() const { return source_; }

 private:
  std::string source_;
  int firstLine_ = 1;
};

/// Fills `node` from its mapping (type-specific keys); throws ParseError.
void readNode(const Reader& r, const YAML::Node& map, Node& node);

/// Reads one branch condition; `depth` bounds all/any/not nesting.
Condition readCondition(const Reader& r, const YAML::Node& value, std::string_view subject,
                        int depth);

/// Reads one calendar mapping.
Calendar readCalendar(const Reader& r, const YAML::Node& map, const std::string& name);

}  // namespace sb::flow::internal
