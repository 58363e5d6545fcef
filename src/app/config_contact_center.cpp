// The contact-center part of a tenant's provisioning: agents, queues, flows, lists and
// customers (docs/config.md "Contact center"). Cross-references inside a tenant are checked
// here; references across tenants (shared seats) once every tenant is parsed.

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "app/config.h"
#include "app/internal/config_contact_center.h"
#include "app/internal/yaml_config.h"

namespace sb::app {
namespace {

using config_yaml::bad;
using config_yaml::checkKeys;
using config_yaml::ConfigError;
using config_yaml::get;

const std::set<std::string> kStrategies{"longest_idle",    "round_robin", "fewest_calls",
                                        "least_talk_time", "ring_all",    "random",
                                        "skills"};

std::vector<std::pair<std::string, int>> skillLevels(std::string_view src, const YAML::Node& n) {
  std::vector<std::pair<std::string, int>> out;
  if (!n) return out;
  if (!n.IsMap()) bad(src, n, "skills must be a mapping of skill name to level, e.g. {sales: 5}");
  for (const auto& kv : n) {
    auto name = kv.first.as<std::string>();
    int level = 0;
    try {
      level = kv.second.as<int>();
    } catch (const YAML::Exception&) {
      bad(src, kv.second, "skill '" + name + "' needs a level 1..10");
    }
    if (level < 1 || level > 10) bad(src, kv.second, "skill '" + name + "': level must be 1..10");
    out.emplace_back(std::move(name), level);
  }
  return out;
}

AgentConfig parseAgent(std::string_view src, const YAML::Node& a, const TenantConfig& tc,
                       const std::vector<TrunkConfig>& trunks) {
  checkKeys(src, a, {"name", "extension", "mobile", "trunk", "skills", "queues", "logged_in"});
  AgentConfig ac;
  ac.name = get<std::string>(src, a, "name", "");
  if (ac.name.empty() || ac.name.find('/') != std::string::npos) {
    bad(src, a, "agent needs a 'name' without '/'");
  }
  ac.extension = get<std::string>(src, a, "extension", "");
  ac.mobile = get<std::string>(src, a, "mobile", "");
  ac.trunk = get<std::string>(src, a, "trunk", "");
  if (ac.extension.empty() == ac.mobile.empty()) {
    bad(src, a, "agent '" + ac.name + "' needs either 'extension' or 'mobile' (with 'trunk')");
  }
  if (!ac.extension.empty()) {
    bool known = false;
    for (const auto& e : tc.extensions) known = known || e.user == ac.extension;
    if (!known) bad(src, a["extension"], "no extension '" + ac.extension + "' in this tenant");
  } else {
    bool known = false;
    for (const auto& t : trunks) known = known || t.name == ac.trunk;
    if (!known) bad(src, a, "agent '" + ac.name + "': 'mobile' needs a known 'trunk'");
  }
  ac.skills = skillLevels(src, a["skills"]);
  if (auto q = a["queues"]) {
    if (!q.IsSequence()) bad(src, q, "'queues' must be a list of queue names");
    for (const auto& name : q) ac.queues.push_back(name.as<std::string>());
  }
  ac.loggedIn = get<bool>(src, a, "logged_in", false);
  return ac;
}

QueueConfig parseQueue(std::string_view src, const YAML::Node& q) {
  checkKeys(
      src, q,
      {"name", "strategy", "skills", "widening", "max_wait_s", "max_length", "join_when_no_agents",
       "leave_when_no_agents", "overflow", "weight", "wrap_up_s", "offer_timeout_s", "miss_delay_s",
       "max_misses", "announce_every_s", "music_on_hold", "record", "assign_owner"});
  QueueConfig qc;
  qc.name = get<std::string>(src, q, "name", "");
  if (qc.name.empty() || qc.name.find('/') != std::string::npos) {
    bad(src, q, "queue needs a 'name' without '/'");
  }
  qc.strategy = get<std::string>(src, q, "strategy", qc.strategy);
  if (!kStrategies.count(qc.strategy)) {
    bad(src, q["strategy"],
        "unknown strategy '" + qc.strategy +
            "' (longest_idle, round_robin, fewest_calls, least_talk_time, "
            "ring_all, random, skills)");
  }
  qc.skills = skillLevels(src, q["skills"]);
  if (auto w = q["widening"]) {
    if (!w.IsSequence()) bad(src, w, "'widening' must be a list of {after_s, lower_by}");
    for (const auto& step : w) {
      checkKeys(src, step, {"after_s", "lower_by"});
      qc.widening.emplace_back(get<std::uint32_t>(src, step, "after_s", 0),
                               get<int>(src, step, "lower_by", 1));
    }
  }
  qc.maxWaitS = get<std::uint32_t>(src, q, "max_wait_s", qc.maxWaitS);
  qc.maxLength = get<std::uint32_t>(src, q, "max_length", qc.maxLength);
  qc.joinWhenNoAgents = get<bool>(src, q, "join_when_no_agents", qc.joinWhenNoAgents);
  qc.leaveWhenNoAgents = get<bool>(src, q, "leave_when_no_agents", qc.leaveWhenNoAgents);
  qc.overflow = get<std::string>(src, q, "overflow", "");
  qc.weight = get<double>(src, q, "weight", qc.weight);
  if (qc.weight <= 0) bad(src, q["weight"], "weight must be positive");
  qc.wrapUpS = get<std::uint32_t>(src, q, "wrap_up_s", qc.wrapUpS);
  qc.offerTimeoutS = get<std::uint32_t>(src, q, "offer_timeout_s", qc.offerTimeoutS);
  if (qc.offerTimeoutS < 1) bad(src, q["offer_timeout_s"], "offer_timeout_s must be at least 1");
  qc.missDelayS = get<std::uint32_t>(src, q, "miss_delay_s", qc.missDelayS);
  qc.maxMisses = get<std::uint32_t>(src, q, "max_misses", qc.maxMisses);
  qc.announceEveryS = get<std::uint32_t>(src, q, "announce_every_s", qc.announceEveryS);
  qc.musicOnHold = get<std::string>(src, q, "music_on_hold", "");
  qc.record = get<bool>(src, q, "record", false);
  qc.assignOwner = get<bool>(src, q, "assign_owner", false);
  return qc;
}

std::string readFlowFile(std::string_view src, const YAML::Node& at, const std::string& path) {
  std::ifstream in(path);
  if (!in) bad(src, at, "cannot read flow file '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

FlowSource parseFlowEntry(std::string_view src, const YAML::Node& f, const std::string& baseDir) {
  checkKeys(src, f, {"name", "file", "definition"});
  FlowSource fs;
  fs.name = get<std::string>(src, f, "name", "");
  if (fs.name.empty()) bad(src, f, "flow needs a 'name'");
  if (f["file"].IsDefined() == f["definition"].IsDefined()) {
    bad(src, f, "flow '" + fs.name + "' needs either 'file' or 'definition'");
  }
  if (auto file = f["file"]) {
    auto rel = file.as<std::string>();
    std::string path = (rel.empty() || rel.front() == '/') ? rel : baseDir + "/" + rel;
    fs.text = readFlowFile(src, file, path);
    fs.source = path;
  } else {
    YAML::Emitter out;
    out << f["definition"];
    fs.text = out.c_str();
    fs.source = std::string(src) + " (flow " + fs.name + ", line " +
                std::to_string(f["definition"].Mark().line + 1) + ")";
  }
  return fs;
}

void parseLists(std::string_view src, const YAML::Node& l, TenantConfig& tc) {
  if (!l.IsMap()) bad(src, l, "'lists' must map a list name to numbers, e.g. {blacklist: [...]}");
  for (const auto& kv : l) {
    auto name = kv.first.as<std::string>();
    if (!kv.second.IsSequence()) bad(src, kv.second, "list '" + name + "' must be a list");
    auto& numbers = tc.lists[name];
    for (const auto& n : kv.second) numbers.push_back(n.as<std::string>());
  }
}

CustomerConfig parseCustomer(std::string_view src, const YAML::Node& c) {
  checkKeys(src, c, {"number", "name", "owner", "fields"});
  CustomerConfig cc;
  cc.number = get<std::string>(src, c, "number", "");
  if (cc.number.empty()) bad(src, c, "customer needs a 'number'");
  cc.name = get<std::string>(src, c, "name", "");
  cc.owner = get<std::string>(src, c, "owner", "");
  if (auto f = c["fields"]) {
    if (!f.IsMap()) bad(src, f, "'fields' must be a mapping");
    for (const auto& kv : f) cc.fields[kv.first.as<std::string>()] = kv.second.as<std::string>();
  }
  return cc;
}

template <class T>
const T* byName(const std::vector<T>& v, const std::string& name) {
  for (const auto& x : v) {
    if (x.name == name) return &x;
  }
  return nullptr;
}

}  // namespace

void parseContactCenter(std::string_view src, const YAML::Node& t, TenantConfig& tc,
                        const std::vector<TrunkConfig>& trunks, const std::string& baseDir) {
  std::set<std::string> seen;
  for (const auto& q : t["queues"]) {
    tc.queues.push_back(parseQueue(src, q));
    if (!seen.insert(tc.queues.back().name).second) bad(src, q, "duplicate queue");
  }
  for (const auto& q : tc.queues) {
    if (!q.overflow.empty() && !byName(tc.queues, q.overflow)) {
      throw ConfigError{std::string(src) + ": queue '" + q.name + "' overflows to '" + q.overflow +
                        "', which is not a queue of this tenant"};
    }
  }
  seen.clear();
  for (const auto& a : t["agents"]) {
    tc.agents.push_back(parseAgent(src, a, tc, trunks));
    if (!seen.insert(tc.agents.back().name).second) bad(src, a, "duplicate agent");
    for (const auto& q : tc.agents.back().queues) {
      if (q.find('/') == std::string::npos && !byName(tc.queues, q)) {
        bad(src, a["queues"], "agent '" + tc.agents.back().name + "': no queue '" + q + "'");
      }
    }
  }
  for (const auto& s : t["shared_agents"]) tc.sharedAgents.push_back(s.as<std::string>());
  seen.clear();
  for (const auto& f : t["flows"]) {
    tc.flows.push_back(parseFlowEntry(src, f, baseDir));
    if (!seen.insert(tc.flows.back().name).second) bad(src, f, "duplicate flow");
  }
  if (auto l = t["lists"]) parseLists(src, l, tc);
  for (const auto& c : t["customers"]) {
    tc.customers.push_back(parseCustomer(src, c));
    const auto& owner = tc.customers.back().owner;
    if (!owner.empty() && !byName(tc.agents, owner)) {
      bad(src, c["owner"], "customer owner '" + owner + "' is not an agent of this tenant");
    }
  }
  for (const auto& n : tc.numbers) {
    if (n.app == NumberApp::kFlow && !byName(tc.flows, n.flow)) {
      throw ConfigError{std::string(src) + ": number " + n.number + " runs flow '" + n.flow +
                        "', which this tenant does not define"};
    }
  }
}

void checkSharedSeats(std::string_view src, const std::vector<TenantConfig>& tenants) {
  std::map<std::string, const TenantConfig*> byId;
  for (const auto& t : tenants) byId[t.id] = &t;
  for (const auto& t : tenants) {
    for (const auto& a : t.agents) {
      for (const auto& q : a.queues) {
        auto slash = q.find('/');
        if (slash == std::string::npos) continue;
        auto other = byId.find(q.substr(0, slash));
        std::string where = std::string(src) + ": agent '" + t.id + "/" + a.name + "': ";
        if (other == byId.end()) throw ConfigError{where + "no tenant in '" + q + "'"};
        if (!byName(other->second->queues, q.substr(slash + 1))) {
          throw ConfigError{where + "no queue '" + q + "'"};
        }
        const auto& allowed = other->second->sharedAgents;
        if (std::find(allowed.begin(), allowed.end(), t.id + "/" + a.name) == allowed.end()) {
          throw ConfigError{where + "tenant '" + other->first + "' does not list '" + t.id + "/" +
                            a.name + "' in shared_agents"};
        }
      }
    }
  }
}

}  // namespace sb::app
