#include "app/config.h"

#include <ctime>
#include <fstream>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "app/internal/config_contact_center.h"
#include "app/internal/config_records.h"
#include "app/internal/yaml_config.h"

namespace sb::app {
namespace {

using config_yaml::bad;
using config_yaml::checkKeys;
using config_yaml::ConfigError;
using config_yaml::get;

sip::Transport transportFrom(std::string_view source, const YAML::Node& n) {
  auto t = n.as<std::string>();
  if (t == "udp") return sip::Transport::kUdp;
  if (t == "tcp") return sip::Transport::kTcp;
  bad(source, n, "transport must be udp or tcp (tls and ws come later), got '" + t + "'");
}

void parseTrunks(std::string_view src, const YAML::Node& list, Config& cfg) {
  if (!list.IsSequence()) bad(src, list, "'trunks' must be a list");
  std::set<std::string> names;
  for (const auto& t : list) {
    checkKeys(src, t, {"name", "address", "port", "transport", "username", "password", "channels"});
    TrunkConfig tc;
    tc.name = get<std::string>(src, t, "name", "");
    if (tc.name.empty()) bad(src, t, "trunk needs a 'name'");
    if (!names.insert(tc.name).second) bad(src, t["name"], "duplicate trunk '" + tc.name + "'");
    tc.address = get<std::string>(src, t, "address", "");
    if (!Endpoint::parse(tc.address, 1)) {
      bad(src, t, "trunk '" + tc.name + "' needs an IP 'address'");
    }
    tc.port = get<std::uint16_t>(src, t, "port", tc.port);
    if (t["transport"]) tc.transport = transportFrom(src, t["transport"]);
    tc.username = get<std::string>(src, t, "username", "");
    tc.password = get<std::string>(src, t, "password", "");
    tc.channels = get<int>(src, t, "channels", tc.channels);
    if (tc.channels < 1) bad(src, t["channels"], "channels must be at least 1");
    cfg.trunks.push_back(std::move(tc));
  }
}

void parseTenants(std::string_view src, const YAML::Node& list, Config& cfg,
                  const std::string& baseDir) {
  if (!list.IsSequence()) bad(src, list, "'tenants' must be a list");
  std::set<std::string> ids, domains, numbers;
  for (const auto& t : list) {
    checkKeys(src, t,
              {"id", "name", "domains", "extensions", "numbers", "agents", "queues", "flows",
               "lists", "customers", "shared_agents", "reporting", "recordings", "webhooks"});
    TenantConfig tc;
    tc.id = get<std::string>(src, t, "id", "");
    if (tc.id.empty()) bad(src, t, "tenant needs an 'id'");
    if (!ids.insert(tc.id).second) bad(src, t["id"], "duplicate tenant id '" + tc.id + "'");
    tc.name = get<std::string>(src, t, "name", tc.id);
    if (t["domains"]) {
      if (!t["domains"].IsSequence()) bad(src, t["domains"], "'domains' must be a list");
      for (const auto& d : t["domains"]) {
        auto name = d.as<std::string>();
        if (!domains.insert(name).second) {
          bad(src, d, "domain '" + name + "' already belongs to another tenant");
        }
        tc.domains.push_back(name);
      }
    }
    if (tc.domains.empty()) bad(src, t, "tenant '" + tc.id + "' needs at least one domain");
    std::set<std::string> users;
    if (t["extensions"]) {
      for (const auto& e : t["extensions"]) {
        checkKeys(src, e, {"user", "password", "name"});
        Extension ex{get<std::string>(src, e, "user", ""), get<std::string>(src, e, "password", ""),
                     get<std::string>(src, e, "name", "")};
        if (ex.user.empty()) bad(src, e, "extension needs a 'user'");
        if (ex.password.size() < 8) {
          bad(src, e, "extension '" + ex.user + "' needs a password of at least 8 characters");
        }
        if (!users.insert(ex.user).second) bad(src, e, "duplicate extension '" + ex.user + "'");
        tc.extensions.push_back(std::move(ex));
      }
    }
    if (t["numbers"]) {
      for (const auto& n : t["numbers"]) {
        checkKeys(src, n,
                  {"number", "app", "answer_after_ms", "hangup_after_ms", "greeting", "welcome",
                   "voice", "connect_to", "trunk", "dial", "record", "flow"});
        NumberConfig nc;
        nc.number = get<std::string>(src, n, "number", "");
        if (nc.number.empty()) bad(src, n, "number entry needs 'number'");
        if (!numbers.insert(nc.number).second) {
          bad(src, n, "number '" + nc.number + "' is already assigned");
        }
        nc.answerAfterMs = get<std::uint32_t>(src, n, "answer_after_ms", 0);
        nc.hangupAfterMs = get<std::uint32_t>(src, n, "hangup_after_ms", 0);
        auto app = get<std::string>(src, n, "app", "answer");
        if (app == "flow") {
          nc.app = NumberApp::kFlow;
          nc.flow = get<std::string>(src, n, "flow", "");
          if (nc.flow.empty()) bad(src, n, "a number with app: flow needs 'flow'");
        } else if (app == "answer") {
          nc.app = NumberApp::kAnswer;
        } else if (app == "demo_ivr") {
          nc.app = NumberApp::kDemoIvr;
        } else if (app == "connect") {
          nc.app = NumberApp::kConnect;
        } else {
          bad(src, n["app"], "app must be flow, answer, demo_ivr or connect, got '" + app + "'");
        }
        nc.greeting = get<std::string>(src, n, "greeting", "");
        nc.welcome = get<std::string>(src, n, "welcome", "");
        nc.voice = get<std::string>(src, n, "voice", "");
        nc.connectTo = get<std::string>(src, n, "connect_to", "");
        nc.record = get<bool>(src, n, "record", false);
        nc.trunk = get<std::string>(src, n, "trunk", "");
        nc.dial = get<std::string>(src, n, "dial", "");
        if (!nc.trunk.empty()) {
          bool known = false;
          for (const auto& tr : cfg.trunks) known = known || tr.name == nc.trunk;
          if (!known) bad(src, n["trunk"], "no trunk named '" + nc.trunk + "'");
          if (nc.dial.empty()) bad(src, n, "a number that dials out a trunk needs 'dial'");
        }
        if (!nc.connectTo.empty() && !users.count(nc.connectTo)) {
          bad(src, n["connect_to"],
              "connect_to names no extension of this tenant: '" + nc.connectTo + "'");
        }
        tc.numbers.push_back(std::move(nc));
      }
    }
    parseContactCenter(src, t, tc, cfg.trunks, baseDir);
    parseTenantRecords(src, t, tc);
    cfg.tenants.push_back(std::move(tc));
  }
  checkSharedSeats(src, cfg.tenants);
}

void parseMedia(std::string_view src, const YAML::Node& m, MediaSettings& ms) {
  checkKeys(src, m,
            {"address", "rtp_ports", "loops", "rtp_timeout_s", "tts_voice", "tts_cache",
             "recordings", "tone_plan"});
  ms.address = get<std::string>(src, m, "address", ms.address);
  if (auto ports = m["rtp_ports"]) {
    if (!ports.IsSequence() || ports.size() != 2)
      bad(src, ports, "rtp_ports must be [first, last]");
    try {
      ms.portMin = ports[0].as<std::uint16_t>();
      ms.portMax = ports[1].as<std::uint16_t>();
    } catch (const YAML::Exception&) {
      bad(src, ports, "rtp_ports must be two port numbers");
    }
    if (ms.portMin < 1024 || ms.portMax < ms.portMin + 1) {
      bad(src, ports, "rtp_ports must be a range of at least two ports above 1023");
    }
  }
  ms.loops = get<int>(src, m, "loops", ms.loops);
  if (ms.loops < 0 || ms.loops > 64) bad(src, m["loops"], "loops must be 0..64");
  ms.rtpTimeoutS = get<int>(src, m, "rtp_timeout_s", ms.rtpTimeoutS);
  if (ms.rtpTimeoutS < 0) bad(src, m["rtp_timeout_s"], "rtp_timeout_s must not be negative");
  ms.ttsVoice = get<std::string>(src, m, "tts_voice", ms.ttsVoice);
  ms.ttsCacheDir = get<std::string>(src, m, "tts_cache", ms.ttsCacheDir);
  ms.recordingDir = get<std::string>(src, m, "recordings", ms.recordingDir);
  ms.tonePlan = get<std::string>(src, m, "tone_plan", ms.tonePlan);
  if (ms.tonePlan != "us" && ms.tonePlan != "eu" && ms.tonePlan != "cn") {
    bad(src, m["tone_plan"], "tone_plan must be us, eu or cn");
  }
}

DemoConfig parseDemo(std::string_view src, const YAML::Node& d, const Config& cfg) {
  checkKeys(src, d,
            {"tenant", "number", "agents", "calls_per_minute", "talk_mean_s", "patience_mean_s",
             "menu_digits", "agent_no_answer", "rtp_ports"});
  DemoConfig dc;
  dc.tenant = get<std::string>(src, d, "tenant", "");
  dc.number = get<std::string>(src, d, "number", "");
  const TenantConfig* tenant = nullptr;
  for (const auto& t : cfg.tenants) {
    if (t.id == dc.tenant) tenant = &t;
  }
  if (tenant == nullptr) bad(src, d, "demo: 'tenant' must name a tenant");
  bool known = false;
  for (const auto& n : tenant->numbers) known = known || n.number == dc.number;
  if (!known) bad(src, d, "demo: 'number' must be a number of tenant " + dc.tenant);
  for (const auto& a : d["agents"]) {
    auto user = a.as<std::string>();
    bool ext = false;
    for (const auto& e : tenant->extensions) ext = ext || e.user == user;
    if (!ext) bad(src, a, "demo: agent '" + user + "' is not an extension of " + dc.tenant);
    dc.agents.push_back(user);
  }
  dc.callsPerMinute = get<double>(src, d, "calls_per_minute", dc.callsPerMinute);
  if (dc.callsPerMinute < 0 || dc.callsPerMinute > 6000) {
    bad(src, d["calls_per_minute"], "calls_per_minute must be 0..6000");
  }
  dc.talkMeanS = get<std::uint32_t>(src, d, "talk_mean_s", dc.talkMeanS);
  dc.patienceMeanS = get<std::uint32_t>(src, d, "patience_mean_s", dc.patienceMeanS);
  dc.menuDigits = get<std::string>(src, d, "menu_digits", dc.menuDigits);
  dc.agentNoAnswer = get<double>(src, d, "agent_no_answer", dc.agentNoAnswer);
  if (auto ports = d["rtp_ports"]) {
    if (!ports.IsSequence() || ports.size() != 2)
      bad(src, ports, "rtp_ports must be [first, last]");
    dc.rtpPortMin = ports[0].as<std::uint16_t>();
    dc.rtpPortMax = ports[1].as<std::uint16_t>();
  }
  return dc;
}

Config parseRoot(std::string_view src, const YAML::Node& root, const std::string& baseDir) {
  Config cfg;
  if (!root || root.IsNull()) throw ConfigError{std::string(src) + ": empty configuration"};
  checkKeys(src, root,
            {"sip", "http", "log_level", "limits", "security", "registrar", "media", "trunks",
             "tenants", "demo", "store", "api"});
  if (auto sip = root["sip"]) {
    checkKeys(src, sip, {"listen"});
    for (const auto& l : sip["listen"]) {
      checkKeys(src, l, {"transport", "address", "port"});
      sip::ListenSpec spec;
      spec.transport = l["transport"] ? transportFrom(src, l["transport"]) : sip::Transport::kUdp;
      spec.address = get<std::string>(src, l, "address", "127.0.0.1");
      spec.port = get<std::uint16_t>(src, l, "port", 5060);
      cfg.sip.push_back(spec);
    }
  }
  if (cfg.sip.empty()) {
    cfg.sip.push_back({sip::Transport::kUdp, "127.0.0.1", 5060});
    cfg.sip.push_back({sip::Transport::kTcp, "127.0.0.1", 5060});
  }
  if (auto http = root["http"]) {
    checkKeys(src, http, {"address", "port"});
    cfg.httpAddress = get<std::string>(src, http, "address", cfg.httpAddress);
    cfg.httpPort = get<std::uint16_t>(src, http, "port", cfg.httpPort);
  }
  cfg.logLevel = get<std::string>(src, root, "log_level", cfg.logLevel);
  if (auto limits = root["limits"]) {
    checkKeys(src, limits, {"max_calls", "max_transactions"});
    cfg.maxCalls = get<std::size_t>(src, limits, "max_calls", cfg.maxCalls);
    cfg.maxTransactions = get<std::size_t>(src, limits, "max_transactions", cfg.maxTransactions);
  }
  if (auto s = root["security"]) {
    checkKeys(
        src, s,
        {"auth_fail_limit", "auth_fail_window_s", "ban_s", "nonce_secret", "digest_algorithms"});
    cfg.security.authFailLimit = get<int>(src, s, "auth_fail_limit", cfg.security.authFailLimit);
    cfg.security.authFailWindowS =
        get<std::uint32_t>(src, s, "auth_fail_window_s", cfg.security.authFailWindowS);
    cfg.security.banS = get<std::uint32_t>(src, s, "ban_s", cfg.security.banS);
    cfg.security.nonceSecret = get<std::string>(src, s, "nonce_secret", "");
    if (cfg.security.authFailLimit < 1) bad(src, s, "auth_fail_limit must be at least 1");
    if (auto algs = s["digest_algorithms"]) {
      if (!algs.IsSequence() || algs.size() == 0) {
        bad(src, algs, "digest_algorithms must be a non-empty list of MD5, SHA-256");
      }
      cfg.security.digestAlgorithms.clear();
      for (const auto& a : algs) {
        auto name = a.as<std::string>();
        if (name != "MD5" && name != "SHA-256") {
          bad(src, a, "digest algorithm must be MD5 or SHA-256, got '" + name + "'");
        }
        cfg.security.digestAlgorithms.push_back(name);
      }
    }
  }
  if (auto r = root["registrar"]) {
    checkKeys(src, r, {"min_expires", "max_expires", "default_expires", "max_bindings_per_aor"});
    auto& rc = cfg.registrar;
    rc.minExpires = get<std::uint32_t>(src, r, "min_expires", rc.minExpires);
    rc.maxExpires = get<std::uint32_t>(src, r, "max_expires", rc.maxExpires);
    rc.defaultExpires = get<std::uint32_t>(src, r, "default_expires", rc.defaultExpires);
    rc.maxBindingsPerAor = get<std::size_t>(src, r, "max_bindings_per_aor", rc.maxBindingsPerAor);
    if (rc.minExpires > rc.maxExpires) bad(src, r, "min_expires is larger than max_expires");
  }
  if (auto m = root["media"]) parseMedia(src, m, cfg.media);
  if (auto st = root["store"]) {
    checkKeys(src, st, {"path", "sync", "postgres"});
    cfg.store.path = get<std::string>(src, st, "path", cfg.store.path);
    cfg.store.postgres = get<std::string>(src, st, "postgres", "");
    if (!cfg.store.postgres.empty() && st["path"]) {
      bad(src, st, "store: give either path (SQLite) or postgres (conninfo), not both");
    }
    auto sync = get<std::string>(src, st, "sync", "normal");
    if (sync != "normal" && sync != "full") bad(src, st["sync"], "sync must be normal or full");
    cfg.store.syncFull = sync == "full";
  }
  if (auto t = root["trunks"]) parseTrunks(src, t, cfg);
  if (auto t = root["tenants"]) parseTenants(src, t, cfg, baseDir);
  if (auto a = root["api"]) parseApi(src, a, cfg);
  if (auto d = root["demo"]) cfg.demo = parseDemo(src, d, cfg);
  return cfg;
}

}  // namespace

std::string recordingPath(const MediaSettings& media, std::string_view tenant, std::uint64_t call,
                          std::string_view kind) {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char day[16];
  std::strftime(day, sizeof day, "%Y-%m-%d", &tm);
  return media.recordingDir + "/" + std::string(tenant) + "/" + day + "/call-" +
         std::to_string(call) + "-" + std::string(kind) + ".wav";
}

Result<Config> parseConfig(std::string_view yaml, std::string_view sourceName,
                           const std::string& baseDir) {
  try {
    return parseRoot(sourceName, YAML::Load(std::string(yaml)), baseDir);
  } catch (const ConfigError& e) {
    return fail(Errc::kInvalidInput, e.message);
  } catch (const YAML::Exception& e) {
    return fail(Errc::kInvalidInput,
                std::string(sourceName) + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
}

Result<Config> loadConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return fail(Errc::kIo, "cannot read config file '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  auto slash = path.rfind('/');
  return parseConfig(ss.str(), path, slash == std::string::npos ? "." : path.substr(0, slash));
}

}  // namespace sb::app
