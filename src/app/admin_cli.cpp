#include "app/admin_cli.h"

#include <openssl/rand.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <sstream>

#include "api/auth.h"
#include "api/http_client.h"

namespace sb::app {
namespace {

/// A command: how many words it takes after its name, the method and the path it becomes.
struct Command {
  std::size_t args;
  const char* method;
  const char* usage;
  std::string (*path)(const std::vector<std::string>& w);
};

std::string t(const std::vector<std::string>& w) { return "/api/v1/tenants/" + w[1]; }

const std::map<std::string, Command>& commands() {
  static const std::map<std::string, Command> kCommands = {
      {"tenants", {0, "GET", "tenants", [](const auto&) { return std::string("/api/v1/tenants"); }}},
      {"agents", {1, "GET", "agents TENANT", [](const auto& w) { return t(w) + "/agents"; }}},
      {"queues", {1, "GET", "queues TENANT", [](const auto& w) { return t(w) + "/queues"; }}},
      {"calls", {1, "GET", "calls TENANT", [](const auto& w) { return t(w) + "/calls"; }}},
      {"hangup",
       {2, "DELETE", "hangup TENANT CALL", [](const auto& w) { return t(w) + "/calls/" + w[2]; }}},
      {"agent-state",
       {3, "POST", "agent-state TENANT AGENT login|ready|not_ready|logout|wrap_up_done",
        [](const auto& w) { return t(w) + "/agents/" + w[2] + "/state"; }}},
      {"flows", {1, "GET", "flows TENANT", [](const auto& w) { return t(w) + "/flows"; }}},
      {"validate-flow",
       {2, "POST", "validate-flow TENANT FLOW --body FILE",
        [](const auto& w) { return t(w) + "/flows/" + w[2] + "/validate"; }}},
      {"publish-flow",
       {2, "POST", "publish-flow TENANT FLOW --body FILE",
        [](const auto& w) { return t(w) + "/flows/" + w[2] + "/publish"; }}},
      {"cdrs", {1, "GET", "cdrs TENANT [--from MS --to MS --format csv]",
                [](const auto& w) { return t(w) + "/cdrs"; }}},
      {"report", {1, "GET", "report TENANT [--from MS --to MS]",
                  [](const auto& w) { return t(w) + "/reports/queues"; }}},
      {"export", {1, "GET", "export TENANT", [](const auto& w) { return t(w) + "/export"; }}},
      {"get", {1, "GET", "get PATH (any GET under /api/v1)", [](const auto& w) { return w[1]; }}},
  };
  return kCommands;
}

std::string usage() {
  std::string s = "commands:\n";
  for (const auto& [name, c] : commands()) s += "  " + std::string(c.usage) + "\n";
  return s;
}

/// Appends `?from=&to=&format=` as given.
std::string withQuery(std::string path, const AdminOptions& o) {
  std::string q;
  if (!o.from.empty()) q += "&from=" + o.from;
  if (!o.to.empty()) q += "&to=" + o.to;
  if (!o.format.empty()) q += "&format=" + o.format;
  if (q.empty()) return path;
  return path + (path.find('?') == std::string::npos ? "?" : "&") + q.substr(1);
}

bool readBody(const std::string& file, std::string& out) {
  if (file == "-") {
    out.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    return true;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

}  // namespace

int runAdmin(const AdminOptions& o) {
  if (o.words.empty() || !commands().count(o.words[0])) {
    std::cerr << "switchboard admin: " << (o.words.empty() ? "no command" : "unknown command '" +
                                                                             o.words[0] + "'")
              << "\n" << usage();
    return 2;
  }
  const Command& c = commands().at(o.words[0]);
  if (o.words.size() != c.args + 1) {
    std::cerr << "switchboard admin: usage: " << c.usage << "\n";
    return 2;
  }
  const char* token = std::getenv(o.tokenEnv.c_str());
  if (token == nullptr || *token == '\0') {
    std::cerr << "switchboard admin: set " << o.tokenEnv << " to an API token\n";
    return 2;
  }
  api::ClientRequest req;
  req.method = c.method;
  req.url = o.url + withQuery(c.path(o.words), o);
  req.timeout = std::chrono::milliseconds(30000);
  req.maxResponseBytes = 256 * 1024 * 1024;
  req.headers.emplace_back("Authorization", std::string("Bearer ") + token);
  if (o.words[0] == "agent-state") {
    req.body = "{\"action\":\"" + o.words[3] + "\"}";
  } else if (!o.bodyFile.empty() && !readBody(o.bodyFile, req.body)) {
    std::cerr << "switchboard admin: cannot read " << o.bodyFile << "\n";
    return 2;
  }
  if (!req.body.empty()) req.headers.emplace_back("Content-Type", "application/json");
  auto r = api::httpFetch(req);
  if (!r) {
    std::cerr << "switchboard admin: " << req.url << ": " << r.error().message << "\n";
    return 2;
  }
  (r->status < 300 ? std::cout : std::cerr) << r->body << (r->body.empty() || r->body.back() == '\n' ? "" : "\n");
  return r->status < 300 ? 0 : 1;
}

int runHashPassword() {
  std::string password;
  std::getline(std::cin, password);
  if (password.size() < 8) {
    std::cerr << "switchboard hash-password: the password (one line on stdin) needs at least 8 "
                 "characters\n";
    return 2;
  }
  auto hash = api::Authenticator::hashPassword(password);
  if (!hash) {
    std::cerr << "switchboard hash-password: " << hash.error().message << "\n";
    return 2;
  }
  std::cout << *hash << "\n";
  return 0;
}

int runNewToken() {
  unsigned char raw[32];
  if (RAND_bytes(raw, sizeof raw) != 1) {
    std::cerr << "switchboard new-token: no randomness available\n";
    return 2;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string token = "sb_";
  for (unsigned char b : raw) {
    token += kHex[b >> 4];
    token += kHex[b & 15];
  }
  std::cout << "token:  " << token << "\n"
            << "config: sha256: \"" << api::Authenticator::hashToken(token) << "\"\n";
  return 0;
}

}  // namespace sb::app
