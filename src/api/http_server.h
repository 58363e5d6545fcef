#pragma once
// HTTP/1.1 and WebSocket server of the API loop (DESIGN.md "api loop"). Beast stays inside the
// .cpp files. Routes are (method, path pattern) pairs grouped by resource: a path names one
// resource, the method picks its endpoint, so REST under /api/v1 (`/api/v1/queues/{id}`),
// static console files (`/console/{file...}`) and the WebSocket event stream share one table
// and one set of 404/405 answers. An endpoint answers synchronously (route), later from any
// thread (routeAsync), or upgrades to a WebSocket (webSocket).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
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
  /// The first query parameter `name` (`?after=123&queue=sales`), percent-decoded with '+' as
  /// space; "" when absent or badly encoded.
  std::string queryParam(std::string_view name) const;
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
  std::size_t maxConnections = 10000;  ///< HTTP and WebSocket; above: answered 503 and closed
  /// Deadline for a routeAsync answer; after it: 503 `{"error":"timeout"}`, late answer dropped.
  std::chrono::milliseconds handlerTimeout{5000};
  /// Bytes queued for sending per WebSocket (the message being written included); a send()
  /// beyond it closes the connection with 1008 "too slow".
  std::size_t maxWsQueuedBytes = 4 * 1024 * 1024;
  /// Largest incoming WebSocket message; above: closed with 1009 (RFC 6455 §7.4.1).
  std::size_t maxWsMessageBytes = 64 * 1024;
  /// A WebSocket that receives nothing for half of this is pinged; for all of it, closed.
  std::chrono::milliseconds wsIdleTimeout{60000};
};

/// Counters for /metrics and tests; a snapshot, readable from any thread.
struct HttpStats {
  std::size_t openConnections = 0;
  std::uint64_t acceptedConnections = 0;
  std::uint64_t refusedConnections = 0;   ///< over maxConnections
  std::uint64_t timedOutConnections = 0;  ///< closed after readTimeout
  std::uint64_t requests = 0;             ///< requests that reached routing
  std::uint64_t handlerFailures = 0;  ///< threw, answered invalidly or dropped a Responder (500)
  std::uint64_t handlerTimeouts = 0;  ///< routeAsync answers later than handlerTimeout (503)
  std::size_t wsOpenConnections = 0;  ///< WebSockets between onOpen and onClose
  std::uint64_t wsAcceptedConnections = 0;  ///< WebSocket handshakes completed
  std::uint64_t wsSlowConsumerCloses = 0;   ///< closed 1008 over maxWsQueuedBytes
};

namespace internal {
class ServerCore;
struct ResponderState;
}  // namespace internal

/// The one-shot answer of a routeAsync request. Copyable; every copy answers the same request.
/// The first call answers, later ones are ignored; so is a call after the deadline or after the
/// connection closed. Destroying the last copy unanswered answers 500 (a handler bug, counted
/// in HttpStats::handlerFailures). Safe to call and destroy on any thread, also after the
/// server is gone.
class Responder {
 public:
  /// An empty responder; calling it does nothing.
  Responder() = default;
  /// Made by the server for one request.
  explicit Responder(std::shared_ptr<internal::ResponderState> state);
  /// Answers the request (see the class comment). Any thread.
  void operator()(HttpResponse response) const;

 private:
  std::shared_ptr<internal::ResponderState> state_;
};

/// An open WebSocket (RFC 6455) as the app holds it. Thread-safe; the handle may outlive the
/// connection and the server (its calls then do nothing).
class WsConnection {
 public:
  virtual ~WsConnection() = default;
  /// Queues one text message (valid UTF-8). Any thread. False and dropped once the connection
  /// is closing or closed; a message that would take the queue over maxWsQueuedBytes closes the
  /// connection with 1008 "too slow" (queue discarded) and also returns false.
  virtual bool send(std::string text) = 0;
  /// Sends what is queued, then a close frame: `code` per RFC 6455 §7.4 (1000 normal, 1001 going
  /// away, 4000-4999 the app's; an unsendable code is sent as 1000), `reason` cut to 123 bytes.
  /// Any thread; only the first close counts.
  virtual void close(std::uint16_t code = 1000, std::string_view reason = {}) = 0;
  /// Unique per server, from 1. Any thread.
  virtual std::uint64_t id() const = 0;
};

/// What the app does with an accepted WebSocket. Every callback runs on the api thread and may
/// be empty.
struct WsCallbacks {
  /// The handshake is done; keep the handle to send. Called before any other callback.
  std::function<void(const std::shared_ptr<WsConnection>&)> onOpen;
  /// One complete incoming message (text, or binary as bytes), at most maxWsMessageBytes.
  std::function<void(const std::shared_ptr<WsConnection>&, std::string message)> onMessage;
  /// Once after onOpen, when the connection is gone for any reason (either side closed, too
  /// slow, idle, error, server stop). send() returns false from then on.
  std::function<void(const std::shared_ptr<WsConnection>&)> onClose;
};

/// An acceptor's decision on an upgrade request: an HTTP answer instead of the upgrade (e.g.
/// 401), or the callbacks of the accepted connection.
using WsDecision = std::variant<HttpResponse, WsCallbacks>;
/// Sees the upgrade request (headers, query, remote address) before the handshake; api thread.
using WsAcceptor = std::function<WsDecision(const HttpRequest&)>;

/// HTTP/1.1 and WebSocket server on its own thread ("api loop"). Handlers, acceptors and
/// WebSocket callbacks run on that thread and must not block; they reach other loops only by
/// posting. One start()/stop() cycle per object.
class HttpServer {
 public:
  /// Answers a request synchronously on the api thread.
  using Handler = std::function<HttpResponse(const HttpRequest&)>;
  /// Starts answering a request on the api thread; answers through the Responder, from any
  /// thread, within handlerTimeout. The request is valid only during the call.
  using AsyncHandler = std::function<void(const HttpRequest&, Responder)>;

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
  /// Like route(), for a handler that answers later. Pipelined requests behind it on the same
  /// connection wait for its answer (responses keep request order).
  void routeAsync(std::string method, std::string path, AsyncHandler handler);
  /// Registers a WebSocket endpoint on `path` (a pattern as in route()), as its GET route. An
  /// upgrade request there goes to `acceptor`; any other GET or HEAD is answered 426.
  void webSocket(std::string path, WsAcceptor acceptor);
  /// Binds, listens and starts the thread. kIo naming address:port when binding fails,
  /// kInvalidInput for an unparsable address, kConflict when already started.
  Result<void> start();
  /// Closes the listener and every connection (WebSockets without a close frame, after their
  /// onClose), then joins the thread. Unanswered Responders are dropped. Idempotent; any thread
  /// (from a handler it stops without joining).
  void stop();
  /// The bound port (useful with port 0); 0 before start(). Any thread.
  std::uint16_t port() const;
  /// Counter snapshot. Any thread.
  HttpStats stats() const;

 private:
  std::unique_ptr<internal::ServerCore> core_;
};

}  // namespace sb::api
