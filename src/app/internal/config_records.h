#pragma once
// Parsers of the records and API parts of the configuration (config_records.cpp): a
// tenant's reporting thresholds, recording retention and webhooks; the node's API
// credentials. Throw config_yaml::ConfigError naming source:line, like the other parsers.

#include <string_view>

#include <yaml-cpp/yaml.h>

#include "app/config.h"

namespace sb::app {

/// A tenant's `reporting`, `recordings` and `webhooks` keys into `tc`.
void parseTenantRecords(std::string_view src, const YAML::Node& t, TenantConfig& tc);
/// The node's `api` section; tenants must be parsed first (credentials name them).
void parseApi(std::string_view src, const YAML::Node& a, Config& cfg);

}  // namespace sb::app
