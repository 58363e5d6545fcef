#pragma once
// Shared pieces of the REST resources (rest_*.cpp): authentication and tenant scoping in one
// wrapper, role checks, JSON answers. Private to app.

#include <functional>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/auth.h"
#include "api/http_server.h"
#include "api/json_body.h"
#include "app/rest_api.h"

namespace sb::app::rest {

/// The least role a route admits (operator > tenant admin > supervisor > agent).
enum class Min { kAgent, kSupervisor, kTenantAdmin, kOperator };

/// One authenticated request of a tenant route.
struct Call {
  const api::HttpRequest& http;
  const api::Principal& who;
  const TenantConfig& tenant;  ///< the tenant the credential may act on, named by the path
};

using Handler = std::function<api::HttpResponse(const Call&)>;
using AsyncHandler = std::function<void(const Call&, api::Responder)>;

/// Registers routes with authentication, role checks and tenant resolution.
class Routes {
 public:
  Routes(api::HttpServer& http, RestDeps& deps) : http_(http), deps_(deps) {}
  /// A route under /api/v1/tenants/{tenant}/...; `path` is the part after the tenant;
  /// `summary` describes it in the OpenAPI document.
  void tenant(const char* method, const std::string& path, Min min, const char* summary,
              Handler h);
  void tenantAsync(const char* method, const std::string& path, Min min, const char* summary,
                   AsyncHandler h);
  /// Records a route registered directly on the server, for the OpenAPI document.
  void describe(const char* method, const std::string& fullPath, const char* summary,
                const char* access);
  /// The OpenAPI 3 document of every route described so far.
  nlohmann::json openApi() const;
  /// The principal of a request, or the error answer to send.
  std::variant<api::Principal, api::HttpResponse> authenticate(const api::HttpRequest& r);
  /// The tenant `name` as `who` may see it; nullptr when it may not (answer 404).
  const TenantConfig* resolve(const api::Principal& who, const std::string& name) const;
  RestDeps& deps() { return deps_; }
  api::HttpServer& http() { return http_; }

 private:
  struct Described {
    std::string method, path, summary, access;
  };
  api::HttpServer& http_;
  RestDeps& deps_;
  std::vector<Described> described_;
};

/// True when `who` has at least `min`.
bool allows(const api::Principal& who, Min min);
/// An agent principal may act on agent `name` only when it is that agent.
bool isSelfOrAbove(const api::Principal& who, const std::string& name);

/// 200 with a JSON body.
api::HttpResponse ok(const nlohmann::json& body, int status = 200);
/// The error answer of `code` with `message` (api::errorResponse).
api::HttpResponse error(Errc code, std::string message);
/// Runs `fn` on the control loop and answers with what it returns.
void onControl(RestDeps& deps, api::Responder done, std::function<api::HttpResponse()> fn);
/// Runs `fn` on the store reader (503 without a store) and answers with what it returns.
void onStore(RestDeps& deps, api::Responder done,
             std::function<api::HttpResponse(store::Store&)> fn);
/// A call or leg id: decimal digits only (so "12abc" or "-1" is no id, not 12). 0 when not.
std::uint64_t idOf(const std::string& text);
/// A query parameter as an integer; `fallback` when absent. kInvalidInput names it.
Result<std::int64_t> intParam(const api::HttpRequest& r, const char* name, std::int64_t fallback);

/// JSON of configured agents and queues (rest_config.cpp).
nlohmann::json agentConfigJson(const AgentConfig& a);
nlohmann::json queueConfigJson(const QueueConfig& q);

/// JSON of one stored event, as the REST and WebSocket APIs send it (rest_records.cpp).
nlohmann::json eventJson(const store::StoredEvent& e);

void installConfigResources(Routes& routes);
void installLiveResources(Routes& routes);
void installRecordResources(Routes& routes);

}  // namespace sb::app::rest
