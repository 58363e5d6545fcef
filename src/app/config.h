#pragma once
// The node configuration and the provisioning file (YAML): listeners, limits, security and
// tenants with their domains, extensions and numbers. See docs/config.md for every key.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "sip/registrar.h"
#include "sip/transport.h"

namespace sb::app {

/// A SIP extension (agent phone) that may register.
struct Extension {
  std::string user;
  std::string password;  ///< never logged
  std::string displayName;
};

/// A number (DID) of a tenant. Until flows exist (issue 4) a call to it is answered by the
/// placeholder answering service with these timings.
struct NumberConfig {
  std::string number;
  std::uint32_t answerAfterMs = 0;  ///< ring this long before 200 OK
  std::uint32_t hangupAfterMs = 0;  ///< 0 = wait for the caller's BYE
};

/// One client company.
struct TenantConfig {
  std::string id;
  std::string name;
  std::vector<std::string> domains;  ///< SIP domains; the first is the digest realm
  std::vector<Extension> extensions;
  std::vector<NumberConfig> numbers;
};

/// Authentication-failure policy.
struct SecurityConfig {
  int authFailLimit = 5;
  std::uint32_t authFailWindowS = 60;
  std::uint32_t banS = 300;
  std::string nonceSecret;  ///< random per start when empty (nonces then die with the process)
};

/// Whole-node configuration.
struct Config {
  std::vector<sip::ListenSpec> sip;
  std::string httpAddress = "127.0.0.1";
  std::uint16_t httpPort = 8080;
  std::string logLevel = "info";
  std::size_t maxCalls = 50000;  ///< concurrent dialogs; new INVITEs beyond get 503
  SecurityConfig security;
  sip::RegistrarConfig registrar;
  std::vector<TenantConfig> tenants;
};

/// Parses and validates YAML text. Errors name the source and line: "quickstart.yaml:12: ...".
Result<Config> parseConfig(std::string_view yaml, std::string_view sourceName);
/// Reads and parses a file.
Result<Config> loadConfig(const std::string& path);

}  // namespace sb::app
