#include "api/http_server.h"

#include <algorithm>
#include <cassert>
#include <limits>
#include <optional>

#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "api/internal/http_text.h"
#include "api/internal/server_core.h"
#include "api/internal/websocket_session.h"

namespace sb::api {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using internal::checkOrDie;
using internal::fixedError;

namespace {

constexpr std::string_view kServerName = "switchboard";
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
// Bytes read and dropped after the last response before closing: closing with unread input
// sends RST, which can destroy the response still in flight (RFC 9112 §9.6).
constexpr std::size_t kMaxDrainBytes = 256 * 1024;
// Back-off after a failed accept (EMFILE, ENFILE, ENOBUFS) instead of spinning on it.
constexpr std::chrono::milliseconds kAcceptRetryDelay{50};

std::string_view sv(beast::string_view s) {
  return {s.data(), s.size()};
}

// Answer to a connection over maxConnections: sent once, without reading the request.
const std::string& busyAnswer() {
  static const std::string text = [] {
    std::string body = internal::jsonError("too many connections");
    return "HTTP/1.1 503 Service Unavailable\r\nServer: switchboard\r\n"
           "Content-Type: application/json\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  }();
  return text;
}

}  // namespace

namespace internal {

/// The pending answer of one routeAsync request. Exactly one of the app's answer, the dropped
/// Responder and the deadline claims it; whatever comes after is ignored.
struct DeferredAnswer {
  std::atomic<bool> claimed{false};
};

/// Behind every copy of one Responder. Lives on whatever thread drops the last copy.
struct ResponderState {
  ResponderState(std::shared_ptr<LoopGate> gate, ServerCore& core,
                 std::weak_ptr<HttpSession> session, std::shared_ptr<DeferredAnswer> answer)
      : gate_(std::move(gate)),
        core_(&core),
        session_(std::move(session)),
        answer_(std::move(answer)) {}
  ~ResponderState() { deliver(fixedError(500, "internal error"), /*dropped=*/true); }
  ResponderState(const ResponderState&) = delete;
  ResponderState& operator=(const ResponderState&) = delete;

  /// Claims the answer and posts it to the session. Any thread.
  void deliver(HttpResponse response, bool dropped);

 private:
  std::shared_ptr<LoopGate> gate_;
  ServerCore* core_;  // dereferenced only in the posted function, i.e. on the live loop
  std::weak_ptr<HttpSession> session_;
  std::shared_ptr<DeferredAnswer> answer_;
};

/// How one response is framed.
struct Framing {
  unsigned version = 11;
  bool keepAlive = false;
  bool head = false;
  bool upgradeRequired = false;  ///< a 426 on a WebSocket route (RFC 9110 §15.5.22)
};

/// One TCP connection: read a request (header, then body), answer, repeat while keep-alive;
/// or hand the socket to a WebSocket session. Owned by the shared_ptr its pending operation
/// (a read, a write, or the deadline of a routeAsync answer) holds; loop thread only.
class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(ServerCore& server, tcp::socket socket, std::string remote)
      : server_(server),
        stream_(std::move(socket)),
        remote_(std::move(remote)),
        deadline_(server.io_) {
    server_.httpSessions_.insert(this);
    server_.countOpen();
  }
  ~HttpSession() {
    server_.httpSessions_.erase(this);
    server_.countOpen();
  }
  HttpSession(const HttpSession&) = delete;
  HttpSession& operator=(const HttpSession&) = delete;

  void readHeader() {
    const HttpConfig& c = server_.config_;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(c.maxHeaderBytes, std::numeric_limits<std::uint32_t>::max())));
    parser_->body_limit(static_cast<std::uint64_t>(c.maxBodyBytes));
    // One deadline for the whole request, idle wait included: a slow-loris client that
    // trickles bytes is cut off as surely as a silent one.
    stream_.expires_after(c.readTimeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->onHeader(ec); });
  }

  void close() {
    stream_.close();
    deadline_.cancel();
  }

  /// The answer a Responder posted; stale ones (after the deadline) are dropped. Loop.
  void onDeferredAnswer(const DeferredAnswer* answer, HttpResponse response) {
    if (deferred_ == nullptr || deferred_.get() != answer) return;
    finishDeferred(std::move(response));
  }

 private:
  void onHeader(beast::error_code ec) {
    if (ec) return onReadError(ec);
    const auto& msg = parser_->get();
    // RFC 9112 §6.3: Transfer-Encoding whose final coding is not chunked leaves the body length
    // unknown (a request-smuggling vector behind proxies): 400 and close.
    if (msg.count(http::field::transfer_encoding) != 0 && !parser_->chunked()) {
      return reject(400, "bad request");
    }
    // RFC 9112 §3.2: an HTTP/1.1 request without Host gets 400.
    if (msg.version() >= 11 && msg.count(http::field::host) == 0) {
      return reject(400, "missing host header");
    }
    if (!parser_->is_done() && msg.version() >= 11 &&
        internal::iequals(sv(msg[http::field::expect]), "100-continue")) {
      // RFC 9110 §10.1.1: the client waits for this before sending the body.
      asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                        [self = shared_from_this()](beast::error_code e, std::size_t) {
                          if (e) return self->close();
                          self->readBody();
                        });
      return;
    }
    readBody();
  }

  void readBody() {
    if (parser_->is_done()) return onRequest();
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       if (ec) return self->onReadError(ec);
                       self->onRequest();
                     });
  }

  void onReadError(beast::error_code ec) {
    if (ec == beast::error::timeout) {
      ++server_.timedOut_;  // tcp_stream has already closed the socket
      return;
    }
    if (ec == http::error::header_limit) return reject(431, "request header fields too large");
    if (ec == http::error::body_limit) return reject(413, "payload too large");
    // Peer closed (cleanly or mid-message) or the socket failed: nobody to answer.
    if (ec == http::error::end_of_stream || ec == http::error::partial_message ||
        ec.category() != http::make_error_code(http::error::bad_target).category()) {
      return close();
    }
    reject(400, "bad request");
  }

  /// Routes a complete request to its endpoint.
  void onRequest() {
    assert(server_.onLoop());
    http::request<http::string_body> msg = parser_->release();
    HttpRequest request;
    request.method = std::string(sv(msg.method_string()));
    request.target = std::string(sv(msg.target()));
    internal::splitTarget(request.target, request.path, request.query);
    for (const auto& field : msg) {
      request.headers.emplace_back(std::string(sv(field.name_string())),
                                   std::string(sv(field.value())));
    }
    request.body = std::move(msg.body());
    request.remoteAddress = remote_;
    Framing framing{msg.version(), msg.keep_alive() && server_.running_, request.method == "HEAD"};

    ++server_.requests_;
    internal::RouteTable::Match m = server_.routes_.match(request.path);
    if (m.resource == nullptr) return send(fixedError(404, "not found"), framing);
    if (m.badEncoding) return send(fixedError(400, "bad request"), framing);
    const internal::Endpoint* endpoint = m.resource->endpointFor(request.method);
    if (endpoint == nullptr) {
      HttpResponse r = fixedError(405, "method not allowed");
      r.headers.emplace_back("Allow", m.resource->allow());
      return send(std::move(r), framing);
    }
    request.params = std::move(m.params);
    if (endpoint->handler) return send(callHandler(endpoint->handler, request), framing);
    if (endpoint->asyncHandler) return defer(endpoint->asyncHandler, request, framing);
    upgrade(endpoint->wsAcceptor, request, std::move(msg), framing);
  }

  HttpResponse callHandler(const HttpServer::Handler& handler, const HttpRequest& request) {
    try {
      return handler(request);
    } catch (...) {
      // A throwing handler is a bug; convert it here, at the edge. The message stays generic:
      // what() may quote the request.
      ++server_.handlerFailures_;
      return fixedError(500, "internal error");
    }
  }

  /// Hands the request to an async handler. Nothing more is read from this connection until
  /// the answer is sent, which keeps pipelined responses in order; meanwhile the deadline's
  /// wait owns the session.
  void defer(const HttpServer::AsyncHandler& handler, const HttpRequest& request, Framing f) {
    deferred_ = std::make_shared<DeferredAnswer>();
    deferredFraming_ = f;
    armDeadline();
    auto state = std::make_shared<internal::ResponderState>(server_.gate_, server_,
                                                            weak_from_this(), deferred_);
    try {
      handler(request, Responder(std::move(state)));
    } catch (...) {
      // A copy of the Responder the handler kept is inert once the answer is claimed here.
      if (!deferred_->claimed.exchange(true)) {
        ++server_.handlerFailures_;
        finishDeferred(fixedError(500, "internal error"));
      }
    }
  }

  void armDeadline() {
    deadline_.expires_after(server_.config_.handlerTimeout);
    deadline_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->onDeadline();
    });
  }

  void onDeadline() {
    if (deferred_ == nullptr) return;
    if (deferred_->claimed.exchange(true)) {
      // Answered just now: the answer is being posted. Keep waiting (and owning the session)
      // until it arrives; only a stopping server refuses the post, and it closes us anyway.
      return armDeadline();
    }
    ++server_.handlerTimeouts_;
    finishDeferred(fixedError(503, "timeout"));
  }

  void finishDeferred(HttpResponse response) {
    deadline_.cancel();
    deferred_.reset();
    send(std::move(response), deferredFraming_);
  }

  /// A GET on a WebSocket route: the acceptor decides on an upgrade; anything else is 426.
  void upgrade(const WsAcceptor& acceptor, const HttpRequest& request,
               http::request<http::string_body> msg, Framing f) {
    if (!beast::websocket::is_upgrade(msg)) {
      f.upgradeRequired = true;
      return send(fixedError(426, "upgrade required"), f);
    }
    WsDecision decision;
    try {
      decision = acceptor(request);
    } catch (...) {
      ++server_.handlerFailures_;
      return send(fixedError(500, "internal error"), f);
    }
    if (auto* answer = std::get_if<HttpResponse>(&decision)) return send(std::move(*answer), f);
    // The socket moves on; this session ends when the caller's handler releases it.
    internal::startWebSocket(server_, std::move(stream_), std::move(msg),
                             std::get<WsCallbacks>(std::move(decision)));
  }

  /// Answers an unusable request and closes: after a parse error the stream's framing is lost.
  void reject(int status, std::string_view message) {
    send(fixedError(status, message), Framing{});
  }

  void send(HttpResponse response, const Framing& f) {
    if (!build(std::move(response), f)) {
      ++server_.handlerFailures_;
      build(fixedError(500, "internal error"), f);
    }
    stream_.expires_after(server_.config_.readTimeout);
    http::async_write(
        stream_, response_,
        [self = shared_from_this(), keepAlive = f.keepAlive](beast::error_code ec, std::size_t) {
          if (ec) return self->close();
          if (keepAlive && self->server_.running_) return self->readHeader();
          self->lingerClose();
        });
  }

  /// Fills response_; false when the handler's answer is invalid (a bug, answered 500).
  bool build(HttpResponse r, const Framing& f) {
    if (r.status < 200 || r.status > 599 || !internal::isFieldValue(r.contentType)) return false;
    for (const auto& [name, value] : r.headers) {
      if (!internal::isToken(name) || !internal::isFieldValue(value)) return false;
    }
    response_ = {};
    response_.version(11);  // RFC 9110 §6.2: our highest version, also to 1.0 clients
    response_.result(static_cast<unsigned>(r.status));
    response_.set(http::field::server, kServerName);
    response_.set(http::field::date, server_.date());
    response_.set(http::field::content_type,
                  r.contentType.empty() ? std::string("application/octet-stream") : r.contentType);
    for (const auto& [name, value] : r.headers) {
      if (!internal::isServerField(name)) response_.insert(name, value);
    }
    std::string connection = f.upgradeRequired ? "upgrade" : "";  // RFC 9110 §7.8
    if (f.upgradeRequired) response_.set(http::field::upgrade, "websocket");
    if (!f.keepAlive) {
      connection += connection.empty() ? "close" : ", close";
    } else if (f.version == 10) {
      connection += connection.empty() ? "keep-alive" : ", keep-alive";
    }
    if (!connection.empty()) response_.set(http::field::connection, connection);
    // RFC 9110 §8.6, §15.3.5, §15.4.5: 204 and 304 have no body and 204 no Content-Length;
    // HEAD gets GET's Content-Length without the body (§9.3.2).
    if (r.status == 204 || r.status == 304) return true;
    response_.content_length(r.body.size());
    if (!f.head) response_.body() = std::move(r.body);
    return true;
  }

  /// Half-closes, then reads and drops input until the peer closes, a budget or the deadline,
  /// so the peer reads our last response instead of a reset.
  void lingerClose() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(server_.config_.readTimeout);
    buffer_.clear();
    drain();
  }

  void drain() {
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->drained_ += n;
                              if (ec || self->drained_ > kMaxDrainBytes) return self->close();
                              self->drain();
                            });
  }

  ServerCore& server_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  std::string remote_;
  std::size_t drained_ = 0;
  asio::steady_timer deadline_;               // of the routeAsync answer awaited
  std::shared_ptr<DeferredAnswer> deferred_;  // that answer; null when none is awaited
  Framing deferredFraming_;
};

void ResponderState::deliver(HttpResponse response, bool dropped) {
  if (answer_->claimed.exchange(true)) return;
  gate_->post([core = core_, session = session_, answer = answer_, dropped,
               response = std::move(response)]() mutable {
    if (dropped) ++core->handlerFailures_;
    if (auto s = session.lock()) s->onDeferredAnswer(answer.get(), std::move(response));
  });
}

const std::string& ServerCore::date() {
  std::time_t now = std::time(nullptr);
  if (now != dateSecond_) {
    dateSecond_ = now;
    dateText_ = httpDate(now);
  }
  return dateText_;
}

void ServerCore::accept() {
  acceptor_.async_accept(
      [this](beast::error_code ec, tcp::socket socket) { onAccept(ec, std::move(socket)); });
}

void ServerCore::onAccept(beast::error_code ec, tcp::socket socket) {
  if (!running_ || !acceptor_.is_open()) return;
  if (ec) {
    acceptRetry_.expires_after(kAcceptRetryDelay);
    acceptRetry_.async_wait([this](beast::error_code e) {
      if (!e && running_) accept();
    });
    return;
  }
  beast::error_code ignored;
  if (httpSessions_.size() + webSockets_.size() >= config_.maxConnections) {
    // Answer without reading: a non-blocking best-effort write of a few bytes, then close.
    ++refused_;
    socket.non_blocking(true, ignored);
    socket.write_some(asio::buffer(busyAnswer()), ignored);
    socket.shutdown(tcp::socket::shutdown_send, ignored);
    socket.close(ignored);
  } else {
    ++accepted_;
    asio::ip::address peer = socket.remote_endpoint(ignored).address();
    if (peer.is_v6() && peer.to_v6().is_v4_mapped()) {
      peer = asio::ip::make_address_v4(asio::ip::v4_mapped, peer.to_v6());
    }
    std::make_shared<HttpSession>(*this, std::move(socket), peer.to_string())->readHeader();
  }
  accept();
}

void ServerCore::closeAll() {
  assert(onLoop());
  beast::error_code ignored;
  acceptor_.close(ignored);
  acceptRetry_.cancel();
  for (HttpSession* s : httpSessions_) s->close();
  closeAllWebSockets(*this);
}

// Exceptions are converted where app code is called; catching here is the last line of
// defence so that none escapes the thread (the connection that threw is dropped).
void ServerCore::run() {
  loopThread_ = std::this_thread::get_id();
  for (;;) {
    try {
      io_.run();
      return;
    } catch (...) {
      ++handlerFailures_;
    }
  }
}

}  // namespace internal

std::string HttpRequest::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (internal::iequals(n, name)) return v;
  }
  return {};
}

std::string HttpRequest::param(std::string_view name) const {
  for (const auto& [n, v] : params) {
    if (n == name) return v;
  }
  return {};
}

std::string HttpRequest::queryParam(std::string_view name) const {
  std::string_view rest = query;
  while (!rest.empty()) {
    std::size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    std::size_t eq = pair.find('=');
    std::optional<std::string> key = internal::percentDecode(pair.substr(0, eq), true);
    if (!key || *key != name) continue;
    std::optional<std::string> value = internal::percentDecode(
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true);
    return value ? std::move(*value) : std::string();
  }
  return {};
}

Responder::Responder(std::shared_ptr<internal::ResponderState> state) : state_(std::move(state)) {}

void Responder::operator()(HttpResponse response) const {
  if (state_ != nullptr) state_->deliver(std::move(response), /*dropped=*/false);
}

namespace {

void addRoute(internal::ServerCore& s, std::string method, const std::string& path,
              internal::Endpoint endpoint, bool callable) {
  std::string what = method + " " + path;
  checkOrDie(!s.started_, "route after start(): " + what);
  checkOrDie(callable, "empty handler for " + what);
  std::string why = s.routes_.add(std::move(method), path, std::move(endpoint));
  checkOrDie(why.empty(), "bad route " + what + ": " + why);
}

}  // namespace

HttpServer::HttpServer(HttpConfig config)
    : core_(std::make_unique<internal::ServerCore>(std::move(config))) {}

HttpServer::~HttpServer() {
  stop();
  if (core_->thread_.joinable()) {
    checkOrDie(!core_->onLoop(), "destroyed on its own thread");
    core_->thread_.join();
  }
}

void HttpServer::route(std::string method, std::string path, Handler handler) {
  bool callable = static_cast<bool>(handler);
  addRoute(*core_, std::move(method), path, internal::Endpoint{std::move(handler), {}, {}},
           callable);
}

void HttpServer::routeAsync(std::string method, std::string path, AsyncHandler handler) {
  bool callable = static_cast<bool>(handler);
  addRoute(*core_, std::move(method), path, internal::Endpoint{{}, std::move(handler), {}},
           callable);
}

void HttpServer::webSocket(std::string path, WsAcceptor acceptor) {
  bool callable = static_cast<bool>(acceptor);
  addRoute(*core_, "GET", path, internal::Endpoint{{}, {}, std::move(acceptor)}, callable);
}

Result<void> HttpServer::start() {
  internal::ServerCore& s = *core_;
  if (s.started_) return fail(Errc::kConflict, "HTTP server already started");
  const HttpConfig& c = s.config_;
  std::string where =
      (c.address.find(':') != std::string::npos ? "[" + c.address + "]" : c.address) + ":" +
      std::to_string(c.port);
  beast::error_code ec;
  asio::ip::address address = asio::ip::make_address(c.address, ec);
  if (ec) return fail(Errc::kInvalidInput, "invalid HTTP listen address " + where);
  tcp::endpoint endpoint(address, c.port);
  s.acceptor_.open(endpoint.protocol(), ec);
  // SO_REUSEADDR lets a restart bind while old connections sit in TIME_WAIT; on Linux it does
  // not let two listeners share a port, so a busy port still fails.
  if (!ec) s.acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor_.bind(endpoint, ec);
  if (!ec) s.acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (!ec) s.port_ = s.acceptor_.local_endpoint(ec).port();
  if (ec) {
    beast::error_code ignored;
    s.acceptor_.close(ignored);
    return fail(Errc::kIo, "cannot listen for HTTP on " + where + ": " + ec.message());
  }
  s.started_ = true;
  s.running_ = true;
  s.accept();  // queued on io_; runs once the thread starts
  s.thread_ = std::thread([&s] { s.run(); });
  return {};
}

void HttpServer::stop() {
  internal::ServerCore& s = *core_;
  if (!s.running_.exchange(false)) return;
  if (s.onLoop()) {  // from a handler: the thread cannot join itself; ~HttpServer joins
    s.closeAll();
    s.io_.stop();
    s.gate_->shut();
    return;
  }
  asio::post(s.io_, [&s] {
    s.closeAll();
    s.io_.stop();  // sessions still held by aborted operations die with io_
  });
  s.thread_.join();
  s.gate_->shut();  // Responders and WebSocket handles held elsewhere post nothing from now on
}

std::uint16_t HttpServer::port() const {
  return core_->port_;
}

HttpStats HttpServer::stats() const {
  const internal::ServerCore& s = *core_;
  HttpStats out;
  out.openConnections = s.openConnections_;
  out.acceptedConnections = s.accepted_;
  out.refusedConnections = s.refused_;
  out.timedOutConnections = s.timedOut_;
  out.requests = s.requests_;
  out.handlerFailures = s.handlerFailures_;
  out.handlerTimeouts = s.handlerTimeouts_;
  out.wsOpenConnections = s.wsOpen_;
  out.wsAcceptedConnections = s.wsAccepted_;
  out.wsSlowConsumerCloses = s.wsSlowCloses_;
  return out;
}

}  // namespace sb::api
