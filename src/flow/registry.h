#pragma once
// Published flows per (tenant, flow name), every version kept (F2). A running call holds the
// shared_ptr of the version it started with, so a publish never changes a call in progress.
// Tenants are part of every key; nothing here reaches another tenant's flows (H1).
// Control loop only (not thread-safe); versions themselves are immutable and shareable.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "flow/flow.h"

namespace sb::flow {

/// One published, immutable version of a flow.
struct FlowVersion {
  std::string tenant;           ///< owning tenant
  std::uint32_t version = 0;    ///< 1, 2, ... per (tenant, flow name)
  FlowDefinition definition;    ///< parsed, validated flow
  std::string sourceText;       ///< the YAML/JSON as the admin wrote it
  std::string author;           ///< who published
  std::int64_t unixMs = 0;      ///< publish time, ms since the Unix epoch
  std::vector<Issue> warnings;  ///< validation warnings accepted at publish
};

/// One entry of a flow's change history (a billable "flow change", H2).
struct PublishRecord {
  std::uint32_t version = 0;  ///< the version this publish created
  std::string author;         ///< who published
  std::int64_t unixMs = 0;    ///< when, ms since the Unix epoch
  std::string diff;           ///< unified diff of the source against the previous version
};

/// Versions of every flow of every tenant, in memory (the app persists PublishRecords).
class FlowRegistry {
 public:
  /// Validates and stores `definition` as the next version of (tenant, definition.name).
  /// kInvalidInput (message: every error, one per line) when validation finds errors or the
  /// tenant or name is empty. Publishing the same source text as the current version is not a
  /// change: it returns the current version number and records nothing.
  Result<std::uint32_t> publish(std::string_view tenant, FlowDefinition definition,
                                std::string sourceText, std::string author, std::int64_t unixMs,
                                const ValidationContext& context);
  /// Publishes version `n`'s source again as a new version (a rollback is a change too).
  /// kNotFound for an unknown version; kInvalidInput when it no longer validates.
  Result<std::uint32_t> rollback(std::string_view tenant, std::string_view name, std::uint32_t n,
                                 std::string author, std::int64_t unixMs,
                                 const ValidationContext& context);
  /// The newest version, or nullptr.
  std::shared_ptr<const FlowVersion> current(std::string_view tenant, std::string_view name) const;
  /// Version `n`, or nullptr.
  std::shared_ptr<const FlowVersion> version(std::string_view tenant, std::string_view name,
                                             std::uint32_t n) const;
  /// Every publish of the flow, oldest first; empty when unknown.
  std::vector<PublishRecord> history(std::string_view tenant, std::string_view name) const;
  /// Names of the tenant's flows, sorted.
  std::vector<std::string> flowNames(std::string_view tenant) const;

 private:
  struct Entry {
    std::vector<std::shared_ptr<const FlowVersion>> versions;
    std::vector<PublishRecord> records;
  };
  using Key = std::pair<std::string, std::string>;  // (tenant, flow name)
  const Entry* find(std::string_view tenant, std::string_view name) const;

  std::map<Key, Entry, std::less<>> flows_;
};

}  // namespace sb::flow
