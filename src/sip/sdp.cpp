#include "sip/sdp.h"

#include <algorithm>
#include <bitset>
#include <cassert>
#include <charconv>
#include <limits>

namespace sb::sip::sdp {
namespace {

constexpr std::size_t kNpos = std::string_view::npos;
constexpr int kMaxPayloadType = 127;
constexpr int kTelephoneEventPt = 101;
constexpr int kMaxPtimeMs = 1000;

// RFC 3551 §6, tables 4 and 5: the static payload types and their default rtpmap.
struct StaticType {
  int pt;
  std::string_view name;
  int rate;
  int channels;
};
constexpr StaticType kStatic[] = {
    {0, "PCMU", 8000, 1},   {3, "GSM", 8000, 1},    {4, "G723", 8000, 1},   {5, "DVI4", 8000, 1},
    {6, "DVI4", 16000, 1},  {7, "LPC", 8000, 1},    {8, "PCMA", 8000, 1},   {9, "G722", 8000, 1},
    {10, "L16", 44100, 2},  {11, "L16", 44100, 1},  {12, "QCELP", 8000, 1}, {13, "CN", 8000, 1},
    {14, "MPA", 90000, 1},  {15, "G728", 8000, 1},  {16, "DVI4", 11025, 1}, {17, "DVI4", 22050, 1},
    {18, "G729", 8000, 1},  {25, "CelB", 90000, 1}, {26, "JPEG", 90000, 1}, {28, "nv", 90000, 1},
    {31, "H261", 90000, 1}, {32, "MPV", 90000, 1},  {33, "MP2T", 90000, 1}, {34, "H263", 90000, 1}};

template <class Pred>
const StaticType* findStatic(Pred pred) {
  const auto* it = std::find_if(std::begin(kStatic), std::end(kStatic), pred);
  return it == std::end(kStatic) ? nullptr : it;
}

bool iequals(std::string_view a, std::string_view b) {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [&](char x, char y) { return lower(x) == lower(y); });
}

// RFC 4566 §9 token-char: visible ASCII except " ( ) , / : ; < = > ? @ [ \ ].
bool isTokenChar(char c) {
  return c > 0x20 && c < 0x7F && std::string_view("\"(),/:;<=>?@[\\]").find(c) == kNpos;
}

// Non-empty and every character passes.
template <class Pred>
bool allOf(std::string_view s, Pred pred) {
  return !s.empty() && std::all_of(s.begin(), s.end(), pred);
}

bool isToken(std::string_view s) {
  return allOf(s, isTokenChar);
}

// proto = token *("/" token)
bool isProto(std::string_view s) {
  if (s.empty() || s.front() == '/' || s.back() == '/' || s.find("//") != kNpos) return false;
  return allOf(s, [](char c) { return c == '/' || isTokenChar(c); });
}

// IPv4/IPv6 literals and host names; deliberately narrow, the value ends up in RTP sockets.
bool isAddress(std::string_view s) {
  return s.size() <= 255 && allOf(s, [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  c == '.' || c == ':' || c == '-' || c == '_';
         });
}

// RFC 4566 §9 non-ws-string: VCHAR and bytes >= 0x80.
bool isNonWsString(std::string_view s) {
  return allOf(s, [](char c) { return static_cast<unsigned char>(c) > 0x20 && c != 0x7F; });
}

// Decimal digits only (from_chars alone would take "-0"), at most `max`.
template <class T>
std::optional<T> toNumber(std::string_view s, T max = std::numeric_limits<T>::max()) {
  if (s.size() > 20 || !allOf(s, [](char c) { return c >= '0' && c <= '9'; })) return std::nullopt;
  T v{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v > max) return std::nullopt;
  return v;
}

// Space-separated fields; runs of spaces count as one separator, fields are never empty.
std::vector<std::string_view> fields(std::string_view s) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    std::size_t start = s.find_first_not_of(' ');
    if (start == kNpos) break;
    s.remove_prefix(start);
    std::size_t end = s.find(' ');
    out.push_back(s.substr(0, end));
    s.remove_prefix(end == kNpos ? s.size() : end);
  }
  return out;
}

std::string_view trimBlanks(std::string_view s) {
  std::size_t b = s.find_first_not_of(" \t");
  if (b == kNpos) return {};
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

// Indexed by Direction.
constexpr std::string_view kDirectionNames[] = {"sendrecv", "sendonly", "recvonly", "inactive"};

std::optional<Direction> directionFrom(std::string_view name) {
  for (std::size_t i = 0; i < std::size(kDirectionNames); ++i) {
    if (kDirectionNames[i] == name) return static_cast<Direction>(i);
  }
  return std::nullopt;
}

// c=IN <IP4|IP6> <address>[/<ttl>[/<count>]] (RFC 4566 §5.7); the multicast suffixes are
// checked and dropped.
std::optional<std::string_view> connectionAddress(std::string_view value) {
  auto f = fields(value);
  if (f.size() != 3 || f[0] != "IN" || (f[1] != "IP4" && f[1] != "IP6")) return std::nullopt;
  std::string_view addr = f[2];
  std::size_t slash = addr.find('/');
  if (slash != kNpos) {
    std::string_view suffix = addr.substr(slash + 1);
    std::size_t second = suffix.find('/');
    if (!toNumber<int>(suffix.substr(0, second), 65535)) return std::nullopt;
    if (second != kNpos && !toNumber<int>(suffix.substr(second + 1), 65535)) return std::nullopt;
    addr = addr.substr(0, slash);
  }
  if (!isAddress(addr)) return std::nullopt;
  return addr;
}

Format* findFormat(Media& m, int pt) {
  for (auto& f : m.formats) {
    if (f.payloadType == pt) return &f;
  }
  return nullptr;
}

// Marks a payload type as seen; false when it already was.
bool firstSight(std::bitset<kMaxPayloadType + 1>& seen, int pt) {
  auto i = static_cast<std::size_t>(pt);
  if (seen.test(i)) return false;
  seen.set(i);
  return true;
}

Error lineError(std::size_t line, std::string_view why) {
  return fail(Errc::kInvalidInput, "SDP line " + std::to_string(line) + ": " + std::string(why));
}

// One pass over the lines; every check names the line it failed on.
class Parser {
 public:
  Result<Session> run(std::string_view text);

 private:
  Result<void> onLine(char type, std::string_view value);
  Result<void> onOrigin(std::string_view value);
  Result<void> onName(std::string_view value);
  Result<void> onTiming(std::string_view value);
  Result<void> onConnection(std::string_view value);
  Result<void> onMedia(std::string_view value);
  Result<void> addFormats(Media& m, const std::vector<std::string_view>& f);
  Result<void> onAttribute(std::string_view value);
  Result<void> onMediaAttribute(Media& m, std::string_view name, std::string_view value);
  Result<void> onRtcp(Media& m, std::string_view value);
  Result<void> onRtpmap(Media& m, std::string_view value);
  Result<void> onFmtp(Media& m, std::string_view value);
  Result<void> finish() const;
  Error error(std::string_view why) const { return lineError(line_, why); }
  bool inMedia() const { return !s_.media.empty(); }

  Session s_;
  std::size_t line_ = 0;
  bool sawOrigin_ = false;
  bool sawName_ = false;
  bool sawConnection_ = false;                   // in the current section (session or latest m=)
  std::vector<std::size_t> mediaLines_;          // line of each m=, for checks done at the end
  std::bitset<kMaxPayloadType + 1> rtpmapSeen_;  // in the current m= section
  std::bitset<kMaxPayloadType + 1> fmtpSeen_;
};

Result<Session> Parser::run(std::string_view text) {
  bool sawVersion = false;
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == kNpos ? text.size() : nl + 1);
    ++line_;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;  // stray blank lines (often a trailing one) are harmless
    if (line.find('\0') != kNpos || line.find('\r') != kNpos)
      return error("NUL or CR inside a line");
    if (line.size() < 2 || line[1] != '=') return error("expected <type>=<value>");
    if (!sawVersion) {
      if (line != "v=0") return error("description must start with v=0");
      sawVersion = true;
      continue;
    }
    if (auto r = onLine(line[0], line.substr(2)); !r) return r.error();
  }
  if (!sawVersion) return fail(Errc::kInvalidInput, "SDP: empty description");
  if (auto r = finish(); !r) return r.error();
  return std::move(s_);
}

Result<void> Parser::onLine(char type, std::string_view value) {
  // RFC 4566 §5: a parser must reject a description with a type letter it does not know.
  constexpr std::string_view kKnown = "vosiuepcbtrzkam";
  constexpr std::string_view kSessionOnly = "vosuepztr";
  if (kKnown.find(type) == kNpos) return error("unknown line type");
  if (inMedia() && kSessionOnly.find(type) != kNpos) {
    return error(std::string(1, type) + "= line inside a media section");
  }
  if (type == 'v') return error("repeated v= line");
  if (type == 'o') return onOrigin(value);
  if (type == 's') return onName(value);
  if (type == 't') return onTiming(value);
  if (type == 'c') return onConnection(value);
  if (type == 'm') return onMedia(value);
  if (type == 'a') return onAttribute(value);
  return {};  // i= u= e= p= b= r= z= k=: nothing a contact center acts on
}

Result<void> Parser::onName(std::string_view value) {
  if (sawName_) return error("repeated s= line");
  sawName_ = true;
  s_.name = value.empty() ? "-" : std::string(value);  // "s=" is common though RFC 4566 wants "s= "
  return {};
}

// o=<username> <sess-id> <sess-version> IN <IP4|IP6> <unicast-address> (RFC 4566 §5.2)
Result<void> Parser::onOrigin(std::string_view value) {
  if (sawOrigin_) return error("repeated o= line");
  auto f = fields(value);
  if (f.size() != 6) return error("o= needs 6 fields");
  auto id = toNumber<std::uint64_t>(f[1]);
  auto version = toNumber<std::uint64_t>(f[2]);
  if (!isNonWsString(f[0])) return error("invalid o= username");
  if (!id) return error("invalid o= session id");
  if (!version) return error("invalid o= session version");
  if (f[3] != "IN" || (f[4] != "IP4" && f[4] != "IP6")) return error("o= must be IN IP4|IP6");
  if (!isAddress(f[5])) return error("invalid o= address");
  s_.originUser = f[0];
  s_.sessionId = *id;
  s_.sessionVersion = *version;
  s_.originAddress = f[5];
  sawOrigin_ = true;
  return {};
}

// t=<start> <stop>: NTP seconds, checked but not kept (we only do "t=0 0" sessions).
Result<void> Parser::onTiming(std::string_view value) {
  auto f = fields(value);
  if (f.size() == 2 && toNumber<std::uint64_t>(f[0]) && toNumber<std::uint64_t>(f[1])) return {};
  return error("invalid t= line");
}

Result<void> Parser::onConnection(std::string_view value) {
  if (sawConnection_) return error("repeated c= line");
  auto addr = connectionAddress(value);
  if (!addr) return error("invalid c= line (want IN IP4|IP6 <address>[/ttl])");
  (inMedia() ? s_.media.back().connectionAddress : s_.connectionAddress) = *addr;
  sawConnection_ = true;
  return {};
}

// m=<media> <port>[/<number of ports>] <proto> <fmt> ... (RFC 4566 §5.14)
Result<void> Parser::onMedia(std::string_view value) {
  if (!sawOrigin_ || !sawName_) return error("m= before the o= and s= lines");
  if (s_.media.size() >= kMaxMedia) return error("too many media sections (max 64)");
  auto f = fields(value);
  if (f.size() < 4) return error("m= needs media, port, proto and at least one format");
  if (f.size() - 3 > kMaxFormats) return error("too many formats (max 128)");
  Media m;
  if (!isToken(f[0])) return error("invalid media type");
  m.type = f[0];
  std::size_t slash = f[1].find('/');
  auto port = toNumber<int>(f[1].substr(0, slash), 65535);
  if (!port) return error("invalid port (want 0..65535)");
  m.port = *port;
  if (slash != kNpos) {
    auto count = toNumber<int>(f[1].substr(slash + 1), 65535);
    if (!count || *count == 0 || *port + *count - 1 > 65535) return error("invalid port count");
    m.portCount = *count;
  }
  if (!isProto(f[2])) return error("invalid m= proto");
  m.proto = f[2];
  if (auto r = addFormats(m, f); !r) return r;
  s_.media.push_back(std::move(m));
  mediaLines_.push_back(line_);
  sawConnection_ = false;
  rtpmapSeen_.reset();
  fmtpSeen_.reset();
  return {};
}

Result<void> Parser::addFormats(Media& m, const std::vector<std::string_view>& f) {
  const bool rtp = isRtp(m.proto);
  std::bitset<kMaxPayloadType + 1> seen;
  m.formats.reserve(f.size() - 3);
  for (std::size_t i = 3; i < f.size(); ++i) {
    Format fmt;
    if (!rtp) {
      if (!isToken(f[i])) return error("invalid m= format");
      fmt.payloadType = -1;
      fmt.encoding = f[i];
      m.formats.push_back(std::move(fmt));
      continue;
    }
    auto pt = toNumber<int>(f[i]);
    if (!pt) return error("invalid payload type");
    if (*pt > kMaxPayloadType) return error("payload type out of range (0..127)");
    if (!firstSight(seen, *pt)) return error("duplicate payload type");
    fmt.payloadType = *pt;
    if (const auto* st = findStatic([&](const StaticType& t) { return t.pt == *pt; })) {
      fmt.encoding = st->name;
      fmt.clockRate = st->rate;
      fmt.channels = st->channels;
    }
    m.formats.push_back(std::move(fmt));
  }
  return {};
}

Result<void> Parser::onAttribute(std::string_view value) {
  std::size_t colon = value.find(':');
  std::string_view name = value.substr(0, colon);
  std::string_view v = colon == kNpos ? std::string_view{} : value.substr(colon + 1);
  if (!isToken(name)) return error("invalid attribute name");
  if (inMedia()) return onMediaAttribute(s_.media.back(), name, v);
  if (auto d = directionFrom(name)) {
    s_.direction = *d;
  } else {
    s_.attributes.emplace_back(name, v);
  }
  return {};
}

Result<void> Parser::onMediaAttribute(Media& m, std::string_view name, std::string_view value) {
  if (auto d = directionFrom(name)) {
    m.direction = d;
    return {};
  }
  if (name == "ptime") {
    auto f = fields(value);
    auto ms = f.size() == 1 ? toNumber<int>(f[0], kMaxPtimeMs) : std::nullopt;
    if (!ms || *ms == 0) return error("invalid a=ptime (want 1..1000 ms)");
    m.ptime = *ms;
    return {};
  }
  if (name == "rtcp") return onRtcp(m, value);
  if (isRtp(m.proto) && name == "rtpmap") return onRtpmap(m, value);
  if (isRtp(m.proto) && name == "fmtp") return onFmtp(m, value);
  m.attributes.emplace_back(name, value);
  return {};
}

// a=rtcp:<port> [IN IP4|IP6 <address>] (RFC 3605); the address is checked, not kept.
Result<void> Parser::onRtcp(Media& m, std::string_view value) {
  auto f = fields(value);
  auto port = f.empty() ? std::nullopt : toNumber<int>(f[0], 65535);
  bool addressOk = f.size() == 1 || (f.size() == 4 && f[1] == "IN" &&
                                     (f[2] == "IP4" || f[2] == "IP6") && isAddress(f[3]));
  if (!port || !addressOk) return error("invalid a=rtcp");
  m.rtcpPort = *port;
  return {};
}

// a=rtpmap:<payload type> <encoding name>/<clock rate>[/<channels>] (RFC 4566 §6)
Result<void> Parser::onRtpmap(Media& m, std::string_view value) {
  auto f = fields(value);
  auto pt = f.size() == 2 ? toNumber<int>(f[0], kMaxPayloadType) : std::nullopt;
  if (!pt) return error("invalid a=rtpmap (want <payload type> <name>/<rate>)");
  std::size_t slash = f[1].find('/');
  if (slash == kNpos) return error("invalid a=rtpmap (want <payload type> <name>/<rate>)");
  std::string_view encoding = f[1].substr(0, slash);
  std::string_view rest = f[1].substr(slash + 1);
  std::size_t second = rest.find('/');
  auto rate = toNumber<int>(rest.substr(0, second));
  std::optional<int> channels = 1;
  if (second != kNpos) channels = toNumber<int>(rest.substr(second + 1), 255);
  if (!isToken(encoding)) return error("invalid a=rtpmap encoding name");
  if (!rate || *rate == 0) return error("invalid a=rtpmap clock rate");
  if (!channels || *channels == 0) return error("invalid a=rtpmap channel count");
  if (!firstSight(rtpmapSeen_, *pt)) return error("repeated a=rtpmap for one payload type");
  Format* fmt = findFormat(m, *pt);
  if (fmt == nullptr) return {};  // maps a type the m= line does not list: nothing to name
  fmt->encoding = encoding;
  fmt->clockRate = *rate;
  fmt->channels = *channels;
  return {};
}

// a=fmtp:<payload type> <format specific parameters> (RFC 4566 §6); kept verbatim, trimmed.
Result<void> Parser::onFmtp(Media& m, std::string_view value) {
  std::size_t sp = value.find(' ');
  auto pt = toNumber<int>(value.substr(0, sp), kMaxPayloadType);
  if (!pt) return error("invalid a=fmtp payload type");
  if (!firstSight(fmtpSeen_, *pt)) return error("repeated a=fmtp for one payload type");
  Format* fmt = findFormat(m, *pt);
  if (fmt == nullptr) return {};
  fmt->fmtp = sp == kNpos ? std::string_view{} : trimBlanks(value.substr(sp + 1));
  return {};
}

Result<void> Parser::finish() const {
  if (!sawOrigin_) return fail(Errc::kInvalidInput, "SDP: missing o= line");
  if (!sawName_) return fail(Errc::kInvalidInput, "SDP: missing s= line");
  // RFC 4566 §5.7: every stream needs a c=, its own or the session's. A disabled one (port 0)
  // is never sent to, so it may go without.
  for (std::size_t i = 0; i < s_.media.size(); ++i) {
    const Media& m = s_.media[i];
    if (m.port != 0 && m.connectionAddress.empty() && s_.connectionAddress.empty()) {
      return lineError(mediaLines_[i], "m= section without c= and no session-level c=");
    }
  }
  return {};
}

std::string_view addressType(std::string_view address) {
  return address.find(':') != kNpos ? "IP6" : "IP4";
}

void appendAttribute(std::string& out, std::string_view name, std::string_view value) {
  out.append("a=").append(name);
  if (!value.empty()) out.append(":").append(value);
  out += "\r\n";
}

void appendAddress(std::string& out, std::string_view address) {
  out.append("IN ").append(addressType(address)).append(" ").append(address).append("\r\n");
}

void appendMedia(std::string& out, const Media& m) {
  out.append("m=").append(m.type).append(" ").append(std::to_string(m.port));
  if (m.portCount > 1) out.append("/").append(std::to_string(m.portCount));
  out.append(" ").append(m.proto);
  for (const auto& f : m.formats) {
    out.append(" ").append(f.payloadType >= 0 ? std::to_string(f.payloadType) : f.encoding);
  }
  out += "\r\n";
  if (!m.connectionAddress.empty()) appendAddress(out.append("c="), m.connectionAddress);
  for (const auto& f : m.formats) {
    if (f.payloadType < 0) continue;
    std::string pt = std::to_string(f.payloadType);
    if (!f.encoding.empty() && f.clockRate > 0) {
      std::string map = pt + " " + f.encoding + "/" + std::to_string(f.clockRate);
      if (f.channels > 1) map += "/" + std::to_string(f.channels);
      appendAttribute(out, "rtpmap", map);
    }
    if (!f.fmtp.empty()) appendAttribute(out, "fmtp", pt + " " + f.fmtp);
  }
  if (m.ptime) appendAttribute(out, "ptime", std::to_string(*m.ptime));
  if (m.rtcpPort) appendAttribute(out, "rtcp", std::to_string(*m.rtcpPort));
  for (const auto& [name, value] : m.attributes) appendAttribute(out, name, value);
  if (m.direction) appendAttribute(out, directionName(*m.direction), {});
}

// A format we can receive: one of opt.codecs by name; a codec with a static payload type
// (PCMU, PCMA, G722, ...) must also have its RFC 3551 rate and channel count.
bool supported(const Format& f, const AnswerOptions& opt) {
  if (f.encoding.empty() || iequals(f.encoding, "telephone-event")) return false;
  bool named = std::any_of(opt.codecs.begin(), opt.codecs.end(),
                           [&](const std::string& c) { return iequals(c, f.encoding); });
  auto sameName = [&](const StaticType& t) { return iequals(t.name, f.encoding); };
  if (!named || findStatic(sameName) == nullptr) return named && f.clockRate > 0;
  return findStatic([&](const StaticType& t) {
           return sameName(t) && t.rate == f.clockRate && t.channels == f.channels;
         }) != nullptr;
}

Direction offeredDirection(const Session& offer, const Media& m) {
  Direction d = effectiveDirection(offer, m);
  const std::string& addr =
      m.connectionAddress.empty() ? offer.connectionAddress : m.connectionAddress;
  // RFC 3264 §8.4: c=0.0.0.0 is RFC 2543 hold; the offerer does not want to receive.
  if (addr == "0.0.0.0") {
    if (d == Direction::kSendRecv) return Direction::kSendOnly;
    if (d == Direction::kRecvOnly) return Direction::kInactive;
  }
  return d;
}

// RFC 3264 §6: an answer's stream has the offered one's media and proto.
Media answerStream(const Media& offered, int port) {
  Media r;
  r.type = offered.type;
  r.port = port;
  r.proto = offered.proto;
  return r;
}

// The answer's m= section for an offered stream we accept, or nullopt to reject it.
std::optional<Media> accept(const Session& offer, const Media& m, const AnswerOptions& opt) {
  if (!iequals(m.type, "audio") || !iequals(m.proto, "RTP/AVP") || m.port == 0) {
    return std::nullopt;
  }
  // RFC 3264 §6.1: use the offerer's payload type numbers; we take its first choice we support.
  auto chosen = std::find_if(m.formats.begin(), m.formats.end(),
                             [&](const Format& f) { return supported(f, opt); });
  if (chosen == m.formats.end()) return std::nullopt;
  Media r = answerStream(m, opt.port);
  r.formats.push_back(*chosen);
  if (opt.telephoneEvent) {
    // RFC 4733 §2.5.1: telephone-event runs at the clock rate of the audio codec.
    auto te = std::find_if(m.formats.begin(), m.formats.end(), [&](const Format& f) {
      return iequals(f.encoding, "telephone-event") && f.clockRate == chosen->clockRate;
    });
    if (te != m.formats.end()) r.formats.push_back(*te);
  }
  if (opt.ptime > 0) r.ptime = opt.ptime;
  r.direction = answerDirection(offeredDirection(offer, m));
  return r;
}

// The session part of our offers and answers; the options are the caller's, not a peer's.
Session ourSession(const AnswerOptions& opt) {
  assert(isAddress(opt.address) && "AnswerOptions.address is required");
  assert(opt.port > 0 && opt.port <= 65535 && "AnswerOptions.port is required");
  assert(opt.ptime >= 0 && opt.ptime <= kMaxPtimeMs);
  Session s;
  s.sessionId = opt.sessionId;
  s.sessionVersion = opt.sessionVersion;
  s.originAddress = opt.address;
  s.connectionAddress = opt.address;
  return s;
}

}  // namespace

std::string_view directionName(Direction d) {
  auto i = static_cast<std::size_t>(d);
  return i < std::size(kDirectionNames) ? kDirectionNames[i] : kDirectionNames[0];
}

bool isRtp(std::string_view proto) {
  // Any "/"-separated component equal to RTP: RTP/AVP, RTP/SAVPF, UDP/TLS/RTP/SAVPF, TCP/RTP/AVP.
  while (!proto.empty()) {
    std::size_t slash = proto.find('/');
    if (proto.substr(0, slash) == "RTP") return true;
    proto.remove_prefix(slash == kNpos ? proto.size() : slash + 1);
  }
  return false;
}

Result<Session> parse(std::string_view text) {
  return Parser().run(text);
}

std::string serialize(const Session& s) {
  std::string out;
  out.reserve(256 + 256 * s.media.size());
  out += "v=0\r\n";
  // A hand-built session may lack an origin address; parse() needs one.
  std::string_view origin = "0.0.0.0";
  if (!s.connectionAddress.empty()) origin = s.connectionAddress;
  if (!s.originAddress.empty()) origin = s.originAddress;
  out.append("o=").append(s.originUser.empty() ? "-" : s.originUser).append(" ");
  out.append(std::to_string(s.sessionId)).append(" ").append(std::to_string(s.sessionVersion));
  appendAddress(out.append(" "), origin);
  out.append("s=").append(s.name.empty() ? "-" : s.name).append("\r\n");
  if (!s.connectionAddress.empty()) appendAddress(out.append("c="), s.connectionAddress);
  out += "t=0 0\r\n";
  for (const auto& [name, value] : s.attributes) appendAttribute(out, name, value);
  if (s.direction != Direction::kSendRecv) appendAttribute(out, directionName(s.direction), {});
  for (const auto& m : s.media) appendMedia(out, m);
  return out;
}

Direction effectiveDirection(const Session& s, const Media& m) {
  return m.direction.value_or(s.direction);
}

Direction answerDirection(Direction offered) {
  if (offered == Direction::kSendOnly) return Direction::kRecvOnly;
  if (offered == Direction::kRecvOnly) return Direction::kSendOnly;
  return offered;  // sendrecv and inactive are symmetric
}

Result<Session> answer(const Session& offer, const AnswerOptions& opt) {
  Session a = ourSession(opt);
  bool accepted = false;
  // RFC 3264 §6: as many m= lines as offered, in the same order.
  for (const auto& m : offer.media) {
    std::optional<Media> r = accepted ? std::nullopt : accept(offer, m, opt);
    accepted = accepted || r.has_value();
    if (!r) {  // RFC 3264 §6: a rejected stream keeps its m= line, with port 0 and its formats
      r = answerStream(m, 0);
      r->formats = m.formats;
    }
    a.media.push_back(std::move(*r));
  }
  if (!accepted) return fail(Errc::kInvalidInput, "no common codec");
  return a;
}

Session makeOffer(const AnswerOptions& opt) {
  Session s = ourSession(opt);
  Media m;
  m.type = "audio";
  m.port = opt.port;
  m.proto = "RTP/AVP";
  for (const auto& codec : opt.codecs) {
    const auto* st = findStatic([&](const StaticType& t) { return iequals(t.name, codec); });
    if (st == nullptr || st->rate == 90000 || findFormat(m, st->pt) != nullptr) continue;
    m.formats.push_back(Format{st->pt, std::string(st->name), st->rate, st->channels, {}});
  }
  if (m.formats.empty()) m.formats.push_back(Format{0, "PCMU", 8000, 1, {}});
  if (opt.telephoneEvent) {
    m.formats.push_back(Format{kTelephoneEventPt, "telephone-event", 8000, 1, "0-16"});
  }
  if (opt.ptime > 0) m.ptime = opt.ptime;
  m.direction = Direction::kSendRecv;
  s.media.push_back(std::move(m));
  return s;
}

}  // namespace sb::sip::sdp
