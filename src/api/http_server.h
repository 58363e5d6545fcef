#pragma once
// HTTP/1.1 server of the API loop (Beast, kept inside http_server.cpp). Exact-path routes per
// method; limits on header and body size, read timeout and connection count. Today it serves
// /healthz; REST under /api/v1 and the WebSocket event stream build on the same routing.

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

/// A request as handlers see it.
struct HttpRequest {
  std::string method;
  std::string target;  ///< path and query as sent
  std::string path;
  std::string query;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string remoteAddress;
  /// A header value by name (case-insensitive); "" when absent.
  std::string header(std::string_view name) const;
};

/// A handler's answer.
struct HttpResponse {
  int status = 200;
  std::string contentType = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

/// Listener address and limits.
struct HttpConfig {
  std::string address = "127.0.0.1";
  std::uint16_t port = 8080;  ///< 0 picks a free port
  std::size_t maxHeaderBytes = 16 * 1024;
  std::size_t maxBodyBytes = 1024 * 1024;
  std::chrono::milliseconds readTimeout{10000};
  std::size_t maxConnections = 10000;
};

/// The server; its own thread runs every handler. Handlers must not block.
class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  explicit HttpServer(HttpConfig config);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Registers an exact-path route. Call before start().
  void route(std::string method, std::string path, Handler handler);
  /// Binds and starts the thread; kIo naming address:port when binding fails.
  Result<void> start();
  /// Stops the thread and closes every connection. Idempotent; any thread.
  void stop();
  /// The bound port (useful with port 0).
  std::uint16_t port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sb::api
