#pragma once
// Lookup tables built once from the configuration: SIP domain -> tenant, number (DID) ->
// tenant, and a tenant's extensions. Every lookup that starts from a request goes through the
// tenant first, so one tenant's extension can never match another tenant's domain.

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "app/config.h"

namespace sb::app {

/// Read-only after construction; any thread.
class Directory {
 public:
  explicit Directory(const Config& config);
  /// Tenant owning SIP domain `domain` (case-insensitive), or nullptr.
  const TenantConfig* tenantByDomain(std::string_view domain) const;
  /// Number entry and its tenant, or nullopt.
  std::optional<std::pair<const TenantConfig*, const NumberConfig*>> number(
      std::string_view number) const;
  /// Extension `user` of `tenant`, or nullptr.
  const Extension* extension(const TenantConfig& tenant, std::string_view user) const;

 private:
  std::vector<TenantConfig> tenants_;
  std::unordered_map<std::string, std::size_t> byDomain_;
  std::unordered_map<std::string, std::pair<std::size_t, std::size_t>> byNumber_;
  std::unordered_map<std::string, std::size_t> extensions_;  // "tenantIndex\nuser" -> index
};

}  // namespace sb::app
