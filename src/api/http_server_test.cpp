#include "api/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace sb::api {
namespace {

// A blocking loopback client on plain POSIX sockets, independent of Beast.
class Client {
 public:
  explicit Client(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  }
  ~Client() { ::close(fd_); }
  bool connected() const { return connected_; }
  void send(std::string_view bytes) {
    std::size_t off = 0;
    while (off < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += static_cast<std::size_t>(n);
    }
  }
  // Reads one response (headers + Content-Length body); "" on EOF or after `ms` of silence.
  std::string response(int ms = 3000) {
    while (true) {
      std::size_t end = buf_.find("\r\n\r\n");
      if (end != std::string::npos) {
        std::size_t cl = 0;
        std::size_t p = buf_.find("Content-Length: ");
        if (p != std::string::npos && p < end) cl = std::stoul(buf_.substr(p + 16));
        if (buf_.size() >= end + 4 + cl) {
          std::string r = buf_.substr(0, end + 4 + cl);
          buf_.erase(0, end + 4 + cl);
          return r;
        }
      }
      if (!readSome(ms)) return {};
    }
  }
  // True when the server closes the connection within `ms`.
  bool closedWithin(int ms) {
    while (readSome(ms)) {
    }
    return eof_;
  }

 private:
  bool readSome(int ms) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, ms) <= 0) return false;
    char tmp[4096];
    ssize_t n = ::recv(fd_, tmp, sizeof(tmp), 0);
    if (n <= 0) {
      eof_ = true;
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

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpConfig c;
    c.port = 0;
    c.maxHeaderBytes = 2048;
    c.maxBodyBytes = 1024;
    c.readTimeout = std::chrono::milliseconds(300);
    server = std::make_unique<HttpServer>(c);
    server->route("GET", "/healthz", [](const HttpRequest&) {
      return HttpResponse{200, "application/json", "{\"status\":\"ok\"}", {}};
    });
    server->route("POST", "/echo", [](const HttpRequest& r) {
      return HttpResponse{200, "text/plain", r.body + "|" + r.query + "|" + r.header("x-test"), {}};
    });
    server->route("GET", "/boom", [](const HttpRequest&) -> HttpResponse {
      throw std::runtime_error("handler bug");
    });
    ASSERT_TRUE(server->start().ok());
  }
  std::unique_ptr<HttpServer> server;
};

TEST_F(HttpServerTest, RoutesKeepAliveAndHeaders) {
  Client c(server->port());
  ASSERT_TRUE(c.connected());
  c.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string r = c.response();
  EXPECT_EQ(r.rfind("HTTP/1.1 200", 0), 0u) << r;
  EXPECT_NE(r.find("Content-Type: application/json"), std::string::npos);
  EXPECT_NE(r.find("Server: switchboard"), std::string::npos);
  EXPECT_NE(r.find("{\"status\":\"ok\"}"), std::string::npos);
  c.send("POST /echo?a=1 HTTP/1.1\r\nHost: x\r\nX-Test: yes\r\nContent-Length: 3\r\n\r\nabc");
  r = c.response();
  EXPECT_NE(r.find("abc|a=1|yes"), std::string::npos) << r;
}

TEST_F(HttpServerTest, NotFoundAndMethodNotAllowed) {
  Client c(server->port());
  c.send("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(c.response().rfind("HTTP/1.1 404", 0), 0u);
  c.send("DELETE /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string r = c.response();
  EXPECT_EQ(r.rfind("HTTP/1.1 405", 0), 0u) << r;
  EXPECT_NE(r.find("Allow: GET"), std::string::npos);
}

TEST_F(HttpServerTest, OversizedHeaderAndBody) {
  Client a(server->port());
  a.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4000, 'a') + "\r\n\r\n");
  EXPECT_EQ(a.response().rfind("HTTP/1.1 431", 0), 0u);
  Client b(server->port());
  b.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n" + std::string(5000, 'b'));
  EXPECT_EQ(b.response().rfind("HTTP/1.1 413", 0), 0u);
}

TEST_F(HttpServerTest, GarbageGets400AndServerGoesOn) {
  Client a(server->port());
  a.send("\x01\x02 garbage \xff\r\n\r\n");
  EXPECT_EQ(a.response().rfind("HTTP/1.1 400", 0), 0u);
  Client b(server->port());
  b.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(b.response().rfind("HTTP/1.1 200", 0), 0u);
}

TEST_F(HttpServerTest, SlowClientIsClosed) {
  Client c(server->port());
  c.send("GET /healthz HTTP/1.1\r\nHo");
  EXPECT_TRUE(c.closedWithin(3000));
}

TEST_F(HttpServerTest, ThrowingHandlerGives500) {
  Client c(server->port());
  c.send("GET /boom HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(c.response().rfind("HTTP/1.1 500", 0), 0u);
  c.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(c.response().rfind("HTTP/1.1 200", 0), 0u);
}

TEST_F(HttpServerTest, BusyPortIsAnError) {
  HttpConfig c;
  c.port = server->port();
  HttpServer second(c);
  auto r = second.start();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find(std::to_string(server->port())), std::string::npos);
}

}  // namespace
}  // namespace sb::api
