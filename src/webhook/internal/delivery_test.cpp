#include "webhook/internal/delivery.h"

#include <gtest/gtest.h>

#include <set>

#include <nlohmann/json.hpp>

namespace sb::webhook::internal {
namespace {

using std::chrono::milliseconds;

store::StoredEvent event(std::uint64_t id, std::string body) {
  return store::StoredEvent{
      id, 7, store::Event{1700000000123, "acme", "call", "answered", std::move(body), 42}};
}

TEST(EventRecord, HasTheDocumentedFieldsInOrderWithTheBodyParsed) {
  Record r = eventRecord(event(5, R"({"queue":"sales","wait_ms":1200})"));
  EXPECT_EQ(r.id, 5u);
  EXPECT_EQ(r.line, R"({"id":5,"run":7,"time_ms":1700000000123,"tenant":"acme","source":"call",)"
                    R"("kind":"answered","call":42,"body":{"queue":"sales","wait_ms":1200}})");
  EXPECT_EQ(recordId(r.line), 5u);
}

TEST(EventRecord, ABodyThatIsNotJsonIsSentAsAStringAndBadUtf8IsReplaced) {
  Record r = eventRecord(event(1, "not json\n\xff"));
  EXPECT_NE(r.line.find(R"("body":"not json\n)"), std::string::npos) << r.line;
  EXPECT_NE(r.line.find("\xef\xbf\xbd"), std::string::npos) << "U+FFFD";
  EXPECT_EQ(r.line.find('\n'), std::string::npos) << "one line";
  EXPECT_TRUE(nlohmann::json::accept(r.line));
}

TEST(BatchBody, WrapsTheRecordsInAnEventsArray) {
  Batch b;
  EXPECT_EQ(batchBody(b), R"({"events":[]})");
  b.records = {R"({"id":1})", R"({"id":2})"};
  EXPECT_EQ(batchBody(b), R"({"events":[{"id":1},{"id":2}]})");
}

TEST(Signature, IsHmacSha256OfTimestampDotBody) {
  // Reference value from Python: hmac.new(secret, b'1700000000.{"events":[]}', sha256).
  EXPECT_EQ(signature("whsec-0123456789abcdef", 1700000000, R"({"events":[]})"),
            "sha256=08b7acdf8dee9adfe8cd59eeb2cf50f938fe1dc5286f7111c84acae5e8c25374");
  EXPECT_NE(signature("whsec-0123456789abcdef", 1700000001, R"({"events":[]})"),
            signature("whsec-0123456789abcdef", 1700000000, R"({"events":[]})"));
}

TEST(DeliveryRequest, IsASignedPostWithEventIdAndIdempotencyKey) {
  Target t{"acme", "https://hooks.example/x", "whsec-0123456789abcdef", {}};
  Batch b;
  b.records = {R"({"id":11})", R"({"id":12})"};
  b.firstId = 11;
  b.lastId = 12;
  api::ClientRequest r = deliveryRequest(t, b, 1700000000, milliseconds(1234));
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, t.url);
  EXPECT_EQ(r.timeout, milliseconds(1234));
  EXPECT_EQ(r.body, batchBody(b));
  std::vector<std::pair<std::string, std::string>> want = {
      {"Content-Type", "application/json"},
      {"X-Switchboard-Event-Id", "12"},
      {"Idempotency-Key", "acme:11-12"},
      {"X-Switchboard-Timestamp", "1700000000"},
      {"X-Switchboard-Signature", signature(t.secret, 1700000000, r.body)},
  };
  EXPECT_EQ(r.headers, want);
  EXPECT_EQ(idempotencyKey("acme", 3, 3), "acme:3-3");
}

TEST(Classify, TwoXxDeliversRetryableAnswersRetryOtherAnswersReject) {
  auto answer = [](int status) {
    return classify(Result<api::ClientResponse>(api::ClientResponse{status, {}, ""}));
  };
  EXPECT_EQ(answer(200), Outcome::kDelivered);
  EXPECT_EQ(answer(204), Outcome::kDelivered);
  for (int s : {408, 429, 500, 502, 503, 504}) EXPECT_EQ(answer(s), Outcome::kRetry) << s;
  for (int s : {301, 400, 401, 403, 404, 410, 413, 422}) {
    EXPECT_EQ(answer(s), Outcome::kRejected) << s;
  }
  EXPECT_EQ(classify(Result<api::ClientResponse>(fail(Errc::kIo, "timed out"))), Outcome::kRetry);
  EXPECT_EQ(classify(Result<api::ClientResponse>(fail(Errc::kInvalidInput, "bad header"))),
            Outcome::kRejected);
}

TEST(Backoff, DoublesWithJitterUpToTheMaximumAndResets) {
  Backoff b(milliseconds(100), milliseconds(1000), 1);
  for (long nominal : {100, 200, 400, 800, 1000, 1000}) {
    Duration d = b.next();
    EXPECT_GE(d, milliseconds(nominal / 2)) << nominal;
    EXPECT_LE(d, milliseconds(nominal)) << nominal;
  }
  b.reset();
  EXPECT_LE(b.next(), milliseconds(100));
}

TEST(Backoff, IsDeterministicPerSeedAndJittered) {
  Backoff a(milliseconds(1000), milliseconds(1000), 9),
      same(milliseconds(1000), milliseconds(1000), 9);
  std::set<Duration::rep> seen;
  for (int i = 0; i < 20; ++i) {
    Duration d = a.next();
    EXPECT_EQ(d, same.next());
    seen.insert(d.count());
  }
  EXPECT_GT(seen.size(), 10u) << "waits vary";
}

TEST(SpoolName, IsAHashOfTenantAndUrlNeverTheirText) {
  // Reference: hashlib.sha256(b"acme\0https://hooks.example/x").hexdigest()[:32]
  EXPECT_EQ(spoolName("acme", "https://hooks.example/x"), "ca554ce8737f6b05a0b60ce1abed4fe7");
  EXPECT_NE(spoolName("acme", "https://hooks.example/y"),
            spoolName("acme", "https://hooks.example/x"));
  EXPECT_NE(spoolName("acm", "ehttps://h/"), spoolName("acme", "https://h/"));
  EXPECT_EQ(spoolName("../../etc", "x").find('/'), std::string::npos);
}

TEST(RedactedUrl, KeepsSchemeAndAuthorityOnly) {
  EXPECT_EQ(redactedUrl("https://hooks.example:8443/T0/B1/secret-token?x=1"),
            "https://hooks.example:8443");
  EXPECT_EQ(redactedUrl("http://user:pw@host/p"), "http://host");
  EXPECT_EQ(redactedUrl("http://host?k=v"), "http://host");
  EXPECT_EQ(redactedUrl("nonsense"), "(unparsable url)");
}

}  // namespace
}  // namespace sb::webhook::internal
