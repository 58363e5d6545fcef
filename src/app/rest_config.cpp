// REST resources read from the node configuration: numbers, skills, lists, customers, the
// provisioning export, and (operators) trunks. The configuration is immutable after start, so
// these answer on the api loop.

#include <set>

#include "app/internal/rest.h"

namespace sb::app::rest {
namespace {

const char* appName(NumberApp a) {
  switch (a) {
    case NumberApp::kFlow:
      return "flow";
    case NumberApp::kAnswer:
      return "answer";
    case NumberApp::kDemoIvr:
      return "demo_ivr";
    case NumberApp::kConnect:
      return "connect";
  }
  return "";
}

nlohmann::json numberJson(const NumberConfig& n) {
  nlohmann::json j = {{"number", n.number}, {"app", appName(n.app)}};
  if (!n.flow.empty()) j["flow"] = n.flow;
  if (!n.connectTo.empty()) j["connect_to"] = n.connectTo;
  return j;
}

nlohmann::json pairs(const std::vector<std::pair<std::string, int>>& v) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, level] : v) j[k] = level;
  return j;
}

nlohmann::json customerJson(const CustomerConfig& c) {
  return {{"number", c.number}, {"name", c.name}, {"owner", c.owner}, {"fields", c.fields}};
}

}  // namespace

nlohmann::json agentConfigJson(const AgentConfig& a) {
  nlohmann::json j = {{"name", a.name}, {"skills", pairs(a.skills)}, {"queues", a.queues}};
  if (!a.extension.empty()) j["extension"] = a.extension;
  if (!a.mobile.empty()) j["mobile"] = a.mobile;
  return j;
}

nlohmann::json queueConfigJson(const QueueConfig& q) {
  return {{"name", q.name},
          {"strategy", q.strategy},
          {"skills", pairs(q.skills)},
          {"max_wait_s", q.maxWaitS},
          {"max_length", q.maxLength},
          {"overflow", q.overflow},
          {"wrap_up_s", q.wrapUpS},
          {"offer_timeout_s", q.offerTimeoutS},
          {"record", q.record},
          {"assign_owner", q.assignOwner}};
}

void installConfigResources(Routes& routes) {
  routes.tenant("GET", "", Min::kAgent, "The tenant", [](const Call& c) {
    return ok({{"id", c.tenant.id},
               {"name", c.tenant.name},
               {"domains", c.tenant.domains},
               {"reporting",
                {{"service_level_s", c.tenant.reporting.serviceLevelS},
                 {"short_abandon_s", c.tenant.reporting.shortAbandonS},
                 {"service_level_variant", c.tenant.reporting.serviceLevelVariant}}},
               {"recording_retention_days", c.tenant.recordingRetentionDays}});
  });
  routes.tenant("GET", "/numbers", Min::kSupervisor, "Numbers and the app answering each",
                [](const Call& c) {
                  nlohmann::json list = nlohmann::json::array();
                  for (const auto& n : c.tenant.numbers) list.push_back(numberJson(n));
                  return ok({{"numbers", list}});
                });
  routes.tenant("GET", "/skills", Min::kSupervisor, "Skills used by agents and queues",
                [](const Call& c) {
                  std::set<std::string> skills;
                  for (const auto& a : c.tenant.agents) {
                    for (const auto& s : a.skills) skills.insert(s.first);
                  }
                  for (const auto& q : c.tenant.queues) {
                    for (const auto& s : q.skills) skills.insert(s.first);
                  }
                  return ok({{"skills", skills}});
                });
  routes.tenant("GET", "/lists", Min::kSupervisor, "Black, white and VIP lists",
                [](const Call& c) { return ok({{"lists", c.tenant.lists}}); });
  routes.tenant("GET", "/customers", Min::kAgent, "Known customers (paged: after, limit)",
                [](const Call& c) -> api::HttpResponse {
                  auto limit = intParam(c.http, "limit", 100);
                  if (!limit) return api::errorResponse(limit.error());
                  std::string after = c.http.queryParam("after");
                  nlohmann::json list = nlohmann::json::array();
                  std::string last;
                  for (const auto& cu : c.tenant.customers) {
                    if (!after.empty() && cu.number <= after) continue;
                    if (static_cast<std::int64_t>(list.size()) >= std::clamp<std::int64_t>(*limit, 1, 1000)) break;
                    list.push_back(customerJson(cu));
                    last = cu.number;
                  }
                  return ok({{"customers", list}, {"next", last}});
                });
  routes.tenant("GET", "/customers/{number}", Min::kAgent, "One customer by number",
                [](const Call& c) {
                  for (const auto& cu : c.tenant.customers) {
                    if (cu.number == c.http.param("number")) return ok(customerJson(cu));
                  }
                  return error(Errc::kNotFound, "no such customer");
                });
  routes.tenant("GET", "/export", Min::kTenantAdmin,
                "Provisioning export: the tenant's configuration (secrets left out)",
                [](const Call& c) {
                  const TenantConfig& t = c.tenant;
                  nlohmann::json agents = nlohmann::json::array(), queues = nlohmann::json::array(),
                                 numbers = nlohmann::json::array(),
                                 customers = nlohmann::json::array(),
                                 flows = nlohmann::json::array(), extensions = nlohmann::json::array();
                  for (const auto& a : t.agents) agents.push_back(agentConfigJson(a));
                  for (const auto& q : t.queues) queues.push_back(queueConfigJson(q));
                  for (const auto& n : t.numbers) numbers.push_back(numberJson(n));
                  for (const auto& cu : t.customers) customers.push_back(customerJson(cu));
                  for (const auto& f : t.flows) flows.push_back({{"name", f.name}, {"source", f.text}});
                  for (const auto& e : t.extensions) {
                    extensions.push_back({{"user", e.user}, {"name", e.displayName}});
                  }
                  return ok({{"id", t.id},
                             {"name", t.name},
                             {"domains", t.domains},
                             {"extensions", extensions},
                             {"numbers", numbers},
                             {"agents", agents},
                             {"queues", queues},
                             {"flows", flows},
                             {"lists", t.lists},
                             {"customers", customers},
                             {"shared_agents", t.sharedAgents}});
                });
  // Trunks belong to the node, not to a tenant: operators only.
  routes.describe("GET", "/api/v1/trunks", "The node's SIP trunks (no credentials)", "operator");
  routes.http().route("GET", "/api/v1/trunks", [&routes](const api::HttpRequest& r) {
    auto who = routes.authenticate(r);
    if (auto* e = std::get_if<api::HttpResponse>(&who)) return std::move(*e);
    if (!allows(std::get<api::Principal>(who), Min::kOperator)) {
      return error(Errc::kForbidden, "needs role operator");
    }
    nlohmann::json list = nlohmann::json::array();
    for (const auto& t : routes.deps().config.trunks) {
      list.push_back({{"name", t.name},
                      {"address", t.address},
                      {"port", t.port},
                      {"channels", t.channels},
                      {"authenticates", !t.username.empty()}});
    }
    return ok({{"trunks", list}});
  });
}

}  // namespace sb::app::rest
