#include "sip/uri.h"

#include <algorithm>

namespace sb::sip {
namespace {

bool isAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isHex(char c) {
  return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Characters allowed in the user / password / parameter parts besides escapes (§25.1):
// unreserved, user-unreserved and param-unreserved, plus what appears in practice.
bool isUriChar(char c) {
  if (isAlpha(c) || isDigit(c)) return true;
  switch (c) {
    case '-': case '_': case '.': case '!': case '~': case '*': case '\'': case '(': case ')':
    case '&': case '=': case '+': case '$': case ',': case ';': case '?': case '/': case ':':
    case '[': case ']': case '%':
      return true;
    default:
      return false;
  }
}

bool validEscapes(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size()) return false;
      if (!isHex(s[i + 1]) || !isHex(s[i + 2])) return false;
      i += 2;
    } else if (!isUriChar(s[i])) {
      return false;
    }
  }
  return true;
}

bool isIpv4(std::string_view s) {
  int parts = 0;
  while (parts < 4) {
    std::size_t len = 0;
    unsigned value = 0;
    while (len < s.size() && isDigit(s[len]) && len < 3) {
      value = value * 10 + static_cast<unsigned>(s[len] - '0');
      ++len;
    }
    if (len == 0 || value > 255) return false;
    s.remove_prefix(len);
    if (++parts == 4) break;
    if (s.empty() || s[0] != '.') return false;
    s.remove_prefix(1);
  }
  return s.empty();
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && ws(s.back())) s.remove_suffix(1);
  return s;
}

bool isIpv6Address(std::string_view s) {
  // RFC 4291 §2.2: up to 8 groups of 1-4 hex digits, one "::" standing for at least one zero
  // group, optionally ending in a dotted IPv4 address worth two groups. Three colons in a row
  // are invalid (RFC 5118 §4.10).
  if (s.size() < 2 || s.size() > 45) return false;
  int groups = 0;
  bool gap = false;
  std::size_t i = 0;
  if (s[0] == ':') {
    if (s[1] != ':') return false;
    gap = true;
    i = 2;
  }
  while (i < s.size()) {
    std::size_t j = i;
    while (j < s.size() && isHex(s[j])) ++j;
    if (j < s.size() && s[j] == '.') {
      if (!isIpv4(s.substr(i))) return false;
      groups += 2;
      break;
    }
    if (j == i || j - i > 4) return false;
    ++groups;
    i = j;
    if (i == s.size()) break;
    if (s[i] != ':') return false;
    if (++i == s.size()) return false;  // a single trailing ':'
    if (s[i] == ':') {
      if (gap) return false;
      gap = true;
      ++i;
    }
  }
  return gap ? groups <= 7 : groups == 8;
}

bool isHostName(std::string_view h) {
  if (h.empty() || h.size() > 255) return false;
  return std::all_of(h.begin(), h.end(),
                     [](char c) { return isAlpha(c) || isDigit(c) || c == '-' || c == '.'; });
}

std::optional<std::uint32_t> parseNumber(std::string_view s, std::uint32_t max) {
  // Leading zeros are valid (1*DIGIT) and do not count towards overflow.
  while (s.size() > 1 && s[0] == '0') s.remove_prefix(1);
  if (s.empty() || s.size() > 10) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    if (!isDigit(c)) return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (v > max) return std::nullopt;
  return static_cast<std::uint32_t>(v);
}

std::size_t firstParamLength(std::string_view params) {
  bool quoted = false;
  for (std::size_t i = 0; i < params.size(); ++i) {
    char c = params[i];
    if (quoted) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        quoted = false;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ';') {
      return i;
    }
  }
  return params.size();
}

std::optional<std::string_view> findParam(std::string_view params, std::string_view name) {
  while (!params.empty()) {
    std::size_t end = firstParamLength(params);
    std::string_view item = trim(params.substr(0, end));
    std::size_t eq = item.find('=');
    std::string_view key = trim(item.substr(0, eq));
    if (iequals(key, name)) {
      if (eq == std::string_view::npos) return std::string_view{};
      return trim(item.substr(eq + 1));
    }
    if (end == params.size()) break;
    params.remove_prefix(end + 1);
  }
  return std::nullopt;
}

std::string unescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  auto hex = [](char c) {
    return isDigit(c) ? c - '0' : lower(c) - 'a' + 10;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && isHex(text[i + 1]) && isHex(text[i + 2])) {
      out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

bool Uri::isSip() const { return iequals(scheme, "sip") || iequals(scheme, "sips"); }

std::optional<std::string_view> Uri::param(std::string_view name) const {
  return findParam(params, name);
}

Result<Uri> parseUri(std::string_view text) {
  Uri uri;
  uri.raw = text;
  std::size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return fail(Errc::kInvalidInput, "URI without scheme");
  }
  uri.scheme = text.substr(0, colon);
  if (!isAlpha(uri.scheme[0]) ||
      !std::all_of(uri.scheme.begin(), uri.scheme.end(), [](char c) {
        return isAlpha(c) || isDigit(c) || c == '+' || c == '-' || c == '.';
      })) {
    return fail(Errc::kInvalidInput, "invalid URI scheme");
  }
  std::string_view rest = text.substr(colon + 1);
  if (!uri.isSip()) {
    if (rest.empty()) return fail(Errc::kInvalidInput, "empty absolute URI");
    for (char c : rest) {
      if (static_cast<unsigned char>(c) <= ' ' || c == '<' || c == '>' || c == '"') {
        return fail(Errc::kInvalidInput, "invalid character in URI");
      }
    }
    return uri;
  }

  // '@' cannot appear unescaped anywhere else in a SIP URI, so the first one ends userinfo.
  // It is looked for before splitting off headers: the user part may contain '?' (RFC 4475
  // §3.1.1.2).
  std::size_t at = rest.find('@');
  if (at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    std::size_t pc = userinfo.find(':');
    uri.user = userinfo.substr(0, pc);
    if (pc != std::string_view::npos) uri.password = userinfo.substr(pc + 1);
    if (uri.user.empty()) return fail(Errc::kInvalidInput, "empty user part in URI");
    if (!validEscapes(uri.user) || !validEscapes(uri.password)) {
      return fail(Errc::kInvalidInput, "invalid character or escape in URI user part");
    }
  }
  std::size_t q = rest.find('?');
  if (q != std::string_view::npos) {
    uri.headers = rest.substr(q + 1);
    rest = rest.substr(0, q);
    if (!validEscapes(uri.headers)) return fail(Errc::kInvalidInput, "invalid URI headers");
  }
  std::size_t semi = rest.find(';');
  std::string_view hostport = rest.substr(0, semi);
  if (semi != std::string_view::npos) {
    uri.params = rest.substr(semi + 1);
    if (!validEscapes(uri.params)) return fail(Errc::kInvalidInput, "invalid URI parameter");
  }
  std::string_view portText;
  if (!hostport.empty() && hostport[0] == '[') {
    std::size_t close = hostport.find(']');
    if (close == std::string_view::npos) return fail(Errc::kInvalidInput, "unclosed IPv6 host");
    uri.host = hostport.substr(1, close - 1);
    uri.ipv6 = true;
    if (!isIpv6Address(uri.host)) return fail(Errc::kInvalidInput, "invalid IPv6 host");
    std::string_view after = hostport.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return fail(Errc::kInvalidInput, "junk after IPv6 host");
      portText = after.substr(1);
      if (portText.empty()) return fail(Errc::kInvalidInput, "empty port");
    }
  } else {
    std::size_t pc = hostport.find(':');
    uri.host = hostport.substr(0, pc);
    if (pc != std::string_view::npos) {
      portText = hostport.substr(pc + 1);
      if (portText.empty()) return fail(Errc::kInvalidInput, "empty port");
    }
    if (!isHostName(uri.host)) return fail(Errc::kInvalidInput, "invalid host in URI");
  }
  if (!portText.empty()) {
    auto port = parseNumber(portText, 65535);
    if (!port || *port == 0) return fail(Errc::kInvalidInput, "invalid port in URI");
    uri.port = static_cast<std::uint16_t>(*port);
  }
  return uri;
}

}  // namespace sb::sip
