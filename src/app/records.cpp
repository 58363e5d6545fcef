#include "app/records.h"

#include <openssl/evp.h>

#include <array>
#include <cstdio>
#include <filesystem>

#include "base/log.h"
#include "report/cdr_builder.h"
#include "store/pg_store.h"
#include "store/sqlite_store.h"

namespace sb::app {
namespace {

/// report::CdrBuilder as the writer's projection; fills in recording files' size and digest.
class CdrProjection final : public store::Projection {
 public:
  explicit CdrProjection(std::unordered_map<std::string, report::Thresholds> thresholds)
      : thresholds_(std::move(thresholds)),
        builder_([this](std::string_view tenant) {
          auto it = thresholds_.find(std::string(tenant));
          return it == thresholds_.end() ? report::Thresholds{} : it->second;
        }) {}

  void apply(std::uint64_t run, std::span<const store::Event> events,
             store::Derived& out) override {
    std::size_t recordings = out.recordings.size();
    for (const auto& e : events) builder_.apply(run, e, out);
    describe(out, recordings);
  }

  void finish(std::int64_t timeMs, store::Derived& out) override {
    std::size_t recordings = out.recordings.size();
    builder_.interruptAll(timeMs, out);
    describe(out, recordings);
  }

 private:
  // The file is complete when its recording_stopped event is logged (the media loop closed
  // it); a file that cannot be read is indexed without size and digest, and logged.
  static void describe(store::Derived& out, std::size_t from) {
    for (std::size_t i = from; i < out.recordings.size(); ++i) {
      auto& r = out.recordings[i];
      auto d = fileDigest(r.path);
      if (!d) {
        spdlog::warn("records: recording {}: {}", r.path, d.error().message);
        continue;
      }
      r.bytes = d->first;
      r.sha256 = d->second;
    }
  }

  std::unordered_map<std::string, report::Thresholds> thresholds_;
  report::CdrBuilder builder_;
};

}  // namespace

store::ProjectionFactory cdrProjection(const Config& config) {
  std::unordered_map<std::string, report::Thresholds> thresholds;
  for (const auto& t : config.tenants) {
    thresholds[t.id] = report::Thresholds{
        static_cast<std::int64_t>(t.reporting.serviceLevelS) * 1000,
        static_cast<std::int64_t>(t.reporting.shortAbandonS) * 1000};
  }
  return [thresholds] { return std::make_unique<CdrProjection>(thresholds); };
}

Result<std::pair<std::int64_t, std::string>> fileDigest(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return fail(Errc::kIo, "cannot read " + path);
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    return fail(Errc::kIo, "sha256 unavailable");
  }
  std::array<unsigned char, 65536> buf;
  std::int64_t bytes = 0;
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), f.get())) > 0) {
    EVP_DigestUpdate(ctx.get(), buf.data(), n);
    bytes += static_cast<std::int64_t>(n);
  }
  if (std::ferror(f.get())) return fail(Errc::kIo, "error reading " + path);
  std::array<unsigned char, EVP_MAX_MD_SIZE> md;
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), md.data(), &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) {
    hex += kHex[md[i] >> 4];
    hex += kHex[md[i] & 15];
  }
  return std::make_pair(bytes, hex);
}

Result<std::unique_ptr<store::Store>> openStore(const StoreConfig& config) {
  if (!config.postgres.empty()) {
    auto db = store::PgStore::open({config.postgres});
    if (!db) return db.error();
    return std::unique_ptr<store::Store>(std::move(db).value());
  }
  auto db = store::SqliteStore::open({config.path, config.syncFull});
  if (!db) return db.error();
  return std::unique_ptr<store::Store>(std::move(db).value());
}

std::size_t expireRecordings(store::Store& db, const Config& config, std::int64_t nowMs) {
  std::size_t removed = 0;
  std::error_code ec;
  auto root = std::filesystem::weakly_canonical(config.media.recordingDir, ec).string() + "/";
  for (const auto& t : config.tenants) {
    if (t.recordingRetentionDays == 0) continue;
    std::int64_t before = nowMs - static_cast<std::int64_t>(t.recordingRetentionDays) * 86'400'000;
    auto gone = db.expireRecordings(t.id, before);
    if (!gone) {
      spdlog::warn("records: retention of {}: {}", t.id, gone.error().message);
      continue;
    }
    for (const auto& r : *gone) {
      auto file = std::filesystem::weakly_canonical(r.path, ec).string();
      if (!ec && file.rfind(root, 0) == 0) std::filesystem::remove(file, ec);
      ++removed;
    }
  }
  if (removed > 0) spdlog::info("records: retention removed {} recording(s)", removed);
  return removed;
}

struct StoreReader::Impl {
  std::unique_ptr<store::Store> db;  // used by the pool's one thread only
  BlockingPool pool{1};                    // destroyed first: jobs finish before db closes
};

Result<std::unique_ptr<StoreReader>> StoreReader::open(const StoreConfig& config) {
  auto db = openStore(config);
  if (!db) return db.error();
  auto impl = std::make_unique<Impl>();
  impl->db = std::move(db).value();
  return std::unique_ptr<StoreReader>(new StoreReader(std::move(impl)));
}

StoreReader::StoreReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

StoreReader::~StoreReader() = default;

void StoreReader::post(std::function<void(Repos&)> job) {
  impl_->pool.post([this, job = std::move(job)] { job(*impl_->db); });
}

}  // namespace sb::app
