#pragma once
// The REST API under /api/v1 (docs/api.md, OpenAPI at /api/v1/openapi.json): configuration,
// live state and control, records and reports of each tenant, behind token or login auth.
// Tenant isolation by construction: every tenant route resolves `{tenant}` against the
// credential (an operator may name any tenant, everyone else only their own — another
// tenant's path answers 404, as if it did not exist) and hands the handler only that
// tenant's configuration and a store query already scoped to it.
//
// Threads: handlers run on the api loop; they read the immutable node configuration there,
// reach live state by posting to the control loop, and run queries on the store reader.

#include <functional>
#include <memory>

#include "api/auth.h"
#include "api/http_server.h"
#include "app/config.h"
#include "app/contact_center.h"
#include "app/records.h"
#include "call/call_manager.h"

namespace sb::app {

class EventStream;

/// What the API reaches.
struct RestDeps {
  const Config& config;        ///< immutable after start; read on the api loop
  api::Authenticator& auth;    ///< any thread
  ContactCenter::Post control; ///< runs a function on the control loop
  ContactCenter& center;       ///< control loop only
  call::CallManager& calls;    ///< control loop only
  StoreReader* reader;         ///< null without a store: records answer 503
  EventStream* stream;         ///< null without a store: the event stream answers 503
};

namespace rest {
class Routes;
}

/// The /api/v1 routes of a node; outlives the server's handling (destroy after stop()).
class RestApi {
 public:
  /// Registers every route on `http` (before it starts).
  RestApi(api::HttpServer& http, RestDeps deps);
  ~RestApi();
  RestApi(const RestApi&) = delete;
  RestApi& operator=(const RestApi&) = delete;

 private:
  std::unique_ptr<RestDeps> deps_;
  std::unique_ptr<rest::Routes> routes_;
};

}  // namespace sb::app
