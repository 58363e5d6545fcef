#pragma once
// Logging: spdlog underneath. Two loggers: the main log and the structured security-event log.

#include <initializer_list>
#include <string_view>
#include <utility>

#include <spdlog/spdlog.h>

namespace sb::log {

/// Sets the level of the main logger ("trace", "debug", "info", "warn", "error").
void setLevel(std::string_view level);

/// One key/value pair of a security event. Values are JSON-escaped on output.
using Field = std::pair<std::string_view, std::string_view>;

/// Emits one structured security event as a single JSON line on the "security" logger, e.g.
/// `{"event":"auth_failure","source":"127.0.0.1:5062","user":"1001","reason":"bad_response"}`.
/// Never pass secrets (passwords, digest responses, tokens). Thread-safe.
void securityEvent(std::string_view event, std::initializer_list<Field> fields);

/// Returns the JSON text `securityEvent` would log; used by tests.
std::string formatSecurityEvent(std::string_view event, std::initializer_list<Field> fields);

/// Counts security events emitted since start (all threads).
std::uint64_t securityEventCount();

}  // namespace sb::log
