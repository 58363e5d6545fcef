#pragma once
// `switchboard admin ...`: administration over the node's own REST API (the CLI uses exactly
// what integrations use), plus the two offline helpers for credentials: `hash-password` (an
// argon2id hash for a user of the `api:` section, password read from stdin) and `new-token`
// (a random API token and the sha256 line to configure). Secrets never come from argv.

#include <string>
#include <vector>

namespace sb::app {

/// What `switchboard admin` was asked.
struct AdminOptions {
  std::string url = "http://127.0.0.1:8080";  ///< the node's HTTP address
  std::string tokenEnv = "SB_API_TOKEN";      ///< environment variable holding the token
  std::vector<std::string> words;             ///< the command and its arguments
  std::string bodyFile;                       ///< request body from this file ("-": stdin)
  std::string from, to, format;               ///< records: range (ms) and format ("csv")
};

/// Runs an admin command; prints the answer; returns the exit code (0 ok, 1 the API refused,
/// 2 usage or transport error — the message says which).
int runAdmin(const AdminOptions& options);
/// Reads a password from stdin and prints its argon2id hash. Exit code as runAdmin.
int runHashPassword();
/// Prints a new random API token and its sha256 for the configuration.
int runNewToken();

}  // namespace sb::app
