#pragma once
// REGISTER handling for agent phones: tenant from the request domain, digest authentication
// (challenge, verify, identical answer for unknown user and wrong password), source bans after
// repeated failures, structured security events, then the registrar. Control loop only.

#include <string>

#include "app/directory.h"
#include "sip/auth_guard.h"
#include "sip/digest.h"
#include "sip/registrar.h"
#include "sip/user_agent.h"

namespace sb::app {

/// Counters, read on the control loop.
struct RegistrationStats {
  std::uint64_t challenged = 0;
  std::uint64_t accepted = 0;
  std::uint64_t authFailures = 0;
  std::uint64_t bans = 0;
};

/// Answers REGISTER requests through the UA.
class Registration {
 public:
  Registration(sip::UserAgent& ua, const Directory& directory, sip::Registrar& registrar,
               sip::DigestServer& digest, sip::AuthGuard& guard);
  /// Handles REGISTER on server transaction `txn`.
  void onRegister(sip::TxnId txn, const sip::Message& request);
  /// The registrar key of an extension: "tenant/user".
  static std::string aorKey(std::string_view tenantId, std::string_view user);
  const RegistrationStats& stats() const { return stats_; }

 private:
  void authFailed(sip::TxnId txn, const sip::Message& request, const TenantConfig& tenant,
                  std::string_view user, std::string_view reason);

  sip::UserAgent& ua_;
  const Directory& directory_;
  sip::Registrar& registrar_;
  sip::DigestServer& digest_;
  sip::AuthGuard& guard_;
  RegistrationStats stats_;
};

}  // namespace sb::app
