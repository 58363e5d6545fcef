#include "api/http_server.h"

#include <atomic>
#include <map>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace sb::api {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

std::string jsonError(std::string_view message) {
  return std::string("{\"error\":\"") + std::string(message) + "\"}";
}

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string HttpRequest::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (iequal(n, name)) return v;
  }
  return {};
}

struct HttpServer::Impl {
  explicit Impl(HttpConfig c) : config(std::move(c)), acceptor(io) {}

  // Declaration order matters: io (and the sessions its pending handlers own) is destroyed
  // before `connections`, which session destructors still touch.
  HttpConfig config;
  std::map<std::pair<std::string, std::string>, Handler> routes;
  std::atomic<std::size_t> connections{0};
  std::atomic<bool> running{false};
  std::uint16_t boundPort = 0;
  asio::io_context io{1};
  tcp::acceptor acceptor;
  std::thread thread;

  HttpResponse dispatch(const HttpRequest& req) {
    auto it = routes.find({req.method, req.path});
    if (it != routes.end()) {
      try {
        return it->second(req);
      } catch (const std::exception&) {
        return {500, "application/json", jsonError("internal error"), {}};
      }
    }
    std::string allow;
    for (const auto& [key, h] : routes) {
      if (key.second == req.path) allow += (allow.empty() ? "" : ", ") + key.first;
    }
    if (!allow.empty()) {
      return {405, "application/json", jsonError("method not allowed"), {{"Allow", allow}}};
    }
    return {404, "application/json", jsonError("not found"), {}};
  }

  struct Session : std::enable_shared_from_this<Session> {
    Session(Impl* s, tcp::socket sock) : server(s), stream(std::move(sock)) {}
    ~Session() { --server->connections; }
    Impl* server;
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
    std::unique_ptr<http::request_parser<http::string_body>> parser;
    http::response<http::string_body> response;

    void read() {
      parser = std::make_unique<http::request_parser<http::string_body>>();
      parser->header_limit(static_cast<std::uint32_t>(server->config.maxHeaderBytes));
      parser->body_limit(server->config.maxBodyBytes);
      stream.expires_after(server->config.readTimeout);
      http::async_read(stream, buffer, *parser,
                       [self = shared_from_this()](beast::error_code ec, std::size_t) {
                         self->onRead(ec);
                       });
    }

    void onRead(beast::error_code ec) {
      if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
          ec == asio::error::operation_aborted || ec == asio::error::connection_reset) {
        close();
        return;
      }
      if (ec == http::error::header_limit) {
        reply({431, "application/json", jsonError("request header fields too large"), {}}, false);
        return;
      }
      if (ec == http::error::body_limit) {
        reply({413, "application/json", jsonError("payload too large"), {}}, false);
        return;
      }
      if (ec) {
        reply({400, "application/json", jsonError("bad request"), {}}, false);
        return;
      }
      const auto& msg = parser->get();
      HttpRequest req;
      req.method = std::string(msg.method_string());
      req.target = std::string(msg.target());
      std::size_t q = req.target.find('?');
      req.path = req.target.substr(0, q);
      if (q != std::string::npos) req.query = req.target.substr(q + 1);
      for (const auto& f : msg) req.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
      req.body = msg.body();
      beast::error_code ignored;
      auto remote = stream.socket().remote_endpoint(ignored);
      req.remoteAddress = remote.address().to_string();
      reply(server->dispatch(req), msg.keep_alive());
    }

    void reply(const HttpResponse& r, bool keepAlive) {
      response = {};
      response.version(11);
      response.result(static_cast<unsigned>(r.status));
      response.set(http::field::server, "switchboard");
      response.set(http::field::content_type, r.contentType);
      for (const auto& [n, v] : r.headers) response.set(n, v);
      response.body() = r.body;
      response.keep_alive(keepAlive);
      response.prepare_payload();
      stream.expires_after(server->config.readTimeout);
      http::async_write(stream, response,
                        [self = shared_from_this(), keepAlive](beast::error_code ec, std::size_t) {
                          if (ec || !keepAlive) {
                            self->close();
                            return;
                          }
                          self->read();
                        });
    }

    void close() {
      beast::error_code ignored;
      stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
      stream.socket().close(ignored);
    }
  };

  void accept() {
    acceptor.async_accept([self = this](beast::error_code ec, tcp::socket sock) {
      if (ec == asio::error::operation_aborted || !self->acceptor.is_open()) return;
      if (!ec) {
        if (self->connections.load() >= self->config.maxConnections) {
          beast::error_code ignored;
          sock.close(ignored);
        } else {
          ++self->connections;
          std::make_shared<Session>(self, std::move(sock))->read();
        }
      }
      self->accept();
    });
  }
};

HttpServer::HttpServer(HttpConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}

HttpServer::~HttpServer() { stop(); }

void HttpServer::route(std::string method, std::string path, Handler handler) {
  impl_->routes[{std::move(method), std::move(path)}] = std::move(handler);
}

Result<void> HttpServer::start() {
  beast::error_code ec;
  auto addr = asio::ip::make_address(impl_->config.address, ec);
  std::string where = impl_->config.address + ":" + std::to_string(impl_->config.port);
  if (ec) return fail(Errc::kInvalidInput, "invalid HTTP address '" + impl_->config.address + "'");
  tcp::endpoint ep(addr, impl_->config.port);
  impl_->acceptor.open(ep.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(ep, ec);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail(Errc::kIo, "cannot bind HTTP " + where + ": " + ec.message());
  impl_->boundPort = impl_->acceptor.local_endpoint(ec).port();
  impl_->running = true;
  impl_->accept();
  impl_->thread = std::thread([impl = impl_.get()] { impl->io.run(); });
  return {};
}

void HttpServer::stop() {
  if (!impl_->running.exchange(false)) return;
  asio::post(impl_->io, [impl = impl_.get()] {
    beast::error_code ignored;
    impl->acceptor.close(ignored);
    impl->io.stop();
  });
  if (impl_->thread.joinable()) impl_->thread.join();
}

std::uint16_t HttpServer::port() const { return impl_->boundPort; }

}  // namespace sb::api
