#include "api/http_server.h"

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <limits>
#include <map>
#include <optional>
#include <thread>
#include <unordered_set>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace sb::api {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Params = std::vector<std::pair<std::string, std::string>>;

namespace {

constexpr std::string_view kServerName = "switchboard";
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
// Bytes read and dropped after the last response before closing: closing with unread input
// sends RST, which can destroy the response still in flight (RFC 9112 §9.6).
constexpr std::size_t kMaxDrainBytes = 256 * 1024;
// Back-off after a failed accept (EMFILE, ENFILE, ENOBUFS) instead of spinning on it.
constexpr std::chrono::milliseconds kAcceptRetryDelay{50};
// Largest header value a handler may set; Beast throws above 64 KiB, we refuse far earlier.
constexpr std::size_t kMaxHandlerFieldBytes = 8 * 1024;

// Always-on check for programming errors made at setup (STYLE.md "Bugs are not errors").
void checkOrDie(bool ok, std::string_view what) {
  if (ok) return;
  std::fprintf(stderr, "sb::api::HttpServer: %.*s\n", static_cast<int>(what.size()), what.data());
  std::abort();
}

std::string_view sv(beast::string_view s) {
  return {s.data(), s.size()};
}

char lower(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return lower(x) == lower(y); });
}

bool startsWithNoCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// RFC 9110 §5.6.2 token.
bool isToken(std::string_view s) {
  static constexpr std::string_view kExtra = "!#$%&'*+-.^_`|~";
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
           kExtra.find(c) != std::string_view::npos;
  });
}

// RFC 9110 §5.5: no control characters but HTAB. This keeps CR/LF out (response splitting).
bool isFieldValue(std::string_view s) {
  return s.size() <= kMaxHandlerFieldBytes && std::none_of(s.begin(), s.end(), [](char c) {
           auto u = static_cast<unsigned char>(c);
           return (u < 0x20 && c != '\t') || u == 0x7f;
         });
}

// Fields that frame the message or identify the server; only the server writes them.
bool isServerField(std::string_view name) {
  for (std::string_view f : {"content-length", "transfer-encoding", "connection", "content-type",
                             "server", "date", "keep-alive", "upgrade"}) {
    if (iequals(name, f)) return true;
  }
  return false;
}

std::string jsonError(std::string_view message) {
  std::string out = "{\"error\":\"";
  for (char c : message) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) out += c;
  }
  return out + "\"}";
}

/// Error answers carry a fixed message only: never request data (bodies, targets, headers).
HttpResponse errorResponse(int status, std::string_view message) {
  return HttpResponse{status, "application/json", jsonError(message), {}};
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 3986 §2.1. Rejects truncated escapes and NUL, so captures are safe as C strings too.
std::optional<std::string> percentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    int hi = hexValue(s[i + 1]);
    int lo = hexValue(s[i + 2]);
    if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

// "/a/b" -> {"a", "b"}; "/" -> {""}; "/a/" -> {"a", ""}. Views into `path`, which starts with '/'.
std::vector<std::string_view> splitPath(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t start = 1;
  for (;;) {
    std::size_t slash = path.find('/', start);
    out.push_back(path.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) return out;
    start = slash + 1;
  }
}

// Origin-form "/p?q", or absolute-form "http://host/p?q" (RFC 9112 §3.2.2). Other forms ("*",
// authority-form) keep their text as path, which matches no route.
void splitTarget(std::string_view target, std::string& path, std::string& query) {
  std::size_t q = target.find('?');
  std::string_view p = target.substr(0, q);
  if (q != std::string_view::npos) query = std::string(target.substr(q + 1));
  for (std::string_view scheme : {"http://", "https://"}) {
    if (!startsWithNoCase(p, scheme)) continue;
    p.remove_prefix(scheme.size());
    std::size_t slash = p.find('/');
    p = slash == std::string_view::npos ? std::string_view("/") : p.substr(slash);
    break;
  }
  path = std::string(p);
}

// RFC 9110 §5.6.7 IMF-fixdate, built by hand because strftime names follow the locale.
std::string httpDate(std::time_t t) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday % 7],
                tm.tm_mday, kMonths[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

// Answer to a connection over maxConnections: sent once, without reading the request.
const std::string& busyAnswer() {
  static const std::string text = [] {
    std::string body = jsonError("too many connections");
    return "HTTP/1.1 503 Service Unavailable\r\nServer: switchboard\r\n"
           "Content-Type: application/json\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  }();
  return text;
}

// ---- Routing ----------------------------------------------------------------------------

/// The route table: resources (path patterns), each with a handler per method. A path selects
/// one resource, most specific first; then the method selects the handler or yields 405.
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
    std::map<std::string, HttpServer::Handler, std::less<>> methods;

    /// The handler for `method`; HEAD falls back to GET (RFC 9110 §9.3.2).
    const HttpServer::Handler* handlerFor(std::string_view method) const {
      auto it = methods.find(method);
      if (it == methods.end() && method == "HEAD") it = methods.find(std::string_view("GET"));
      return it == methods.end() ? nullptr : &it->second;
    }
    /// The Allow field value of a 405 (RFC 9110 §15.5.6).
    std::string allow() const {
      std::vector<std::string_view> names;
      for (const auto& [name, handler] : methods) names.push_back(name);
      if (methods.count("GET") != 0 && methods.count("HEAD") == 0) names.push_back("HEAD");
      std::sort(names.begin(), names.end());
      std::string out;
      for (std::string_view n : names) out.append(out.empty() ? "" : ", ").append(n);
      return out;
    }
  };
  struct Match {
    const Resource* resource = nullptr;
    Params params;
    bool badEncoding = false;  ///< a capture held an invalid percent-escape
  };

  /// Adds a route; "" on success, else why it is malformed or clashes with an earlier one.
  std::string add(std::string method, std::string_view pattern, HttpServer::Handler handler) {
    if (!isToken(method)) return "method is not an HTTP token";
    std::vector<Segment> segments;
    if (std::string why = parse(pattern, segments); !why.empty()) return why;
    for (Resource& r : resources_) {
      if (!sameShape(r.segments, segments)) continue;
      if (r.pattern != pattern) return "same shape as " + r.pattern;
      if (!r.methods.emplace(std::move(method), std::move(handler)).second)
        return "registered twice";
      return {};
    }
    resources_.push_back(Resource{std::string(pattern), std::move(segments), {}});
    resources_.back().methods.emplace(std::move(method), std::move(handler));
    return {};
  }

  /// The most specific resource matching `path` (raw, as sent), with its decoded captures.
  Match match(std::string_view path) const {
    Match m;
    if (path.empty() || path.front() != '/') return m;
    std::vector<std::string_view> parts = splitPath(path);
    for (const Resource& r : resources_) {
      if (matches(r, parts) && (m.resource == nullptr || moreSpecific(r, *m.resource))) {
        m.resource = &r;
      }
    }
    if (m.resource != nullptr) m.badEncoding = !capture(*m.resource, path, parts, m.params);
    return m;
  }

 private:
  static std::string parse(std::string_view pattern, std::vector<Segment>& out) {
    if (pattern.empty() || pattern.front() != '/') return "path must start with '/'";
    std::vector<std::string_view> parts = splitPath(pattern);
    for (std::size_t i = 0; i < parts.size(); ++i) {
      std::string_view s = parts[i];
      if (s.empty() || s.front() != '{') {
        if (s.find_first_of("{}?#") != std::string_view::npos) return "stray '{', '}', '?' or '#'";
        out.push_back({Kind::kLiteral, std::string(s)});
        continue;
      }
      if (s.back() != '}') return "capture without closing '}'";
      std::string_view name = s.substr(1, s.size() - 2);
      Kind kind = Kind::kParam;
      if (name.size() > 3 && name.substr(name.size() - 3) == "...") {
        if (i + 1 != parts.size()) return "{name...} must be the last segment";
        name.remove_suffix(3);
        kind = Kind::kTail;
      }
      bool word = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
      });
      if (!word) return "capture names are [A-Za-z0-9_]+";
      for (const Segment& seg : out) {
        if (seg.kind != Kind::kLiteral && seg.text == name) return "capture name used twice";
      }
      out.push_back({kind, std::string(name)});
    }
    return {};
  }

  static bool sameShape(const std::vector<Segment>& a, const std::vector<Segment>& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                      [](const Segment& x, const Segment& y) {
                        return x.kind == y.kind && (x.kind != Kind::kLiteral || x.text == y.text);
                      });
  }

  static bool matches(const Resource& r, const std::vector<std::string_view>& parts) {
    for (std::size_t i = 0; i < r.segments.size(); ++i) {
      const Segment& seg = r.segments[i];
      if (seg.kind == Kind::kTail) return i < parts.size();
      if (i >= parts.size()) return false;
      if (seg.kind == Kind::kLiteral ? parts[i] != seg.text : parts[i].empty()) return false;
    }
    return r.segments.size() == parts.size();
  }

  static bool moreSpecific(const Resource& a, const Resource& b) {
    return std::lexicographical_compare(
        b.segments.begin(), b.segments.end(), a.segments.begin(), a.segments.end(),
        [](const Segment& x, const Segment& y) { return x.kind < y.kind; });
  }

  static bool capture(const Resource& r, std::string_view path,
                      const std::vector<std::string_view>& parts, Params& out) {
    for (std::size_t i = 0; i < r.segments.size(); ++i) {
      const Segment& seg = r.segments[i];
      if (seg.kind == Kind::kLiteral) continue;
      // A tail is everything from its first segment on; parts are views into `path`.
      std::string_view raw =
          seg.kind == Kind::kTail
              ? path.substr(static_cast<std::size_t>(parts[i].data() - path.data()))
              : parts[i];
      std::optional<std::string> value = percentDecode(raw);
      if (!value) return false;
      out.emplace_back(seg.text, std::move(*value));
    }
    return true;
  }

  std::vector<Resource> resources_;
};

}  // namespace

std::string HttpRequest::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (iequals(n, name)) return v;
  }
  return {};
}

std::string HttpRequest::param(std::string_view name) const {
  for (const auto& [n, v] : params) {
    if (n == name) return v;
  }
  return {};
}

// ---- Server -----------------------------------------------------------------------------

struct HttpServer::Impl {
  class Session;

  explicit Impl(HttpConfig c) : config_(std::move(c)), acceptor_(io_), acceptRetry_(io_) {}

  // Everything a Session touches is declared before io_: io_'s destructor destroys sessions
  // still owned by pending handlers, and their destructors unregister here.
  HttpConfig config_;
  RouteTable routes_;                      // written before start(), read-only after
  std::unordered_set<Session*> sessions_;  // loop thread only
  std::atomic<std::size_t> openConnections_{0};
  std::atomic<std::uint64_t> accepted_{0};
  std::atomic<std::uint64_t> refused_{0};
  std::atomic<std::uint64_t> timedOut_{0};
  std::atomic<std::uint64_t> requests_{0};
  std::atomic<std::uint64_t> handlerFailures_{0};
  std::atomic<std::uint16_t> port_{0};
  std::atomic<bool> running_{false};
  std::atomic<std::thread::id> loopThread_{};
  bool started_ = false;  // owner thread only
  std::time_t dateSecond_ = -1;
  std::string dateText_;
  asio::io_context io_{1};
  tcp::acceptor acceptor_;
  asio::steady_timer acceptRetry_;
  std::thread thread_;

  bool onLoop() const { return loopThread_.load() == std::this_thread::get_id(); }

  /// The Date field value, recomputed at most once a second. Loop thread.
  const std::string& date() {
    std::time_t now = std::time(nullptr);
    if (now != dateSecond_) {
      dateSecond_ = now;
      dateText_ = httpDate(now);
    }
    return dateText_;
  }

  void accept();
  void onAccept(beast::error_code ec, tcp::socket socket);
  HttpResponse dispatch(HttpRequest& request);
  void closeAll();

  /// The thread body. Exceptions are converted in dispatch(); catching here is the last line
  /// of defence so that none escapes the thread (the connection that threw is dropped).
  void run() {
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
};

/// One TCP connection: read a request (header, then body), answer, repeat while keep-alive.
/// Owned by the shared_ptr its pending operation holds; confined to the loop thread.
class HttpServer::Impl::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Impl& server, tcp::socket socket, std::string remote)
      : server_(server), stream_(std::move(socket)), remote_(std::move(remote)) {
    server_.sessions_.insert(this);
    server_.openConnections_ = server_.sessions_.size();
  }
  ~Session() {
    server_.sessions_.erase(this);
    server_.openConnections_ = server_.sessions_.size();
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

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

  void close() { stream_.close(); }

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
    // The WebSocket event stream branches here (header complete, body unread): an Upgrade
    // request on a stream route will hand stream_ and buffer_ to a WebSocket session.
    if (!parser_->is_done() && msg.version() >= 11 &&
        iequals(sv(msg[http::field::expect]), "100-continue")) {
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

  void onRequest() {
    http::request<http::string_body> msg = parser_->release();
    HttpRequest request;
    request.method = std::string(sv(msg.method_string()));
    request.target = std::string(sv(msg.target()));
    splitTarget(request.target, request.path, request.query);
    for (const auto& field : msg) {
      request.headers.emplace_back(std::string(sv(field.name_string())),
                                   std::string(sv(field.value())));
    }
    request.body = std::move(msg.body());
    request.remoteAddress = remote_;
    bool keepAlive = msg.keep_alive() && server_.running_;
    bool head = request.method == "HEAD";
    HttpResponse response = server_.dispatch(request);
    send(std::move(response), msg.version(), keepAlive, head);
  }

  /// Answers an unusable request and closes: after a parse error the stream's framing is lost.
  void reject(int status, std::string_view message) {
    send(errorResponse(status, message), 11, false, false);
  }

  void send(HttpResponse response, unsigned requestVersion, bool keepAlive, bool head) {
    if (!build(std::move(response), requestVersion, keepAlive, head)) {
      ++server_.handlerFailures_;
      build(errorResponse(500, "internal error"), requestVersion, keepAlive, head);
    }
    stream_.expires_after(server_.config_.readTimeout);
    http::async_write(stream_, response_,
                      [self = shared_from_this(), keepAlive](beast::error_code ec, std::size_t) {
                        if (ec) return self->close();
                        if (keepAlive && self->server_.running_) return self->readHeader();
                        self->lingerClose();
                      });
  }

  /// Fills response_; false when the handler's answer is invalid (a bug, answered 500).
  bool build(HttpResponse r, unsigned requestVersion, bool keepAlive, bool head) {
    if (r.status < 200 || r.status > 599 || !isFieldValue(r.contentType)) return false;
    for (const auto& [name, value] : r.headers) {
      if (!isToken(name) || !isFieldValue(value)) return false;
    }
    response_ = {};
    response_.version(11);  // RFC 9110 §6.2: our highest version, also to 1.0 clients
    response_.result(static_cast<unsigned>(r.status));
    response_.set(http::field::server, kServerName);
    response_.set(http::field::date, server_.date());
    response_.set(http::field::content_type,
                  r.contentType.empty() ? std::string("application/octet-stream") : r.contentType);
    for (const auto& [name, value] : r.headers) {
      if (!isServerField(name)) response_.insert(name, value);
    }
    if (!keepAlive) {
      response_.set(http::field::connection, "close");
    } else if (requestVersion == 10) {
      response_.set(http::field::connection, "keep-alive");
    }
    // RFC 9110 §8.6, §15.3.5, §15.4.5: 204 and 304 have no body and 204 no Content-Length;
    // HEAD gets GET's Content-Length without the body (§9.3.2).
    if (r.status == 204 || r.status == 304) return true;
    response_.content_length(r.body.size());
    if (!head) response_.body() = std::move(r.body);
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

  Impl& server_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  std::string remote_;
  std::size_t drained_ = 0;
};

void HttpServer::Impl::accept() {
  acceptor_.async_accept(
      [this](beast::error_code ec, tcp::socket socket) { onAccept(ec, std::move(socket)); });
}

void HttpServer::Impl::onAccept(beast::error_code ec, tcp::socket socket) {
  if (!running_ || !acceptor_.is_open()) return;
  if (ec) {
    acceptRetry_.expires_after(kAcceptRetryDelay);
    acceptRetry_.async_wait([this](beast::error_code e) {
      if (!e && running_) accept();
    });
    return;
  }
  beast::error_code ignored;
  if (sessions_.size() >= config_.maxConnections) {
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
    std::make_shared<Session>(*this, std::move(socket), peer.to_string())->readHeader();
  }
  accept();
}

HttpResponse HttpServer::Impl::dispatch(HttpRequest& request) {
  assert(onLoop());
  ++requests_;
  RouteTable::Match m = routes_.match(request.path);
  if (m.resource == nullptr) return errorResponse(404, "not found");
  if (m.badEncoding) return errorResponse(400, "bad request");
  const Handler* handler = m.resource->handlerFor(request.method);
  if (handler == nullptr) {
    HttpResponse r = errorResponse(405, "method not allowed");
    r.headers.emplace_back("Allow", m.resource->allow());
    return r;
  }
  request.params = std::move(m.params);
  try {
    return (*handler)(request);
  } catch (...) {
    // A throwing handler is a bug; convert it here, at the edge. The message stays generic:
    // what() may quote the request.
    ++handlerFailures_;
    return errorResponse(500, "internal error");
  }
}

void HttpServer::Impl::closeAll() {
  assert(onLoop());
  beast::error_code ignored;
  acceptor_.close(ignored);
  acceptRetry_.cancel();
  for (Session* s : sessions_) s->close();
}

HttpServer::HttpServer(HttpConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}

HttpServer::~HttpServer() {
  stop();
  if (impl_->thread_.joinable()) {
    checkOrDie(!impl_->onLoop(), "destroyed on its own thread");
    impl_->thread_.join();
  }
}

void HttpServer::route(std::string method, std::string path, Handler handler) {
  std::string what = method + " " + path;
  checkOrDie(!impl_->started_, "route() after start(): " + what);
  checkOrDie(static_cast<bool>(handler), "empty handler for " + what);
  std::string why = impl_->routes_.add(std::move(method), path, std::move(handler));
  checkOrDie(why.empty(), "bad route " + what + ": " + why);
}

Result<void> HttpServer::start() {
  Impl& s = *impl_;
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
  Impl& s = *impl_;
  if (!s.running_.exchange(false)) return;
  if (s.onLoop()) {  // from a handler: the thread cannot join itself; ~HttpServer joins
    s.closeAll();
    s.io_.stop();
    return;
  }
  asio::post(s.io_, [&s] {
    s.closeAll();
    s.io_.stop();  // sessions still held by aborted operations die with io_
  });
  s.thread_.join();
}

std::uint16_t HttpServer::port() const {
  return impl_->port_;
}

HttpStats HttpServer::stats() const {
  const Impl& s = *impl_;
  return HttpStats{s.openConnections_, s.accepted_, s.refused_,
                   s.timedOut_,        s.requests_, s.handlerFailures_};
}

}  // namespace sb::api
