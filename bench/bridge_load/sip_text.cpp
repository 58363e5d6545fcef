// bridge_load: text helpers, SIP parse/build, SDP and MD5 digest authentication (sip_text.h).
#include "sip_text.h"

#include <arpa/inet.h>
#include <openssl/evp.h>

namespace bridge_load {
namespace {

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool ieq(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

void addHeader(SipMsg& m, std::string_view name, std::string_view value) {
  if (ieq(name, "via") || ieq(name, "v")) {
    m.vias.push_back(value);
  } else if (ieq(name, "from") || ieq(name, "f")) {
    m.from = value;
  } else if (ieq(name, "to") || ieq(name, "t")) {
    m.to = value;
  } else if (ieq(name, "call-id") || ieq(name, "i")) {
    m.callId = value;
  } else if (ieq(name, "contact") || ieq(name, "m")) {
    m.contact = value;
  } else if (ieq(name, "record-route")) {
    m.recordRoutes.push_back(value);
  } else if (ieq(name, "www-authenticate")) {
    m.challenges.push_back(value);
  } else if (ieq(name, "cseq")) {
    auto sp = value.find(' ');
    m.cseq = toLong(value.substr(0, sp));
    if (sp != std::string_view::npos) m.cseqMethod = trim(value.substr(sp + 1));
  } else if (ieq(name, "content-length") || ieq(name, "l")) {
    long n = toLong(value);
    if (n >= 0 && static_cast<std::size_t>(n) < m.body.size()) m.body = m.body.substr(0, n);
  }
}

/// The request line or status line of `first` into `m`.
bool parseStartLine(std::string_view first, SipMsg& m) {
  if (first.substr(0, 8) == "SIP/2.0 ") {
    m.status = static_cast<int>(toLong(first.substr(8, 3)));
    return m.status >= 100;
  }
  auto sp1 = first.find(' ');
  auto sp2 = first.rfind(' ');
  if (sp1 == std::string_view::npos || sp2 <= sp1 || first.substr(sp2 + 1) != "SIP/2.0")
    return false;
  m.request = true;
  m.method = first.substr(0, sp1);
  m.ruri = first.substr(sp1 + 1, sp2 - sp1 - 1);
  return true;
}

/// The value of `name=` in a digest challenge, quoted or not.
std::string challengeParam(const std::string& challenge, std::string_view name) {
  std::string key = std::string(name) + "=";
  auto at = challenge.find(key);
  if (at == std::string::npos) return {};
  at += key.size();
  if (challenge[at] == '"') return challenge.substr(at + 1, challenge.find('"', at + 1) - at - 1);
  return challenge.substr(at, challenge.find_first_of(", ", at) - at);
}

}  // namespace

// ---------------------------------------------------------------- text helpers

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

long toLong(std::string_view s, long fallback) {
  if (s.empty() || s.size() > 18) return fallback;
  long v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return fallback;
    v = v * 10 + (c - '0');
  }
  return v;
}

std::string_view uriOf(std::string_view nameAddr) {
  auto lt = nameAddr.find('<');
  if (lt != std::string_view::npos) {
    auto gt = nameAddr.find('>', lt);
    if (gt != std::string_view::npos) return nameAddr.substr(lt + 1, gt - lt - 1);
  }
  return trim(nameAddr.substr(0, nameAddr.find(';')));
}

bool hasTag(std::string_view nameAddr) {
  auto gt = nameAddr.rfind('>');
  std::string_view params = gt == std::string_view::npos ? nameAddr : nameAddr.substr(gt);
  return params.find(";tag=") != std::string_view::npos;
}

// ---------------------------------------------------------------- SIP

bool parseSip(std::string_view data, SipMsg& m) {
  auto headEnd = data.find("\r\n\r\n");
  if (headEnd == std::string_view::npos) return false;
  m.body = data.substr(headEnd + 4);
  std::string_view head = data.substr(0, headEnd);
  auto eol = head.find("\r\n");
  if (!parseStartLine(head.substr(0, eol), m)) return false;
  std::string_view rest = eol == std::string_view::npos ? std::string_view{} : head.substr(eol + 2);
  while (!rest.empty()) {
    auto e = rest.find("\r\n");
    std::string_view line = rest.substr(0, e);
    rest = e == std::string_view::npos ? std::string_view{} : rest.substr(e + 2);
    auto colon = line.find(':');
    if (colon == std::string_view::npos) return false;
    addHeader(m, trim(line.substr(0, colon)), trim(line.substr(colon + 1)));
  }
  return !m.vias.empty() && !m.callId.empty() && !m.from.empty() && !m.to.empty() && m.cseq >= 0;
}

std::string response(const SipMsg& req, int status, std::string_view reason, std::string_view toTag,
                     std::string_view extra, std::string_view sdp) {
  std::string r = "SIP/2.0 " + std::to_string(status) + " " + std::string(reason) + "\r\n";
  for (auto v : req.vias) r.append("Via: ").append(v).append("\r\n");
  for (auto rr : req.recordRoutes) r.append("Record-Route: ").append(rr).append("\r\n");
  r.append("From: ").append(req.from).append("\r\n");
  r.append("To: ").append(req.to);
  if (!toTag.empty() && !hasTag(req.to)) r.append(";tag=").append(toTag);
  r.append("\r\nCall-ID: ").append(req.callId).append("\r\n");
  r.append("CSeq: ")
      .append(std::to_string(req.cseq))
      .append(" ")
      .append(req.cseqMethod)
      .append("\r\n");
  r.append(extra);
  if (!sdp.empty()) r.append("Content-Type: application/sdp\r\n");
  r.append("Content-Length: ").append(std::to_string(sdp.size())).append("\r\n\r\n").append(sdp);
  return r;
}

// ---------------------------------------------------------------- SDP

bool parseSdp(std::string_view body, SdpAudio& out) {
  bool haveIp = false;
  while (!body.empty()) {
    auto e = body.find('\n');
    std::string_view line = trim(body.substr(0, e));
    body = e == std::string_view::npos ? std::string_view{} : body.substr(e + 1);
    if (line.substr(0, 9) == "c=IN IP4 ") {
      std::string ip(trim(line.substr(9)));
      haveIp = inet_pton(AF_INET, ip.c_str(), &out.ip) == 1;
    } else if (line.substr(0, 8) == "m=audio ") {
      long port = toLong(line.substr(8, line.find(' ', 8) - 8));
      if (port > 0 && port < 65536) out.port = static_cast<std::uint16_t>(port);
    } else if (line.substr(0, 9) == "a=rtpmap:" &&
               line.find("telephone-event/8000") != std::string_view::npos) {
      out.telephoneEvent = static_cast<int>(toLong(line.substr(9, line.find(' ') - 9)));
    }
  }
  return haveIp && out.port != 0 && (ntohl(out.ip.s_addr) >> 24) == 127;
}

std::string sdpBody(std::string_view user, unsigned id, std::uint16_t port, int telephoneEvent) {
  std::string te = telephoneEvent >= 0 ? std::to_string(telephoneEvent) : std::string();
  std::string s = "v=0\r\no=" + std::string(user) + " " + std::to_string(id) +
                  " 1 IN IP4 127.0.0.1\r\ns=bridge_load\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                  "m=audio " +
                  std::to_string(port) + " RTP/AVP 0" + (te.empty() ? "" : " " + te) +
                  "\r\na=rtpmap:0 PCMU/8000\r\n";
  if (!te.empty()) s += "a=rtpmap:" + te + " telephone-event/8000\r\na=fmtp:" + te + " 0-16\r\n";
  return s + "a=ptime:20\r\na=sendrecv\r\n";
}

// ---------------------------------------------------------------- digest (RFC 7616)

std::string md5Hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_md5(), nullptr) != 1) return {};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * len);
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 0xf];
  }
  return out;
}

std::string md5Challenge(const SipMsg& m) {
  for (auto c : m.challenges) {
    std::string lc(c);
    for (char& ch : lc) ch = lower(ch);
    if (lc.find("algorithm=sha-256") == std::string::npos) return std::string(c);
  }
  return {};
}

std::string digestAuthorization(const std::string& challenge, const std::string& user,
                                const std::string& password, const std::string& method,
                                const std::string& uri, const std::string& cnonceSeed) {
  std::string realm = challengeParam(challenge, "realm"),
              nonce = challengeParam(challenge, "nonce"),
              opaque = challengeParam(challenge, "opaque");
  std::string cnonce = md5Hex(cnonceSeed + nonce).substr(0, 16), nc = "00000001";
  std::string ha1 = md5Hex(user + ":" + realm + ":" + password);
  std::string ha2 = md5Hex(method + ":" + uri);
  std::string resp = md5Hex(ha1 + ":" + nonce + ":" + nc + ":" + cnonce + ":auth:" + ha2);
  return "Authorization: Digest username=\"" + user + "\", realm=\"" + realm + "\", nonce=\"" +
         nonce + "\", uri=\"" + uri + "\", response=\"" + resp + "\", algorithm=MD5, cnonce=\"" +
         cnonce + "\", qop=auth, nc=" + nc + (opaque.empty() ? "" : ", opaque=\"" + opaque + "\"") +
         "\r\n";
}

}  // namespace bridge_load
