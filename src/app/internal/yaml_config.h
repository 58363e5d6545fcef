#pragma once
// Shared helpers of the configuration parsers (config.cpp, config_contact_center.cpp): yaml-cpp
// reports with exceptions; these turn every problem into one ConfigError naming source:line,
// which parseConfig() returns as a Result.

#include <set>
#include <string>
#include <string_view>

#include <yaml-cpp/yaml.h>

namespace sb::app::config_yaml {

// yaml-cpp reports with exceptions; this edge turns them into Result values.
struct ConfigError {
  std::string message;
};

inline std::string where(std::string_view source, const YAML::Node& n) {
  return std::string(source) + ":" + std::to_string(n.Mark().line + 1);
}

[[noreturn]] inline void bad(std::string_view source, const YAML::Node& n,
                             const std::string& what) {
  throw ConfigError{where(source, n) + ": " + what};
}

template <class T>
T get(std::string_view source, const YAML::Node& n, const char* key, T fallback) {
  YAML::Node v = n[key];
  if (!v) return fallback;
  try {
    return v.as<T>();
  } catch (const YAML::Exception&) {
    bad(source, v, std::string("invalid value for '") + key + "'");
  }
}

inline void checkKeys(std::string_view source, const YAML::Node& n, std::set<std::string> allowed) {
  if (!n.IsMap()) bad(source, n, "expected a mapping");
  for (const auto& kv : n) {
    auto key = kv.first.as<std::string>();
    if (!allowed.count(key)) bad(source, kv.first, "unknown key '" + key + "'");
  }
}

}  // namespace sb::app::config_yaml
