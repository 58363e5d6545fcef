#include "flow/registry.h"

#include "flow/diff.h"

namespace sb::flow {

const FlowRegistry::Entry* FlowRegistry::find(std::string_view tenant,
                                              std::string_view name) const {
  auto it = flows_.find(Key{std::string(tenant), std::string(name)});
  return it == flows_.end() ? nullptr : &it->second;
}

Result<std::uint32_t> FlowRegistry::publish(std::string_view tenant, FlowDefinition definition,
                                            std::string sourceText, std::string author,
                                            std::int64_t unixMs, const ValidationContext& context) {
  if (tenant.empty()) return fail(Errc::kInvalidInput, "a flow needs a tenant");
  if (definition.name.empty()) return fail(Errc::kInvalidInput, "a flow needs a name");
  std::vector<Issue> issues = validate(definition, context);
  std::string errors;
  std::vector<Issue> warnings;
  for (auto& issue : issues) {
    if (issue.severity == Issue::Severity::kError) {
      errors += (errors.empty() ? "" : "\n") + issue.message;
    } else {
      warnings.push_back(std::move(issue));
    }
  }
  if (!errors.empty()) {
    return fail(Errc::kInvalidInput, "flow '" + definition.name + "' not published:\n" + errors);
  }
  Entry& entry = flows_[Key{std::string(tenant), definition.name}];
  std::string previous;
  if (!entry.versions.empty()) {
    if (entry.versions.back()->sourceText == sourceText) return entry.versions.back()->version;
    previous = entry.versions.back()->sourceText;
  }
  auto v = std::make_shared<FlowVersion>();
  v->tenant = std::string(tenant);
  v->version = static_cast<std::uint32_t>(entry.versions.size() + 1);
  std::string name = definition.name;
  v->definition = std::move(definition);
  v->sourceText = std::move(sourceText);
  v->author = author;
  v->unixMs = unixMs;
  v->warnings = std::move(warnings);
  std::string before = v->version == 1 ? "/dev/null" : name + " v" + std::to_string(v->version - 1);
  std::string diff =
      unifiedDiff(previous, v->sourceText, before, name + " v" + std::to_string(v->version));
  entry.records.push_back(PublishRecord{v->version, std::move(author), unixMs, std::move(diff)});
  entry.versions.push_back(v);
  return v->version;
}

Result<std::uint32_t> FlowRegistry::rollback(std::string_view tenant, std::string_view name,
                                             std::uint32_t n, std::string author,
                                             std::int64_t unixMs,
                                             const ValidationContext& context) {
  auto old = version(tenant, name, n);
  if (!old) {
    return fail(Errc::kNotFound,
                "flow '" + std::string(name) + "' has no version " + std::to_string(n));
  }
  return publish(tenant, old->definition, old->sourceText, std::move(author), unixMs, context);
}

std::shared_ptr<const FlowVersion> FlowRegistry::current(std::string_view tenant,
                                                         std::string_view name) const {
  const Entry* e = find(tenant, name);
  return e && !e->versions.empty() ? e->versions.back() : nullptr;
}

std::shared_ptr<const FlowVersion> FlowRegistry::version(std::string_view tenant,
                                                         std::string_view name,
                                                         std::uint32_t n) const {
  const Entry* e = find(tenant, name);
  if (!e || n == 0 || n > e->versions.size()) return nullptr;
  return e->versions[n - 1];
}

std::vector<PublishRecord> FlowRegistry::history(std::string_view tenant,
                                                 std::string_view name) const {
  const Entry* e = find(tenant, name);
  return e ? e->records : std::vector<PublishRecord>{};
}

std::vector<std::string> FlowRegistry::flowNames(std::string_view tenant) const {
  std::vector<std::string> out;
  for (auto it = flows_.lower_bound(Key{std::string(tenant), std::string()});
       it != flows_.end() && it->first.first == tenant; ++it) {
    out.push_back(it->first.second);
  }
  return out;
}

}  // namespace sb::flow
