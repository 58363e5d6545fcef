#include "webhook/internal/delivery.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>

#include <nlohmann/json.hpp>

namespace sb::webhook::internal {
namespace {

std::string hex(const unsigned char* data, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 0xf];
  }
  return out;
}

}  // namespace

Record eventRecord(const store::StoredEvent& event) {
  using Json = nlohmann::ordered_json;  // keys in the documented order, `id` first (spool.h)
  Json record;
  record["id"] = event.id;
  record["run"] = event.run;
  record["time_ms"] = event.event.timeMs;
  record["tenant"] = event.event.tenant;
  record["source"] = event.event.source;
  record["kind"] = event.event.kind;
  record["call"] = event.event.call;
  Json body = Json::parse(event.event.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    record["body"] = event.event.body;
  } else {
    record["body"] = std::move(body);
  }
  return Record{event.id, record.dump(-1, ' ', false, Json::error_handler_t::replace)};
}

std::string batchBody(const Batch& batch) {
  std::size_t size = 13 + batch.records.size();
  for (const std::string& r : batch.records) size += r.size();
  std::string body;
  body.reserve(size);
  body += "{\"events\":[";
  for (std::size_t i = 0; i < batch.records.size(); ++i) {
    if (i > 0) body += ',';
    body += batch.records[i];
  }
  body += "]}";
  return body;
}

std::string signature(std::string_view secret, std::int64_t unixSeconds, std::string_view body) {
  std::string signed_ = std::to_string(unixSeconds);
  signed_ += '.';
  signed_ += body;
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(signed_.data()), signed_.size(), mac.data(), &length);
  return "sha256=" + hex(mac.data(), length);
}

std::string idempotencyKey(std::string_view tenant, std::uint64_t firstId, std::uint64_t lastId) {
  return std::string(tenant) + ":" + std::to_string(firstId) + "-" + std::to_string(lastId);
}

api::ClientRequest deliveryRequest(const Target& target, const Batch& batch,
                                   std::int64_t unixSeconds, std::chrono::milliseconds timeout) {
  api::ClientRequest request;
  request.method = "POST";
  request.url = target.url;
  request.body = batchBody(batch);
  request.timeout = timeout;
  request.headers = {
      {"Content-Type", "application/json"},
      {"X-Switchboard-Event-Id", std::to_string(batch.lastId)},
      {"Idempotency-Key", idempotencyKey(target.tenant, batch.firstId, batch.lastId)},
      {"X-Switchboard-Timestamp", std::to_string(unixSeconds)},
      {"X-Switchboard-Signature", signature(target.secret, unixSeconds, request.body)},
  };
  return request;
}

Outcome classify(const Result<api::ClientResponse>& result) {
  if (!result) {
    return result.error().code == Errc::kInvalidInput ? Outcome::kRejected : Outcome::kRetry;
  }
  int status = result->status;
  if (status >= 200 && status < 300) return Outcome::kDelivered;
  if (status == 408 || status == 429 || status >= 500) return Outcome::kRetry;
  return Outcome::kRejected;
}

Backoff::Backoff(Duration first, Duration max, std::uint64_t seed)
    : first_(std::min(first, max)), max_(max), nominal_(first_), rng_(seed) {}

Duration Backoff::next() {
  Duration wait = nominal_;
  nominal_ = nominal_ > max_ / 2 ? max_ : nominal_ * 2;
  std::uniform_int_distribution<Duration::rep> jitter(wait.count() / 2, wait.count());
  return Duration(jitter(rng_));
}

std::string spoolName(std::string_view tenant, std::string_view url) {
  std::string key(tenant);
  key += '\0';
  key += url;
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int length = 0;
  EVP_Digest(key.data(), key.size(), md.data(), &length, EVP_sha256(), nullptr);
  return hex(md.data(), std::min<std::size_t>(length, 16));
}

std::string redactedUrl(std::string_view url) {
  auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return "(unparsable url)";
  std::string_view rest = url.substr(scheme + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (auto at = rest.rfind('@'); at != std::string_view::npos) rest.remove_prefix(at + 1);
  return std::string(url.substr(0, scheme)) + "://" + std::string(rest);
}

}  // namespace sb::webhook::internal
