#include "app/directory.h"

#include <algorithm>

namespace sb::app {
namespace {

std::string lowerCase(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string extensionKey(std::size_t tenant, std::string_view user) {
  return std::to_string(tenant) + "\n" + std::string(user);
}

}  // namespace

Directory::Directory(const Config& config) : tenants_(config.tenants) {
  for (std::size_t t = 0; t < tenants_.size(); ++t) {
    for (const auto& d : tenants_[t].domains) byDomain_[lowerCase(d)] = t;
    for (std::size_t n = 0; n < tenants_[t].numbers.size(); ++n) {
      byNumber_[tenants_[t].numbers[n].number] = {t, n};
    }
    for (std::size_t e = 0; e < tenants_[t].extensions.size(); ++e) {
      extensions_[extensionKey(t, tenants_[t].extensions[e].user)] = e;
    }
  }
}

const TenantConfig* Directory::tenantByDomain(std::string_view domain) const {
  auto it = byDomain_.find(lowerCase(domain));
  return it == byDomain_.end() ? nullptr : &tenants_[it->second];
}

std::optional<std::pair<const TenantConfig*, const NumberConfig*>> Directory::number(
    std::string_view number) const {
  auto it = byNumber_.find(std::string(number));
  if (it == byNumber_.end()) return std::nullopt;
  const TenantConfig& t = tenants_[it->second.first];
  return std::make_pair(&t, &t.numbers[it->second.second]);
}

const Extension* Directory::extension(const TenantConfig& tenant, std::string_view user) const {
  auto index = static_cast<std::size_t>(&tenant - tenants_.data());
  if (index >= tenants_.size()) return nullptr;
  auto it = extensions_.find(extensionKey(index, user));
  return it == extensions_.end() ? nullptr : &tenant.extensions[it->second];
}

}  // namespace sb::app
