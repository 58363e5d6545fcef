#include "app/rest_api.h"

#include <boost/asio/post.hpp>

#include "app/event_stream.h"
#include "app/internal/rest.h"
#include "base/log.h"

namespace sb::app {
namespace rest {
namespace {

int rank(api::Role r) {
  switch (r) {
    case api::Role::kAgent:
      return 0;
    case api::Role::kSupervisor:
      return 1;
    case api::Role::kTenantAdmin:
      return 2;
    case api::Role::kOperator:
      return 3;
  }
  return 0;
}

const char* accessName(Min m) {
  switch (m) {
    case Min::kAgent:
      return "agent";
    case Min::kSupervisor:
      return "supervisor";
    case Min::kTenantAdmin:
      return "tenant_admin";
    case Min::kOperator:
      return "operator";
  }
  return "";
}

/// The bearer token of a WebSocket or download link may come as `access_token`.
std::string authorizationOf(const api::HttpRequest& r) {
  std::string h = r.header("Authorization");
  if (!h.empty()) return h;
  std::string q = r.queryParam("access_token");
  return q.empty() ? std::string() : "Bearer " + q;
}

}  // namespace

bool allows(const api::Principal& who, Min min) {
  return rank(who.role) >= static_cast<int>(min);
}

bool isSelfOrAbove(const api::Principal& who, const std::string& name) {
  return who.role != api::Role::kAgent || who.agent == name;
}

api::HttpResponse ok(const nlohmann::json& body, int status) {
  api::HttpResponse r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

api::HttpResponse error(Errc code, std::string message) {
  return api::errorResponse(fail(code, std::move(message)));
}

void onControl(RestDeps& deps, api::Responder done, std::function<api::HttpResponse()> fn) {
  deps.control([done = std::move(done), fn = std::move(fn)] { done(fn()); });
}

void onStore(RestDeps& deps, api::Responder done,
             std::function<api::HttpResponse(store::Store&)> fn) {
  if (deps.reader == nullptr) {
    done(error(Errc::kUnsupported, "this node keeps no records (store.path is empty)"));
    return;
  }
  deps.reader->post([done = std::move(done), fn = std::move(fn)](store::Store& db) {
    done(fn(db));
  });
}

std::uint64_t idOf(const std::string& text) {
  if (text.empty() || text.size() > 19) return 0;
  std::uint64_t n = 0;
  for (char ch : text) {
    if (ch < '0' || ch > '9') return 0;
    n = n * 10 + static_cast<std::uint64_t>(ch - '0');
  }
  return n;
}

Result<std::int64_t> intParam(const api::HttpRequest& r, const char* name, std::int64_t fallback) {
  std::string v = r.queryParam(name);
  if (v.empty()) return fallback;
  std::size_t used = 0;
  try {
    long long n = std::stoll(v, &used);
    if (used == v.size()) return static_cast<std::int64_t>(n);
  } catch (const std::exception&) {
  }
  return fail(Errc::kInvalidInput, std::string("query parameter '") + name + "' must be an integer");
}

std::variant<api::Principal, api::HttpResponse> Routes::authenticate(const api::HttpRequest& r) {
  auto who = deps_.auth.authenticate(authorizationOf(r), r.remoteAddress);
  if (!who) return api::errorResponse(who.error());
  return std::move(who).value();
}

const TenantConfig* Routes::resolve(const api::Principal& who, const std::string& name) const {
  if (!api::requireTenant(who, name)) return nullptr;
  for (const auto& t : deps_.config.tenants) {
    if (t.id == name) return &t;
  }
  return nullptr;
}

namespace {

// A credential naming a tenant it may not see: a security event (the answer is a plain 404).
void refused(const api::HttpRequest& r, const api::Principal& who) {
  log::securityEvent("api_tenant_refused",
                     {{"source", r.remoteAddress}, {"subject", who.subject}, {"path", r.path}});
}

// One wrapper for every tenant route: credential → principal → role → the tenant it names.
// A tenant the credential may not see is "not found", so ids of others are not revealed.
template <class Then>
void guarded(Routes& routes, Min min, const api::HttpRequest& r, Then then,
             const std::function<void(api::HttpResponse)>& answer) {
  auto who = routes.authenticate(r);
  if (auto* e = std::get_if<api::HttpResponse>(&who)) return answer(std::move(*e));
  const auto& principal = std::get<api::Principal>(who);
  const TenantConfig* t = routes.resolve(principal, r.param("tenant"));
  if (t == nullptr) {
    refused(r, principal);
    return answer(error(Errc::kNotFound, "no such tenant"));
  }
  if (!allows(principal, min)) {
    return answer(error(Errc::kForbidden, std::string("needs role ") + accessName(min)));
  }
  then(Call{r, principal, *t});
}

}  // namespace

void Routes::tenant(const char* method, const std::string& path, Min min, const char* summary,
                    Handler h) {
  std::string full = "/api/v1/tenants/{tenant}" + path;
  describe(method, full, summary, accessName(min));
  http_.route(method, full, [this, min, h = std::move(h)](const api::HttpRequest& r) {
    api::HttpResponse out;
    guarded(
        *this, min, r, [&](const Call& c) { out = h(c); },
        [&](api::HttpResponse e) { out = std::move(e); });
    return out;
  });
}

void Routes::tenantAsync(const char* method, const std::string& path, Min min,
                         const char* summary, AsyncHandler h) {
  std::string full = "/api/v1/tenants/{tenant}" + path;
  describe(method, full, summary, accessName(min));
  http_.routeAsync(method, full,
                   [this, min, h = std::move(h)](const api::HttpRequest& r, api::Responder done) {
                     guarded(
                         *this, min, r, [&](const Call& c) { h(c, done); },
                         [&](api::HttpResponse e) { done(std::move(e)); });
                   });
}

void Routes::describe(const char* method, const std::string& fullPath, const char* summary,
                      const char* access) {
  described_.push_back({method, fullPath, summary, access});
}

nlohmann::json Routes::openApi() const {
  nlohmann::json paths = nlohmann::json::object();
  for (const auto& d : described_) {
    std::string verb = d.method;
    for (auto& ch : verb) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    nlohmann::json op = {{"summary", d.summary},
                         {"description", "Least role: " + d.access + "."},
                         {"responses",
                          {{"200", {{"description", "OK"}}},
                           {"401", {{"description", "missing or invalid credentials"}}},
                           {"403", {{"description", "the role does not allow it"}}},
                           {"404", {{"description", "no such resource (or another tenant's)"}}}}}};
    nlohmann::json params = nlohmann::json::array();
    std::size_t at = 0;
    while ((at = d.path.find('{', at)) != std::string::npos) {
      auto end = d.path.find('}', at);
      params.push_back({{"name", d.path.substr(at + 1, end - at - 1)},
                        {"in", "path"},
                        {"required", true},
                        {"schema", {{"type", "string"}}}});
      at = end;
    }
    if (!params.empty()) op["parameters"] = params;
    if (d.access != "public") op["security"] = nlohmann::json::array({{{"bearer", nlohmann::json::array()}}});
    paths[d.path][verb] = op;
  }
  return {{"openapi", "3.0.3"},
          {"info",
           {{"title", "Switchboard API"},
            {"version", "1"},
            {"description", "Configuration, live state, records and reports of a hosted "
                            "contact center. See docs/api.md."}}},
          {"components",
           {{"securitySchemes",
             {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}},
              {"basic", {{"type", "http"}, {"scheme", "basic"}}}}}}},
          {"paths", paths}};
}

constexpr const char* kDocsPage =
    "<!doctype html><html><head><meta charset=utf-8><title>Switchboard API</title>"
    "<style>body{font:14px sans-serif;margin:2em}code{background:#eee;padding:0 .3em}"
    "td{padding:.2em .8em;border-bottom:1px solid #ddd}</style></head><body>"
    "<h1>Switchboard API v1</h1><p>The machine-readable description is "
    "<a href=\"/api/v1/openapi.json\">/api/v1/openapi.json</a>.</p><table id=t></table>"
    "<script>fetch('/api/v1/openapi.json').then(r=>r.json()).then(d=>{const t="
    "document.getElementById('t');for(const[p,ops]of Object.entries(d.paths))for(const[m,o]"
    "of Object.entries(ops)){const r=t.insertRow();r.insertCell().textContent=m.toUpperCase();"
    "r.insertCell().innerHTML='<code>'+p+'</code>';r.insertCell().textContent=o.summary;"
    "r.insertCell().textContent=o.description}})</script></body></html>";

nlohmann::json principalJson(const api::Principal& p) {
  nlohmann::json j = {{"subject", p.subject}, {"role", std::string(api::roleName(p.role))}};
  if (!p.tenant.empty()) j["tenant"] = p.tenant;
  if (!p.agent.empty()) j["agent"] = p.agent;
  return j;
}

namespace {

void installSession(Routes& routes) {
  auto& http = routes.http();
  RestDeps& deps = routes.deps();
  routes.describe("POST", "/api/v1/login", "Logs in with user and password; returns a session token", "public");
  http.route("POST", "/api/v1/login", [&deps](const api::HttpRequest& r) {
    auto body = api::parseJsonObject(r.body);
    if (!body) return api::errorResponse(body.error());
    if (!(*body)["user"].is_string() || !(*body)["password"].is_string()) {
      return error(Errc::kInvalidInput, "body needs string fields 'user' and 'password'");
    }
    auto token = deps.auth.login((*body)["user"].get<std::string>(),
                                 (*body)["password"].get<std::string>(), r.remoteAddress);
    if (!token) return api::errorResponse(token.error());
    return ok({{"token", *token}, {"expires_in_s", deps.config.api.sessionHours * 3600}});
  });
  routes.describe("POST", "/api/v1/logout", "Ends the session of the bearer token", "any");
  http.route("POST", "/api/v1/logout", [&deps](const api::HttpRequest& r) {
    std::string h = r.header("Authorization");
    if (h.rfind("Bearer ", 0) == 0) deps.auth.logout(h.substr(7));
    return ok({{"ok", true}});
  });
  routes.describe("GET", "/api/v1/me", "Who the credential is", "any");
  http.route("GET", "/api/v1/me", [&routes](const api::HttpRequest& r) {
    auto who = routes.authenticate(r);
    if (auto* e = std::get_if<api::HttpResponse>(&who)) return std::move(*e);
    return ok(principalJson(std::get<api::Principal>(who)));
  });
  routes.describe("GET", "/api/v1/tenants", "The tenants the credential may see", "any");
  http.route("GET", "/api/v1/tenants", [&routes, &deps](const api::HttpRequest& r) {
    auto who = routes.authenticate(r);
    if (auto* e = std::get_if<api::HttpResponse>(&who)) return std::move(*e);
    const auto& p = std::get<api::Principal>(who);
    nlohmann::json list = nlohmann::json::array();
    for (const auto& t : deps.config.tenants) {
      if (routes.resolve(p, t.id) != nullptr) list.push_back({{"id", t.id}, {"name", t.name}});
    }
    return ok({{"tenants", list}});
  });
}

// The event stream: authenticated and scoped like every tenant route, before the upgrade.
void installStream(Routes& routes) {
  const std::string path = "/api/v1/tenants/{tenant}/stream";
  routes.describe("GET", path,
                  "WebSocket: the tenant's events (after, queue, agent, kinds=a,b), resumable "
                  "from the last id seen",
                  "supervisor (agents: their own events)");
  routes.http().webSocket(path, [&routes](const api::HttpRequest& r) -> api::WsDecision {
    auto who = routes.authenticate(r);
    if (auto* e = std::get_if<api::HttpResponse>(&who)) return std::move(*e);
    const auto& p = std::get<api::Principal>(who);
    const TenantConfig* t = routes.resolve(p, r.param("tenant"));
    if (t == nullptr) {
      refused(r, p);
      return error(Errc::kNotFound, "no such tenant");
    }
    if (routes.deps().stream == nullptr) {
      return error(Errc::kUnsupported, "this node keeps no records (store.path is empty)");
    }
    auto after = intParam(r, "after", 0);
    if (!after || *after < 0) return error(Errc::kInvalidInput, "'after' must be an event id");
    StreamFilter f;
    f.tenant = t->id;
    f.queue = r.queryParam("queue");
    f.agent = p.role == api::Role::kAgent ? p.agent : r.queryParam("agent");
    if (p.role == api::Role::kAgent && f.agent.empty()) {
      return error(Errc::kForbidden, "an agent credential without an agent sees no events");
    }
    std::string kinds = r.queryParam("kinds");
    for (std::size_t at = 0; at < kinds.size();) {
      auto comma = kinds.find(',', at);
      if (comma == std::string::npos) comma = kinds.size();
      if (comma > at) f.kinds.push_back(kinds.substr(at, comma - at));
      at = comma + 1;
    }
    return routes.deps().stream->subscribe(std::move(f), static_cast<std::uint64_t>(*after));
  });
}

}  // namespace
}  // namespace rest

RestApi::RestApi(api::HttpServer& http, RestDeps deps)
    : deps_(std::make_unique<RestDeps>(std::move(deps))),
      routes_(std::make_unique<rest::Routes>(http, *deps_)) {
  rest::installSession(*routes_);
  rest::installConfigResources(*routes_);
  rest::installLiveResources(*routes_);
  rest::installRecordResources(*routes_);
  rest::installStream(*routes_);
  auto doc = std::make_shared<std::string>(routes_->openApi().dump(2));
  http.route("GET", "/api/v1/openapi.json", [doc](const api::HttpRequest&) {
    return api::HttpResponse{200, "application/json", *doc, {}};
  });
  http.route("GET", "/api/v1/docs", [](const api::HttpRequest&) {
    return api::HttpResponse{200, "text/html; charset=utf-8", rest::kDocsPage, {}};
  });
}

RestApi::~RestApi() = default;

}  // namespace sb::app
