#pragma once
// A blocking HTTP/1.1 client for requests to a tenant's own systems (the flow's `http` node,
// webhooks later). Runs on the blocking pool, never on an event loop. Beast and OpenSSL stay
// inside http_client.cpp.

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"

namespace sb::api {

/// An outgoing request. `url` is http://host[:port]/path or https://... (certificate and host
/// name verified against the system's CA store).
struct ClientRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{3000};  ///< whole exchange: resolve, connect, write, read
  std::size_t maxResponseBytes = 1024 * 1024;
};

/// The answer: status, header fields and body.
struct ClientResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

/// Performs the request. Errors: kInvalidInput (bad URL, method or header), kIo (resolve,
/// connect, TLS, timeout, malformed or oversized answer; the message says which). Blocking;
/// any thread but an event loop's.
Result<ClientResponse> httpFetch(const ClientRequest& request);

}  // namespace sb::api
