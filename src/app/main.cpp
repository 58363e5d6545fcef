// switchboard: the command-line entry point. Subcommands are thin: parse, then call app/.
#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>

#include "app/admin_cli.h"
#include "app/config.h"
#include "app/demo.h"
#include "app/server.h"

int main(int argc, char** argv) {
  CLI::App cli{"Switchboard: a hosted, multi-tenant contact center"};
  cli.require_subcommand(1);

  std::string configPath = "examples/quickstart.yaml";
  auto* serve = cli.add_subcommand("serve", "Run a node: SIP (UDP/TCP) and HTTP (/healthz)");
  serve->add_option("-c,--config", configPath, "Configuration file (YAML)")->capture_default_str();
  std::string logLevel;
  serve->add_option("--log-level", logLevel, "Override log_level: trace|debug|info|warn|error");

  auto* demo = cli.add_subcommand(
      "demo", "Run a node plus simulated customers and agents calling it over loopback");
  demo->add_option("-c,--config", configPath, "Configuration file with a demo: section")
      ->capture_default_str();
  sb::app::DemoOptions demoOptions;
  demo->add_option("--duration", demoOptions.durationS, "Stop after this many seconds (0: never)")
      ->capture_default_str();
  demo->add_option("--rate", demoOptions.callsPerMinute,
                   "Override calls_per_minute of the demo section");
  demo->add_option("--max-calls", demoOptions.maxCalls, "Stop calling after this many calls");

  auto* check = cli.add_subcommand("check-config", "Validate a configuration file and exit");
  check->add_option("-c,--config", configPath, "Configuration file (YAML)")->capture_default_str();

  auto* version = cli.add_subcommand("version", "Print the version");

  sb::app::AdminOptions admin;
  auto* adminCmd = cli.add_subcommand(
      "admin", "Administer a running node over its REST API (token in $SB_API_TOKEN)");
  adminCmd->add_option("--url", admin.url, "The node's HTTP address")->capture_default_str();
  adminCmd->add_option("--token-env", admin.tokenEnv, "Variable holding the API token")
      ->capture_default_str();
  adminCmd->add_option("--body", admin.bodyFile, "Request body from this file (- for stdin)");
  adminCmd->add_option("--from", admin.from, "Records from (ms since the epoch)");
  adminCmd->add_option("--to", admin.to, "Records to (ms since the epoch)");
  adminCmd->add_option("--format", admin.format, "csv for CSV records");
  adminCmd->add_option("words", admin.words, "Command and arguments (admin --help lists them)");
  auto* hashPassword = cli.add_subcommand(
      "hash-password", "Print the argon2id hash of a password read from stdin (api.users)");
  auto* newToken = cli.add_subcommand("new-token", "Print a new API token and its sha256");

  CLI11_PARSE(cli, argc, argv);

  if (version->parsed()) {
    std::puts("switchboard 0.1.0");
    return 0;
  }
  if (adminCmd->parsed()) return sb::app::runAdmin(admin);
  if (hashPassword->parsed()) return sb::app::runHashPassword();
  if (newToken->parsed()) return sb::app::runNewToken();
  auto config = sb::app::loadConfig(configPath);
  if (!config) {
    std::cerr << "switchboard: " << config.error().message << "\n";
    return 2;
  }
  if (check->parsed()) {
    std::cout << configPath << ": ok (" << config->tenants.size() << " tenants)\n";
    return 0;
  }
  if (demo->parsed()) {
    demoOptions.configPath = configPath;
    return sb::app::runDemo(std::move(config).value(), demoOptions);
  }
  if (!logLevel.empty()) config->logLevel = logLevel;
  sb::app::Server server(std::move(config).value());
  server.setConfigPath(configPath);
  if (auto r = server.start(); !r) {
    std::cerr << "switchboard: " << r.error().message << "\n";
    return 1;
  }
  server.run();
  return 0;
}
