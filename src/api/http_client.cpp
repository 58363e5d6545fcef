#include "api/http_client.h"

#include <openssl/ssl.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace sb::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

struct Url {
  bool tls = false;
  std::string host;
  std::string port;
  std::string target;
};

Result<Url> parseUrl(const std::string& url) {
  Url u;
  std::string rest;
  if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
  } else if (url.rfind("https://", 0) == 0) {
    u.tls = true;
    rest = url.substr(8);
  } else {
    return fail(Errc::kInvalidInput, "URL must start with http:// or https://");
  }
  auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  u.target = slash == std::string::npos ? "/" : rest.substr(slash);
  if (authority.empty() || authority.find('@') != std::string::npos) {
    return fail(Errc::kInvalidInput, "URL needs a host (and no user info)");
  }
  auto colon = authority.rfind(':');
  bool bracketed = authority.front() == '[';
  if (colon != std::string::npos && (!bracketed || authority[colon - 1] == ']')) {
    u.host = authority.substr(0, colon);
    u.port = authority.substr(colon + 1);
  } else {
    u.host = authority;
    u.port = u.tls ? "443" : "80";
  }
  if (bracketed && u.host.size() > 2) u.host = u.host.substr(1, u.host.size() - 2);
  if (u.host.empty() || u.port.empty() ||
      u.port.find_first_not_of("0123456789") != std::string::npos) {
    return fail(Errc::kInvalidInput, "URL has a bad host or port");
  }
  for (char c : u.target) {
    if (static_cast<unsigned char>(c) <= ' ') return fail(Errc::kInvalidInput, "URL has spaces");
  }
  return u;
}

/// One exchange on a connected stream with async operations, so the stream's deadline (set
/// by expires_after; Beast applies it to async operations only) bounds every step.
template <class Stream>
class Exchange {
 public:
  Exchange(Stream& stream, const Url& u, const ClientRequest& req) : stream_(stream) {
    out_.method_string(req.method);
    out_.target(u.target);
    out_.version(11);
    out_.set(http::field::host, u.host);
    out_.set(http::field::user_agent, "switchboard");
    out_.set(http::field::connection, "close");
    for (const auto& [name, value] : req.headers) out_.set(name, value);
    out_.body() = req.body;
    out_.prepare_payload();
    parser_.body_limit(req.maxResponseBytes);
    parser_.header_limit(64 * 1024);
  }

  void start() {
    http::async_write(stream_, out_, [this](beast::error_code ec, std::size_t) {
      if (ec) {
        ec_ = ec;
        return;
      }
      http::async_read(stream_, buffer_, parser_,
                       [this](beast::error_code ec2, std::size_t) { ec_ = ec2; });
    });
  }

  Result<ClientResponse> result() {
    if (ec_) return failure(ec_);
    ClientResponse r;
    const auto& in = parser_.get();
    r.status = static_cast<int>(in.result_int());
    for (const auto& f : in) r.headers.emplace_back(std::string(f.name_string()), f.value());
    r.body = in.body();
    return r;
  }

  static Error failure(const beast::error_code& ec) {
    if (ec == beast::error::timeout) return fail(Errc::kIo, "timed out");
    return fail(Errc::kIo, ec.message());
  }

 private:
  Stream& stream_;
  http::request<http::string_body> out_;
  beast::flat_buffer buffer_;
  http::response_parser<http::string_body> parser_;
  beast::error_code ec_;
};

}  // namespace

Result<ClientResponse> httpFetch(const ClientRequest& request) {
  auto url = parseUrl(request.url);
  if (!url) return url.error();
  if (request.method.empty() ||
      request.method.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string::npos) {
    return fail(Errc::kInvalidInput, "bad HTTP method '" + request.method + "'");
  }
  for (const auto& [name, value] : request.headers) {
    if (name.empty() || name.find_first_of(" :\r\n") != std::string::npos ||
        value.find_first_of("\r\n") != std::string::npos) {
      return fail(Errc::kInvalidInput, "bad header '" + name + "'");
    }
  }
  try {
    asio::io_context io;
    asio::ip::tcp::resolver resolver(io);
    beast::tcp_stream tcp(io);
    asio::ssl::context ctx(asio::ssl::context::tls_client);
    beast::ssl_stream<beast::tcp_stream&> tls(tcp, ctx);
    Exchange<beast::tcp_stream> plain(tcp, *url, request);
    Exchange<beast::ssl_stream<beast::tcp_stream&>> secure(tls, *url, request);
    beast::error_code ec;
    auto deadline = std::chrono::steady_clock::now() + request.timeout;
    auto endpoints = resolver.resolve(url->host, url->port, ec);
    if (ec) return fail(Errc::kIo, "cannot resolve " + url->host + ": " + ec.message());
    tcp.expires_at(deadline);
    tcp.async_connect(endpoints, [&](beast::error_code e, const asio::ip::tcp::endpoint&) {
      if (e) {
        ec = e;
        return;
      }
      if (!url->tls) {
        plain.start();
        return;
      }
      ctx.set_default_verify_paths();
      tls.set_verify_mode(asio::ssl::verify_peer);
      // SNI and host name verification (RFC 6125) for the name in the URL.
      if (!SSL_set_tlsext_host_name(tls.native_handle(), url->host.c_str())) {
        ec = asio::error::invalid_argument;
        return;
      }
      tls.set_verify_callback(asio::ssl::host_name_verification(url->host));
      tls.async_handshake(asio::ssl::stream_base::client, [&](beast::error_code h) {
        if (h) {
          ec = h;
          return;
        }
        secure.start();
      });
    });
    io.run();
    if (ec) return Exchange<beast::tcp_stream>::failure(ec);
    return url->tls ? secure.result() : plain.result();
  } catch (const std::exception& e) {
    return fail(Errc::kIo, e.what());
  }
}

}  // namespace sb::api
