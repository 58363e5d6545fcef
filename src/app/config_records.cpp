#include <set>

#include "app/internal/config_records.h"
#include "app/internal/yaml_config.h"

namespace sb::app {

using config_yaml::bad;
using config_yaml::checkKeys;
using config_yaml::get;

namespace {

bool isHex64(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

ApiCredential parseCredential(std::string_view src, const YAML::Node& n, const Config& cfg,
                              bool token) {
  checkKeys(src, n, {"name", "role", "tenant", "agent", token ? "sha256" : "password_hash"});
  ApiCredential c;
  c.name = get<std::string>(src, n, "name", "");
  if (c.name.empty()) bad(src, n, "a credential needs a 'name'");
  c.role = get<std::string>(src, n, "role", "");
  static const std::set<std::string> kRoles = {"operator", "tenant_admin", "supervisor", "agent"};
  if (!kRoles.count(c.role)) {
    bad(src, n, "role must be operator, tenant_admin, supervisor or agent");
  }
  c.tenant = get<std::string>(src, n, "tenant", "");
  c.agent = get<std::string>(src, n, "agent", "");
  if (c.role == "operator" && !c.tenant.empty()) bad(src, n["tenant"], "an operator has no tenant");
  if (c.role != "operator") {
    const TenantConfig* t = nullptr;
    for (const auto& x : cfg.tenants) {
      if (x.id == c.tenant) t = &x;
    }
    if (t == nullptr) bad(src, n, "credential '" + c.name + "' needs the id of a tenant");
    if (c.role == "agent") {
      bool known = false;
      for (const auto& a : t->agents) known = known || a.name == c.agent;
      if (!known) bad(src, n, "credential '" + c.name + "' needs an agent of tenant " + c.tenant);
    }
  }
  if (token) {
    c.secretHash = get<std::string>(src, n, "sha256", "");
    if (!isHex64(c.secretHash)) {
      bad(src, n, "token '" + c.name + "': sha256 must be 64 lower-case hex digits");
    }
  } else {
    c.secretHash = get<std::string>(src, n, "password_hash", "");
    if (c.secretHash.rfind("$argon2", 0) != 0) {
      bad(src, n, "user '" + c.name + "': password_hash must be an argon2 hash "
                  "(switchboard hash-password)");
    }
  }
  return c;
}

}  // namespace

void parseTenantRecords(std::string_view src, const YAML::Node& t, TenantConfig& tc) {
  if (auto r = t["reporting"]) {
    checkKeys(src, r, {"service_level_s", "short_abandon_s", "service_level_variant"});
    auto& rc = tc.reporting;
    rc.serviceLevelS = get<std::uint32_t>(src, r, "service_level_s", rc.serviceLevelS);
    rc.shortAbandonS = get<std::uint32_t>(src, r, "short_abandon_s", rc.shortAbandonS);
    rc.serviceLevelVariant = get<std::string>(src, r, "service_level_variant",
                                              rc.serviceLevelVariant);
    if (rc.serviceLevelVariant != "answered" && rc.serviceLevelVariant != "offered" &&
        rc.serviceLevelVariant != "offered_with_abandons") {
      bad(src, r["service_level_variant"],
          "service_level_variant must be answered, offered or offered_with_abandons");
    }
  }
  if (auto r = t["recordings"]) {
    checkKeys(src, r, {"retention_days"});
    tc.recordingRetentionDays = get<std::uint32_t>(src, r, "retention_days", 0);
  }
  if (auto w = t["webhooks"]) {
    if (!w.IsSequence()) bad(src, w, "'webhooks' must be a list");
    for (const auto& h : w) {
      checkKeys(src, h, {"url", "secret", "events"});
      WebhookConfig wc;
      wc.url = get<std::string>(src, h, "url", "");
      if (wc.url.rfind("http://", 0) != 0 && wc.url.rfind("https://", 0) != 0) {
        bad(src, h, "webhook url must start with http:// or https://");
      }
      wc.secret = get<std::string>(src, h, "secret", "");
      if (wc.secret.size() < 16) bad(src, h, "webhook secret must be at least 16 characters");
      for (const auto& k : h["events"]) wc.kinds.push_back(k.as<std::string>());
      tc.webhooks.push_back(std::move(wc));
    }
  }
}

void parseApi(std::string_view src, const YAML::Node& a, Config& cfg) {
  checkKeys(src, a, {"tokens", "users", "session_hours"});
  cfg.api.sessionHours = get<std::uint32_t>(src, a, "session_hours", cfg.api.sessionHours);
  if (cfg.api.sessionHours == 0) bad(src, a["session_hours"], "session_hours must be at least 1");
  std::set<std::string> names;
  for (const auto& n : a["tokens"]) {
    cfg.api.tokens.push_back(parseCredential(src, n, cfg, true));
    if (!names.insert(cfg.api.tokens.back().name).second) bad(src, n, "duplicate credential name");
  }
  for (const auto& n : a["users"]) {
    cfg.api.users.push_back(parseCredential(src, n, cfg, false));
    if (!names.insert(cfg.api.users.back().name).second) bad(src, n, "duplicate credential name");
  }
}

}  // namespace sb::app
