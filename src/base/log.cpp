#include "base/log.h"

#include <atomic>
#include <string>

#include <spdlog/sinks/stdout_color_sinks.h>

namespace sb::log {
namespace {

std::atomic<std::uint64_t> g_security_events{0};

std::shared_ptr<spdlog::logger> securityLogger() {
  static std::shared_ptr<spdlog::logger> logger = [] {
    auto l = spdlog::get("security");
    if (!l) l = spdlog::stderr_color_mt("security");
    return l;
  }();
  return logger;
}

void appendJsonString(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (u < 0x20 || u >= 0x7f) {
          static constexpr char kHex[] = "0123456789abcdef";
          out += "\\u00";
          out += kHex[u >> 4];
          out += kHex[u & 0xf];
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

}  // namespace

void setLevel(std::string_view level) {
  spdlog::set_level(spdlog::level::from_str(std::string(level)));
}

std::string formatSecurityEvent(std::string_view event, std::initializer_list<Field> fields) {
  std::string out = "{\"event\":";
  appendJsonString(out, event);
  for (const auto& [k, v] : fields) {
    out += ',';
    appendJsonString(out, k);
    out += ':';
    appendJsonString(out, v);
  }
  out += '}';
  return out;
}

void securityEvent(std::string_view event, std::initializer_list<Field> fields) {
  g_security_events.fetch_add(1, std::memory_order_relaxed);
  securityLogger()->warn("{}", formatSecurityEvent(event, fields));
}

std::uint64_t securityEventCount() { return g_security_events.load(std::memory_order_relaxed); }

}  // namespace sb::log
