#include "sip/message.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace sb::sip {
namespace {

struct MethodEntry {
  std::string_view name;
  Method method;
};
constexpr std::array<MethodEntry, 14> kMethods{{
    {"INVITE", Method::kInvite}, {"ACK", Method::kAck}, {"BYE", Method::kBye},
    {"CANCEL", Method::kCancel}, {"OPTIONS", Method::kOptions}, {"REGISTER", Method::kRegister},
    {"INFO", Method::kInfo}, {"PRACK", Method::kPrack}, {"UPDATE", Method::kUpdate},
    {"REFER", Method::kRefer}, {"SUBSCRIBE", Method::kSubscribe}, {"NOTIFY", Method::kNotify},
    {"MESSAGE", Method::kMessage}, {"PUBLISH", Method::kPublish},
}};

struct HeaderEntry {
  std::string_view name;
  HeaderId id;
};
// Full names and compact forms (RFC 3261 §7.3.3, RFC 3515, RFC 4028, RFC 3265).
constexpr std::array<HeaderEntry, 53> kHeaders{{
    {"via", HeaderId::kVia}, {"v", HeaderId::kVia},
    {"from", HeaderId::kFrom}, {"f", HeaderId::kFrom},
    {"to", HeaderId::kTo}, {"t", HeaderId::kTo},
    {"call-id", HeaderId::kCallId}, {"i", HeaderId::kCallId},
    {"cseq", HeaderId::kCSeq},
    {"contact", HeaderId::kContact}, {"m", HeaderId::kContact},
    {"max-forwards", HeaderId::kMaxForwards},
    {"content-length", HeaderId::kContentLength}, {"l", HeaderId::kContentLength},
    {"content-type", HeaderId::kContentType}, {"c", HeaderId::kContentType},
    {"route", HeaderId::kRoute},
    {"record-route", HeaderId::kRecordRoute},
    {"authorization", HeaderId::kAuthorization},
    {"proxy-authorization", HeaderId::kProxyAuthorization},
    {"www-authenticate", HeaderId::kWwwAuthenticate},
    {"proxy-authenticate", HeaderId::kProxyAuthenticate},
    {"expires", HeaderId::kExpires},
    {"min-expires", HeaderId::kMinExpires},
    {"allow", HeaderId::kAllow},
    {"supported", HeaderId::kSupported}, {"k", HeaderId::kSupported},
    {"require", HeaderId::kRequire},
    {"proxy-require", HeaderId::kProxyRequire},
    {"unsupported", HeaderId::kUnsupported},
    {"user-agent", HeaderId::kUserAgent},
    {"server", HeaderId::kServer},
    {"retry-after", HeaderId::kRetryAfter},
    {"refer-to", HeaderId::kReferTo}, {"r", HeaderId::kReferTo},
    {"referred-by", HeaderId::kReferredBy}, {"b", HeaderId::kReferredBy},
    {"event", HeaderId::kEvent}, {"o", HeaderId::kEvent},
    {"subject", HeaderId::kSubject}, {"s", HeaderId::kSubject},
    {"content-encoding", HeaderId::kContentEncoding}, {"e", HeaderId::kContentEncoding},
    {"accept", HeaderId::kAccept},
    {"session-expires", HeaderId::kSessionExpires}, {"x", HeaderId::kSessionExpires},
    {"rseq", HeaderId::kRSeq},
    {"rack", HeaderId::kRAck},
    {"replaces", HeaderId::kReplaces},
    {"timestamp", HeaderId::kTimestamp},
    {"allow-events", HeaderId::kAllowEvents}, {"u", HeaderId::kAllowEvents},
    {"subscription-state", HeaderId::kSubscriptionState},
}};

// token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~") (§25.1).
constexpr std::array<bool, 256> kTokenChars = [] {
  std::array<bool, 256> t{};
  for (int c = 'a'; c <= 'z'; ++c) t[static_cast<std::size_t>(c)] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[static_cast<std::size_t>(c)] = true;
  for (int c = '0'; c <= '9'; ++c) t[static_cast<std::size_t>(c)] = true;
  for (char c : std::string_view("-.!%*_+`'~")) t[static_cast<unsigned char>(c)] = true;
  return t;
}();

bool isTokenChar(char c) { return kTokenChars[static_cast<unsigned char>(c)]; }

bool isToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), isTokenChar);
}

// Headers whose values are comma-separated lists of elements we address one by one.
bool isListHeader(HeaderId id) {
  return id == HeaderId::kVia || id == HeaderId::kContact || id == HeaderId::kRoute ||
         id == HeaderId::kRecordRoute;
}

// Headers that may appear once only (RFC 3261 §7.3.1; RFC 4475 §3.3.8 "multi01").
bool isSingleton(HeaderId id) {
  return id == HeaderId::kFrom || id == HeaderId::kTo || id == HeaderId::kCallId ||
         id == HeaderId::kCSeq || id == HeaderId::kMaxForwards ||
         id == HeaderId::kContentType;
}

// Splits a list header value at commas outside quotes and angle brackets.
template <class F>
Result<void> splitList(std::string_view value, F&& emit) {
  bool quoted = false;
  int angle = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (quoted) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        quoted = false;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == '<') {
      ++angle;
    } else if (c == '>') {
      if (--angle < 0) return fail(Errc::kInvalidInput, "unbalanced '>'");
    } else if (c == ',' && angle == 0) {
      std::string_view item = trim(value.substr(start, i - start));
      if (item.empty()) return fail(Errc::kInvalidInput, "empty list element");
      emit(item);
      start = i + 1;
    }
  }
  if (quoted) return fail(Errc::kInvalidInput, "unterminated quoted string");
  if (angle != 0) return fail(Errc::kInvalidInput, "unbalanced '<'");
  std::string_view item = trim(value.substr(start));
  if (item.empty()) return fail(Errc::kInvalidInput, "empty list element");
  emit(item);
  return {};
}

// A generic-param value (RFC 3261 §25.1): token / host / quoted-string. Unquoted values are
// checked leniently (no whitespace, no stray quote) because phones put '<', '>' and ':' there.
bool validParamValue(std::string_view v) {
  if (v.empty()) return false;
  if (v[0] == '"') {
    for (std::size_t i = 1; i < v.size(); ++i) {
      if (v[i] == '\\') {
        ++i;
      } else if (v[i] == '"') {
        return i + 1 == v.size();
      }
    }
    return false;
  }
  return v.find_first_of(" \t\"") == std::string_view::npos;
}

// Header parameters: *( SEMI generic-param ), given without the first ';'. Empty items
// (";;", a trailing ';') are invalid (RFC 4475 §3.1.2.1).
bool validParams(std::string_view params) {
  for (;;) {
    std::size_t end = firstParamLength(params);
    std::string_view item = trim(params.substr(0, end));
    std::size_t eq = item.find('=');
    if (!isToken(trim(item.substr(0, eq)))) return false;
    if (eq != std::string_view::npos && !validParamValue(trim(item.substr(eq + 1)))) {
      return false;
    }
    if (end == params.size()) return true;
    params.remove_prefix(end + 1);
  }
}

// display-name = *(token LWS) / quoted-string; this checks the unquoted form.
bool validTokenDisplayName(std::string_view s) {
  for (char c : s) {
    if (c != ' ' && c != '\t' && !isTokenChar(c)) return false;
  }
  return true;
}

// RFC 3261 §25.1: outside quoted strings a header line holds no control characters (CR and LF
// are gone after unfolding); inside one, only as a quoted-pair (RFC 4475 §3.1.1.2 has "\<NUL>").
bool isControl(unsigned char c) { return (c < 0x20 && c != '\t') || c == 0x7f; }

// SWAR test of 8 bytes at once: false when none is below 0x20 or equal to 0x7f. Existence is
// exact; HTAB also answers true and is sorted out bytewise.
bool mayHoldControl(std::uint64_t x) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ull;
  constexpr std::uint64_t kHigh = 0x8080808080808080ull;
  std::uint64_t below20 = (x - kOnes * 0x20) & ~x & kHigh;
  std::uint64_t del = x ^ (kOnes * 0x7f);
  return ((below20 | ((del - kOnes) & ~del & kHigh))) != 0;
}

bool hasControl(std::string_view s) {
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t word;
    std::memcpy(&word, s.data() + i, 8);
    if (!mayHoldControl(word)) continue;
    for (std::size_t k = i; k < i + 8; ++k) {
      if (isControl(static_cast<unsigned char>(s[k]))) return true;
    }
  }
  for (; i < s.size(); ++i) {
    if (isControl(static_cast<unsigned char>(s[i]))) return true;
  }
  return false;
}

bool validLineText(std::string_view line, bool allowQuoted) {
  if (!hasControl(line)) return true;  // the common case, 8 bytes per step
  if (!allowQuoted) return false;
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    auto c = static_cast<unsigned char>(line[i]);
    if (quoted && c == '\\') {
      ++i;
      continue;
    }
    if (isControl(c)) return false;
    if (c == '"') quoted = !quoted;
  }
  return true;
}

// CSeq = 1*DIGIT LWS Method, the number below 2**31 (§8.1.1.5).
Result<CSeq> parseCSeq(std::string_view text) {
  std::size_t sp = text.find_first_of(" \t");
  if (sp == std::string_view::npos) return fail(Errc::kInvalidInput, "missing or invalid CSeq");
  auto num = parseNumber(text.substr(0, sp));
  std::string_view method = trim(text.substr(sp));
  if (!num || *num > 0x7fffffffu || !isToken(method)) {
    return fail(Errc::kInvalidInput, "invalid CSeq");
  }
  CSeq cseq;
  cseq.number = *num;
  cseq.methodText = method;
  cseq.method = methodFromName(method);
  return cseq;
}

// Requests that can establish a dialog carry exactly one SIP or SIPS Contact (§8.1.1.8;
// RFC 3265 §3.1.1, RFC 3515 §2.4.1). Only "at most one" is enforced: RFC 2543 peers omit it
// (RFC 4475 §3.4.1).
bool createsDialog(Method m) {
  return m == Method::kInvite || m == Method::kSubscribe || m == Method::kRefer;
}

Result<std::uint16_t> parsePort(std::string_view text) {
  auto port = parseNumber(text, 65535);
  if (!port || *port == 0) return fail(Errc::kInvalidInput, "invalid port");
  return static_cast<std::uint16_t>(*port);
}

}  // namespace

std::string_view transportName(Transport t) {
  switch (t) {
    case Transport::kUdp: return "UDP";
    case Transport::kTcp: return "TCP";
    case Transport::kTls: return "TLS";
    case Transport::kWs: return "WS";
    case Transport::kWss: return "WSS";
  }
  return "UDP";
}

std::string_view methodName(Method m) {
  for (const auto& e : kMethods) {
    if (e.method == m) return e.name;
  }
  return {};
}

Method methodFromName(std::string_view name) {
  for (const auto& e : kMethods) {
    if (e.name == name) return e.method;
  }
  return Method::kUnknown;
}

HeaderId headerIdFromName(std::string_view name) {
  if (name.empty()) return HeaderId::kOther;
  char first = name[0];
  if (first >= 'A' && first <= 'Z') first = static_cast<char>(first - 'A' + 'a');
  for (const auto& e : kHeaders) {
    if (e.name.size() == name.size() && e.name[0] == first && iequals(e.name, name)) return e.id;
  }
  return HeaderId::kOther;
}

std::string_view NameAddr::tag() const {
  auto t = findParam(params, "tag");
  return t ? *t : std::string_view{};
}

std::optional<std::string_view> NameAddr::param(std::string_view name) const {
  return findParam(params, name);
}

Result<NameAddr> parseNameAddr(std::string_view text) {
  NameAddr na;
  text = trim(text);
  if (text == "*") {
    na.wildcard = true;
    return na;
  }
  std::string_view uriText;
  std::string_view rest;
  std::size_t lt = std::string_view::npos;
  if (!text.empty() && text[0] == '"') {
    std::size_t i = 1;
    for (; i < text.size(); ++i) {
      if (text[i] == '\\') {
        ++i;
      } else if (text[i] == '"') {
        break;
      }
    }
    if (i >= text.size()) return fail(Errc::kInvalidInput, "unterminated display name");
    na.displayName = text.substr(1, i - 1);
    lt = text.find('<', i + 1);
    if (lt == std::string_view::npos || !trim(text.substr(i + 1, lt - i - 1)).empty()) {
      return fail(Errc::kInvalidInput, "quoted display name not followed by <URI>");
    }
  } else {
    lt = text.find('<');
    if (lt != std::string_view::npos) {
      na.displayName = trim(text.substr(0, lt));
      if (!validTokenDisplayName(na.displayName)) {
        return fail(Errc::kInvalidInput, "display name must be tokens or quoted");
      }
    }
  }
  if (lt != std::string_view::npos) {
    std::size_t gt = text.find('>', lt);
    if (gt == std::string_view::npos) return fail(Errc::kInvalidInput, "missing '>'");
    // No LWS inside <...> (RFC 4475 §3.1.2.14): parseUri rejects it, so no trim here.
    uriText = text.substr(lt + 1, gt - lt - 1);
    rest = trim(text.substr(gt + 1));
  } else {
    // addr-spec: the URI cannot contain ',', '?' or ';' here; ';' starts header params.
    std::size_t semi = text.find(';');
    uriText = trim(text.substr(0, semi));
    rest = semi == std::string_view::npos ? std::string_view{} : text.substr(semi);
    if (uriText.find_first_of(" \t?,") != std::string_view::npos) {
      return fail(Errc::kInvalidInput, "addr-spec with reserved characters needs <>");
    }
  }
  if (!rest.empty()) {
    if (rest[0] != ';') return fail(Errc::kInvalidInput, "junk after URI");
    na.params = rest.substr(1);
    if (!validParams(na.params)) return fail(Errc::kInvalidInput, "invalid header parameter");
    // tag-param = "tag" EQUAL token (§25.1): a valueless tag would read as "no tag".
    if (auto tag = na.param("tag"); tag && tag->empty()) {
      return fail(Errc::kInvalidInput, "tag without a value");
    }
  }
  auto uri = parseUri(uriText);
  if (!uri) return uri.error();
  na.uri = *uri;
  return na;
}

std::optional<std::string_view> Via::param(std::string_view name) const {
  return findParam(params, name);
}

Result<Via> parseVia(std::string_view text) {
  Via via;
  // sent-protocol = protocol-name SLASH protocol-version SLASH transport, LWS allowed around '/'.
  std::string_view parts[3];
  std::size_t pos = 0;
  for (int i = 0; i < 3; ++i) {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) ++pos;
    std::size_t start = pos;
    while (pos < text.size() && isTokenChar(text[pos])) ++pos;
    parts[i] = text.substr(start, pos - start);
    if (parts[i].empty()) return fail(Errc::kInvalidInput, "malformed Via sent-protocol");
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) ++pos;
    if (i < 2) {
      if (pos >= text.size() || text[pos] != '/') {
        return fail(Errc::kInvalidInput, "malformed Via sent-protocol");
      }
      ++pos;
    }
  }
  if (!iequals(parts[0], "SIP") || parts[1] != "2.0") {
    return fail(Errc::kInvalidInput, "Via protocol is not SIP/2.0");
  }
  via.transport = parts[2];
  std::string_view rest = trim(text.substr(pos));
  std::size_t semi = rest.find(';');
  std::string_view sentBy = trim(rest.substr(0, semi));
  if (semi != std::string_view::npos) via.params = rest.substr(semi + 1);
  if (sentBy.empty()) return fail(Errc::kInvalidInput, "Via without sent-by");
  std::string_view portText;
  if (sentBy[0] == '[') {
    std::size_t close = sentBy.find(']');
    if (close == std::string_view::npos) return fail(Errc::kInvalidInput, "bad IPv6 in Via");
    via.host = sentBy.substr(1, close - 1);
    std::string_view after = trim(sentBy.substr(close + 1));
    if (!after.empty()) {
      if (after[0] != ':') return fail(Errc::kInvalidInput, "junk after Via host");
      portText = trim(after.substr(1));
    }
  } else {
    std::size_t colon = sentBy.find(':');
    via.host = trim(sentBy.substr(0, colon));
    if (colon != std::string_view::npos) portText = trim(sentBy.substr(colon + 1));
    if (colon != std::string_view::npos && portText.empty()) {
      return fail(Errc::kInvalidInput, "empty port in Via");
    }
  }
  bool hostOk = sentBy[0] == '[' ? isIpv6Address(via.host) : isHostName(via.host);
  if (!hostOk) return fail(Errc::kInvalidInput, "invalid Via host");
  if (semi != std::string_view::npos && !validParams(via.params)) {
    return fail(Errc::kInvalidInput, "invalid Via parameter");
  }
  if (!portText.empty()) {
    auto port = parsePort(portText);
    if (!port) return fail(Errc::kInvalidInput, "invalid Via port");
    via.port = *port;
  }
  // via-branch and via-received need a value (§25.1); only rport may be a flag (RFC 3581).
  auto branch = via.param("branch");
  auto received = via.param("received");
  if ((branch && branch->empty()) || (received && received->empty())) {
    return fail(Errc::kInvalidInput, "Via branch/received without a value");
  }
  if (branch) via.branch = *branch;
  if (received) via.received = *received;
  via.rport = via.param("rport").has_value();
  return via;
}

std::string_view Message::header(HeaderId id) const {
  for (const auto& h : headers_) {
    if (h.id == id) return h.value;
  }
  return {};
}

std::string_view Message::header(std::string_view name) const {
  // Known names match their compact forms too ("Call-ID" finds "i:").
  if (HeaderId id = headerIdFromName(name); id != HeaderId::kOther) return header(id);
  for (const auto& h : headers_) {
    if (h.id == HeaderId::kOther && iequals(h.name, name)) return h.value;
  }
  return {};
}

std::size_t Message::count(HeaderId id) const {
  return static_cast<std::size_t>(std::count_if(
      headers_.begin(), headers_.end(), [id](const Header& h) { return h.id == id; }));
}

Result<Message> Message::parse(std::string_view bytes, bool datagram, const ParseLimits& limits) {
  if (bytes.size() > limits.maxBytes) return fail(Errc::kInvalidInput, "message too large");
  Message m;
  m.buf_ = std::make_unique<char[]>(bytes.size() + 1);
  if (!bytes.empty()) std::memcpy(m.buf_.get(), bytes.data(), bytes.size());
  m.buf_[bytes.size()] = '\0';
  m.size_ = bytes.size();
  auto r = m.parseInPlace(datagram, limits);
  if (!r) return r.error();
  return m;
}

Result<void> Message::parseStartLine(std::string_view line) {
  if (line.size() > 8 && iequals(line.substr(0, 4), "SIP/")) {
    // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
    if (line.substr(0, 8) != "SIP/2.0 " && !iequals(line.substr(0, 8), "SIP/2.0 ")) {
      return fail(Errc::kUnsupported, "unsupported SIP version");
    }
    std::string_view rest = line.substr(8);
    if (rest.size() < 3) return fail(Errc::kInvalidInput, "malformed status line");
    auto code = parseNumber(rest.substr(0, 3), 699);
    if (!code || *code < 100) return fail(Errc::kInvalidInput, "invalid status code");
    if (rest.size() > 3 && rest[3] != ' ') return fail(Errc::kInvalidInput, "malformed status line");
    status_ = static_cast<int>(*code);
    reason_ = rest.size() > 4 ? rest.substr(4) : std::string_view{};
    return {};
  }
  // Request-Line = Method SP Request-URI SP SIP-Version (exactly single spaces, §25.1).
  std::size_t sp1 = line.find(' ');
  std::size_t sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp1 == sp2) {
    return fail(Errc::kInvalidInput, "malformed request line");
  }
  methodText_ = line.substr(0, sp1);
  if (!isToken(methodText_)) return fail(Errc::kInvalidInput, "invalid method token");
  method_ = methodFromName(methodText_);
  std::string_view uriText = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (uriText.empty() || uriText.find_first_of(" \t<>") != std::string_view::npos) {
    return fail(Errc::kInvalidInput, "malformed Request-URI");
  }
  if (!iequals(version.substr(0, 4), "SIP/")) {
    return fail(Errc::kInvalidInput, "malformed request line");
  }
  if (!iequals(version, "SIP/2.0")) return fail(Errc::kUnsupported, "unsupported SIP version");
  auto uri = parseUri(uriText);
  if (!uri) return fail(Errc::kInvalidInput, "invalid Request-URI: " + uri.error().message);
  // §19.1.1 table 1: headers are not allowed in a Request-URI (RFC 4475 §3.1.2.11).
  // The user part may hold '?' (RFC 4475 §3.1.1.2), so look only after it.
  std::size_t at = uriText.find('@');
  if (uri->isSip() && uriText.find('?', at == std::string_view::npos ? 0 : at) !=
                          std::string_view::npos) {
    return fail(Errc::kInvalidInput, "headers in Request-URI");
  }
  requestUri_ = *uri;
  return {};
}

Result<void> Message::addHeader(std::string_view name, std::string_view value,
                                const ParseLimits& lim) {
  HeaderId id = headerIdFromName(name);
  if (isListHeader(id)) {
    Result<void> inner;
    auto r = splitList(value, [&](std::string_view item) {
      if (headers_.size() >= lim.maxHeaders) {
        inner = fail(Errc::kInvalidInput, "too many headers");
        return;
      }
      headers_.push_back(Header{id, name, item});
    });
    if (!r) return fail(Errc::kInvalidInput, std::string(name) + ": " + r.error().message);
    return inner;
  }
  if (headers_.size() >= lim.maxHeaders) return fail(Errc::kInvalidInput, "too many headers");
  headers_.push_back(Header{id, name, value});
  return {};
}

Result<void> Message::parseInPlace(bool datagram, const ParseLimits& limits) {
  char* data = buf_.get();
  std::size_t n = size_;
  std::size_t pos = 0;
  // §7.5: ignore CRLFs before the start line.
  while (pos < n && (data[pos] == '\r' || data[pos] == '\n')) ++pos;

  // Returns the end of the line starting at p (index of CR or LF), or npos.
  auto lineEnd = [&](std::size_t p) -> std::size_t {
    if (p >= n) return std::string_view::npos;
    auto offset = [&](const void* hit) {
      return static_cast<std::size_t>(static_cast<const char*>(hit) - data);
    };
    const void* lf = std::memchr(data + p, '\n', n - p);
    std::size_t stop = lf != nullptr ? offset(lf) : n;
    if (const void* cr = std::memchr(data + p, '\r', stop - p)) return offset(cr);
    return stop < n ? stop : std::string_view::npos;
  };
  auto eolLength = [&](std::size_t p) -> std::size_t {
    return (data[p] == '\r' && p + 1 < n && data[p + 1] == '\n') ? 2 : 1;
  };

  std::size_t end = lineEnd(pos);
  if (end == std::string_view::npos) return fail(Errc::kInvalidInput, "no end of start line");
  std::string_view startLine(data + pos, end - pos);
  if (!validLineText(startLine, false)) {
    return fail(Errc::kInvalidInput, "control character in start line");
  }
  auto sl = parseStartLine(startLine);
  if (!sl) return sl;
  pos = end + eolLength(end);

  headers_.reserve(16);
  bool sawBlankLine = false;
  while (pos < n) {
    end = lineEnd(pos);
    if (end == std::string_view::npos) return fail(Errc::kInvalidInput, "header section not terminated");
    if (end == pos) {  // empty line: end of headers
      pos = end + eolLength(end);
      sawBlankLine = true;
      break;
    }
    if (data[pos] == ' ' || data[pos] == '\t') {
      return fail(Errc::kInvalidInput, "continuation line without a header");
    }
    // Unfold continuation lines (§7.3.1) in place: the line break becomes spaces.
    std::size_t lineStop = end;
    for (;;) {
      std::size_t next = lineStop + eolLength(lineStop);
      if (next < n && (data[next] == ' ' || data[next] == '\t')) {
        for (std::size_t i = lineStop; i < next; ++i) data[i] = ' ';
        std::size_t e = lineEnd(next);
        if (e == std::string_view::npos) {
          return fail(Errc::kInvalidInput, "header section not terminated");
        }
        lineStop = e;
      } else {
        break;
      }
    }
    std::string_view line(data + pos, lineStop - pos);
    if (!validLineText(line, true)) return fail(Errc::kInvalidInput, "control character in header");
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      return fail(Errc::kInvalidInput, "header line without ':'");
    }
    std::string_view name = trim(line.substr(0, colon));
    if (!isToken(name)) return fail(Errc::kInvalidInput, "invalid header name");
    auto added = addHeader(name, trim(line.substr(colon + 1)), limits);
    if (!added) return added;
    pos = lineStop + eolLength(lineStop);
  }
  if (!sawBlankLine) {
    if (!datagram) return fail(Errc::kInvalidInput, "header section not terminated");
    // A datagram may end right after the last header line; there is no body then.
  }

  std::string_view body(data + std::min(pos, n), n - std::min(pos, n));
  // Several Content-Length headers are tolerated only when they agree (RFC 4475 §3.3.9).
  std::optional<std::string_view> clText;
  for (const auto& h : headers_) {
    if (h.id != HeaderId::kContentLength) continue;
    if (clText && *clText != h.value) {
      return fail(Errc::kInvalidInput, "conflicting Content-Length headers");
    }
    clText = h.value;
  }
  if (clText) {
    auto cl = parseNumber(*clText, 0x7fffffff);
    if (!cl) return fail(Errc::kInvalidInput, "invalid Content-Length");
    if (*cl > body.size()) return fail(Errc::kInvalidInput, "body shorter than Content-Length");
    body = body.substr(0, *cl);  // §18.3: extra datagram bytes are discarded
  } else if (!datagram) {
    return fail(Errc::kInvalidInput, "Content-Length required on stream transports");
  }
  body_ = body;
  return validate();
}

Result<void> Message::validate() {
  std::array<int, 64> seen{};
  for (const auto& h : headers_) {
    auto idx = static_cast<std::size_t>(h.id);
    if (isSingleton(h.id) && ++seen[idx] > 1) {
      return fail(Errc::kInvalidInput, "duplicate " + std::string(h.name) + " header");
    }
  }
  if (header(HeaderId::kVia).empty()) return fail(Errc::kInvalidInput, "missing Via");
  bool top = true;
  for (const auto& h : headers_) {
    if (h.id != HeaderId::kVia) continue;
    auto via = parseVia(h.value);
    if (!via) return fail(Errc::kInvalidInput, "Via: " + via.error().message);
    if (top) topVia_ = *via;
    top = false;
  }
  callId_ = header(HeaderId::kCallId);
  if (callId_.empty() || callId_.find_first_of(" \t") != std::string_view::npos) {
    return fail(Errc::kInvalidInput, "missing or invalid Call-ID");
  }
  auto from = parseNameAddr(header(HeaderId::kFrom));
  if (!from || from->wildcard) return fail(Errc::kInvalidInput, "missing or invalid From");
  from_ = *from;
  auto to = parseNameAddr(header(HeaderId::kTo));
  if (!to || to->wildcard) return fail(Errc::kInvalidInput, "missing or invalid To");
  to_ = *to;

  auto cseq = parseCSeq(header(HeaderId::kCSeq));
  if (!cseq) return cseq.error();
  cseq_ = *cseq;
  if (isRequest() && cseq_.methodText != methodText_) {
    return fail(Errc::kInvalidInput, "CSeq method does not match request method");
  }

  if (count(HeaderId::kMaxForwards) != 0) {
    auto v = parseNumber(header(HeaderId::kMaxForwards), 255);
    if (!v) return fail(Errc::kInvalidInput, "invalid Max-Forwards");
    maxForwards_ = static_cast<int>(*v);
  }
  if (!isRequest()) return {};
  std::size_t contacts = 0;
  for (const auto& h : headers_) {
    if (h.id != HeaderId::kContact) continue;
    auto c = parseNameAddr(h.value);
    if (!c) return fail(Errc::kInvalidInput, "invalid Contact: " + c.error().message);
    if (createsDialog(method_) && (++contacts > 1 || c->wildcard || !c->uri.isSip())) {
      return fail(Errc::kInvalidInput, "Contact must be one SIP or SIPS URI in " +
                                           std::string(methodText_));
    }
  }
  return {};
}

namespace {

// The header lines a 400 needs, found by a lenient line scan of unparsable bytes.
struct SalvagedHeaders {
  std::vector<std::string_view> vias;  // whole Via lines, in order
  std::string_view from, to, callId, cseq;
};

SalvagedHeaders salvageHeaders(std::string_view headerSection) {
  SalvagedHeaders s;
  while (!headerSection.empty()) {
    std::size_t end = headerSection.find('\n');
    std::string_view line = headerSection.substr(0, end);
    headerSection = end == std::string_view::npos ? std::string_view{}
                                                  : headerSection.substr(end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;
    if (line[0] == ' ' || line[0] == '\t') continue;  // folded continuation: not a header
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    HeaderId id = headerIdFromName(trim(line.substr(0, colon)));
    std::string_view value = trim(line.substr(colon + 1));
    if (id == HeaderId::kVia) s.vias.push_back(value);
    if (id == HeaderId::kFrom && s.from.empty()) s.from = value;
    if (id == HeaderId::kTo && s.to.empty()) s.to = value;
    if (id == HeaderId::kCallId && s.callId.empty()) s.callId = value;
    if (id == HeaderId::kCSeq && s.cseq.empty()) s.cseq = value;
  }
  return s;
}

// Only values our own parser accepts are echoed, so the 400 is always a well-formed message.
bool salvageable(const SalvagedHeaders& s) {
  if (s.vias.empty() || s.callId.empty() ||
      s.callId.find_first_of(" \t") != std::string_view::npos) {
    return false;
  }
  auto clean = [](std::string_view v) { return validLineText(v, false); };
  if (!clean(s.from) || !clean(s.to) || !clean(s.callId) || !clean(s.cseq)) return false;
  for (std::string_view via : s.vias) {
    bool ok = clean(via);
    auto r = splitList(via, [&](std::string_view item) { ok = ok && parseVia(item).ok(); });
    if (!r || !ok) return false;
  }
  auto from = parseNameAddr(s.from);
  auto to = parseNameAddr(s.to);
  auto cseq = parseCSeq(s.cseq);
  return from && !from->wildcard && to && !to->wildcard && cseq && cseq->method != Method::kAck;
}

// A To tag for the 400 (§8.2.6.2): derived from the request so retransmissions get the same.
std::string badRequestTag(const SalvagedHeaders& s) {
  std::uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a
  for (std::string_view part : {s.vias.front(), s.callId, s.cseq, s.from}) {
    for (char c : part) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string tag = "sb400-";
  for (int i = 0; i < 12; ++i) tag += kHex[(h >> (4 * i)) & 0xf];
  return tag;
}

}  // namespace

std::optional<std::string> badRequestResponse(std::string_view bytes, std::string_view why) {
  std::size_t start = bytes.find_first_not_of("\r\n");  // §7.5 leading CRLFs
  if (start == std::string_view::npos) return std::nullopt;
  bytes.remove_prefix(start);
  std::size_t eol = bytes.find('\n');
  if (eol == std::string_view::npos) return std::nullopt;
  // Never answer a response, an ACK (§17.1.1.3) or something that is not a request line.
  std::string_view startLine = bytes.substr(0, eol);
  if (iequals(startLine.substr(0, 4), "SIP/")) return std::nullopt;
  std::size_t sp = startLine.find(' ');
  std::string_view method = startLine.substr(0, sp);
  if (sp == std::string_view::npos || !isToken(method) || method == "ACK") return std::nullopt;

  SalvagedHeaders h = salvageHeaders(bytes.substr(eol + 1));
  if (!salvageable(h)) return std::nullopt;

  std::string reason(why.substr(0, 120));
  std::replace_if(reason.begin(), reason.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }, ' ');
  std::string out = "SIP/2.0 400 Bad Request (" + reason + ")\r\n";
  for (std::string_view via : h.vias) out.append("Via: ").append(via).append("\r\n");
  out.append("From: ").append(h.from).append("\r\nTo: ").append(h.to);
  if (!parseNameAddr(h.to)->param("tag")) out.append(";tag=").append(badRequestTag(h));
  out.append("\r\nCall-ID: ").append(h.callId);
  out.append("\r\nCSeq: ").append(h.cseq).append("\r\nContent-Length: 0\r\n\r\n");
  return out;
}

}  // namespace sb::sip
