#include "app/dialplan.h"

#include "app/registration.h"
#include "base/log.h"
#include "sip/uri.h"

namespace sb::app {

Dialplan::Dialplan(const sip::Registrar& registrar, std::vector<TrunkConfig> trunks)
    : registrar_(registrar), trunks_(std::move(trunks)) {}

Result<call::OriginateSpec> Dialplan::locate(const std::string& tenant,
                                             const std::string& user) const {
  auto bindings = registrar_.lookup(Registration::aorKey(tenant, user));
  if (bindings.empty()) return fail(Errc::kNotFound, "extension " + user + " is not registered");
  const sip::Binding* best = &bindings.front();
  for (const auto& b : bindings) {
    if (b.q1000 > best->q1000) best = &b;
  }
  call::OriginateSpec spec;
  spec.tenant = tenant;
  spec.requestUri = best->contact;
  spec.destination = best->flow;
  // Over UDP a phone may REGISTER from one port and listen on its Contact port; when the
  // Contact names the address the REGISTER came from, there is no NAT in between and the
  // Contact is where it listens. Otherwise (NAT, or a stream the phone opened) the flow wins.
  auto uri = sip::parseUri(best->contact);
  if (uri && best->flow.transport == sip::Transport::kUdp && uri->port != 0) {
    auto contact = Endpoint::parse(uri->host, uri->port);
    if (contact && contact->ip() == best->flow.remote.ip()) spec.destination.remote = *contact;
  }
  return spec;
}

bool Dialplan::registeredFrom(const std::string& tenant, const std::string& user,
                              const Endpoint& source) const {
  for (const auto& b : registrar_.lookup(Registration::aorKey(tenant, user))) {
    if (b.flow.remote == source) return true;
    auto uri = sip::parseUri(b.contact);
    if (!uri || uri->port == 0) continue;
    auto contact = Endpoint::parse(uri->host, uri->port);
    if (contact && *contact == source) return true;
  }
  return false;
}

void transferOnRefer(call::CallManager& calls, const Dialplan& dialplan, call::LegId leg,
                     const std::string& target) {
  auto owner = calls.callOf(leg);
  if (!owner) return;
  auto spec = dialplan.locate(owner->first, target);
  if (!spec) {
    spdlog::info("call: REFER from leg {} to {}: {}", leg, target, spec.error().message);
    return;
  }
  if (auto r = calls.transfer(leg, *spec); !r) {
    spdlog::info("call: REFER from leg {} to {}: {}", leg, target, r.error().message);
  }
}

Result<call::OriginateSpec> Dialplan::dialOut(const std::string& tenant, const std::string& trunk,
                                              const std::string& number) const {
  for (const auto& t : trunks_) {
    if (t.name != trunk) continue;
    call::OriginateSpec spec;
    spec.tenant = tenant;
    spec.trunk = t.name;
    std::string host = t.address.find(':') != std::string::npos ? "[" + t.address + "]" : t.address;
    spec.requestUri = "sip:" + number + "@" + host + ":" + std::to_string(t.port);
    spec.destination.transport = t.transport;
    spec.destination.remote = *Endpoint::parse(t.address, t.port);  // checked by the config
    if (!t.username.empty()) spec.credentials = sip::ClientCredentials{t.username, t.password};
    return spec;
  }
  return fail(Errc::kNotFound, "no trunk named " + trunk);
}

}  // namespace sb::app
