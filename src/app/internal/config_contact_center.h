#pragma once
// The contact-center sections of a tenant (agents, queues, flows, lists, customers), parsed
// by config_contact_center.cpp for config.cpp. Throw config_yaml::ConfigError.

#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "app/config.h"

namespace sb::app {

/// Parses the tenant's contact-center keys of `t` into `tc` (extensions and numbers parsed).
void parseContactCenter(std::string_view src, const YAML::Node& t, TenantConfig& tc,
                        const std::vector<TrunkConfig>& trunks, const std::string& baseDir);
/// Checks every "tenant/queue" reference of a shared seat against the other tenant.
void checkSharedSeats(std::string_view src, const std::vector<TenantConfig>& tenants);

}  // namespace sb::app
