#pragma once
// The records side of a node (W1): the projection that turns the event log into CDRs, agent
// intervals and the recordings index on the store writer's thread (report::CdrBuilder plus
// each recording file's size and SHA-256), and the store reader — one thread with its own
// connection where the API's queries run, so neither the control loop nor the api loop ever
// waits on the database.

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "app/config.h"
#include "base/blocking_pool.h"
#include "base/result.h"
#include "store/event_store.h"
#include "store/projection.h"

namespace sb::app {

/// A factory of projections classifying CDRs with each tenant's thresholds in `config`.
store::ProjectionFactory cdrProjection(const Config& config);

/// Opens the configured store: PostgreSQL when `postgres` is set, else the SQLite file.
Result<std::unique_ptr<store::Store>> openStore(const StoreConfig& config);

/// Size and hex SHA-256 of a file; kIo when it cannot be read.
Result<std::pair<std::int64_t, std::string>> fileDigest(const std::string& path);

/// Retention (per tenant `recordings.retention_days`): removes the index entries of
/// recordings older than the tenant keeps and deletes their files, but only files under
/// `media.recordingDir`. Returns how many were removed. Store reader thread.
std::size_t expireRecordings(store::Store& db, const Config& config, std::int64_t nowMs);

/// Runs store queries on its own thread with its own connection. post() from any thread.
class StoreReader {
 public:
  /// Both repositories of one open connection.
  using Repos = store::Store;
  /// Opens a reading connection on `config.store` (kIo, kConflict as the store's open).
  static Result<std::unique_ptr<StoreReader>> open(const StoreConfig& config);
  ~StoreReader();
  /// Runs `job` on the reader thread with the repositories; jobs run one at a time, in order.
  void post(std::function<void(Repos&)> job);

 private:
  struct Impl;
  explicit StoreReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sb::app
