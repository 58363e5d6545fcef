#pragma once
// SIP/SIPS URI (RFC 3261 §19.1) and the lexical helpers shared by the message parser.

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

/// Looks up `name` in a ';'-separated parameter list (no leading ';'), case-insensitively.
std::optional<std::string_view> findParam(std::string_view params, std::string_view name);

/// Decodes %HH escapes; invalid escapes are kept as written.
std::string unescape(std::string_view text);

/// ASCII case-insensitive equality.
bool iequals(std::string_view a, std::string_view b);

/// Strips SP / HTAB (and CR/LF left from folding) at both ends.
std::string_view trim(std::string_view s);

/// Parses a decimal number that fits `max`; nullopt for empty, non-digits or overflow.
std::optional<std::uint32_t> parseNumber(std::string_view s, std::uint32_t max = 0xffffffffu);

}  // namespace sb::sip
