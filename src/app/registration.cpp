#include "app/registration.h"

#include "base/log.h"

namespace sb::app {

Registration::Registration(sip::UserAgent& ua, const Directory& directory,
                           sip::Registrar& registrar, sip::DigestServer& digest,
                           sip::AuthGuard& guard)
    : ua_(ua), directory_(directory), registrar_(registrar), digest_(digest), guard_(guard) {}

std::string Registration::aorKey(std::string_view tenantId, std::string_view user) {
  std::string k(tenantId);
  k.append("/").append(user);
  return k;
}

void Registration::authFailed(sip::TxnId txn, const sip::Message& request,
                              const TenantConfig& tenant, std::string_view user,
                              std::string_view reason) {
  ++stats_.authFailures;
  std::string source = request.source().remote.toString();
  std::string ip = request.source().remote.ip();
  log::securityEvent("sip_auth_failure", {{"source", source},
                                          {"tenant", tenant.id},
                                          {"user", user},
                                          {"method", "REGISTER"},
                                          {"reason", reason}});
  if (guard_.recordFailure(ip)) {
    ++stats_.bans;
    log::securityEvent("sip_source_banned", {{"source", ip}, {"tenant", tenant.id}});
  }
  // The same answer whatever failed, so a scanner learns nothing about which users exist.
  (void)ua_.respond(txn, 403);
}

void Registration::onRegister(sip::TxnId txn, const sip::Message& request) {
  const sip::Uri& to = request.to().uri;
  const TenantConfig* tenant = directory_.tenantByDomain(to.host);
  if (tenant == nullptr) tenant = directory_.tenantByDomain(request.requestUri().host);
  if (tenant == nullptr) {
    (void)ua_.respond(txn, 404, {}, {}, "Domain Not Served");
    return;
  }
  std::string user = sip::unescape(to.user);
  const std::string& realm = tenant->domains.front();
  std::string_view authorization = request.header(sip::HeaderId::kAuthorization);
  if (authorization.empty()) {
    ++stats_.challenged;
    sip::HeaderList headers;
    for (auto& c : digest_.challenges(realm, false)) headers.emplace_back("WWW-Authenticate", c);
    (void)ua_.respond(txn, 401, headers);
    return;
  }
  auto verdict = digest_.verify(authorization, "REGISTER", realm,
                                [&](std::string_view name) -> std::optional<std::string> {
                                  const Extension* e = directory_.extension(*tenant, name);
                                  if (e == nullptr) return std::nullopt;
                                  return e->password;
                                });
  using Kind = sip::DigestServer::Verdict::Kind;
  if (verdict.kind == Kind::kStale) {
    ++stats_.challenged;
    sip::HeaderList headers;
    for (auto& c : digest_.challenges(realm, true)) headers.emplace_back("WWW-Authenticate", c);
    (void)ua_.respond(txn, 401, headers);
    return;
  }
  if (verdict.kind != Kind::kOk) {
    authFailed(txn, request, *tenant, verdict.username.empty() ? user : verdict.username,
               verdict.reason);
    return;
  }
  if (verdict.username != user) {
    // Valid credentials for one extension must not register another one's address.
    authFailed(txn, request, *tenant, verdict.username, "user_mismatch");
    return;
  }
  guard_.recordSuccess(request.source().remote.ip());
  ++stats_.accepted;
  sip::RegisterOutcome out = registrar_.apply(aorKey(tenant->id, user), request);
  (void)ua_.respond(txn, out.status, out.headers, {}, out.reason);
}

}  // namespace sb::app
