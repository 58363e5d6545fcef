#pragma once
// Where a party of a tenant can be called: an extension at its registered contact, an
// external number out a trunk. Used by the number apps, the contact center (agent offers,
// transfers, callbacks) and REFER transfers. Control loop (reads the registrar).

#include <string>
#include <vector>

#include "app/config.h"
#include "base/result.h"
#include "call/call_manager.h"
#include "call/types.h"
#include "sip/registrar.h"

namespace sb::app {

/// Resolves call targets to OriginateSpecs.
class Dialplan {
 public:
  Dialplan(const sip::Registrar& registrar, std::vector<TrunkConfig> trunks);

  /// Extension `user` of `tenant` at its registered contact (highest q). kNotFound when it is
  /// not registered.
  Result<call::OriginateSpec> locate(const std::string& tenant, const std::string& user) const;
  /// True when a REGISTER of extension `user` of `tenant` came from `source` (a feature code
  /// dialled from that phone is trusted to be the agent's).
  bool registeredFrom(const std::string& tenant, const std::string& user,
                      const Endpoint& source) const;
  /// External `number` out trunk `trunk`, with the trunk's credentials. kNotFound for an
  /// unknown trunk.
  Result<call::OriginateSpec> dialOut(const std::string& tenant, const std::string& trunk,
                                      const std::string& number) const;

 private:
  const sip::Registrar& registrar_;
  std::vector<TrunkConfig> trunks_;
};

/// A phone on `leg` sent REFER to extension `target`: the party bridged to it is transferred
/// there (blind). Failures (unknown target, nothing bridged) are logged; the REFER was already
/// accepted with 202.
void transferOnRefer(call::CallManager& calls, const Dialplan& dialplan, call::LegId leg,
                     const std::string& target);

}  // namespace sb::app
