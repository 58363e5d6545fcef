#pragma once
// The wire side of a webhook (README.md "Delivery"): an event's JSON record, a batch's request
// with its signature and idempotency key, how an answer is judged, and the retry backoff.
// Pure functions and values; any thread.

#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>

#include "api/http_client.h"
#include "base/clock.h"
#include "base/result.h"
#include "store/event.h"
#include "webhook/dispatcher.h"
#include "webhook/internal/spool.h"

namespace sb::webhook::internal {

/// An event as spooled and sent, on one line: `{"id","run","time_ms","tenant","source","kind",
/// "call","body"}` in that order, `body` parsed (a body that is not JSON is sent as a string;
/// invalid UTF-8 becomes U+FFFD).
Record eventRecord(const store::StoredEvent& event);
/// The request body of a batch: `{"events":[record,...]}`.
std::string batchBody(const Batch& batch);
/// `sha256=` and the lowercase hex HMAC-SHA256 of `<unixSeconds>.<body>` keyed by `secret`.
std::string signature(std::string_view secret, std::int64_t unixSeconds, std::string_view body);
/// `<tenant>:<firstId>-<lastId>`: a batch keeps its key across retries.
std::string idempotencyKey(std::string_view tenant, std::uint64_t firstId, std::uint64_t lastId);
/// The signed POST of `batch` to `target`, sent at `unixSeconds`.
api::ClientRequest deliveryRequest(const Target& target, const Batch& batch,
                                   std::int64_t unixSeconds, std::chrono::milliseconds timeout);

/// How an attempt ended.
enum class Outcome {
  kDelivered,  ///< 2xx
  kRetry,      ///< 408, 429, 5xx, or no answer (connect, TLS, timeout, malformed answer)
  kRejected,   ///< any other answer (4xx, 1xx, 3xx: redirects are not followed) or a request
               ///< httpFetch refuses to send: retrying cannot help
};
/// Judges an httpFetch result.
Outcome classify(const Result<api::ClientResponse>& result);

/// A target's retry waits: first, 2 x first, ... capped at max; each wait drawn uniformly from
/// [nominal / 2, nominal] so receivers coming back are not hit by every node at once. Seeded:
/// deterministic for a given seed.
class Backoff {
 public:
  Backoff(Duration first, Duration max, std::uint64_t seed);
  /// The wait after a failed attempt; the nominal wait then doubles (up to max).
  Duration next();
  /// After a success: the next failure waits about `first` again.
  void reset() { nominal_ = first_; }

 private:
  Duration first_;
  Duration max_;
  Duration nominal_;
  std::mt19937_64 rng_;
};

/// A target's file name stem: the first 16 bytes of SHA-256(tenant, NUL, url) as hex. Never
/// contains the input's text.
std::string spoolName(std::string_view tenant, std::string_view url);
/// `scheme://host[:port]` of a URL for logs: paths and queries may carry tokens.
std::string redactedUrl(std::string_view url);

}  // namespace sb::webhook::internal
