#pragma once
// The route table of HttpServer: resources (path patterns), each with an endpoint per method.

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/http_server.h"

namespace sb::api::internal {

using Params = std::vector<std::pair<std::string, std::string>>;

/// What serves one (resource, method): exactly one of the three is set.
struct Endpoint {
  HttpServer::Handler handler;            ///< answers synchronously
  HttpServer::AsyncHandler asyncHandler;  ///< answers later through a Responder
  WsAcceptor wsAcceptor;                  ///< GET only: a WebSocket upgrade
};

/// A path selects one resource, most specific first; then the method selects the endpoint or
/// yields 405. Written before start(), read-only after.
class RouteTable {
 public:
  /// Ordered by specificity: at the same position a literal beats a capture beats a tail.
  enum class Kind { kTail = 0, kParam = 1, kLiteral = 2 };
  struct Segment {
    Kind kind;
    std::string text;  ///< literal text, or the capture name
  };
  struct Resource {
    std::string pattern;
    std::vector<Segment> segments;
    std::map<std::string, Endpoint, std::less<>> methods;

    /// The endpoint for `method`; HEAD falls back to GET (RFC 9110 §9.3.2).
    const Endpoint* endpointFor(std::string_view method) const;
    /// The Allow field value of a 405 (RFC 9110 §15.5.6).
    std::string allow() const;
  };
  struct Match {
    const Resource* resource = nullptr;
    Params params;
    bool badEncoding = false;  ///< a capture held an invalid percent-escape
  };

  /// Adds a route; "" on success, else why it is malformed or clashes with an earlier one.
  std::string add(std::string method, std::string_view pattern, Endpoint endpoint);
  /// The most specific resource matching `path` (raw, as sent), with its decoded captures.
  Match match(std::string_view path) const;

 private:
  std::vector<Resource> resources_;
};

}  // namespace sb::api::internal
