#include "api/http_client.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api/http_server.h"

namespace sb::api {
namespace {

using std::chrono::milliseconds;

/// Our HTTP server on a free loopback port, as the tenant's system.
class HttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<HttpServer>(HttpConfig{"127.0.0.1", 0});
    server_->route("GET", "/customers/{id}", [](const HttpRequest& r) {
      return HttpResponse{
          200, "application/json", "{\"id\":\"" + r.param("id") + "\",\"tier\":\"gold\"}", {}};
    });
    server_->route("POST", "/echo", [](const HttpRequest& r) {
      return HttpResponse{201, "text/plain", r.header("X-Token") + ":" + r.body, {}};
    });
    ASSERT_TRUE(server_->start().ok());
  }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }

  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpClientTest, GetReturnsStatusHeadersAndBody) {
  auto r = httpFetch({"GET", base() + "/customers/42", {}, "", milliseconds(2000)});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "{\"id\":\"42\",\"tier\":\"gold\"}");
  bool json = false;
  for (const auto& [n, v] : r->headers)
    json = json || (n == "Content-Type" && v == "application/json");
  EXPECT_TRUE(json);
}

TEST_F(HttpClientTest, PostSendsHeadersAndBody) {
  auto r = httpFetch({"POST", base() + "/echo", {{"X-Token", "t1"}}, "hello", milliseconds(2000)});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(r->body, "t1:hello");
}

TEST_F(HttpClientTest, UnknownPathIsAnAnswerNotAnError) {
  auto r = httpFetch({"GET", base() + "/nope", {}, "", milliseconds(2000)});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 404);
}

TEST_F(HttpClientTest, OversizedAnswerIsAnError) {
  ClientRequest req{"GET", base() + "/customers/42", {}, "", milliseconds(2000)};
  req.maxResponseBytes = 4;
  auto r = httpFetch(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kIo);
}

TEST(HttpClient, BadRequestsAreRefusedBeforeConnecting) {
  EXPECT_EQ(httpFetch({"GET", "ftp://x/", {}, "", milliseconds(100)}).error().code,
            Errc::kInvalidInput);
  EXPECT_EQ(httpFetch({"GET", "http://user@host/", {}, "", milliseconds(100)}).error().code,
            Errc::kInvalidInput);
  EXPECT_EQ(httpFetch({"GET", "http://host:80x/", {}, "", milliseconds(100)}).error().code,
            Errc::kInvalidInput);
  EXPECT_EQ(httpFetch({"G T", "http://host/", {}, "", milliseconds(100)}).error().code,
            Errc::kInvalidInput);
  EXPECT_EQ(httpFetch({"GET", "http://host/", {{"X", "a\r\nInjected: 1"}}, "", milliseconds(100)})
                .error()
                .code,
            Errc::kInvalidInput);
}

/// A listener that accepts nothing and never answers: the client's deadline must end it.
TEST(HttpClient, SilentServerTimesOut) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  std::string url = "http://127.0.0.1:" + std::to_string(ntohs(a.sin_port)) + "/";
  auto started = std::chrono::steady_clock::now();
  auto r = httpFetch({"GET", url, {}, "", milliseconds(300)});
  auto took = std::chrono::steady_clock::now() - started;
  ::close(fd);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "timed out");
  EXPECT_LT(took, std::chrono::seconds(3));
}

TEST(HttpClient, RefusedConnectionIsAnIoError) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);  // the port is now (very likely) closed
  auto r = httpFetch({"GET",
                      "http://127.0.0.1:" + std::to_string(ntohs(a.sin_port)) + "/",
                      {},
                      "",
                      milliseconds(1000)});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kIo);
}

}  // namespace
}  // namespace sb::api
