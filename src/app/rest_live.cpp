// REST resources of live state and control, answered from the control loop: agents (with
// their state) and agent control, queues (with live figures), live calls and hang-up, flows
// (versions, validation, publish).

#include "app/internal/rest.h"

namespace sb::app::rest {
namespace {

std::int64_t secondsSince(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - t)
      .count();
}

nlohmann::json agentLiveJson(const acd::AgentView& v) {
  nlohmann::json j = {{"state", std::string(acd::agentStateName(v.state))},
                      {"for_s", secondsSince(v.since)},
                      {"reason", v.reason},
                      {"calls_taken", v.callsTaken},
                      {"misses", v.misses},
                      {"owned_customers", v.ownedCustomers}};
  if (v.next) j["next"] = std::string(acd::agentStateName(*v.next));
  return j;
}

nlohmann::json queueLiveJson(const acd::QueueView& v) {
  nlohmann::json agents = nlohmann::json::object();
  for (std::size_t i = 0; i < acd::kAgentStateCount; ++i) {
    agents[std::string(acd::agentStateName(static_cast<acd::AgentState>(i)))] =
        v.agentsByState[i];
  }
  return {{"waiting", v.waiting},
          {"callbacks_waiting", v.callbacks},
          {"oldest_wait_s",
           std::chrono::duration_cast<std::chrono::seconds>(v.oldestWait).count()},
          {"agents", agents},
          {"offered", v.offered},
          {"answered", v.answered},
          {"abandoned", v.abandoned},
          {"callbacks_requested", v.callbacksRequested},
          {"left", v.left},
          {"overflowed", v.overflowed}};
}

const AgentConfig* agentOf(const TenantConfig& t, const std::string& name) {
  for (const auto& a : t.agents) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

void installAgents(Routes& routes) {
  RestDeps& deps = routes.deps();
  routes.tenantAsync("GET", "/agents", Min::kSupervisor, "Agents with their live state",
                     [&deps](const Call& c, api::Responder done) {
                       const TenantConfig* t = &c.tenant;
                       onControl(deps, std::move(done), [&deps, t] {
                         auto views = deps.center.agentViews(t->id);
                         nlohmann::json list = nlohmann::json::array();
                         for (std::size_t i = 0; i < t->agents.size(); ++i) {
                           nlohmann::json j = agentConfigJson(t->agents[i]);
                           for (const auto& v : views) {
                             if (v.name == t->agents[i].name) j["live"] = agentLiveJson(v);
                           }
                           list.push_back(std::move(j));
                         }
                         return ok({{"agents", list}});
                       });
                     });
  routes.tenantAsync("GET", "/agents/{agent}", Min::kAgent,
                     "One agent with its live state (agents: only themselves)",
                     [&deps](const Call& c, api::Responder done) {
                       std::string name = c.http.param("agent");
                       const AgentConfig* a = agentOf(c.tenant, name);
                       if (a == nullptr || !isSelfOrAbove(c.who, name)) {
                         return done(error(Errc::kNotFound, "no such agent"));
                       }
                       const TenantConfig* t = &c.tenant;
                       onControl(deps, std::move(done), [&deps, t, a] {
                         nlohmann::json j = agentConfigJson(*a);
                         for (const auto& v : deps.center.agentViews(t->id)) {
                           if (v.name == a->name) j["live"] = agentLiveJson(v);
                         }
                         return ok(j);
                       });
                     });
  routes.tenantAsync(
      "POST", "/agents/{agent}/state", Min::kAgent,
      "Agent control: {\"action\": login|ready|not_ready|logout|wrap_up_done, \"reason\"}",
      [&deps](const Call& c, api::Responder done) {
        std::string name = c.http.param("agent");
        if (agentOf(c.tenant, name) == nullptr || !isSelfOrAbove(c.who, name)) {
          return done(error(Errc::kNotFound, "no such agent"));
        }
        auto body = api::parseJsonObject(c.http.body);
        if (!body) return done(api::errorResponse(body.error()));
        if (!(*body)["action"].is_string()) {
          return done(error(Errc::kInvalidInput, "body needs a string field 'action'"));
        }
        std::string action = (*body)["action"];
        std::string reason = body->value("reason", "");
        std::string tenant = c.tenant.id;
        onControl(deps, std::move(done), [&deps, tenant, name, action, reason] {
          auto r = deps.center.agentControl(tenant, name, action, reason);
          if (!r) return api::errorResponse(r.error());
          for (const auto& v : deps.center.agentViews(tenant)) {
            if (v.name == name) return ok({{"name", name}, {"live", agentLiveJson(v)}});
          }
          return error(Errc::kNotFound, "no such agent");
        });
      });
}

void installQueues(Routes& routes) {
  RestDeps& deps = routes.deps();
  routes.tenantAsync("GET", "/queues", Min::kAgent, "Queues with live figures (wallboard)",
                     [&deps](const Call& c, api::Responder done) {
                       const TenantConfig* t = &c.tenant;
                       onControl(deps, std::move(done), [&deps, t] {
                         auto views = deps.center.queueViews(t->id);
                         nlohmann::json list = nlohmann::json::array();
                         for (const auto& q : t->queues) {
                           nlohmann::json j = queueConfigJson(q);
                           for (const auto& v : views) {
                             if (v.name == q.name) j["live"] = queueLiveJson(v);
                           }
                           list.push_back(std::move(j));
                         }
                         return ok({{"queues", list}});
                       });
                     });
  routes.tenantAsync("GET", "/queues/{queue}", Min::kAgent, "One queue with live figures",
                     [&deps](const Call& c, api::Responder done) {
                       const QueueConfig* q = nullptr;
                       for (const auto& x : c.tenant.queues) {
                         if (x.name == c.http.param("queue")) q = &x;
                       }
                       if (q == nullptr) return done(error(Errc::kNotFound, "no such queue"));
                       std::string tenant = c.tenant.id;
                       onControl(deps, std::move(done), [&deps, tenant, q] {
                         nlohmann::json j = queueConfigJson(*q);
                         for (const auto& v : deps.center.queueViews(tenant)) {
                           if (v.name == q->name) j["live"] = queueLiveJson(v);
                         }
                         return ok(j);
                       });
                     });
}

void installCalls(Routes& routes) {
  RestDeps& deps = routes.deps();
  routes.tenantAsync("GET", "/calls", Min::kSupervisor, "Live calls and their legs",
                     [&deps](const Call& c, api::Responder done) {
                       std::string tenant = c.tenant.id;
                       onControl(deps, std::move(done), [&deps, tenant] {
                         nlohmann::json calls = nlohmann::json::object();
                         for (const auto& l : deps.calls.legs(tenant)) {
                           auto& call = calls[std::to_string(l.call)];
                           call["call"] = l.call;
                           call["legs"].push_back({{"leg", l.leg},
                                                   {"direction", l.inbound ? "inbound" : "outbound"},
                                                   {"state", l.state},
                                                   {"party", l.party},
                                                   {"bridged_to", l.bridgedTo},
                                                   {"held", l.held},
                                                   {"recording", l.recording},
                                                   {"created_ms", l.createdMs}});
                         }
                         nlohmann::json list = nlohmann::json::array();
                         for (auto& [id, call] : calls.items()) list.push_back(std::move(call));
                         return ok({{"calls", list}});
                       });
                     });
  routes.tenantAsync("DELETE", "/calls/{call}", Min::kSupervisor, "Hangs up a live call",
                     [&deps](const Call& c, api::Responder done) {
                       std::string tenant = c.tenant.id;
                       std::uint64_t call = idOf(c.http.param("call"));
                       if (call == 0) return done(error(Errc::kNotFound, "no such call"));
                       onControl(deps, std::move(done), [&deps, tenant, call] {
                         auto r = deps.calls.hangupCall(tenant, call);
                         if (!r) return api::errorResponse(r.error());
                         return ok({{"call", call}, {"hung_up", true}});
                       });
                     });
}

nlohmann::json issuesJson(const std::vector<flow::Issue>& issues) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& i : issues) {
    list.push_back({{"severity", i.severity == flow::Issue::Severity::kError ? "error" : "warning"},
                    {"node", i.node},
                    {"line", i.line},
                    {"message", i.message}});
  }
  return list;
}

void installFlows(Routes& routes) {
  RestDeps& deps = routes.deps();
  routes.tenantAsync("GET", "/flows", Min::kSupervisor, "Flows and their current versions",
                     [&deps](const Call& c, api::Responder done) {
                       std::string tenant = c.tenant.id;
                       onControl(deps, std::move(done), [&deps, tenant] {
                         nlohmann::json list = nlohmann::json::array();
                         for (const auto& name : deps.center.flows().flowNames(tenant)) {
                           auto v = deps.center.flows().current(tenant, name);
                           list.push_back({{"name", name},
                                           {"version", v ? v->version : 0},
                                           {"author", v ? v->author : ""},
                                           {"published_ms", v ? v->unixMs : 0}});
                         }
                         return ok({{"flows", list}});
                       });
                     });
  routes.tenantAsync("GET", "/flows/{flow}", Min::kSupervisor,
                     "A flow's current version with its source",
                     [&deps](const Call& c, api::Responder done) {
                       std::string tenant = c.tenant.id, name = c.http.param("flow");
                       onControl(deps, std::move(done), [&deps, tenant, name] {
                         auto v = deps.center.flows().current(tenant, name);
                         if (!v) return error(Errc::kNotFound, "no such flow");
                         return ok({{"name", name},
                                    {"version", v->version},
                                    {"author", v->author},
                                    {"published_ms", v->unixMs},
                                    {"source", v->sourceText}});
                       });
                     });
  routes.tenantAsync("GET", "/flows/{flow}/versions", Min::kSupervisor,
                     "A flow's publish history with diffs",
                     [&deps](const Call& c, api::Responder done) {
                       std::string tenant = c.tenant.id, name = c.http.param("flow");
                       onControl(deps, std::move(done), [&deps, tenant, name] {
                         auto history = deps.center.flows().history(tenant, name);
                         if (history.empty()) return error(Errc::kNotFound, "no such flow");
                         nlohmann::json list = nlohmann::json::array();
                         for (const auto& h : history) {
                           list.push_back({{"version", h.version},
                                           {"author", h.author},
                                           {"published_ms", h.unixMs},
                                           {"diff", h.diff}});
                         }
                         return ok({{"name", name}, {"versions", list}});
                       });
                     });
  routes.tenantAsync("POST", "/flows/{flow}/validate", Min::kSupervisor,
                     "Checks a flow source (the body, YAML or JSON) without publishing",
                     [&deps](const Call& c, api::Responder done) {
                       std::string tenant = c.tenant.id, name = c.http.param("flow"),
                                   text = c.http.body;
                       onControl(deps, std::move(done), [&deps, tenant, name, text] {
                         auto issues = deps.center.checkFlow(tenant, name, text);
                         if (!issues) return api::errorResponse(issues.error());
                         return ok({{"valid", !flow::hasErrors(*issues)},
                                    {"issues", issuesJson(*issues)}});
                       });
                     });
  routes.tenantAsync("POST", "/flows/{flow}/publish", Min::kTenantAdmin,
                     "Publishes a flow source (the body) as the next version; running calls "
                     "keep theirs",
                     [&deps](const Call& c, api::Responder done) {
                       std::string tenant = c.tenant.id, name = c.http.param("flow"),
                                   text = c.http.body, author = "api:" + c.who.subject;
                       onControl(deps, std::move(done), [&deps, tenant, name, text, author] {
                         auto v = deps.center.publishFlowText(tenant, name, text, author);
                         if (!v) return api::errorResponse(v.error());
                         return ok({{"name", name}, {"version", *v}}, 201);
                       });
                     });
}

}  // namespace

void installLiveResources(Routes& routes) {
  installAgents(routes);
  installQueues(routes);
  installCalls(routes);
  installFlows(routes);
}

}  // namespace sb::app::rest
