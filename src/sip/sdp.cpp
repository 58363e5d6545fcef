#include "sip/sdp.h"

#include <algorithm>
#include <charconv>

#include "sip/uri.h"

namespace sb::sip::sdp {
namespace {

constexpr std::size_t kMaxMedia = 64;
constexpr std::size_t kMaxFormats = 128;

struct StaticType {
  int pt;
  const char* name;
  int rate;
};
constexpr StaticType kStatic[] = {{0, "PCMU", 8000}, {3, "GSM", 8000},  {4, "G723", 8000},
                                  {8, "PCMA", 8000}, {9, "G722", 8000}, {18, "G729", 8000}};

std::optional<int> toInt(std::string_view s, int max) {
  int v = 0;
  if (s.empty()) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 0 || v > max) return std::nullopt;
  return v;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    std::size_t p = s.find(sep);
    if (p != 0) out.push_back(s.substr(0, p));
    if (p == std::string_view::npos) break;
    s.remove_prefix(p + 1);
  }
  return out;
}

std::optional<Direction> directionFrom(std::string_view a) {
  if (a == "sendrecv") return Direction::kSendRecv;
  if (a == "sendonly") return Direction::kSendOnly;
  if (a == "recvonly") return Direction::kRecvOnly;
  if (a == "inactive") return Direction::kInactive;
  return std::nullopt;
}

Error lineError(std::size_t line, const std::string& why) {
  return Error{Errc::kInvalidInput, "SDP line " + std::to_string(line) + ": " + why};
}

Format* findFormat(Media& m, int pt) {
  for (auto& f : m.formats) {
    if (f.payloadType == pt) return &f;
  }
  return nullptr;
}

// a=rtpmap / a=fmtp / direction / ptime / rtcp for a media section (or the session).
Result<void> mediaAttribute(Media& m, std::string_view name, std::string_view value,
                            std::size_t line) {
  if (auto d = directionFrom(name)) {
    m.direction = d;
    return {};
  }
  if (name == "rtpmap" || name == "fmtp") {
    std::size_t sp = value.find(' ');
    auto pt = toInt(value.substr(0, sp), 127);
    if (!pt || sp == std::string_view::npos) return lineError(line, "invalid a=" + std::string(name));
    Format* f = findFormat(m, *pt);
    if (f == nullptr) return {};  // attribute for a format not in the m= line: ignored
    std::string_view rest = trim(value.substr(sp + 1));
    if (name == "fmtp") {
      f->fmtp = rest;
      return {};
    }
    auto parts = split(rest, '/');
    if (parts.size() < 2 || parts[0].empty()) return lineError(line, "invalid a=rtpmap");
    auto rate = toInt(parts[1], 1000000);
    if (!rate || *rate == 0) return lineError(line, "invalid clock rate");
    f->encoding = parts[0];
    f->clockRate = *rate;
    if (parts.size() > 2) {
      auto ch = toInt(parts[2], 16);
      if (!ch || *ch == 0) return lineError(line, "invalid channel count");
      f->channels = *ch;
    }
    return {};
  }
  if (name == "ptime") {
    auto p = toInt(value, 1000);
    if (!p || *p == 0) return lineError(line, "invalid ptime");
    m.ptime = *p;
    return {};
  }
  if (name == "rtcp") {
    auto p = toInt(value.substr(0, value.find(' ')), 65535);
    if (!p) return lineError(line, "invalid rtcp port");
    m.rtcpPort = *p;
    return {};
  }
  m.attributes.emplace_back(name, value);
  return {};
}

Result<std::string> connectionAddress(std::string_view value, std::size_t line) {
  auto parts = split(value, ' ');
  if (parts.size() != 3 || parts[0] != "IN" || (parts[1] != "IP4" && parts[1] != "IP6")) {
    return lineError(line, "invalid c= line");
  }
  std::string_view addr = parts[2].substr(0, parts[2].find('/'));  // drop /ttl
  if (addr.empty()) return lineError(line, "empty connection address");
  return std::string(addr);
}

}  // namespace

std::string_view directionName(Direction d) {
  switch (d) {
    case Direction::kSendRecv: return "sendrecv";
    case Direction::kSendOnly: return "sendonly";
    case Direction::kRecvOnly: return "recvonly";
    case Direction::kInactive: return "inactive";
  }
  return "sendrecv";
}

Result<Session> parse(std::string_view text) {
  Session s;
  std::size_t lineNo = 0;
  bool sawVersion = false;
  bool sawOrigin = false;
  bool sessionLevel = true;
  std::optional<Direction> sessionDir;
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    ++lineNo;
    if (line.empty()) continue;
    if (line.size() < 2 || line[1] != '=') return lineError(lineNo, "expected <type>=<value>");
    char type = line[0];
    std::string_view value = line.substr(2);
    if (!sawVersion) {
      if (type != 'v' || value != "0") return lineError(lineNo, "description must start with v=0");
      sawVersion = true;
      continue;
    }
    switch (type) {
      case 'o': {
        auto p = split(value, ' ');
        if (p.size() != 6) return lineError(lineNo, "invalid o= line");
        s.originUser = p[0];
        std::uint64_t id = 0;
        std::uint64_t ver = 0;
        auto r1 = std::from_chars(p[1].data(), p[1].data() + p[1].size(), id);
        auto r2 = std::from_chars(p[2].data(), p[2].data() + p[2].size(), ver);
        if (r1.ec != std::errc() || r2.ec != std::errc()) return lineError(lineNo, "invalid o= numbers");
        s.sessionId = id;
        s.sessionVersion = ver;
        s.originAddress = p[5];
        sawOrigin = true;
        break;
      }
      case 's':
        s.name = value;
        break;
      case 'c': {
        auto a = connectionAddress(value, lineNo);
        if (!a) return a.error();
        if (sessionLevel) {
          s.connectionAddress = *a;
        } else {
          s.media.back().connectionAddress = *a;
        }
        break;
      }
      case 'm': {
        auto p = split(value, ' ');
        if (p.size() < 4) return lineError(lineNo, "invalid m= line");
        if (s.media.size() >= kMaxMedia) return lineError(lineNo, "too many media sections");
        Media m;
        m.type = p[0];
        std::string_view port = p[1];
        if (std::size_t slash = port.find('/'); slash != std::string_view::npos) {
          auto count = toInt(port.substr(slash + 1), 65535);
          if (!count || *count == 0) return lineError(lineNo, "invalid port count");
          m.portCount = *count;
          port = port.substr(0, slash);
        }
        auto pn = toInt(port, 65535);
        if (!pn) return lineError(lineNo, "invalid port");
        m.port = *pn;
        m.proto = p[2];
        if (p.size() - 3 > kMaxFormats) return lineError(lineNo, "too many formats");
        bool rtp = m.proto.find("RTP/") != std::string::npos;
        for (std::size_t i = 3; i < p.size(); ++i) {
          Format f;
          if (rtp) {
            auto pt = toInt(p[i], 127);
            if (!pt) return lineError(lineNo, "invalid payload type");
            f.payloadType = *pt;
            for (const auto& st : kStatic) {
              if (st.pt == *pt) {
                f.encoding = st.name;
                f.clockRate = st.rate;
              }
            }
          } else {
            f.payloadType = -1;
            f.encoding = p[i];
          }
          m.formats.push_back(std::move(f));
        }
        s.media.push_back(std::move(m));
        sessionLevel = false;
        break;
      }
      case 'a': {
        std::size_t colon = value.find(':');
        std::string_view name = value.substr(0, colon);
        std::string_view v = colon == std::string_view::npos ? std::string_view{} : value.substr(colon + 1);
        if (name.empty()) return lineError(lineNo, "empty attribute");
        if (sessionLevel) {
          if (auto d = directionFrom(name)) {
            sessionDir = d;
          } else {
            s.attributes.emplace_back(name, v);
          }
        } else {
          auto r = mediaAttribute(s.media.back(), name, v, lineNo);
          if (!r) return r.error();
        }
        break;
      }
      case 'v':
        return lineError(lineNo, "repeated v= line");
      default:
        break;  // t=, b=, i=, u=, e=, p=, z=, k=, r=: accepted and not needed
    }
  }
  if (!sawVersion) return fail(Errc::kInvalidInput, "SDP: empty description");
  if (!sawOrigin) return fail(Errc::kInvalidInput, "SDP: missing o= line");
  if (sessionDir) s.direction = *sessionDir;
  for (const auto& m : s.media) {
    if (m.port != 0 && m.connectionAddress.empty() && s.connectionAddress.empty()) {
      return fail(Errc::kInvalidInput, "SDP: media without a connection address");
    }
  }
  return s;
}

std::string serialize(const Session& s) {
  auto ipType = [](const std::string& a) { return a.find(':') != std::string::npos ? "IP6" : "IP4"; };
  std::string out;
  out.reserve(256);
  out += "v=0\r\n";
  out += "o=" + s.originUser + " " + std::to_string(s.sessionId) + " " +
         std::to_string(s.sessionVersion) + " IN " + ipType(s.originAddress) + " " +
         s.originAddress + "\r\n";
  out += "s=" + (s.name.empty() ? std::string("-") : s.name) + "\r\n";
  if (!s.connectionAddress.empty()) {
    out += "c=IN " + std::string(ipType(s.connectionAddress)) + " " + s.connectionAddress + "\r\n";
  }
  out += "t=0 0\r\n";
  for (const auto& [n, v] : s.attributes) out += "a=" + n + (v.empty() ? "" : ":" + v) + "\r\n";
  if (s.direction != Direction::kSendRecv) {
    out += "a=" + std::string(directionName(s.direction)) + "\r\n";
  }
  for (const auto& m : s.media) {
    out += "m=" + m.type + " " + std::to_string(m.port);
    if (m.portCount > 1) out += "/" + std::to_string(m.portCount);
    out += " " + m.proto;
    for (const auto& f : m.formats) {
      out += " " + (f.payloadType >= 0 ? std::to_string(f.payloadType) : f.encoding);
    }
    out += "\r\n";
    if (!m.connectionAddress.empty()) {
      out += "c=IN " + std::string(ipType(m.connectionAddress)) + " " + m.connectionAddress + "\r\n";
    }
    for (const auto& f : m.formats) {
      if (f.payloadType < 0 || f.encoding.empty()) continue;
      out += "a=rtpmap:" + std::to_string(f.payloadType) + " " + f.encoding + "/" +
             std::to_string(f.clockRate) + (f.channels > 1 ? "/" + std::to_string(f.channels) : "") +
             "\r\n";
      if (!f.fmtp.empty()) out += "a=fmtp:" + std::to_string(f.payloadType) + " " + f.fmtp + "\r\n";
    }
    if (m.ptime) out += "a=ptime:" + std::to_string(*m.ptime) + "\r\n";
    if (m.rtcpPort) out += "a=rtcp:" + std::to_string(*m.rtcpPort) + "\r\n";
    for (const auto& [n, v] : m.attributes) out += "a=" + n + (v.empty() ? "" : ":" + v) + "\r\n";
    if (m.direction) out += "a=" + std::string(directionName(*m.direction)) + "\r\n";
  }
  return out;
}

Direction effectiveDirection(const Session& s, const Media& m) {
  return m.direction.value_or(s.direction);
}

Direction answerDirection(Direction offered) {
  switch (offered) {
    case Direction::kSendOnly: return Direction::kRecvOnly;
    case Direction::kRecvOnly: return Direction::kSendOnly;
    case Direction::kInactive: return Direction::kInactive;
    case Direction::kSendRecv: return Direction::kSendRecv;
  }
  return Direction::kSendRecv;
}

Result<Session> answer(const Session& offer, const AnswerOptions& opt) {
  Session a;
  a.sessionId = opt.sessionId;
  a.sessionVersion = opt.sessionVersion;
  a.originAddress = opt.address;
  a.connectionAddress = opt.address;
  bool accepted = false;
  for (const auto& m : offer.media) {
    Media r;
    r.type = m.type;
    r.proto = m.proto;
    const Format* chosen = nullptr;
    if (!accepted && m.type == "audio" && m.port != 0 && m.proto == "RTP/AVP") {
      for (const auto& f : m.formats) {
        bool ok = std::any_of(opt.codecs.begin(), opt.codecs.end(), [&](const std::string& c) {
          return iequals(c, f.encoding) && f.clockRate == 8000;
        });
        if (ok) {
          chosen = &f;
          break;
        }
      }
    }
    if (chosen == nullptr) {
      r.port = 0;  // RFC 3264 §6: rejected stream keeps its formats
      r.formats = m.formats;
      a.media.push_back(std::move(r));
      continue;
    }
    accepted = true;
    r.port = opt.port;
    r.formats.push_back(*chosen);
    if (opt.telephoneEvent) {
      for (const auto& f : m.formats) {
        if (iequals(f.encoding, "telephone-event") && f.clockRate == 8000) {
          Format te = f;
          if (te.fmtp.empty()) te.fmtp = "0-16";
          r.formats.push_back(te);
          break;
        }
      }
    }
    r.ptime = opt.ptime;
    r.direction = answerDirection(effectiveDirection(offer, m));
    a.media.push_back(std::move(r));
  }
  if (!accepted) return fail(Errc::kInvalidInput, "no common codec");
  return a;
}

Session makeOffer(const AnswerOptions& opt) {
  Session s;
  s.sessionId = opt.sessionId;
  s.sessionVersion = opt.sessionVersion;
  s.originAddress = opt.address;
  s.connectionAddress = opt.address;
  Media m;
  m.type = "audio";
  m.port = opt.port;
  m.proto = "RTP/AVP";
  for (const auto& c : opt.codecs) {
    for (const auto& st : kStatic) {
      if (iequals(c, st.name)) m.formats.push_back(Format{st.pt, st.name, st.rate, 1, {}});
    }
  }
  if (opt.telephoneEvent) m.formats.push_back(Format{101, "telephone-event", 8000, 1, "0-16"});
  m.ptime = opt.ptime;
  m.direction = Direction::kSendRecv;
  s.media.push_back(std::move(m));
  return s;
}

}  // namespace sb::sip::sdp
