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

bool isTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '-': case '.': case '!': case '%': case '*': case '_': case '+': case '`': case '\'':
    case '~':
      return true;
    default:
      return false;
  }
}

bool isToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), isTokenChar);
}

// Headers whose values are comma-separated lists of elements we address one by one.
bool isListHeader(HeaderId id) {
  return id == HeaderId::kVia || id == HeaderId::kContact || id == HeaderId::kRoute ||
         id == HeaderId::kRecordRoute;
}

// Headers that may appear once only (RFC 4475 §3.1.2.19 "multi" torture case).
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
  for (const auto& e : kHeaders) {
    if (iequals(e.name, name)) return e.id;
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
    if (lt != std::string_view::npos) na.displayName = trim(text.substr(0, lt));
  }
  if (lt != std::string_view::npos) {
    std::size_t gt = text.find('>', lt);
    if (gt == std::string_view::npos) return fail(Errc::kInvalidInput, "missing '>'");
    uriText = trim(text.substr(lt + 1, gt - lt - 1));
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
  if (via.host.empty() || via.host.find_first_of(" \t") != std::string_view::npos) {
    return fail(Errc::kInvalidInput, "invalid Via host");
  }
  if (!portText.empty()) {
    auto port = parsePort(portText);
    if (!port) return fail(Errc::kInvalidInput, "invalid Via port");
    via.port = *port;
  }
  if (auto b = via.param("branch")) via.branch = *b;
  if (auto r = via.param("received")) via.received = *r;
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
  for (const auto& h : headers_) {
    if (iequals(h.name, name)) return h.value;
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
    while (p < n && data[p] != '\r' && data[p] != '\n') ++p;
    return p < n ? p : std::string_view::npos;
  };
  auto eolLength = [&](std::size_t p) -> std::size_t {
    return (data[p] == '\r' && p + 1 < n && data[p + 1] == '\n') ? 2 : 1;
  };

  std::size_t end = lineEnd(pos);
  if (end == std::string_view::npos) return fail(Errc::kInvalidInput, "no end of start line");
  auto sl = parseStartLine(std::string_view(data + pos, end - pos));
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
  std::string_view clText;
  for (const auto& h : headers_) {
    if (h.id != HeaderId::kContentLength) continue;
    if (!clText.empty() && clText != h.value) {
      return fail(Errc::kInvalidInput, "conflicting Content-Length headers");
    }
    clText = h.value;
  }
  if (!clText.empty()) {
    auto cl = parseNumber(clText, 0x7fffffff);
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

  std::string_view cseq = header(HeaderId::kCSeq);
  std::size_t sp = cseq.find_first_of(" \t");
  if (sp == std::string_view::npos) return fail(Errc::kInvalidInput, "missing or invalid CSeq");
  auto num = parseNumber(cseq.substr(0, sp));
  std::string_view cseqMethod = trim(cseq.substr(sp));
  if (!num || *num > 0x7fffffffu || !isToken(cseqMethod)) {
    return fail(Errc::kInvalidInput, "invalid CSeq");
  }
  cseq_.number = *num;
  cseq_.methodText = cseqMethod;
  cseq_.method = methodFromName(cseqMethod);
  if (isRequest() && cseqMethod != methodText_) {
    return fail(Errc::kInvalidInput, "CSeq method does not match request method");
  }

  if (std::string_view mf = header(HeaderId::kMaxForwards); !mf.empty()) {
    auto v = parseNumber(mf, 255);
    if (!v) return fail(Errc::kInvalidInput, "invalid Max-Forwards");
    maxForwards_ = static_cast<int>(*v);
  }
  for (const auto& h : headers_) {
    if (h.id == HeaderId::kContact && isRequest()) {
      auto c = parseNameAddr(h.value);
      if (!c) return fail(Errc::kInvalidInput, "invalid Contact: " + c.error().message);
    }
  }
  return {};
}

std::optional<std::string> badRequestResponse(std::string_view bytes, std::string_view why) {
  // Lenient line scan: find the header lines needed to address a response.
  if (bytes.substr(0, 4) == "SIP/") return std::nullopt;  // never answer a response
  std::string_view via, from, to, callId, cseq;
  std::size_t pos = bytes.find('\n');
  while (pos != std::string_view::npos && pos + 1 < bytes.size()) {
    std::size_t start = pos + 1;
    std::size_t end = bytes.find('\n', start);
    std::string_view line = bytes.substr(start, end == std::string_view::npos ? end : end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;
    std::size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      HeaderId id = headerIdFromName(trim(line.substr(0, colon)));
      std::string_view value = trim(line.substr(colon + 1));
      if (id == HeaderId::kVia && via.empty()) via = value;
      if (id == HeaderId::kFrom && from.empty()) from = value;
      if (id == HeaderId::kTo && to.empty()) to = value;
      if (id == HeaderId::kCallId && callId.empty()) callId = value;
      if (id == HeaderId::kCSeq && cseq.empty()) cseq = value;
    }
    pos = end;
  }
  if (via.empty() || from.empty() || to.empty() || callId.empty() || cseq.empty()) {
    return std::nullopt;
  }
  std::string reason(why.substr(0, 120));
  std::replace_if(reason.begin(), reason.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20; }, ' ');
  std::string out = "SIP/2.0 400 Bad Request (" + reason + ")\r\n";
  out += "Via: ";
  out += via;
  out += "\r\nFrom: ";
  out += from;
  out += "\r\nTo: ";
  out += to;
  out += "\r\nCall-ID: ";
  out += callId;
  out += "\r\nCSeq: ";
  out += cseq;
  out += "\r\nContent-Length: 0\r\n\r\n";
  return out;
}

}  // namespace sb::sip
