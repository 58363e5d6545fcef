#pragma once
// Registrar (RFC 3261 §10.3): bindings of an address-of-record to contacts with expiry, and the
// lookup used to route calls to registered agents. Authentication and tenant resolution happen
// before `apply` (the caller passes the AOR it authenticated). Pure logic on an injected clock;
// control loop only.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/clock.h"
#include "sip/message.h"
#include "sip/transport.h"
#include "sip/writer.h"

namespace sb::sip {

/// One registered contact of an AOR.
struct Binding {
  std::string contact;     ///< the Contact URI, "sip:1001@192.0.2.4:5062;transport=tcp"
  std::string callId;      ///< of the REGISTER that created/refreshed it (§10.3 step 7)
  std::uint32_t cseq = 0;
  TimePoint expires{};
  int q1000 = 1000;        ///< q-value times 1000 (preference, higher first)
  Destination flow;        ///< where the REGISTER came from: how to reach a phone behind NAT
  std::string userAgent;
  TimePoint updated{};
};

/// Limits and defaults (seconds as RFC 3261 uses them).
struct RegistrarConfig {
  std::uint32_t minExpires = 60;
  std::uint32_t maxExpires = 3600;
  std::uint32_t defaultExpires = 3600;
  std::size_t maxBindingsPerAor = 10;
  std::size_t maxAors = 200000;
};

/// The registrar's answer to one REGISTER.
struct RegisterOutcome {
  int status = 200;
  std::string reason;
  HeaderList headers;  ///< Contact lines with expires (200), Min-Expires (423)
};

/// Binding store with the §10.3 rules.
class Registrar {
 public:
  Registrar(const Clock& clock, RegistrarConfig config = {});

  /// Applies REGISTER `reg` to `aor` (a canonical "user@domain" key chosen by the caller).
  RegisterOutcome apply(std::string_view aor, const Message& reg);
  /// Unexpired bindings of `aor`, highest q first, then most recently refreshed.
  std::vector<Binding> lookup(std::string_view aor) const;
  /// Drops expired bindings everywhere; returns how many. Call periodically.
  std::size_t purgeExpired();
  std::size_t aorCount() const { return aors_.size(); }
  std::size_t bindingCount() const;

 private:
  const Clock& clock_;
  RegistrarConfig config_;
  std::unordered_map<std::string, std::vector<Binding>> aors_;
};

}  // namespace sb::sip
