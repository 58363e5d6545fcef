#include "api/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

namespace sb::api {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

/// One parsed response; status 0 when none arrived (EOF, reset or timeout).
struct Reply {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  std::string header(std::string_view name) const {
    for (const auto& [n, v] : headers) {
      if (iequals(n, name)) return v;
    }
    return {};
  }
  bool has(std::string_view name) const {
    for (const auto& [n, v] : headers) {
      if (iequals(n, name)) return true;
    }
    return false;
  }
};

/// A blocking loopback client on plain POSIX sockets, so the test does not trust Beast.
class Client {
 public:
  /// `sendBuffer` > 0 pins SO_SNDBUF (no autotuning), so a large upload is still in progress
  /// when the server answers, as over a real network.
  explicit Client(std::uint16_t port, int sendBuffer = 0) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    if (sendBuffer > 0) ::setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &sendBuffer, sizeof(sendBuffer));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  }
  ~Client() {
    if (fd_ >= 0) ::close(fd_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return connected_; }

  /// Sends all of `bytes`; false if the server reset the connection first.
  bool send(std::string_view bytes) {
    std::size_t off = 0;
    while (off < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<std::size_t>(n);
    }
    return true;
  }

  /// Reads one response (Content-Length framed; none for HEAD, 1xx, 204, 304).
  Reply read(bool head = false, milliseconds timeout = milliseconds(5000)) {
    auto deadline = Clock::now() + timeout;
    std::size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill(deadline)) return {};
    }
    Reply r;
    std::string_view block(buf_.data(), end);
    std::size_t eol = block.find("\r\n");
    std::string_view statusLine = block.substr(0, eol);
    if (statusLine.size() < 12 || statusLine.substr(0, 5) != "HTTP/") return {};
    r.status = std::stoi(std::string(statusLine.substr(9, 3)));
    while (eol != std::string_view::npos) {
      std::size_t start = eol + 2;
      eol = block.find("\r\n", start);
      std::string_view line =
          block.substr(start, eol == std::string_view::npos ? std::string_view::npos : eol - start);
      std::size_t colon = line.find(':');
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      r.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
    }
    std::size_t length = 0;
    bool bodyless = head || r.status < 200 || r.status == 204 || r.status == 304;
    if (!bodyless && r.has("Content-Length")) length = std::stoul(r.header("Content-Length"));
    while (buf_.size() < end + 4 + length) {
      if (!fill(deadline)) return {};
    }
    r.body = buf_.substr(end + 4, length);
    buf_.erase(0, end + 4 + length);
    return r;
  }

  /// Reads and drops input until the server closes; true if that happens within `timeout`.
  bool closedWithin(milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    while (fill(deadline)) {
    }
    return eof_;
  }

  /// Bytes received but not yet consumed by read().
  const std::string& pending() const { return buf_; }

 private:
  // One recv, waiting at most until `deadline`; false on timeout, EOF or error.
  bool fill(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
    pollfd p{fd_, POLLIN, 0};
    if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0) return false;
    char tmp[4096];
    ssize_t n = ::recv(fd_, tmp, sizeof(tmp), 0);
    if (n <= 0) {
      eof_ = true;  // orderly close or reset: either way the server is done with us
      return false;
    }
    buf_.append(tmp, static_cast<std::size_t>(n));
    return true;
  }

  int fd_;
  bool connected_ = false;
  bool eof_ = false;
  std::string buf_;
};

std::string get(std::string_view path, std::string_view extraHeaders = "") {
  return "GET " + std::string(path) + " HTTP/1.1\r\nHost: test\r\n" + std::string(extraHeaders) +
         "\r\n";
}

std::string post(std::string_view path, std::string_view body, std::string_view extraHeaders = "") {
  return "POST " + std::string(path) + " HTTP/1.1\r\nHost: test\r\n" + std::string(extraHeaders) +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

HttpResponse text(std::string body) {
  return HttpResponse{200, "text/plain", std::move(body), {}};
}

/// Responders that async handlers park, for the test to answer from its own threads.
class Parked {
 public:
  void put(std::string id, Responder r) {
    std::lock_guard<std::mutex> lock(mu_);
    items_.emplace_back(std::move(id), std::move(r));
    cv_.notify_all();
  }
  /// The next parked responder, waiting up to 5 s; its id must be `id`.
  std::optional<Responder> take(std::string_view id) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_for(lock, milliseconds(5000), [&] { return !items_.empty(); })) return {};
    auto [got, r] = std::move(items_.front());
    items_.pop_front();
    EXPECT_EQ(got, id);
    return r;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<std::string, Responder>> items_;
};

/// Polls `condition` until it holds or 5 s have passed; whether it held.
template <class Condition>
bool eventually(Condition condition) {
  auto deadline = Clock::now() + milliseconds(5000);
  while (!condition()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

/// Runs `fn` on a thread of its own and waits for it.
template <class Fn>
void onOtherThread(Fn fn) {
  std::thread(std::move(fn)).join();
}

class HttpServerTest : public ::testing::Test {
 protected:
  static HttpConfig testConfig() {
    HttpConfig c;
    c.port = 0;
    c.maxHeaderBytes = 2048;
    c.maxBodyBytes = 1024;
    c.readTimeout = milliseconds(2000);
    return c;
  }

  void start(HttpConfig config = testConfig()) {
    server_ = std::make_unique<HttpServer>(config);
    server_->route("GET", "/healthz", [](const HttpRequest&) {
      return HttpResponse{200, "application/json", "{\"status\":\"ok\"}", {}};
    });
    server_->route("POST", "/echo", [](const HttpRequest& r) {
      HttpResponse res = text(r.method + "|" + r.path + "|" + r.query + "|" + r.header("x-test") +
                              "|" + r.remoteAddress + "|" + r.body);
      res.headers.emplace_back("X-Echo", "1");
      return res;
    });
    server_->route("GET", "/api/v1/queues/{id}",
                   [](const HttpRequest& r) { return text("queue:" + r.param("id")); });
    server_->route("DELETE", "/api/v1/queues/{id}", [](const HttpRequest&) {
      return HttpResponse{204, "application/json", "", {}};
    });
    server_->route("GET", "/api/v1/queues/stats", [](const HttpRequest&) { return text("stats"); });
    server_->route("GET", "/console/{file...}",
                   [](const HttpRequest& r) { return text("file:" + r.param("file")); });
    server_->route("GET", "/boom", [](const HttpRequest&) -> HttpResponse {
      throw std::runtime_error("secret-detail");
    });
    server_->route("GET", "/bad-header", [](const HttpRequest&) {
      return HttpResponse{200, "text/plain", "x", {{"X-Evil", "a\r\nSet-Cookie: stolen=1"}}};
    });
    server_->route("GET", "/query", [](const HttpRequest& r) {
      return text(r.queryParam("queue") + "|" + r.queryParam("after") + "|" +
                  r.queryParam("missing"));
    });
    server_->routeAsync("GET", "/later/{id}", [this](const HttpRequest& r, Responder respond) {
      parked_.put(r.param("id"), std::move(respond));
    });
    server_->routeAsync("GET", "/drop", [](const HttpRequest&, Responder) {});
    server_->routeAsync("GET", "/async-boom", [](const HttpRequest&, Responder) {
      throw std::runtime_error("secret-detail");
    });
    auto r = server_->start();
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_NE(server_->port(), 0);
  }

  Reply roundTrip(Client& c, const std::string& request, bool head = false) {
    c.send(request);
    return c.read(head);
  }

  Parked parked_;  // declared before server_: handlers use it until the server is gone
  std::unique_ptr<HttpServer> server_;
};

void expectJsonError(const Reply& r, int status) {
  EXPECT_EQ(r.status, status);
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  EXPECT_EQ(r.header("Server"), "switchboard");
  EXPECT_EQ(r.body.rfind("{\"error\":\"", 0), 0u) << r.body;
}

TEST_F(HttpServerTest, GetRouteReturnsBodyWithJsonContentType) {
  ASSERT_NO_FATAL_FAILURE(start());
  Client c(server_->port());
  ASSERT_TRUE(c.connected());
  Reply r = roundTrip(c, get("/healthz"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{\"status\":\"ok\"}");
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  EXPECT_EQ(r.header("Server"), "switchboard");
  EXPECT_EQ(r.header("Content-Length"), "15");
  EXPECT_NE(r.header("Date").find(" GMT"), std::string::npos);
}

TEST_F(HttpServerTest, HandlerSeesMethodPathQueryHeadersBodyAndPeer) {
  ASSERT_NO_FATAL_FAILURE(start());
  Client c(server_->port());
  Reply r = roundTrip(c, post("/echo?a=1&b=2", "hello", "X-TEST: yes\r\n"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "POST|/echo|a=1&b=2|yes|127.0.0.1|hello");
  EXPECT_EQ(r.header("Content-Type"), "text/plain");
  EXPECT_EQ(r.header("X-Echo"), "1");
  // Absolute-form target (RFC 9112 §3.2.2) routes by its path.
  r = roundTrip(c, "GET http://test/healthz HTTP/1.1\r\nHost: test\r\n\r\n");
  EXPECT_EQ(r.status, 200);
}

TEST_F(HttpServerTest, QueryParametersAreDecoded) {
  ASSERT_NO_FATAL_FAILURE(start());
  Client c(server_->port());
  EXPECT_EQ(roundTrip(c, get("/query?after=123&queue=sales%2Feu+west")).body, "sales/eu west|123|");
  EXPECT_EQ(roundTrip(c, get("/query?queue=a&queue=b&after")).body, "a||");
  EXPECT_EQ(roundTrip(c, get("/query?queue=%zz")).body, "||");
}

TEST_F(HttpServerTest, PathCapturesAreDecodedAndLiteralSegmentsWin) {
  ASSERT_NO_FATAL_FAILURE(start());
  Client c(server_->port());
  EXPECT_EQ(roundTrip(c, get("/api/v1/queues/42")).body, "queue:42");
  EXPECT_EQ(roundTrip(c, get("/api/v1/queues/stats")).body, "stats");
  EXPECT_EQ(roundTrip(c, get("/api/v1/queues/sales%2Feu%20west")).body, "queue:sales/eu west");
  EXPECT_EQ(roundTrip(c, get("/console/js/app.js?v=3")).body, "file:js/app.js");
  expectJsonError(roundTrip(c, get("/api/v1/queues/%zz")), 400);
  expectJsonError(roundTrip(c, get("/api/v1/queues/")), 404);
  expectJsonError(roundTrip(c, get("/api/v1/queues/1/members")), 404);
  Reply r = roundTrip(c, "DELETE /api/v1/queues/7 HTTP/1.1\r\nHost: test\r\n\r\n");
  EXPECT_EQ(r.status, 204);
  EXPECT_FALSE(r.has("Content-Length"));
  EXPECT_EQ(roundTrip(c, get("/healthz")).status, 200);  // nothing stray after the 204
}

TEST_F(HttpServerTest, UnknownPathIs404JsonWithoutEchoingTheRequest) {
  ASSERT_NO_FATAL_FAILURE(start());
  Client c(server_->port());
  Reply r = roundTrip(c, post("/nope-MARKER", "body-MARKER"));
  expectJsonError(r, 404);
  EXPECT_EQ(r.body, "{\"error\":\"not found\"}");
  EXPECT_EQ(r.body.find("MARKER"), std::string::npos);
}

TEST_F(HttpServerTest, WrongMethodIs405WithAllow) {
  ASSERT_NO_FATAL_FAILURE(start());
  Client c(server_->port());
  Reply r = roundTrip(c, post("/healthz", "x"));
  expectJsonError(r, 405);
  EXPECT_EQ(r.header("Allow"), "GET, HEAD");
  r = roundTrip(c, post("/api/v1/queues/7", "x"));
  expectJsonError(r, 405);
  EXPECT_EQ(r.header("Allow"), "DELETE, GET, HEAD");
}

TEST_F(HttpServerTest, HeadIsAnsweredByGetRouteWithoutBody) {
  ASSERT_NO_FATAL_FAILURE(start());
  Client c(server_->port());
  Reply r = roundTrip(c, "HEAD /healthz HTTP/1.1\r\nHost: test\r\n\r\n", /*head=*/true);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Content-Length"), "15");
  EXPECT_EQ(r.body, "");
  r = roundTrip(c, get("/healthz"));  // would misparse if HEAD had sent body bytes
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{\"status\":\"ok\"}");
}

TEST_F(HttpServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
  ASSERT_NO_FATAL_FAILURE(start());
  Client c(server_->port());
  EXPECT_EQ(roundTrip(c, get("/healthz")).status, 200);
  EXPECT_EQ(roundTrip(c, post("/echo", "second")).body, "POST|/echo|||127.0.0.1|second");
  EXPECT_EQ(server_->stats().acceptedConnections, 1u);
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  ASSERT_NO_FATAL_FAILURE(start());
  Client c(server_->port());
  c.send(get("/api/v1/queues/1") + get("/api/v1/queues/2") + get("/nope"));
  EXPECT_EQ(c.read().body, "queue:1");
  EXPECT_EQ(c.read().body, "queue:2");
  EXPECT_EQ(c.read().status, 404);
}

TEST_F(HttpServerTest, ConnectionCloseAndHttp10AreHonoured) {
  ASSERT_NO_FATAL_FAILURE(start());
  Client a(server_->port());
  Reply r = roundTrip(a, get("/healthz", "Connection: close\r\n"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Connection"), "close");
  EXPECT_TRUE(a.closedWithin(milliseconds(5000)));

  Client b(server_->port());
  r = roundTrip(b, "GET /healthz HTTP/1.0\r\n\r\n");
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(b.closedWithin(milliseconds(5000)));

  Client k(server_->port());
  r = roundTrip(k, "GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  EXPECT_EQ(r.header("Connection"), "keep-alive");
  EXPECT_EQ(roundTrip(k, "GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").status, 200);
}

TEST_F(HttpServerTest, OversizedHeaderIs431AndCloses) {
  ASSERT_NO_FATAL_FAILURE(start());
  Client c(server_->port());
  Reply r = roundTrip(c, get("/healthz", "X-Big: " + std::string(4000, 'a') + "\r\n"));
  expectJsonError(r, 431);
  EXPECT_EQ(r.header("Connection"), "close");
  EXPECT_TRUE(c.closedWithin(milliseconds(5000)));
}

TEST_F(HttpServerTest, OversizedBodyIs413WithoutEcho) {
  ASSERT_NO_FATAL_FAILURE(start());
  // The declared length is over the limit, so the server answers before reading the body. It
  // then drains the body instead of resetting, so a client that is still uploading finishes
  // its send and reads the 413 (curl would otherwise report "connection reset").
  Client a(server_->port(), /*sendBuffer=*/8 * 1024);
  EXPECT_TRUE(a.send(post("/echo", std::string(200 * 1024, 'b') + "MARKER")));
  Reply r = a.read();
  expectJsonError(r, 413);
  EXPECT_EQ(r.body.find("MARKER"), std::string::npos);
  EXPECT_TRUE(a.closedWithin(milliseconds(5000)));

  Client b(server_->port());  // chunked: refused once the body passes the limit
  std::string chunk(800, 'c');
  r = roundTrip(b,
                "POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n"
                "320\r\n" +
                    chunk + "\r\n320\r\n" + chunk + "\r\n0\r\n\r\n");
  expectJsonError(r, 413);
}

TEST_F(HttpServerTest, GarbageIs400AndServerServesTheNextConnection) {
  ASSERT_NO_FATAL_FAILURE(start());
  Client a(server_->port());
  Reply r = roundTrip(a, "\x01\x02 MARKER garbage \xff\r\n\r\n");
  expectJsonError(r, 400);
  EXPECT_EQ(r.body.find("MARKER"), std::string::npos);
  EXPECT_TRUE(a.closedWithin(milliseconds(5000)));
  Client b(server_->port());
  EXPECT_EQ(roundTrip(b, get("/healthz")).status, 200);
}

TEST_F(HttpServerTest, AmbiguousBodyLengthOrMissingHostIs400) {
  ASSERT_NO_FATAL_FAILURE(start());
  // RFC 9112 §6.3: chunked must be the final transfer coding.
  Client a(server_->port());
  expectJsonError(roundTrip(a, "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n"),
                  400);
  // Content-Length together with Transfer-Encoding: the classic smuggling pair.
  Client b(server_->port());
  expectJsonError(roundTrip(b,
                            "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n"
                            "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
                  400);
  Client c(server_->port());
  expectJsonError(roundTrip(c, "GET /healthz HTTP/1.1\r\n\r\n"), 400);
}

TEST_F(HttpServerTest, ExpectContinueGets100BeforeTheBody) {
  ASSERT_NO_FATAL_FAILURE(start());
  Client c(server_->port());
  c.send("POST /echo HTTP/1.1\r\nHost: test\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
  EXPECT_EQ(c.read().status, 100);
  c.send("body");
  EXPECT_EQ(c.read().body, "POST|/echo|||127.0.0.1|body");
}

TEST_F(HttpServerTest, StalledRequestIsClosedAfterReadTimeout) {
  HttpConfig config = testConfig();
  config.readTimeout = milliseconds(200);
  ASSERT_NO_FATAL_FAILURE(start(config));
  auto begin = Clock::now();
  Client c(server_->port());
  c.send("GET /healthz HTTP/1.1\r\nHo");
  EXPECT_TRUE(c.closedWithin(milliseconds(5000)));
  EXPECT_GE(Clock::now() - begin, milliseconds(200));
  EXPECT_EQ(c.pending(), "");  // closed without an answer
}

TEST_F(HttpServerTest, IdleKeepAliveConnectionIsClosedAfterReadTimeout) {
  HttpConfig config = testConfig();
  config.readTimeout = milliseconds(200);
  ASSERT_NO_FATAL_FAILURE(start(config));
  Client c(server_->port());
  EXPECT_EQ(roundTrip(c, get("/healthz")).status, 200);
  auto idleSince = Clock::now();
  EXPECT_TRUE(c.closedWithin(milliseconds(5000)));
  EXPECT_GE(Clock::now() - idleSince, milliseconds(150));
}

TEST_F(HttpServerTest, ThrowingHandlerGives500AndTheNextRequestSucceeds) {
  ASSERT_NO_FATAL_FAILURE(start());
  Client c(server_->port());
  Reply r = roundTrip(c, get("/boom"));
  expectJsonError(r, 500);
  EXPECT_EQ(r.body, "{\"error\":\"internal error\"}");
  EXPECT_EQ(r.body.find("secret-detail"), std::string::npos);
  EXPECT_EQ(roundTrip(c, get("/healthz")).status, 200);
  EXPECT_EQ(server_->stats().handlerFailures, 1u);
}

TEST_F(HttpServerTest, InvalidHandlerResponseGives500WithoutInjectedHeader) {
  ASSERT_NO_FATAL_FAILURE(start());
  Client c(server_->port());
  Reply r = roundTrip(c, get("/bad-header"));
  expectJsonError(r, 500);
  EXPECT_FALSE(r.has("Set-Cookie"));
  EXPECT_FALSE(r.has("X-Evil"));
  EXPECT_EQ(roundTrip(c, get("/healthz")).status, 200);
}

TEST_F(HttpServerTest, ConnectionsAboveTheLimitAreRefusedWith503) {
  HttpConfig config = testConfig();
  config.maxConnections = 2;
  ASSERT_NO_FATAL_FAILURE(start(config));
  auto a = std::make_unique<Client>(server_->port());
  Client b(server_->port());
  ASSERT_EQ(roundTrip(*a, get("/healthz")).status, 200);  // both admitted and counted
  ASSERT_EQ(roundTrip(b, get("/healthz")).status, 200);
  EXPECT_EQ(server_->stats().openConnections, 2u);

  Client refused(server_->port());
  Reply r = refused.read();  // answered on accept, without reading a request
  expectJsonError(r, 503);
  EXPECT_TRUE(refused.closedWithin(milliseconds(5000)));
  EXPECT_EQ(server_->stats().refusedConnections, 1u);
  EXPECT_EQ(roundTrip(b, get("/healthz")).status, 200);  // admitted ones unaffected

  // Once a slot frees, new connections are admitted again. The server learns of the close
  // asynchronously, so retry on observed refusals until a deadline.
  a.reset();
  auto deadline = Clock::now() + milliseconds(5000);
  int status = 0;
  while (status != 200 && Clock::now() < deadline) {
    Client next(server_->port());
    status = roundTrip(next, get("/healthz")).status;
  }
  EXPECT_EQ(status, 200);
}

TEST_F(HttpServerTest, StopClosesOpenConnectionsAndIsIdempotent) {
  ASSERT_NO_FATAL_FAILURE(start());
  Client c(server_->port());
  ASSERT_EQ(roundTrip(c, get("/healthz")).status, 200);
  server_->stop();
  EXPECT_TRUE(c.closedWithin(milliseconds(5000)));
  server_->stop();
  EXPECT_EQ(server_->start().error().code, Errc::kConflict);
}

// ---- routeAsync -------------------------------------------------------------------------

TEST_F(HttpServerTest, AsyncAnswerFromAnotherThread) {
  ASSERT_NO_FATAL_FAILURE(start());
  Client c(server_->port());
  c.send(get("/later/1"));
  std::optional<Responder> respond = parked_.take("1");
  ASSERT_TRUE(respond);
  onOtherThread([&] {
    (*respond)(text("answer:1"));
    (*respond)(text("second call is ignored"));
  });
  Reply r = c.read();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "answer:1");
  EXPECT_EQ(r.header("Server"), "switchboard");
  EXPECT_EQ(roundTrip(c, get("/healthz")).body, "{\"status\":\"ok\"}");
  EXPECT_EQ(server_->stats().handlerFailures, 0u);
}

TEST_F(HttpServerTest, PipelinedRequestsWaitForAnEarlierAsyncAnswer) {
  ASSERT_NO_FATAL_FAILURE(start());
  Client c(server_->port());
  c.send(get("/later/1") + get("/healthz") + get("/later/2"));
  std::optional<Responder> first = parked_.take("1");
  ASSERT_TRUE(first);
  // Nothing behind the deferred request has been routed: it waits in the input buffer.
  EXPECT_EQ(server_->stats().requests, 1u);
  onOtherThread([&] { (*first)(text("answer:1")); });
  EXPECT_EQ(c.read().body, "answer:1");
  EXPECT_EQ(c.read().body, "{\"status\":\"ok\"}");
  std::optional<Responder> second = parked_.take("2");
  ASSERT_TRUE(second);
  onOtherThread([&] { (*second)(text("answer:2")); });
  EXPECT_EQ(c.read().body, "answer:2");
}

TEST_F(HttpServerTest, AsyncAnswerAfterTheClientLeftIsDropped) {
  ASSERT_NO_FATAL_FAILURE(start());
  auto c = std::make_unique<Client>(server_->port());
  c->send(get("/later/1"));
  std::optional<Responder> respond = parked_.take("1");
  ASSERT_TRUE(respond);
  c.reset();
  onOtherThread([&] { (*respond)(text("nobody reads this")); });
  // The server learns of the close when it writes the answer; poll until the session is gone.
  EXPECT_TRUE(eventually([&] { return server_->stats().openConnections == 0; }));
  EXPECT_EQ(server_->stats().handlerFailures, 0u);
  Client next(server_->port());
  EXPECT_EQ(roundTrip(next, get("/healthz")).status, 200);
}

TEST_F(HttpServerTest, AsyncAnswerAfterTheServerIsGoneIsDropped) {
  ASSERT_NO_FATAL_FAILURE(start());
  Client c(server_->port());
  c.send(get("/later/1"));
  std::optional<Responder> respond = parked_.take("1");
  ASSERT_TRUE(respond);
  server_->stop();
  EXPECT_TRUE(c.closedWithin(milliseconds(5000)));
  EXPECT_EQ(c.pending(), "");
  server_.reset();
  onOtherThread([&] { (*respond)(text("too late")); });  // must neither crash nor leak
  onOtherThread([r = std::move(*respond)] {});           // dropping it is as harmless
}

TEST_F(HttpServerTest, AsyncHandlerTimeoutGives503AndTheLateAnswerIsDropped) {
  HttpConfig config = testConfig();
  config.handlerTimeout = milliseconds(200);
  ASSERT_NO_FATAL_FAILURE(start(config));
  Client c(server_->port());
  auto begin = Clock::now();
  c.send(get("/later/1"));
  std::optional<Responder> respond = parked_.take("1");
  ASSERT_TRUE(respond);
  Reply r = c.read();
  expectJsonError(r, 503);
  EXPECT_EQ(r.body, "{\"error\":\"timeout\"}");
  EXPECT_GE(Clock::now() - begin, milliseconds(200));
  EXPECT_EQ(server_->stats().handlerTimeouts, 1u);
  onOtherThread([&] { (*respond)(text("late")); });
  // The connection stays usable and the late answer never shows up on it.
  EXPECT_EQ(roundTrip(c, get("/healthz")).body, "{\"status\":\"ok\"}");
  EXPECT_EQ(roundTrip(c, get("/api/v1/queues/5")).body, "queue:5");
}

TEST_F(HttpServerTest, DroppedOrThrowingAsyncHandlerGives500) {
  ASSERT_NO_FATAL_FAILURE(start());
  Client c(server_->port());
  Reply r = roundTrip(c, get("/drop"));  // the handler let its Responder go
  expectJsonError(r, 500);
  EXPECT_EQ(r.body, "{\"error\":\"internal error\"}");
  EXPECT_EQ(server_->stats().handlerFailures, 1u);

  c.send(get("/later/7"));  // dropped later, on another thread
  std::optional<Responder> respond = parked_.take("7");
  ASSERT_TRUE(respond);
  onOtherThread([r = std::move(*respond)] {});
  respond.reset();
  expectJsonError(c.read(), 500);
  EXPECT_EQ(server_->stats().handlerFailures, 2u);

  r = roundTrip(c, get("/async-boom"));
  expectJsonError(r, 500);
  EXPECT_EQ(r.body.find("secret-detail"), std::string::npos);
  EXPECT_EQ(server_->stats().handlerFailures, 3u);
  EXPECT_EQ(roundTrip(c, get("/healthz")).status, 200);
}

TEST(HttpServerStart, BusyPortFailsNamingAddressAndPort) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  std::uint16_t busy = ntohs(a.sin_port);

  HttpConfig config;
  config.port = busy;
  HttpServer server(config);
  auto r = server.start();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kIo);
  EXPECT_NE(r.error().message.find("127.0.0.1:" + std::to_string(busy)), std::string::npos)
      << r.error().message;
  ::close(fd);

  config.address = "not-an-address";
  HttpServer bad(config);
  EXPECT_EQ(bad.start().error().code, Errc::kInvalidInput);
}

TEST(HttpServerRouteDeathTest, MalformedOrDuplicateRouteIsABug) {
  auto ok = [](const HttpRequest&) { return HttpResponse{}; };
  EXPECT_DEATH(HttpServer(HttpConfig{}).route("GET", "healthz", ok), "must start with '/'");
  EXPECT_DEATH(HttpServer(HttpConfig{}).route("GET", "/a/{rest...}/b", ok), "last segment");
  EXPECT_DEATH(
      {
        HttpServer s(HttpConfig{});
        s.route("GET", "/q/{id}", ok);
        s.route("GET", "/q/{name}", ok);
      },
      "same shape");
  EXPECT_DEATH(
      {
        HttpServer s(HttpConfig{});
        s.route("GET", "/x", ok);
        s.route("GET", "/x", ok);
      },
      "registered twice");
}

}  // namespace
}  // namespace sb::api
