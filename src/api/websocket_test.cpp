// WebSocket endpoints of HttpServer over real loopback sockets, driven by a small Beast client.

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "api/http_server.h"

namespace sb::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kWait{5000};

/// Runs one asynchronous operation on `io` for at most `timeout`; its error code, or
/// timed_out after closing `socket` (which aborts the operation).
template <class Start>
beast::error_code runFor(asio::io_context& io, tcp::socket& socket, Start start,
                         milliseconds timeout = kWait) {
  std::optional<beast::error_code> result;
  start([&result](beast::error_code ec, auto&&...) { result = ec; });
  io.restart();
  io.run_for(timeout);
  if (result) return *result;
  beast::error_code ignored;
  socket.close(ignored);
  io.restart();
  io.run_for(timeout);
  return asio::error::timed_out;
}

/// A WebSocket client for tests; every call is bounded by kWait.
class WsClient {
 public:
  /// `receiveBuffer` > 0 pins SO_RCVBUF before connecting (a small window: a slow reader).
  explicit WsClient(std::uint16_t port, int receiveBuffer = 0) : ws_(io_) {
    tcp::socket& s = socket();
    s.open(tcp::v4());
    if (receiveBuffer > 0) s.set_option(asio::socket_base::receive_buffer_size(receiveBuffer));
    s.connect({asio::ip::address_v4::loopback(), port}, connectError_);
  }

  /// Performs the opening handshake; the server's HTTP status (101 when upgraded), 0 on error.
  int handshake(const std::string& target, const std::string& authorization = "") {
    if (connectError_) return 0;
    ws_.set_option(websocket::stream_base::decorator([authorization](websocket::request_type& r) {
      if (!authorization.empty()) r.set(http::field::authorization, authorization);
    }));
    error = runFor(io_, socket(), [&](auto handler) {
      ws_.async_handshake(response, "test", target, std::move(handler));
    });
    return response.result_int();
  }

  bool write(const std::string& text) {
    error = runFor(io_, socket(),
                   [&](auto handler) { ws_.async_write(asio::buffer(text), std::move(handler)); });
    return !error;
  }

  /// The next message; nullopt when the connection ended (see `error` and reason()).
  std::optional<std::string> read() {
    beast::flat_buffer buffer;
    error =
        runFor(io_, socket(), [&](auto handler) { ws_.async_read(buffer, std::move(handler)); });
    if (error) return std::nullopt;
    return beast::buffers_to_string(buffer.data());
  }

  /// Starts the closing handshake and waits for the server's close frame.
  bool close(std::uint16_t code = 1000) {
    error = runFor(io_, socket(), [&](auto handler) {
      ws_.async_close(websocket::close_reason(code), std::move(handler));
    });
    return !error;
  }

  /// The close frame the server sent.
  const websocket::close_reason& reason() const { return ws_.reason(); }

  beast::error_code error;
  websocket::response_type response;

 private:
  tcp::socket& socket() { return beast::get_lowest_layer(ws_).socket(); }

  asio::io_context io_;
  websocket::stream<beast::tcp_stream> ws_;
  beast::error_code connectError_;
};

/// One plain HTTP exchange (no upgrade) with a bounded wait; status 0 when none came.
http::response<http::string_body> plainRequest(std::uint16_t port, http::verb method,
                                               const std::string& target) {
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect({asio::ip::address_v4::loopback(), port});
  http::request<http::string_body> req{method, target, 11};
  req.set(http::field::host, "test");
  http::response_parser<http::string_body> parser;
  parser.skip(method == http::verb::head);  // a HEAD answer has Content-Length but no body
  beast::flat_buffer buffer;
  runFor(io, socket, [&](auto handler) { http::async_write(socket, req, std::move(handler)); });
  beast::error_code ec = runFor(io, socket, [&](auto handler) {
    http::async_read(socket, buffer, parser, std::move(handler));
  });
  if (!ec) return parser.release();
  http::response<http::string_body> none;
  none.result(http::status::unknown);
  return none;
}

/// What the app side saw, filled on the api thread and read by the test thread.
class Probe {
 public:
  void opened(std::shared_ptr<WsConnection> c) {
    std::lock_guard<std::mutex> lock(mu_);
    connections_.push_back(std::move(c));
    cv_.notify_all();
  }
  void closed() {
    std::lock_guard<std::mutex> lock(mu_);
    ++closes_;
    cv_.notify_all();
  }
  void upgradeSeen(const HttpRequest& r) {
    std::lock_guard<std::mutex> lock(mu_);
    lastUpgrade_ = r;
  }
  /// Waits until `n` connections have opened; the n-th (from 1), or null.
  std::shared_ptr<WsConnection> connection(std::size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, kWait, [&] { return connections_.size() >= n; });
    return connections_.size() >= n ? connections_[n - 1] : nullptr;
  }
  /// Waits until `n` onClose calls happened; whether they did.
  bool closes(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, kWait, [&] { return closes_ >= n; });
  }
  int closeCount() {
    std::lock_guard<std::mutex> lock(mu_);
    return closes_;
  }
  HttpRequest lastUpgrade() {
    std::lock_guard<std::mutex> lock(mu_);
    return lastUpgrade_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::shared_ptr<WsConnection>> connections_;
  int closes_ = 0;
  HttpRequest lastUpgrade_;
};

class WebSocketTest : public ::testing::Test {
 protected:
  static HttpConfig testConfig() {
    HttpConfig c;
    c.port = 0;
    c.readTimeout = milliseconds(5000);
    return c;
  }

  void start(HttpConfig config = testConfig()) {
    server_ = std::make_unique<HttpServer>(config);
    server_->route("GET", "/healthz", [](const HttpRequest&) {
      return HttpResponse{200, "application/json", "{}", {}};
    });
    // The event stream: a token from the header or the query, else 401 before the upgrade.
    // Messages are echoed from a thread of their own, as the control loop would answer.
    server_->webSocket("/events", [this](const HttpRequest& r) -> WsDecision {
      probe_.upgradeSeen(r);
      if (r.header("Authorization") != "Bearer good" && r.queryParam("access_token") != "good") {
        return HttpResponse{401,
                            "application/json",
                            "{\"error\":\"unauthorized\"}",
                            {{"WWW-Authenticate", "Bearer"}}};
      }
      WsCallbacks callbacks;
      callbacks.onOpen = [this](const std::shared_ptr<WsConnection>& c) { probe_.opened(c); };
      callbacks.onMessage = [this](const std::shared_ptr<WsConnection>& c, std::string m) {
        std::lock_guard<std::mutex> lock(workersMu_);
        workers_.emplace_back([c, m = std::move(m)] { c->send("echo:" + m); });
      };
      callbacks.onClose = [this](const std::shared_ptr<WsConnection>&) { probe_.closed(); };
      return callbacks;
    });
    server_->webSocket("/boom", [](const HttpRequest&) -> WsDecision {
      throw std::runtime_error("secret-detail");
    });
    auto r = server_->start();
    ASSERT_TRUE(r.ok()) << r.error().message;
  }

  void TearDown() override {
    std::lock_guard<std::mutex> lock(workersMu_);
    for (std::thread& t : workers_) t.join();
  }

  Probe probe_;
  std::mutex workersMu_;
  std::vector<std::thread> workers_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(WebSocketTest, HandshakeAndEchoFromAnotherThread) {
  ASSERT_NO_FATAL_FAILURE(start());
  WsClient client(server_->port());
  ASSERT_EQ(client.handshake("/events?after=123&queue=sales&access_token=good"), 101)
      << client.error.message();
  EXPECT_EQ(client.response[http::field::server], "switchboard");
  HttpRequest upgrade = probe_.lastUpgrade();
  EXPECT_EQ(upgrade.queryParam("after"), "123");
  EXPECT_EQ(upgrade.queryParam("queue"), "sales");
  EXPECT_EQ(upgrade.remoteAddress, "127.0.0.1");

  std::shared_ptr<WsConnection> conn = probe_.connection(1);
  ASSERT_NE(conn, nullptr);
  EXPECT_EQ(conn->id(), 1u);
  ASSERT_TRUE(client.write("hi"));
  EXPECT_EQ(client.read(), "echo:hi");
  ASSERT_TRUE(client.write(std::string(1000, 'x')));
  EXPECT_EQ(client.read(), "echo:" + std::string(1000, 'x'));
  HttpStats s = server_->stats();
  EXPECT_EQ(s.wsOpenConnections, 1u);
  EXPECT_EQ(s.wsAcceptedConnections, 1u);
  EXPECT_EQ(s.openConnections, 1u);

  WsClient byHeader(server_->port());
  EXPECT_EQ(byHeader.handshake("/events", "Bearer good"), 101);
  EXPECT_EQ(probe_.connection(2)->id(), 2u);
}

TEST_F(WebSocketTest, RejectedBeforeTheUpgradeAndPlainRequestsAre426) {
  ASSERT_NO_FATAL_FAILURE(start());
  WsClient client(server_->port());
  EXPECT_EQ(client.handshake("/events?access_token=bad", "Bearer bad"), 401);
  EXPECT_EQ(client.error, websocket::error::upgrade_declined);
  EXPECT_EQ(client.response[http::field::www_authenticate], "Bearer");
  EXPECT_EQ(client.response.body(), "{\"error\":\"unauthorized\"}");

  WsClient boom(server_->port());
  EXPECT_EQ(boom.handshake("/boom"), 500);
  EXPECT_EQ(boom.response.body().find("secret-detail"), std::string::npos);

  auto plain = plainRequest(server_->port(), http::verb::get, "/events");
  EXPECT_EQ(plain.result_int(), 426);
  EXPECT_EQ(plain[http::field::upgrade], "websocket");
  EXPECT_NE(std::string(plain[http::field::connection]).find("upgrade"), std::string::npos);
  EXPECT_EQ(plainRequest(server_->port(), http::verb::head, "/events").result_int(), 426);
  auto post = plainRequest(server_->port(), http::verb::post, "/events");
  EXPECT_EQ(post.result_int(), 405);
  EXPECT_EQ(post[http::field::allow], "GET, HEAD");

  HttpStats s = server_->stats();
  EXPECT_EQ(s.wsAcceptedConnections, 0u);
  EXPECT_EQ(s.handlerFailures, 1u);
  EXPECT_EQ(probe_.closeCount(), 0);
}

TEST_F(WebSocketTest, SlowConsumerIsClosedWith1008InsteadOfQueueingWithoutBound) {
  HttpConfig config = testConfig();
  config.maxWsQueuedBytes = 256 * 1024;
  ASSERT_NO_FATAL_FAILURE(start(config));
  WsClient client(server_->port(), /*receiveBuffer=*/4096);
  ASSERT_EQ(client.handshake("/events", "Bearer good"), 101);
  std::shared_ptr<WsConnection> conn = probe_.connection(1);
  ASSERT_NE(conn, nullptr);

  // The client reads nothing; the kernel buffers fill, then the queue. 64 MiB at most.
  const std::string message(16 * 1024, 'e');
  std::size_t accepted = 0;
  while (accepted < 4096 && conn->send(message)) ++accepted;
  ASSERT_LT(accepted, 4096u) << "send() never refused";
  EXPECT_FALSE(conn->send("after the close"));
  auto deadline = SteadyClock::now() + kWait;
  while (server_->stats().wsSlowConsumerCloses == 0 && SteadyClock::now() < deadline) {
    std::this_thread::yield();
  }
  EXPECT_EQ(server_->stats().wsSlowConsumerCloses, 1u);

  // Reading now gets what was already on its way, then the close frame.
  std::size_t received = 0;
  while (received <= accepted && client.read()) ++received;
  EXPECT_EQ(client.error, websocket::error::closed) << client.error.message();
  EXPECT_EQ(client.reason().code, 1008);
  EXPECT_STREQ(client.reason().reason.c_str(), "too slow");
  EXPECT_LT(received, accepted);
  EXPECT_TRUE(probe_.closes(1));
}

TEST_F(WebSocketTest, ClosedByTheClientOrByTheServer) {
  ASSERT_NO_FATAL_FAILURE(start());
  WsClient a(server_->port());
  ASSERT_EQ(a.handshake("/events", "Bearer good"), 101);
  std::shared_ptr<WsConnection> connA = probe_.connection(1);
  ASSERT_TRUE(a.close(1000));
  EXPECT_TRUE(probe_.closes(1));
  EXPECT_FALSE(connA->send("gone"));

  WsClient b(server_->port());
  ASSERT_EQ(b.handshake("/events", "Bearer good"), 101);
  std::shared_ptr<WsConnection> connB = probe_.connection(2);
  ASSERT_NE(connB, nullptr);
  std::thread([connB] {
    connB->send("last words");
    connB->close(4001, "bye");
    connB->close(4002, "ignored");
  }).join();
  EXPECT_EQ(b.read(), "last words");  // what was queued goes out before the close frame
  EXPECT_FALSE(b.read());
  EXPECT_EQ(b.error, websocket::error::closed);
  EXPECT_EQ(b.reason().code, 4001);
  EXPECT_STREQ(b.reason().reason.c_str(), "bye");
  EXPECT_TRUE(probe_.closes(2));
  EXPECT_FALSE(connB->send("gone"));
  auto deadline = SteadyClock::now() + kWait;
  while (server_->stats().openConnections != 0 && SteadyClock::now() < deadline) {
    std::this_thread::yield();
  }
  EXPECT_EQ(server_->stats().openConnections, 0u);
  EXPECT_EQ(server_->stats().wsOpenConnections, 0u);
}

TEST_F(WebSocketTest, OversizedIncomingMessageIsClosedWith1009) {
  HttpConfig config = testConfig();
  config.maxWsMessageBytes = 1024;
  ASSERT_NO_FATAL_FAILURE(start(config));
  WsClient client(server_->port());
  ASSERT_EQ(client.handshake("/events", "Bearer good"), 101);
  ASSERT_TRUE(client.write(std::string(2000, 'x')));
  EXPECT_FALSE(client.read());
  EXPECT_EQ(client.reason().code, 1009);
  EXPECT_TRUE(probe_.closes(1));
}

TEST_F(WebSocketTest, ServerStopClosesOpenWebSockets) {
  ASSERT_NO_FATAL_FAILURE(start());
  WsClient a(server_->port());
  WsClient b(server_->port());
  ASSERT_EQ(a.handshake("/events", "Bearer good"), 101);
  ASSERT_EQ(b.handshake("/events", "Bearer good"), 101);
  std::shared_ptr<WsConnection> conn = probe_.connection(2);
  ASSERT_NE(conn, nullptr);
  server_->stop();
  EXPECT_EQ(probe_.closeCount(), 2);  // onClose ran on the api thread before stop() returned
  EXPECT_FALSE(a.read());
  EXPECT_FALSE(b.read());
  EXPECT_FALSE(conn->send("after stop"));
  server_.reset();
  EXPECT_FALSE(conn->send("after the server is gone"));
  conn->close(1000, "nothing to close");
}

}  // namespace
}  // namespace sb::api
