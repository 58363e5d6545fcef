#pragma once
// HTTP/1.1 server of the API loop (DESIGN.md "api loop"). Beast stays inside http_server.cpp.
// Routes are (method, path pattern) pairs grouped by resource: a path names one resource, the
// method picks its handler, so REST under /api/v1 (`/api/v1/queues/{id}`), static console files
// (`/console/{file...}`) and, later, the WebSocket event stream share one table and one set of
// 404/405 answers.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace sb::api {

/// A request as handlers see it; valid for the duration of the handler call.
struct HttpRequest {
  std::string method;  ///< as sent, e.g. "GET"
  std::string target;  ///< path and query as sent
  std::string path;    ///< raw (percent-encoded) path, without the query
  std::string query;   ///< raw text after '?', "" when absent
  std::vector<std::pair<std::string, std::string>> headers;  ///< in arrival order
  std::string body;
  std::string remoteAddress;  ///< peer IP address, e.g. "127.0.0.1"
  /// Values captured by `{name}` / `{name...}` route segments, percent-decoded.
  std::vector<std::pair<std::string, std::string>> params;

  /// A header value by name (case-insensitive); "" when absent.
  std::string header(std::string_view name) const;
  /// A captured path parameter by name; "" when the route has no such capture.
  std::string param(std::string_view name) const;
};

/// A handler's answer. The server adds Server, Date, Content-Length and Connection itself.
struct HttpResponse {
  int status = 200;  ///< 200..599; anything else is a handler bug answered with 500
  std::string contentType = "application/json";
  std::string body;
  /// Extra header fields. Names must be tokens and values free of CR/LF (else 500). Fields the
  /// server owns (Content-Length, Transfer-Encoding, Connection, Content-Type, Server, Date)
  /// are ignored here.
  std::vector<std::pair<std::string, std::string>> headers;
};

/// Listener address and limits. Field order is relied on by `HttpConfig{address, port}`.
struct HttpConfig {
  std::string address = "127.0.0.1";
  std::uint16_t port = 8080;               ///< 0 picks a free port
  std::size_t maxHeaderBytes = 16 * 1024;  ///< request line + header block; above: 431
  std::size_t maxBodyBytes = 1024 * 1024;  ///< above: 413
  /// Deadline for one whole request (header and body) and for an idle keep-alive connection;
  /// also bounds writing a response and draining before close.
  std::chrono::milliseconds readTimeout{10000};
  std::size_t maxConnections = 10000;  ///< above: answered 503 and closed
};

/// Counters for /metrics and tests; a snapshot, readable from any thread.
struct HttpStats {
  std::size_t openConnections = 0;
  std::uint64_t acceptedConnections = 0;
  std::uint64_t refusedConnections = 0;   ///< over maxConnections
  std::uint64_t timedOutConnections = 0;  ///< closed after readTimeout
  std::uint64_t requests = 0;             ///< requests that reached routing
  std::uint64_t handlerFailures = 0;      ///< handler threw or answered invalidly (500)
};

/// HTTP/1.1 server on its own thread ("api loop"). Handlers run on that thread and must not
/// block; they reach other loops only by posting. One start()/stop() cycle per object.
class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  explicit HttpServer(HttpConfig config);
  /// Stops (joins the thread). Must not run on the server's own thread.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Registers `handler` for `method` ("GET", "POST", ...) on `path`: an exact path such as
  /// "/healthz", or a pattern whose `{name}` segments capture one non-empty segment and whose
  /// last segment may be `{name...}`, capturing the rest. Literal segments beat captures when
  /// several patterns match; a GET route also answers HEAD. Call before start(), on the
  /// thread that owns the server; a malformed or duplicate route is a bug and aborts.
  void route(std::string method, std::string path, Handler handler);
  /// Binds, listens and starts the thread. kIo naming address:port when binding fails,
  /// kInvalidInput for an unparsable address, kConflict when already started.
  Result<void> start();
  /// Closes the listener and every connection, then joins the thread. Idempotent; any thread
  /// (from a handler it stops without joining).
  void stop();
  /// The bound port (useful with port 0); 0 before start(). Any thread.
  std::uint16_t port() const;
  /// Counter snapshot. Any thread.
  HttpStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sb::api
