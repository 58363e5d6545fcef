#include "webhook/dispatcher.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <mutex>
#include <numeric>
#include <sstream>
#include <thread>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "api/http_server.h"
#include "webhook/internal/delivery.h"
#include "webhook/internal/spool.h"
#include "webhook/internal/test_dir.h"

namespace sb::webhook {
namespace {

using namespace std::chrono_literals;
using internal::TestDir;
using Ids = std::vector<std::uint64_t>;

constexpr const char* kSecret = "whsec-test-0123456789";

/// One request as the receiver saw it, with what it answered.
struct Received {
  std::string path;
  std::string contentType, eventId, key, timestamp, signature;
  std::string body;
  int status = 0;
  std::chrono::steady_clock::time_point at;

  Ids ids() const {
    Ids out;
    auto json = nlohmann::json::parse(body, nullptr, false);
    if (json.is_object() && json["events"].is_array()) {
      for (const auto& e : json["events"]) out.push_back(e.value("id", std::uint64_t{0}));
    }
    return out;
  }
};

/// The tenant's system: a real HttpServer on a free loopback port. POST /hook/{name} records
/// the request and answers the next status of its script, then `fallback`; POST /hang never
/// answers.
class Receiver {
 public:
  Receiver() : server_(api::HttpConfig{"127.0.0.1", 0}) {
    server_.route("POST", "/hook/{name}", [this](const api::HttpRequest& r) { return take(r); });
    server_.routeAsync("POST", "/hang", [this](const api::HttpRequest&, api::Responder respond) {
      std::lock_guard lock(mu_);
      hanging_.push_back(std::move(respond));
      cv_.notify_all();
    });
    auto started = server_.start();
    EXPECT_TRUE(started.ok()) << started.error().message;
  }

  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(server_.port()) + path;
  }
  /// Statuses answered in turn before `fallback` is.
  void script(std::deque<int> statuses) {
    std::lock_guard lock(mu_);
    script_ = std::move(statuses);
  }
  void setFallback(int status) {
    std::lock_guard lock(mu_);
    fallback_ = status;
  }
  std::vector<Received> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  /// The ids of every request answered 2xx, in arrival order.
  Ids acceptedIds(const std::string& path = "") const {
    Ids out;
    for (const Received& r : requests()) {
      if (r.status / 100 != 2 || (!path.empty() && r.path != path)) continue;
      for (std::uint64_t id : r.ids()) out.push_back(id);
    }
    return out;
  }
  /// Waits until `n` requests hang, 10 s at most.
  bool waitForHanging(std::size_t n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 10s, [&] { return hanging_.size() >= n; });
  }

 private:
  api::HttpResponse take(const api::HttpRequest& r) {
    std::lock_guard lock(mu_);
    Received got{r.path,
                 r.header("Content-Type"),
                 r.header("X-Switchboard-Event-Id"),
                 r.header("Idempotency-Key"),
                 r.header("X-Switchboard-Timestamp"),
                 r.header("X-Switchboard-Signature"),
                 r.body,
                 fallback_,
                 std::chrono::steady_clock::now()};
    if (!script_.empty()) {
      got.status = script_.front();
      script_.pop_front();
    }
    requests_.push_back(got);
    return api::HttpResponse{got.status, "application/json", "{}", {}};
  }

  api::HttpServer server_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<int> script_;               // guarded by mu_
  int fallback_ = 200;                   // guarded by mu_
  std::vector<Received> requests_;       // guarded by mu_
  std::vector<api::Responder> hanging_;  // guarded by mu_: held so they stay unanswered
};

/// Polls `condition` until it holds or 10 s have passed; whether it held.
template <class Condition>
bool eventually(Condition condition) {
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(1ms);  // polling interval, not synchronisation
  }
  return true;
}

std::vector<store::StoredEvent> events(std::uint64_t first, std::uint64_t last,
                                       const std::string& tenant = "acme",
                                       const std::string& kind = "answered") {
  std::vector<store::StoredEvent> out;
  for (std::uint64_t id = first; id <= last; ++id) {
    out.push_back({id, 3,
                   store::Event{1700000000000 + static_cast<std::int64_t>(id), tenant, "call", kind,
                                "{\"n\":" + std::to_string(id) + "}", id * 10}});
  }
  return out;
}

Options fast(const TestDir& dir) {
  Options o;
  o.spoolDir = dir.path().string();
  o.timeout = 2000ms;
  o.firstRetry = 10ms;
  o.maxRetry = 200ms;
  return o;
}

Ids range(std::uint64_t first, std::uint64_t last) {
  Ids out(last - first + 1);
  std::iota(out.begin(), out.end(), first);
  return out;
}

std::string hmacHex(const std::string& key, const std::string& data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  std::string out;
  char buf[3];
  for (unsigned int i = 0; i < len; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", mac[i]);
    out += buf;
  }
  return out;
}

/// A loopback port nobody listens on (connections are refused).
std::uint16_t closedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::vector<std::filesystem::path> spoolFiles(const TestDir& dir) {
  std::vector<std::filesystem::path> out;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    if (entry.path().extension() == ".spool") out.push_back(entry.path());
  }
  return out;
}

std::size_t lineCount(const std::filesystem::path& file) {
  std::ifstream in(file);
  return static_cast<std::size_t>(
      std::count(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>(), '\n'));
}

TEST(Dispatcher, DeliversASignedBatchAndRetriesItUnderTheSameKey) {
  Receiver rx;
  rx.script({503});
  TestDir dir;
  SteadyClock clock;
  Dispatcher d({{"acme", rx.url("/hook/a"), kSecret, {}}}, fast(dir), clock);
  d.onCommitted(events(1, 3));
  ASSERT_TRUE(eventually([&] { return d.stats().delivered == 3; }));

  auto got = rx.requests();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].status, 503);
  EXPECT_EQ(got[1].status, 200);
  auto nowS = std::chrono::duration_cast<std::chrono::seconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  for (const Received& r : got) {
    EXPECT_EQ(r.contentType, "application/json");
    EXPECT_EQ(r.key, "acme:1-3");
    EXPECT_EQ(r.eventId, "3");
    EXPECT_EQ(r.signature, "sha256=" + hmacHex(kSecret, r.timestamp + "." + r.body));
    EXPECT_NEAR(static_cast<double>(std::stoll(r.timestamp)), static_cast<double>(nowS), 120);
  }
  EXPECT_EQ(got[0].body, got[1].body) << "the same batch, resent unchanged";

  auto json = nlohmann::json::parse(got[1].body);
  ASSERT_EQ(json["events"].size(), 3u);
  const auto& e = json["events"][0];
  EXPECT_EQ(e["id"], 1);
  EXPECT_EQ(e["run"], 3);
  EXPECT_EQ(e["time_ms"], 1700000000001);
  EXPECT_EQ(e["tenant"], "acme");
  EXPECT_EQ(e["source"], "call");
  EXPECT_EQ(e["kind"], "answered");
  EXPECT_EQ(e["call"], 10);
  EXPECT_EQ(e["body"], nlohmann::json({{"n", 1}}));
  EXPECT_EQ(got[1].ids(), range(1, 3));

  auto s = d.stats();
  EXPECT_EQ(s.spooled, 3u);
  EXPECT_EQ(s.failedAttempts, 1u);
  EXPECT_EQ(s.dropped, 0u);
  EXPECT_EQ(s.pending, 0u);
}

TEST(Dispatcher, BatchesHoldAtMostMaxBatchEventsInIdOrder) {
  Receiver rx;
  TestDir dir;
  SteadyClock clock;
  Options o = fast(dir);
  o.maxBatch = 2;
  Dispatcher d({{"acme", rx.url("/hook/a"), kSecret, {}}}, o, clock);
  d.onCommitted(events(1, 5));
  ASSERT_TRUE(eventually([&] { return d.stats().delivered == 5; }));
  auto got = rx.requests();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].key, "acme:1-2");
  EXPECT_EQ(got[1].key, "acme:3-4");
  EXPECT_EQ(got[2].key, "acme:5-5");
  EXPECT_EQ(rx.acceptedIds(), range(1, 5));
}

TEST(Dispatcher, SendsATargetOnlyItsTenantsEventsOfItsKinds) {
  Receiver rx;
  TestDir dir;
  SteadyClock clock;
  Dispatcher d({{"acme", rx.url("/hook/acme"), kSecret, {"call_ended"}},
                {"globex", rx.url("/hook/globex"), kSecret, {}}},
               fast(dir), clock);
  std::vector<store::StoredEvent> mix;
  for (auto [tenant, kind] :
       std::vector<std::pair<std::string, std::string>>{{"acme", "answered"},
                                                        {"acme", "call_ended"},
                                                        {"globex", "answered"},
                                                        {"initech", "call_ended"},
                                                        {"globex", "call_ended"},
                                                        {"acme", "call_ended"}}) {
    mix.push_back(events(mix.size() + 1, mix.size() + 1, tenant, kind)[0]);
  }
  d.onCommitted(mix);
  ASSERT_TRUE(eventually([&] { return d.stats().delivered == 4; }));
  EXPECT_EQ(rx.acceptedIds("/hook/acme"), (Ids{2, 6}));
  EXPECT_EQ(rx.acceptedIds("/hook/globex"), (Ids{3, 5}));
  for (const Received& r : rx.requests()) {
    EXPECT_EQ(r.key.substr(0, r.key.find(':')), r.path.substr(6)) << "keyed by its tenant";
  }
  EXPECT_EQ(d.stats().spooled, 4u);
}

TEST(Dispatcher, RetriesWithGrowingWaitsUntilTheReceiverAnswers) {
  Receiver rx;
  rx.script({503, 429, 408});
  TestDir dir;
  SteadyClock clock;
  Options o = fast(dir);
  o.firstRetry = 20ms;
  o.maxRetry = 1000ms;
  Dispatcher d({{"acme", rx.url("/hook/a"), kSecret, {}}}, o, clock);
  d.onCommitted(events(1, 1));
  ASSERT_TRUE(eventually([&] { return d.stats().delivered == 1; }));
  auto got = rx.requests();
  ASSERT_EQ(got.size(), 4u);
  // Waits are drawn from [nominal / 2, nominal], the nominal wait doubling from firstRetry.
  for (std::size_t i = 1; i < got.size(); ++i) {
    EXPECT_GE(got[i].at - got[i - 1].at, o.firstRetry * (1 << (i - 1)) / 2) << i;
    EXPECT_EQ(got[i].key, got[0].key);
  }
  EXPECT_EQ(d.stats().failedAttempts, 3u);
  EXPECT_EQ(rx.acceptedIds(), (Ids{1}));
}

TEST(Dispatcher, ARejectedBatchIsSkippedNotRetried) {
  Receiver rx;
  rx.script({400});
  TestDir dir;
  SteadyClock clock;
  Dispatcher d({{"acme", rx.url("/hook/a"), kSecret, {}}}, fast(dir), clock);
  d.onCommitted(events(1, 1));
  ASSERT_TRUE(eventually([&] { return d.stats().dropped == 1; }));
  d.onCommitted(events(2, 2));
  ASSERT_TRUE(eventually([&] { return d.stats().delivered == 1; }));
  auto got = rx.requests();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].ids(), (Ids{1}));
  EXPECT_EQ(got[0].status, 400);
  EXPECT_EQ(got[1].ids(), (Ids{2}));
  auto s = d.stats();
  EXPECT_EQ(s.failedAttempts, 1u);
  EXPECT_EQ(s.pending, 0u);
}

TEST(Dispatcher, ARestartResumesFromTheSpoolWithoutDuplicates) {
  Receiver rx;
  TestDir dir;
  SteadyClock clock;
  Target target{"acme", rx.url("/hook/a"), kSecret, {}};
  {
    Dispatcher d({target}, fast(dir), clock);
    d.onCommitted(events(1, 4));
    ASSERT_TRUE(eventually([&] { return d.stats().delivered == 4; }));
    rx.setFallback(503);
    d.onCommitted(events(5, 9));
    ASSERT_TRUE(eventually([&] { return d.stats().failedAttempts >= 1; }));
    EXPECT_EQ(d.stats().pending, 5u);
  }
  {
    Dispatcher d({target}, fast(dir), clock);
    EXPECT_EQ(d.stats().pending, 5u) << "resumed from disk";
    rx.setFallback(200);
    ASSERT_TRUE(eventually([&] { return d.stats().delivered == 5; }));
    d.onCommitted(events(10, 10));
    ASSERT_TRUE(eventually([&] { return d.stats().delivered == 6; }));
    EXPECT_EQ(d.stats().pending, 0u);
  }
  EXPECT_EQ(rx.acceptedIds(), range(1, 10)) << "each once, in order";
  for (const auto& file : spoolFiles(dir)) EXPECT_EQ(std::filesystem::file_size(file), 0u);
}

TEST(Dispatcher, OverTheSpoolCapTheOldestAreDroppedAndTheNewestDelivered) {
  Receiver rx;
  rx.setFallback(503);
  TestDir dir;
  SteadyClock clock;
  Options o = fast(dir);
  o.maxSpoolBytesPerTarget = 4096;  // about 35 events
  Dispatcher d({{"acme", rx.url("/hook/a"), kSecret, {}}}, o, clock);
  for (std::uint64_t id = 1; id <= 200; ++id) d.onCommitted(events(id, id));
  auto s = d.stats();
  EXPECT_EQ(s.spooled, 200u);
  EXPECT_GT(s.dropped, 100u);
  EXPECT_EQ(s.dropped + s.pending, 200u);
  auto files = spoolFiles(dir);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_LE(std::filesystem::file_size(files[0]), o.maxSpoolBytesPerTarget);

  // Let a batch read before the last drop come back (503) before the receiver recovers.
  std::uint64_t failed = s.failedAttempts;
  ASSERT_TRUE(eventually([&] { return d.stats().failedAttempts >= failed + 2; }));
  rx.setFallback(200);
  ASSERT_TRUE(eventually([&] { return d.stats().pending == 0; }));
  s = d.stats();
  EXPECT_EQ(s.delivered + s.dropped, 200u);
  EXPECT_EQ(rx.acceptedIds(), range(200 - s.delivered + 1, 200)) << "the newest, each once";
}

TEST(Dispatcher, AReceiverThatIsDownKeepsEveryEventOnDiskAndPending) {
  TestDir dir;
  SteadyClock clock;
  std::string url = "http://127.0.0.1:" + std::to_string(closedPort()) + "/hook";
  Dispatcher d({{"acme", url, kSecret, {}}}, fast(dir), clock);
  for (std::uint64_t first = 1; first <= 1000; first += 100) {
    d.onCommitted(events(first, first + 99));
  }
  ASSERT_TRUE(eventually([&] { return d.stats().failedAttempts >= 3; }));
  auto s = d.stats();
  EXPECT_EQ(s.spooled, 1000u);
  EXPECT_EQ(s.pending, 1000u);
  EXPECT_EQ(s.delivered, 0u);
  EXPECT_EQ(s.dropped, 0u);
  auto files = spoolFiles(dir);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(lineCount(files[0]), 1000u) << "on disk, not queued in memory";
}

TEST(Dispatcher, OneTargetsOutageDoesNotHoldUpAnother) {
  Receiver rx;
  TestDir dir;
  SteadyClock clock;
  std::string dead = "http://127.0.0.1:" + std::to_string(closedPort()) + "/hook";
  Dispatcher d({{"acme", dead, kSecret, {}}, {"acme", rx.url("/hook/live"), kSecret, {}}},
               fast(dir), clock);
  for (std::uint64_t id = 1; id <= 20; ++id) d.onCommitted(events(id, id));
  ASSERT_TRUE(eventually([&] { return d.stats().delivered == 20; }));
  EXPECT_EQ(rx.acceptedIds(), range(1, 20));
  auto s = d.stats();
  EXPECT_GE(s.failedAttempts, 1u);
  EXPECT_EQ(s.pending, 20u) << "all of them the dead target's";
}

TEST(Dispatcher, StopsPromptlyWhileTheReceiverHangsAndKeepsTheSpool) {
  Receiver rx;
  TestDir dir;
  SteadyClock clock;
  Options o = fast(dir);
  o.timeout = 300ms;
  Target target{"acme", rx.url("/hang"), kSecret, {}};
  auto d = std::make_unique<Dispatcher>(std::vector<Target>{target}, o, clock);
  d->onCommitted(events(1, 1));
  ASSERT_TRUE(rx.waitForHanging(1));
  auto start = std::chrono::steady_clock::now();
  d.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - start, o.timeout + 1000ms);
  auto spool = internal::Spool::open(dir.path(), internal::spoolName(target.tenant, target.url));
  ASSERT_TRUE(spool.ok());
  EXPECT_EQ(spool->pending(), 1u);
}

TEST(Dispatcher, StopsWithoutWaitingForARetry) {
  TestDir dir;
  SteadyClock clock;
  Options o = fast(dir);
  o.firstRetry = std::chrono::hours(1);
  o.maxRetry = std::chrono::hours(1);
  std::string url = "http://127.0.0.1:" + std::to_string(closedPort()) + "/hook";
  auto d = std::make_unique<Dispatcher>(std::vector<Target>{{"acme", url, kSecret, {}}}, o, clock);
  d->onCommitted(events(1, 1));
  ASSERT_TRUE(eventually([&] { return d->stats().failedAttempts == 1; }));
  auto start = std::chrono::steady_clock::now();
  d.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1000ms);
}

TEST(Dispatcher, AnUnusableSpoolDirectoryCountsEventsAsDropped) {
  TestDir dir;
  std::ofstream(dir.path() / "file") << "x";
  SteadyClock clock;
  Options o = fast(dir);
  o.spoolDir = (dir.path() / "file" / "spool").string();
  Dispatcher d({{"acme", "http://127.0.0.1:1/hook", kSecret, {}}}, o, clock);
  d.onCommitted(events(1, 3));
  auto s = d.stats();
  EXPECT_EQ(s.spooled, 3u);
  EXPECT_EQ(s.dropped, 3u);
  EXPECT_EQ(s.pending, 0u);
}

TEST(Dispatcher, LogsNameTheTargetButNeverItsSecretOrUrlPath) {
  auto out = std::make_shared<std::ostringstream>();
  auto previous = spdlog::default_logger();
  auto logger = std::make_shared<spdlog::logger>(
      "webhook-test", std::make_shared<spdlog::sinks::ostream_sink_mt>(*out));
  logger->set_level(spdlog::level::debug);
  spdlog::set_default_logger(logger);
  {
    Receiver rx;
    rx.script({500, 400});
    TestDir dir;
    SteadyClock clock;
    Dispatcher d({{"acme", rx.url("/hook/tok-PATHTOKEN?key=QUERYTOKEN"), kSecret, {}}}, fast(dir),
                 clock);
    d.onCommitted(events(1, 1));
    ASSERT_TRUE(eventually([&] { return d.stats().dropped == 1; }));
  }
  spdlog::set_default_logger(previous);
  std::string text = out->str();
  EXPECT_NE(text.find("acme/"), std::string::npos) << text;
  EXPECT_NE(text.find("HTTP 500"), std::string::npos) << text;
  EXPECT_NE(text.find("rejected (HTTP 400)"), std::string::npos) << text;
  EXPECT_EQ(text.find(kSecret), std::string::npos);
  EXPECT_EQ(text.find("PATHTOKEN"), std::string::npos);
  EXPECT_EQ(text.find("QUERYTOKEN"), std::string::npos);
}

}  // namespace
}  // namespace sb::webhook
