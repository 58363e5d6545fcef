#pragma once
// SIP/SIPS URI (RFC 3261 §19.1) and the lexical helpers shared by the message parser.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace sb::sip {

/// A parsed URI; every field is a view into the text it was parsed from. Non-SIP absolute URIs
/// (tel:, urn:, http:) keep only `scheme` and `raw`.
struct Uri {
  std::string_view scheme;    ///< "sip", "sips", ... lower or upper as written
  std::string_view user;      ///< escaped form as written; "" when absent
  std::string_view password;  ///< "" when absent
  std::string_view host;      ///< IPv6 references without brackets
  std::uint16_t port = 0;     ///< 0 when absent
  std::string_view params;    ///< uri-parameters without the leading ';'
  std::string_view headers;   ///< after '?'
  std::string_view raw;       ///< the whole URI text
  bool ipv6 = false;
  /// True for sip: and sips: URIs.
  bool isSip() const;
  /// A uri-parameter by name (case-insensitive); "" for a flag; nullopt when absent.
  std::optional<std::string_view> param(std::string_view name) const;
};

/// Parses a URI. SIP/SIPS URIs are checked against the RFC 3261 grammar (host syntax, port
/// range, escapes); other schemes need only a valid scheme.
Result<Uri> parseUri(std::string_view text);

/// Looks up `name` in a ';'-separated parameter list (no leading ';'), case-insensitively;
/// the value is trimmed, quotes kept. ';' inside a quoted value does not split.
std::optional<std::string_view> findParam(std::string_view params, std::string_view name);

/// Length of the first item of a ';'-separated parameter list: up to the first ';' outside a
/// quoted string, or the whole text when there is none.
std::size_t firstParamLength(std::string_view params);

/// True for an IPv6 address in RFC 4291 text form (no brackets, IPv4 tail allowed).
bool isIpv6Address(std::string_view text);

/// True for a host name or IPv4 address as allowed in a SIP host (RFC 3261 §25.1; letters,
/// digits, '-' and '.', leniently).
bool isHostName(std::string_view text);

/// Decodes %HH escapes; invalid escapes are kept as written.
std::string unescape(std::string_view text);

/// ASCII case-insensitive equality.
bool iequals(std::string_view a, std::string_view b);

/// Strips SP / HTAB (and CR/LF left from folding) at both ends.
std::string_view trim(std::string_view s);

/// Parses a decimal number that fits `max`; nullopt for empty, non-digits or overflow.
std::optional<std::uint32_t> parseNumber(std::string_view s, std::uint32_t max = 0xffffffffu);

}  // namespace sb::sip
