// bridge_load — concurrent bridged calls with RTP both ways, against the real switchboard.
//
// One process plays both ends of every call. It REGISTERs the agent extension, then for each
// call a caller INVITEs a `connect` number; the server answers (200 + SDP), rings the agent
// (an INVITE to this tool's agent SIP socket), and once the agent answers bridges the two legs'
// RTP. A call carries four RTP streams: caller -> server -> agent and agent -> server ->
// caller. The tool sends the two source streams (20 ms PCMU on an absolute grid, sendmmsg
// batches spread over the 20 ms) and receives the two relayed ones, so it measures what the
// server adds: loss (by the sender's own sequence number carried in the payload, so a packet
// the server never read counts as lost), RFC 3550 A.8 jitter, transit time, and its own send
// lateness (which it subtracts, see "added jitter").
//
// Linux only, one thread: ppoll + recvmmsg/sendmmsg, kernel receive timestamps
// (SO_TIMESTAMPNS) and socket drop counts (SO_RXQ_OVFL). Loopback addresses only. Bounded:
// it stops by itself after the hangup phase or at --duration, whichever comes first.
//
//   bridge_load --server 127.0.0.1:5060 [--http 127.0.0.1:8080] [--calls 2000] [--rate 200]
//               [--hold 60] [--warmup 1] [--number 6000] [--agent 1001]
//               [--agent-password P] [--duration S] [--slots 40]
//
// Output: progress lines, "phase: hold-start" / "phase: hold-end" markers (a driving script
// samples the server there), then a summary of `key: value` lines ending in a verdict. Exit 0
// when every call was established and hung up cleanly, loss < --max-loss (0.1 %) and added
// jitter p99 over streams < --max-jitter (1 ms), with the tool on its grid (no skipped slots in
// the hold); 1 otherwise; 2 on bad usage or setup failure; 3 when --duration or a signal
// stopped the run.
//
// Loss and jitter are measured per call from bridged + --warmup to the end of the hold. "Added
// jitter" is RFC 3550 A.8 run over (kernel receive time - actual send time), so the tool's own
// send lateness (reported apart) is not in it; "jitter" is the classic figure against the RTP
// timestamp and includes it.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace {

using Ns = std::int64_t;
constexpr Ns kMs = 1'000'000;
constexpr Ns kSec = 1'000'000'000;
constexpr Ns kPtime = 20 * kMs;
constexpr Ns kT1 = 500 * kMs;  // RFC 3261 §17.1.1.1
constexpr Ns kT2 = 4 * kSec;
constexpr std::size_t kRtpSize = 172;  // 12-byte header + 160 bytes of PCMU (RFC 3551)
constexpr std::uint32_t kMagic = 0x424c5254;  // "BLRT": a payload this tool wrote
constexpr std::uint32_t kNoSeq = 0xffffffffU;

Ns clockNs(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<Ns>(ts.tv_sec) * kSec + ts.tv_nsec;
}
Ns monoNs() { return clockNs(CLOCK_MONOTONIC); }
Ns realNs() { return clockNs(CLOCK_REALTIME); }  // the clock of SO_TIMESTAMPNS

volatile std::sig_atomic_t gStop = 0;

// ---------------------------------------------------------------- MD5 (RFC 1321)

std::string md5Hex(std::string_view data) {
  static constexpr std::uint32_t kK[64] = {
      0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613,
      0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193,
      0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d,
      0x02441453, 0xd8a1e681, 0xe7d3fbc8, 0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
      0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122,
      0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa,
      0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, 0xf4292244,
      0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
      0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb,
      0xeb86d391};
  static constexpr int kS[4][4] = {{7, 12, 17, 22}, {5, 9, 14, 20}, {4, 11, 16, 23}, {6, 10, 15, 21}};
  std::string msg(data);
  const std::uint64_t bits = static_cast<std::uint64_t>(data.size()) * 8;
  msg.push_back(static_cast<char>(0x80));
  while (msg.size() % 64 != 56) msg.push_back('\0');
  for (int i = 0; i < 8; ++i) msg.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
  std::uint32_t h[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
  for (std::size_t off = 0; off < msg.size(); off += 64) {
    std::uint32_t m[16];
    for (int i = 0; i < 16; ++i) {
      const auto* p = reinterpret_cast<const unsigned char*>(msg.data() + off + 4 * i);
      m[i] = p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
    }
    std::uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
    for (int i = 0; i < 64; ++i) {
      std::uint32_t f = 0;
      int g = 0;
      if (i < 16) {
        f = (b & c) | (~b & d);
        g = i;
      } else if (i < 32) {
        f = (d & b) | (~d & c);
        g = (5 * i + 1) % 16;
      } else if (i < 48) {
        f = b ^ c ^ d;
        g = (3 * i + 5) % 16;
      } else {
        f = c ^ (b | ~d);
        g = (7 * i) % 16;
      }
      f += a + kK[i] + m[g];
      a = d;
      d = c;
      c = b;
      const int s = kS[i / 16][i % 4];
      b += (f << s) | (f >> (32 - s));
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::uint32_t w : h) {
    for (int i = 0; i < 4; ++i) {
      const unsigned byte = (w >> (8 * i)) & 0xff;
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    }
  }
  return out;
}

// ---------------------------------------------------------------- text helpers

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool ieq(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

long toLong(std::string_view s, long fallback = -1) {
  if (s.empty() || s.size() > 18) return fallback;
  long v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return fallback;
    v = v * 10 + (c - '0');
  }
  return v;
}

/// The URI inside `<...>` of a name-addr, or the value up to the first ';'.
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

// ---------------------------------------------------------------- SIP and SDP

/// A parsed SIP datagram; views point into the receive buffer.
struct SipMsg {
  bool request = false;
  int status = 0;
  std::string_view method, ruri, callId, from, to, contact, body;
  std::vector<std::string_view> vias, recordRoutes, challenges;
  long cseq = -1;
  std::string_view cseqMethod;
};

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

bool parseSip(std::string_view data, SipMsg& m) {
  auto headEnd = data.find("\r\n\r\n");
  if (headEnd == std::string_view::npos) return false;
  m.body = data.substr(headEnd + 4);
  std::string_view head = data.substr(0, headEnd);
  auto eol = head.find("\r\n");
  std::string_view first = head.substr(0, eol);
  if (first.substr(0, 8) == "SIP/2.0 ") {
    m.status = static_cast<int>(toLong(first.substr(8, 3)));
    if (m.status < 100) return false;
  } else {
    auto sp1 = first.find(' ');
    auto sp2 = first.rfind(' ');
    if (sp1 == std::string_view::npos || sp2 <= sp1 || first.substr(sp2 + 1) != "SIP/2.0") return false;
    m.request = true;
    m.method = first.substr(0, sp1);
    m.ruri = first.substr(sp1 + 1, sp2 - sp1 - 1);
  }
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

/// The audio address of an SDP body: c= (IPv4 loopback only) and the m=audio port; the
/// telephone-event payload type when one is offered.
struct SdpAudio {
  in_addr ip{};
  std::uint16_t port = 0;
  int telephoneEvent = -1;
};

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
    } else if (line.substr(0, 9) == "a=rtpmap:" && line.find("telephone-event/8000") != std::string_view::npos) {
      out.telephoneEvent = static_cast<int>(toLong(line.substr(9, line.find(' ') - 9)));
    }
  }
  return haveIp && out.port != 0 && (ntohl(out.ip.s_addr) >> 24) == 127;
}

std::string sdpBody(std::string_view user, unsigned id, std::uint16_t port, int telephoneEvent) {
  std::string te = telephoneEvent >= 0 ? std::to_string(telephoneEvent) : std::string();
  std::string s = "v=0\r\no=" + std::string(user) + " " + std::to_string(id) +
                  " 1 IN IP4 127.0.0.1\r\ns=bridge_load\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                  "m=audio " + std::to_string(port) + " RTP/AVP 0" + (te.empty() ? "" : " " + te) +
                  "\r\na=rtpmap:0 PCMU/8000\r\n";
  if (!te.empty()) s += "a=rtpmap:" + te + " telephone-event/8000\r\na=fmtp:" + te + " 0-16\r\n";
  return s + "a=ptime:20\r\na=sendrecv\r\n";
}

/// A response to `req` (RFC 3261 §8.2.6.2): Via, From, Call-ID, CSeq copied, To with `toTag`
/// added when it has none.
std::string response(const SipMsg& req, int status, std::string_view reason, std::string_view toTag,
                     std::string_view extra, std::string_view sdp) {
  std::string r = "SIP/2.0 " + std::to_string(status) + " " + std::string(reason) + "\r\n";
  for (auto v : req.vias) r.append("Via: ").append(v).append("\r\n");
  for (auto rr : req.recordRoutes) r.append("Record-Route: ").append(rr).append("\r\n");
  r.append("From: ").append(req.from).append("\r\n");
  r.append("To: ").append(req.to);
  if (!toTag.empty() && !hasTag(req.to)) r.append(";tag=").append(toTag);
  r.append("\r\nCall-ID: ").append(req.callId).append("\r\n");
  r.append("CSeq: ").append(std::to_string(req.cseq)).append(" ").append(req.cseqMethod).append("\r\n");
  r.append(extra);
  if (!sdp.empty()) r.append("Content-Type: application/sdp\r\n");
  r.append("Content-Length: ").append(std::to_string(sdp.size())).append("\r\n\r\n").append(sdp);
  return r;
}

// ---------------------------------------------------------------- sockets

sockaddr_in loopback(in_addr ip, std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr = ip;
  a.sin_port = htons(port);
  return a;
}

bool parseHostPort(std::string_view s, sockaddr_in& out) {
  auto colon = s.rfind(':');
  if (colon == std::string_view::npos) return false;
  std::string host(s.substr(0, colon));
  long port = toLong(s.substr(colon + 1));
  in_addr ip{};
  if (port <= 0 || port > 65535 || inet_pton(AF_INET, host.c_str(), &ip) != 1) return false;
  if ((ntohl(ip.s_addr) >> 24) != 127) return false;  // loopback only
  out = loopback(ip, static_cast<std::uint16_t>(port));
  return true;
}

/// A non-blocking UDP socket on 127.0.0.1:port (0: any); -1 when the port is taken.
int udpSocket(std::uint16_t port, int buffer, bool rtp) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  in_addr lo{};
  lo.s_addr = htonl(INADDR_LOOPBACK);
  sockaddr_in a = loopback(lo, port);
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  // Root may exceed net.core.rmem_max; fall back to the capped option otherwise.
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buffer, sizeof buffer) != 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buffer, sizeof buffer) != 0)
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);
  if (rtp) {
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one);
  }
  return fd;
}

std::uint16_t localPort(int fd) {
  sockaddr_in a{};
  socklen_t n = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n);
  return ntohs(a.sin_port);
}

/// An RTP/RTCP socket pair on an even port at or above `base` (RFC 3550 §11).
bool rtpPair(std::uint16_t base, int& rtp, int& rtcp) {
  for (unsigned p = base & ~1U; p + 1 < 65536; p += 2) {
    rtp = udpSocket(static_cast<std::uint16_t>(p), 64 << 20, true);
    if (rtp < 0) continue;
    rtcp = udpSocket(static_cast<std::uint16_t>(p + 1), 1 << 20, false);
    if (rtcp >= 0) return true;
    close(rtp);
  }
  return false;
}

/// GET /healthz over HTTP/1.1 (blocking, 1 s timeouts); the integer fields we report.
struct Health {
  bool ok = false;
  long calls = -1, dialogs = -1, mediaSessions = -1, rtpIn = -1, rtpOut = -1, malformed = -1;
};

long jsonInt(std::string_view body, std::string_view key) {
  std::string k = "\"" + std::string(key) + "\":";
  auto at = body.find(k);
  if (at == std::string_view::npos) return -1;
  std::string_view v = body.substr(at + k.size());
  std::size_t n = 0;
  while (n < v.size() && v[n] >= '0' && v[n] <= '9') ++n;
  return toLong(v.substr(0, n));
}

Health healthz(const sockaddr_in& http) {
  Health h;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return h;
  timeval tv{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  std::string text;
  if (connect(fd, reinterpret_cast<const sockaddr*>(&http), sizeof http) == 0) {
    std::string req = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size())) {
      char buf[4096];
      ssize_t n = 0;
      while ((n = recv(fd, buf, sizeof buf, 0)) > 0 && text.size() < 65536) text.append(buf, static_cast<std::size_t>(n));
    }
  }
  close(fd);
  auto body = text.find("\r\n\r\n");
  if (text.substr(0, 9) != "HTTP/1.1 " || body == std::string::npos) return h;
  std::string_view b(text.data() + body + 4, text.size() - body - 4);
  h.calls = jsonInt(b, "calls");
  h.dialogs = jsonInt(b, "dialogs");
  h.mediaSessions = jsonInt(b, "media_sessions");
  h.rtpIn = jsonInt(b, "rtp_in");
  h.rtpOut = jsonInt(b, "rtp_out");
  h.malformed = jsonInt(b, "rtp_malformed");
  h.ok = h.calls >= 0;
  return h;
}

// ---------------------------------------------------------------- measurement

/// RFC 3550 A.8 interarrival jitter over "transit" values in ns (J += (|D| - J) / 16).
struct Jitter {
  Ns prev = 0;
  bool have = false;
  double j = 0;
  double peak = 0;
  void add(Ns transit) {
    if (have) {
      j += (std::fabs(static_cast<double>(transit - prev)) - j) / 16.0;
      peak = std::max(peak, j);
    }
    prev = transit;
    have = true;
  }
};

/// Fixed 10 µs bins up to 1 s (and one overflow bin): percentiles of many samples.
class Histogram {
 public:
  void add(Ns v) {
    std::size_t bin = v <= 0 ? 0 : static_cast<std::size_t>(v / kBin);
    ++bins_[std::min(bin, bins_.size() - 1)];
    ++count_;
    max_ = std::max(max_, v);
    sum_ += static_cast<double>(v);
  }
  double percentileMs(double p) const {
    if (count_ == 0) return 0;
    auto want = static_cast<std::uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_)));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < bins_.size(); ++i) {
      seen += bins_[i];
      if (seen >= want) return static_cast<double>((static_cast<Ns>(i) + 1) * kBin) / 1e6;
    }
    return maxMs();
  }
  double maxMs() const { return static_cast<double>(max_) / 1e6; }
  double meanMs() const { return count_ ? sum_ / static_cast<double>(count_) / 1e6 : 0; }
  std::uint64_t count() const { return count_; }

 private:
  static constexpr Ns kBin = 10'000;
  std::vector<std::uint64_t> bins_ = std::vector<std::uint64_t>(100'001);
  std::uint64_t count_ = 0;
  Ns max_ = 0;
  double sum_ = 0;
};

/// A stream this tool sends: 20 ms PCMU, its own SSRC/sequence/timestamp.
struct TxStream {
  bool active = false;
  std::uint32_t ssrc = 0;
  std::uint16_t seq = 0;
  std::uint32_t ts0 = 0;
  std::int64_t period0 = 0;  // grid period of the first packet: ts = ts0 + 160 (n - period0)
  std::uint32_t sent = 0;    // packets sent; also the next sequence number carried in the payload
  std::uint32_t winFirst = kNoSeq, winLast = 0;  // payload sequence range sent in the window
  Jitter lateness;  // actual send time vs the grid: the tool's own contribution to jitter
};

/// A relayed stream this tool receives from one server session port.
struct RxStream {
  std::uint64_t packets = 0;   // every RTP packet from that port (ringback included)
  std::uint64_t inWindow = 0;  // ours, with a payload sequence in the sender's window
  std::uint64_t foreign = 0;   // not our payload: the server's own audio (ringback)
  // RFC 3550 A.1/A.3 over the server's RTP sequence of in-window packets.
  bool seqInit = false;
  std::uint16_t maxSeq = 0;
  std::uint32_t cycles = 0, baseSeq = 0;
  std::uint64_t seqReceived = 0;
  std::uint32_t tsBase = 0;
  Jitter rfc;    // RFC 3550 A.8 against the RTP timestamp (includes the tool's send lateness)
  Jitter added;  // the same against the actual send time carried in the payload
};

enum class Leg : std::uint8_t { kIdle, kInviting, kProceeding, kUp, kByeSent, kDone, kFailed };
enum class Agent : std::uint8_t { kNone, kAnswered, kUp, kEnded };

struct Call {
  Leg caller = Leg::kIdle;
  Agent agent = Agent::kNone;
  bool droppedEarly = false;  // the server ended the call before we hung up
  bool byeTimedOut = false;
  int failStatus = 0;
  Ns invitedAt = 0, answeredAt = 0, bridgedAt = 0, byeAt = 0;
  Ns retxAt = 0, retxGap = 0;            // INVITE or BYE retransmission (caller side)
  Ns agentRetxAt = 0, agentRetxGap = 0;  // our 200 to the agent INVITE, until the ACK
  Ns agentInviteAt = 0;
  sockaddr_in callerMedia{}, agentMedia{};  // where each side sends (server session ports)
  std::string toHeader, target;             // caller dialog state from the 200 OK
  std::string agentCallId, agentOk;
  TxStream txCaller, txAgent;
  RxStream rxCaller;  // what the caller hears: the agent's stream relayed
  RxStream rxAgent;   // what the agent hears: the caller's stream relayed
};

struct Options {
  sockaddr_in server{}, http{};
  bool haveHttp = false;
  unsigned calls = 100;
  double rate = 200, hangupRate = 0, hold = 10, warmup = 1, duration = 0, establishTimeout = 30;
  std::string number = "6000", agent = "1001", password = "bench-1001-secret";
  unsigned slots = 40;
  double maxLossPct = 0.1, maxJitterMs = 1.0;  // the targets the exit code checks
  std::uint16_t rtpBase = 46000;
};

enum class Phase : std::uint8_t { kRamp, kHold, kDrain, kHangup, kSettle, kDone };

struct Timer {
  Ns at;
  std::uint32_t call;
  std::uint8_t kind;
  bool operator>(const Timer& o) const { return at > o.at; }
};
enum TimerKind : std::uint8_t { kInviteRetx, kInviteGiveUp, kAgentRetx, kByeRetx };

std::vector<double> sorted(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v;
}
double pct(const std::vector<double>& s, double p) {
  if (s.empty()) return 0;
  auto i = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(s.size())));
  return s[std::min(s.size() - 1, i == 0 ? 0 : i - 1)];
}
double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / static_cast<double>(v.size());
}

// ---------------------------------------------------------------- the load generator

class BridgeLoad {
 public:
  explicit BridgeLoad(Options o) : o_(std::move(o)), calls_(o_.calls) {}
  int run();

 private:
  // set-up
  bool openSockets();
  bool registerAgent();
  // SIP, caller side
  void placeCall(std::uint32_t i, Ns now);
  void sendInvite(std::uint32_t i);
  void sendAck(std::uint32_t i, const SipMsg* failure);
  void sendBye(std::uint32_t i);
  void onCallerMessage(const SipMsg& m, const sockaddr_in& from, Ns now);
  void onInviteResponse(std::uint32_t i, const SipMsg& m, Ns now);
  // SIP, agent side
  void onAgentMessage(const SipMsg& m, const sockaddr_in& from, Ns now);
  void onAgentInvite(const SipMsg& m, const sockaddr_in& from, Ns now);
  // RTP
  void runGrid(Ns now);
  void sendSlot(std::int64_t period, unsigned slot, Ns scheduled);
  void queuePacket(std::uint32_t i, TxStream& s, bool agentSide, std::int64_t period, Ns stamp, Ns mono);
  void flush(int fd, std::size_t& n);
  bool drainRtp(int fd, bool callerSide);
  void onRtp(bool callerSide, std::uint16_t srcPort, const std::uint8_t* p, std::size_t n, Ns rx);
  // loop
  bool drainSip(int fd, bool callerSide, Ns now);
  void drainRtcp(int fd);
  void runTimers(Ns now);
  void advancePhase(Ns now);
  void startStream(TxStream& s, std::uint32_t i, bool agentSide);
  void sendTo(int fd, const sockaddr_in& to, const std::string& data);
  void progress(Ns now);
  bool summary(bool aborted);
  bool inWindow(const Call& c, Ns mono) const {
    return phase_ == Phase::kHold && c.bridgedAt != 0 && mono >= c.bridgedAt + warmupNs_;
  }
  std::string callId(std::uint32_t i) const { return run_ + "-" + std::to_string(i) + "@127.0.0.1"; }

  Options o_;
  std::vector<Call> calls_;
  std::string run_;
  int sipCaller_ = -1, sipAgent_ = -1, rtpCaller_ = -1, rtcpCaller_ = -1, rtpAgent_ = -1, rtcpAgent_ = -1;
  std::uint16_t sipCallerPort_ = 0, sipAgentPort_ = 0, rtpCallerPort_ = 0, rtpAgentPort_ = 0;
  std::vector<std::int32_t> callerByPort_ = std::vector<std::int32_t>(65536, -1);
  std::vector<std::int32_t> agentByPort_ = std::vector<std::int32_t>(65536, -1);
  std::unordered_map<std::string, std::uint32_t> agentByCallId_;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;
  std::vector<std::vector<std::uint32_t>> slotCallers_, slotAgents_;
  Phase phase_ = Phase::kRamp;
  Ns start_ = 0, gridStart_ = 0, slotNs_ = 0, warmupNs_ = 0, hardStop_ = 0;
  Ns rampEnd_ = 0, holdStart_ = 0, holdEnd_ = 0, phaseEnd_ = 0, hangupStart_ = 0, nextHealth_ = 0;
  Ns settled_ = -1, lastProgress_ = 0, nextPhaseCheck_ = 0;
  std::int64_t period_ = 0;
  unsigned slot_ = 0;
  std::uint32_t placed_ = 0, hungUp_ = 0;
  Health health0_, healthHold_, healthEnd_;
  // send batch
  std::vector<std::array<std::uint8_t, kRtpSize>> txBuf_;
  std::vector<iovec> txIov_;
  std::vector<mmsghdr> txMsg_;
  std::size_t txCallerN_ = 0, txAgentN_ = 0;
  // receive batch
  static constexpr std::size_t kRxBatch = 128;
  std::vector<std::array<std::uint8_t, 512>> rxBuf_ = std::vector<std::array<std::uint8_t, 512>>(kRxBatch);
  std::vector<std::array<char, 128>> rxCtl_ = std::vector<std::array<char, 128>>(kRxBatch);
  std::vector<sockaddr_in> rxFrom_ = std::vector<sockaddr_in>(kRxBatch);
  std::vector<iovec> rxIov_ = std::vector<iovec>(kRxBatch);
  std::vector<mmsghdr> rxMsg_ = std::vector<mmsghdr>(kRxBatch);
  // counters
  std::uint64_t txPackets_ = 0, txErrors_ = 0, rxPackets_ = 0, rxUnknown_ = 0, rxMalformed_ = 0,
                crosstalk_ = 0, rtcpIn_ = 0, skippedSlots_ = 0, skippedInHold_ = 0, txAtHold_ = 0, txAtHoldEnd_ = 0, sipBad_ = 0, unexpected_ = 0,
                inviteRetx_ = 0, byeRetx_ = 0, agentRetx_ = 0, agentAckMissing_ = 0, agentByes_ = 0;
  std::uint32_t rxqDrops_[2] = {0, 0};
  std::unordered_map<int, unsigned> failures_;
  Histogram lateness_, transit_;  // lateness: send batches during the hold
  Ns latenessMax_ = 0;             // over the whole run (ramp and hangup included)
  std::uint64_t lastRx_ = 0, lastTx_ = 0;
};

bool BridgeLoad::openSockets() {
  sipCaller_ = udpSocket(0, 8 << 20, false);
  sipAgent_ = udpSocket(0, 8 << 20, false);
  if (sipCaller_ < 0 || sipAgent_ < 0) return false;
  if (!rtpPair(o_.rtpBase, rtpCaller_, rtcpCaller_)) return false;
  if (!rtpPair(static_cast<std::uint16_t>(localPort(rtpCaller_) + 2), rtpAgent_, rtcpAgent_)) return false;
  sipCallerPort_ = localPort(sipCaller_);
  sipAgentPort_ = localPort(sipAgent_);
  rtpCallerPort_ = localPort(rtpCaller_);
  rtpAgentPort_ = localPort(rtpAgent_);
  return true;
}

void BridgeLoad::sendTo(int fd, const sockaddr_in& to, const std::string& data) {
  if (sendto(fd, data.data(), data.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to) < 0)
    std::fprintf(stderr, "bridge_load: SIP send failed: %s\n", std::strerror(errno));
}

/// REGISTER with digest (RFC 3261 §22, RFC 7616 MD5 with qop=auth), blocking, before the load.
bool BridgeLoad::registerAgent() {
  const std::string server = "127.0.0.1";
  const std::string uri = "sip:" + server;
  auto build = [&](int cseq, const std::string& auth) {
    return "REGISTER " + uri + " SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:" + std::to_string(sipAgentPort_) +
           ";branch=z9hG4bK" + run_ + "r" + std::to_string(cseq) + ";rport\r\nMax-Forwards: 70\r\n"
           "From: <sip:" + o_.agent + "@" + server + ">;tag=" + run_ + "r\r\nTo: <sip:" + o_.agent + "@" +
           server + ">\r\nCall-ID: " + run_ + "-reg@127.0.0.1\r\nCSeq: " + std::to_string(cseq) +
           " REGISTER\r\nContact: <sip:" + o_.agent + "@127.0.0.1:" + std::to_string(sipAgentPort_) +
           ">\r\nExpires: 3600\r\n" + auth + "Content-Length: 0\r\n\r\n";
  };
  std::string auth;
  for (int cseq = 1; cseq <= 3; ++cseq) {
    std::string req = build(cseq, auth);
    int status = 0;
    std::string challenge;
    for (Ns gap = kT1, t0 = monoNs(); status == 0 && monoNs() - t0 < 8 * kSec; gap = std::min(2 * gap, kT2)) {
      sendTo(sipAgent_, o_.server, req);
      pollfd p{sipAgent_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(gap / kMs)) <= 0) continue;
      std::array<char, 8192> buf{};
      ssize_t n = recv(sipAgent_, buf.data(), buf.size(), 0);
      SipMsg m;
      if (n <= 0 || !parseSip({buf.data(), static_cast<std::size_t>(n)}, m) || m.request || m.cseq != cseq ||
          m.status < 200)
        continue;
      status = m.status;
      for (auto c : m.challenges) {  // the first MD5 challenge (the server lists MD5 first)
        std::string lc(c);
        for (char& ch : lc) ch = lower(ch);
        if (lc.find("algorithm=sha-256") == std::string::npos) {
          challenge = std::string(c);
          break;
        }
      }
    }
    if (status == 200) return true;
    if (status != 401 || challenge.empty()) {
      std::fprintf(stderr, "bridge_load: REGISTER answered %d\n", status);
      return false;
    }
    auto param = [&](std::string_view name) -> std::string {
      std::string key = std::string(name) + "=";
      auto at = challenge.find(key);
      if (at == std::string::npos) return {};
      at += key.size();
      if (challenge[at] == '"') return challenge.substr(at + 1, challenge.find('"', at + 1) - at - 1);
      return challenge.substr(at, challenge.find_first_of(", ", at) - at);
    };
    std::string realm = param("realm"), nonce = param("nonce"), opaque = param("opaque");
    std::string cnonce = md5Hex(run_ + nonce).substr(0, 16), nc = "00000001";
    std::string ha1 = md5Hex(o_.agent + ":" + realm + ":" + o_.password);
    std::string ha2 = md5Hex("REGISTER:" + uri);
    std::string resp = md5Hex(ha1 + ":" + nonce + ":" + nc + ":" + cnonce + ":auth:" + ha2);
    auth = "Authorization: Digest username=\"" + o_.agent + "\", realm=\"" + realm + "\", nonce=\"" + nonce +
           "\", uri=\"" + uri + "\", response=\"" + resp + "\", algorithm=MD5, cnonce=\"" + cnonce +
           "\", qop=auth, nc=" + nc + (opaque.empty() ? "" : ", opaque=\"" + opaque + "\"") + "\r\n";
  }
  return false;
}

// ---------------------------------------------------------------- caller side

void BridgeLoad::placeCall(std::uint32_t i, Ns now) {
  Call& c = calls_[i];
  c.caller = Leg::kInviting;
  c.invitedAt = now;
  c.retxGap = kT1;
  c.retxAt = now + kT1;
  timers_.push({c.retxAt, i, kInviteRetx});
  timers_.push({now + 32 * kSec, i, kInviteGiveUp});
  sendInvite(i);
}

void BridgeLoad::sendInvite(std::uint32_t i) {
  std::string user = "blc" + std::to_string(i);
  std::string sdp = sdpBody(user, i + 1, rtpCallerPort_, 101);
  std::string host = "127.0.0.1:" + std::to_string(ntohs(o_.server.sin_port));
  std::string r = "INVITE sip:" + o_.number + "@" + host + " SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:" +
                  std::to_string(sipCallerPort_) + ";branch=z9hG4bK" + run_ + "i" + std::to_string(i) +
                  ";rport\r\nMax-Forwards: 70\r\nFrom: <sip:" + user + "@127.0.0.1>;tag=" + run_ + "f" +
                  std::to_string(i) + "\r\nTo: <sip:" + o_.number + "@127.0.0.1>\r\nCall-ID: " + callId(i) +
                  "\r\nCSeq: 1 INVITE\r\nContact: <sip:" + user + "@127.0.0.1:" + std::to_string(sipCallerPort_) +
                  ">\r\nContent-Type: application/sdp\r\nContent-Length: " + std::to_string(sdp.size()) +
                  "\r\n\r\n" + sdp;
  sendTo(sipCaller_, o_.server, r);
}

/// ACK (RFC 3261 §13.2.2.4 for a 2xx: new branch, to the remote target; §17.1.1.3 for a
/// failure: the INVITE's branch and Request-URI).
void BridgeLoad::sendAck(std::uint32_t i, const SipMsg* failure) {
  const Call& c = calls_[i];
  std::string ruri = failure ? "sip:" + o_.number + "@127.0.0.1:" + std::to_string(ntohs(o_.server.sin_port)) : c.target;
  std::string branch = run_ + (failure ? "i" : "a") + std::to_string(i);
  std::string to = failure ? std::string(failure->to) : c.toHeader;
  std::string r = "ACK " + ruri + " SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:" + std::to_string(sipCallerPort_) +
                  ";branch=z9hG4bK" + branch + ";rport\r\nMax-Forwards: 70\r\nFrom: <sip:blc" + std::to_string(i) +
                  "@127.0.0.1>;tag=" + run_ + "f" + std::to_string(i) + "\r\nTo: " + to + "\r\nCall-ID: " +
                  callId(i) + "\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n";
  sendTo(sipCaller_, o_.server, r);
}

void BridgeLoad::sendBye(std::uint32_t i) {
  const Call& c = calls_[i];
  std::string r = "BYE " + c.target + " SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:" + std::to_string(sipCallerPort_) +
                  ";branch=z9hG4bK" + run_ + "b" + std::to_string(i) + ";rport\r\nMax-Forwards: 70\r\nFrom: <sip:blc" +
                  std::to_string(i) + "@127.0.0.1>;tag=" + run_ + "f" + std::to_string(i) + "\r\nTo: " + c.toHeader +
                  "\r\nCall-ID: " + callId(i) + "\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n";
  sendTo(sipCaller_, o_.server, r);
}

void BridgeLoad::onCallerMessage(const SipMsg& m, const sockaddr_in& from, Ns now) {
  std::string_view id = m.callId;
  std::string prefix = run_ + "-";
  if (id.substr(0, prefix.size()) != prefix) {
    ++unexpected_;
    return;
  }
  long i = toLong(id.substr(prefix.size(), id.find('@') - prefix.size()));
  if (i < 0 || static_cast<std::size_t>(i) >= calls_.size()) {
    ++unexpected_;
    return;
  }
  auto idx = static_cast<std::uint32_t>(i);
  Call& c = calls_[idx];
  if (m.request) {
    if (m.method == "ACK") return;
    if (m.method != "BYE") {
      ++unexpected_;
      sendTo(sipCaller_, from, response(m, 501, "Not Implemented", {}, {}, {}));
      return;
    }
    sendTo(sipCaller_, from, response(m, 200, "OK", {}, {}, {}));
    if (c.caller == Leg::kUp) {
      c.droppedEarly = true;
      c.caller = Leg::kDone;
      c.txCaller.active = false;
    }
    return;
  }
  if (m.cseqMethod == "INVITE") {
    onInviteResponse(idx, m, now);
  } else if (m.cseqMethod == "BYE" && m.status >= 200 && c.caller == Leg::kByeSent) {
    c.caller = Leg::kDone;
    if (m.status >= 300) failures_[m.status + 10000]++;  // a failed BYE, keyed apart from INVITEs
  }
}

void BridgeLoad::onInviteResponse(std::uint32_t i, const SipMsg& m, Ns now) {
  Call& c = calls_[i];
  if (m.status < 200) {
    if (c.caller == Leg::kInviting) c.caller = Leg::kProceeding;  // §17.1.1.2: stop Timer A
    return;
  }
  if (m.status >= 300) {
    sendAck(i, &m);
    if (c.caller == Leg::kInviting || c.caller == Leg::kProceeding) {
      c.caller = Leg::kFailed;
      c.failStatus = m.status;
      ++failures_[m.status];
    }
    return;
  }
  if (c.caller != Leg::kInviting && c.caller != Leg::kProceeding) {
    if (!c.target.empty()) sendAck(i, nullptr);  // a retransmitted 2xx: ACK again (§13.2.2.4)
    return;
  }
  SdpAudio sdp;
  if (!parseSdp(m.body, sdp) || m.contact.empty() || !hasTag(m.to)) {
    ++sipBad_;
    c.caller = Leg::kFailed;
    c.failStatus = 1;  // unusable 200
    ++failures_[1];
    return;
  }
  c.toHeader = std::string(m.to);
  c.target = std::string(uriOf(m.contact));
  c.callerMedia = loopback(sdp.ip, sdp.port);
  callerByPort_[sdp.port] = static_cast<std::int32_t>(i);
  c.caller = Leg::kUp;
  c.answeredAt = now;
  sendAck(i, nullptr);
  startStream(c.txCaller, i, false);
}

// ---------------------------------------------------------------- agent side

void BridgeLoad::onAgentMessage(const SipMsg& m, const sockaddr_in& from, Ns now) {
  if (!m.request) return;  // a late REGISTER response
  if (m.method == "INVITE") {
    onAgentInvite(m, from, now);
    return;
  }
  auto it = agentByCallId_.find(std::string(m.callId));
  if (m.method == "ACK") {
    if (it == agentByCallId_.end()) return;
    Call& c = calls_[it->second];
    if (c.agent == Agent::kAnswered) {
      c.agent = Agent::kUp;
      c.bridgedAt = now;  // the server bridges when it has our 200; it ACKs at the same time
      startStream(c.txAgent, it->second, true);
    }
    return;
  }
  if (m.method == "BYE") {
    sendTo(sipAgent_, from, response(m, 200, "OK", {}, {}, {}));
    if (it == agentByCallId_.end()) return;
    Call& c = calls_[it->second];
    if (c.agent != Agent::kEnded) {
      ++agentByes_;
      if (c.caller == Leg::kUp) c.droppedEarly = true;
      c.agent = Agent::kEnded;
      c.txAgent.active = false;
    }
    return;
  }
  if (m.method == "CANCEL" || m.method == "OPTIONS") {
    sendTo(sipAgent_, from, response(m, 200, "OK", {}, {}, {}));
    return;
  }
  ++unexpected_;
  sendTo(sipAgent_, from, response(m, 501, "Not Implemented", {}, {}, {}));
}

/// The agent answers at once: 200 OK with our SDP (RFC 3264 answer: PCMU and the offered
/// telephone-event), retransmitted until the ACK (RFC 3261 §13.3.1.4).
void BridgeLoad::onAgentInvite(const SipMsg& m, const sockaddr_in& from, Ns now) {
  std::string cid(m.callId);
  auto it = agentByCallId_.find(cid);
  if (it != agentByCallId_.end()) {
    Call& c = calls_[it->second];
    if (hasTag(m.to)) {  // a re-INVITE: same answer, new transaction
      ++unexpected_;
      sendTo(sipAgent_, from, response(m, 200, "OK", {}, "Contact: <sip:" + o_.agent + "@127.0.0.1:" +
                                           std::to_string(sipAgentPort_) + ">\r\n",
                                       sdpBody(o_.agent, it->second + 1, rtpAgentPort_, 101)));
    } else if (!c.agentOk.empty()) {
      sendTo(sipAgent_, from, c.agentOk);  // a retransmitted INVITE
    }
    return;
  }
  std::string_view fromUri = uriOf(m.from);
  long i = fromUri.substr(0, 7) == "sip:blc" ? toLong(fromUri.substr(7, fromUri.find('@') - 7)) : -1;
  SdpAudio sdp;
  if (i < 0 || static_cast<std::size_t>(i) >= calls_.size() || !parseSdp(m.body, sdp) ||
      calls_[static_cast<std::size_t>(i)].agent != Agent::kNone) {
    ++unexpected_;
    sendTo(sipAgent_, from, response(m, 488, "Not Acceptable Here", "bla", {}, {}));
    return;
  }
  auto idx = static_cast<std::uint32_t>(i);
  Call& c = calls_[idx];
  c.agentCallId = cid;
  agentByCallId_[cid] = idx;
  c.agentMedia = loopback(sdp.ip, sdp.port);
  agentByPort_[sdp.port] = static_cast<std::int32_t>(idx);
  std::string contact = "Contact: <sip:" + o_.agent + "@127.0.0.1:" + std::to_string(sipAgentPort_) + ">\r\n";
  c.agentOk = response(m, 200, "OK", run_ + "t" + std::to_string(idx), contact,
                       sdpBody(o_.agent, idx + 1, rtpAgentPort_, sdp.telephoneEvent));
  c.agent = Agent::kAnswered;
  c.agentInviteAt = now;
  c.agentRetxGap = kT1;
  c.agentRetxAt = now + kT1;
  timers_.push({c.agentRetxAt, idx, kAgentRetx});
  sendTo(sipAgent_, from, c.agentOk);
}

// ---------------------------------------------------------------- RTP

void BridgeLoad::startStream(TxStream& s, std::uint32_t i, bool agentSide) {
  s.active = true;
  s.ssrc = 0x10000000U + (i << 1) + (agentSide ? 1U : 0U);
  s.seq = static_cast<std::uint16_t>(i * 7919U + (agentSide ? 31U : 0U));
  s.ts0 = i * 104729U;
  s.period0 = period_ + 1;
}

/// Every slot of the 20 ms grid whose time has come, in order; a slot more than 60 ms late
/// is skipped (counted) rather than sent in a burst.
void BridgeLoad::runGrid(Ns now) {
  for (;;) {
    Ns due = gridStart_ + period_ * kPtime + static_cast<Ns>(slot_) * slotNs_;
    if (now < due) return;
    if (now - due > 60 * kMs) {
      ++skippedSlots_;
      if (phase_ == Phase::kHold) ++skippedInHold_;
    } else {
      sendSlot(period_, slot_, due);
    }
    // Read what the server relayed since the last slot (both sockets, every batch).
    for (int b = 0; b < 64 && drainRtp(rtpCaller_, true); ++b) {
    }
    for (int b = 0; b < 64 && drainRtp(rtpAgent_, false); ++b) {
    }
    if (++slot_ == o_.slots) {
      slot_ = 0;
      ++period_;
    }
  }
}

void BridgeLoad::queuePacket(std::uint32_t i, TxStream& s, bool agentSide, std::int64_t period, Ns stamp,
                             Ns mono) {
  if (!s.active || period < s.period0) return;
  Call& c = calls_[i];
  // Caller packets fill the batch arrays from the front, agent packets from the back.
  std::size_t k = agentSide ? txBuf_.size() - 1 - txAgentN_ : txCallerN_;
  std::uint8_t* p = txBuf_[k].data();
  std::uint32_t ts = s.ts0 + static_cast<std::uint32_t>(160 * (period - s.period0));
  p[0] = 0x80;
  p[1] = 0;  // PCMU
  p[2] = static_cast<std::uint8_t>(s.seq >> 8);
  p[3] = static_cast<std::uint8_t>(s.seq);
  // Header words (network order), then the payload: magic, call, direction, sender sequence
  // and the realtime send stamp, host order (only this tool reads them).
  std::uint32_t words[] = {htonl(ts), htonl(s.ssrc), kMagic, i, agentSide ? 1U : 0U, s.sent};
  std::memcpy(p + 4, words, sizeof words);
  std::memcpy(p + 4 + sizeof words, &stamp, sizeof stamp);
  ++s.seq;
  if (inWindow(c, mono)) {
    if (s.winFirst == kNoSeq) s.winFirst = s.sent;
    s.winLast = s.sent;
    s.lateness.add(mono - (gridStart_ + period * kPtime));
  }
  ++s.sent;
  mmsghdr& h = txMsg_[k];
  h.msg_hdr.msg_name = agentSide ? &c.agentMedia : &c.callerMedia;
  h.msg_hdr.msg_namelen = sizeof(sockaddr_in);
  (agentSide ? txAgentN_ : txCallerN_)++;
}

void BridgeLoad::sendSlot(std::int64_t period, unsigned slot, Ns scheduled) {
  Ns stamp = realNs();
  Ns mono = monoNs();
  if (phase_ == Phase::kHold) lateness_.add(mono - scheduled);
  latenessMax_ = std::max(latenessMax_, mono - scheduled);
  txCallerN_ = txAgentN_ = 0;
  for (std::uint32_t i : slotCallers_[slot]) queuePacket(i, calls_[i].txCaller, false, period, stamp, mono);
  for (std::uint32_t i : slotAgents_[slot]) queuePacket(i, calls_[i].txAgent, true, period, stamp, mono);
  flush(rtpCaller_, txCallerN_);
  flush(rtpAgent_, txAgentN_);
}

void BridgeLoad::flush(int fd, std::size_t& n) {
  bool agent = fd == rtpAgent_;
  std::size_t first = agent ? txBuf_.size() - n : 0;
  std::size_t done = 0;
  while (done < n) {
    auto chunk = static_cast<unsigned>(std::min<std::size_t>(n - done, 1024));
    int r = sendmmsg(fd, &txMsg_[first + done], chunk, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      txErrors_ += n - done;
      break;
    }
    done += static_cast<std::size_t>(r);
  }
  txPackets_ += done;
  n = 0;
}

bool BridgeLoad::drainRtp(int fd, bool callerSide) {
  for (std::size_t k = 0; k < kRxBatch; ++k) {
    rxMsg_[k].msg_hdr.msg_controllen = rxCtl_[k].size();
    rxMsg_[k].msg_hdr.msg_namelen = sizeof(sockaddr_in);
  }
  int n = recvmmsg(fd, rxMsg_.data(), kRxBatch, MSG_DONTWAIT, nullptr);
  if (n <= 0) return false;
  Ns fallback = realNs();
  for (int k = 0; k < n; ++k) {
    msghdr& h = rxMsg_[static_cast<std::size_t>(k)].msg_hdr;
    Ns rx = fallback;
    for (cmsghdr* cm = CMSG_FIRSTHDR(&h); cm != nullptr; cm = CMSG_NXTHDR(&h, cm)) {
      if (cm->cmsg_level != SOL_SOCKET) continue;
      if (cm->cmsg_type == SCM_TIMESTAMPNS) {
        timespec ts{};
        std::memcpy(&ts, CMSG_DATA(cm), sizeof ts);
        rx = static_cast<Ns>(ts.tv_sec) * kSec + ts.tv_nsec;
      } else if (cm->cmsg_type == SO_RXQ_OVFL) {
        std::uint32_t drops = 0;
        std::memcpy(&drops, CMSG_DATA(cm), sizeof drops);
        rxqDrops_[callerSide ? 0 : 1] = std::max(rxqDrops_[callerSide ? 0 : 1], drops);
      }
    }
    const auto& from = rxFrom_[static_cast<std::size_t>(k)];
    onRtp(callerSide, ntohs(from.sin_port), rxBuf_[static_cast<std::size_t>(k)].data(),
          rxMsg_[static_cast<std::size_t>(k)].msg_len, rx);
  }
  return n == static_cast<int>(kRxBatch);
}

void BridgeLoad::onRtp(bool callerSide, std::uint16_t srcPort, const std::uint8_t* p, std::size_t n, Ns rx) {
  ++rxPackets_;
  std::int32_t idx = (callerSide ? callerByPort_ : agentByPort_)[srcPort];
  if (idx < 0) {
    ++rxUnknown_;
    return;
  }
  if (n < 12 || (p[0] >> 6) != 2) {
    ++rxMalformed_;
    return;
  }
  std::size_t off = 12 + 4 * static_cast<std::size_t>(p[0] & 0x0f);
  if ((p[0] & 0x10) != 0 && n >= off + 4) off += 4 + 4 * static_cast<std::size_t>((p[off + 2] << 8) | p[off + 3]);
  Call& c = calls_[static_cast<std::size_t>(idx)];
  RxStream& s = callerSide ? c.rxCaller : c.rxAgent;
  ++s.packets;
  std::uint32_t w[4];  // magic, call, direction, sender sequence; then the send time (8 bytes)
  if (n < off + sizeof w + sizeof(Ns)) {
    ++s.foreign;
    return;
  }
  std::memcpy(w, p + off, sizeof w);
  if (w[0] != kMagic) {
    ++s.foreign;  // the server's own audio (ringback before the bridge)
    return;
  }
  // The caller hears the agent's stream and the agent the caller's; anything else is cross-talk.
  if (w[1] != static_cast<std::uint32_t>(idx) || w[2] != (callerSide ? 1U : 0U)) {
    ++crosstalk_;
    return;
  }
  const TxStream& src = callerSide ? c.txAgent : c.txCaller;
  std::uint32_t sentSeq = w[3];
  if (src.winFirst == kNoSeq || sentSeq < src.winFirst || sentSeq > src.winLast) return;
  ++s.inWindow;
  Ns sentAt = 0;
  std::memcpy(&sentAt, p + off + sizeof w, sizeof sentAt);
  auto seq = static_cast<std::uint16_t>((p[2] << 8) | p[3]);
  std::uint32_t ts = (static_cast<std::uint32_t>(p[4]) << 24) | (p[5] << 16) | (p[6] << 8) | p[7];
  if (!s.seqInit) {
    s.seqInit = true;
    s.maxSeq = seq;
    s.baseSeq = seq;
    s.tsBase = ts;
  } else if (static_cast<std::uint16_t>(seq - s.maxSeq) < 3000) {  // RFC 3550 A.1: in order
    if (seq < s.maxSeq) s.cycles += 65536;
    s.maxSeq = seq;
  }
  ++s.seqReceived;
  // RFC 3550 A.8 in ns: transit = arrival - RTP timestamp (8 kHz: 125 µs per unit).
  s.rfc.add(rx - static_cast<Ns>(static_cast<std::uint32_t>(ts - s.tsBase)) * 125'000);
  s.added.add(rx - sentAt);
  transit_.add(rx - sentAt);
}

// ---------------------------------------------------------------- loop

bool BridgeLoad::drainSip(int fd, bool callerSide, Ns now) {
  bool any = false;
  for (int k = 0; k < 64; ++k) {
    std::array<char, 8192> buf;
    sockaddr_in from{};
    socklen_t len = sizeof from;
    ssize_t n = recvfrom(fd, buf.data(), buf.size() - 1, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from), &len);
    if (n <= 0) break;
    any = true;
    SipMsg m;
    if (!parseSip({buf.data(), static_cast<std::size_t>(n)}, m)) {
      ++sipBad_;
      continue;
    }
    if (callerSide) {
      onCallerMessage(m, from, now);
    } else {
      onAgentMessage(m, from, now);
    }
  }
  return any;
}

void BridgeLoad::drainRtcp(int fd) {
  std::array<char, 2048> buf;
  while (recv(fd, buf.data(), buf.size(), MSG_DONTWAIT) > 0) ++rtcpIn_;
}

void BridgeLoad::runTimers(Ns now) {
  while (!timers_.empty() && timers_.top().at <= now) {
    Timer t = timers_.top();
    timers_.pop();
    Call& c = calls_[t.call];
    if (t.kind == kInviteRetx && c.caller == Leg::kInviting && c.retxAt == t.at) {
      if (now - c.invitedAt >= 8 * kSec) {  // the brief's give-up, shorter than Timer B
        c.caller = Leg::kFailed;
        c.failStatus = 408;
        ++failures_[408];
        continue;
      }
      ++inviteRetx_;
      sendInvite(t.call);
      c.retxGap = std::min(2 * c.retxGap, 8 * kSec);  // Timer A keeps doubling (§17.1.1.2)
      c.retxAt = now + c.retxGap;
      timers_.push({c.retxAt, t.call, kInviteRetx});
    } else if (t.kind == kInviteGiveUp && c.caller == Leg::kProceeding) {
      c.caller = Leg::kFailed;  // a provisional response but no final one within 32 s
      c.failStatus = 408;
      ++failures_[408];
    } else if (t.kind == kAgentRetx && c.agent == Agent::kAnswered && c.agentRetxAt == t.at) {
      if (now - c.agentInviteAt >= 32 * kSec) {  // Timer H: 64·T1
        ++agentAckMissing_;
        continue;
      }
      ++agentRetx_;
      sockaddr_in to = o_.server;
      sendTo(sipAgent_, to, c.agentOk);
      c.agentRetxGap = std::min(2 * c.agentRetxGap, kT2);
      c.agentRetxAt = now + c.agentRetxGap;
      timers_.push({c.agentRetxAt, t.call, kAgentRetx});
    } else if (t.kind == kByeRetx && c.caller == Leg::kByeSent && c.retxAt == t.at) {
      if (now - c.byeAt >= 8 * kSec) {
        c.caller = Leg::kDone;
        c.byeTimedOut = true;
        continue;
      }
      ++byeRetx_;
      sendBye(t.call);
      c.retxGap = std::min(2 * c.retxGap, kT2);  // Timer E (§17.1.2.2)
      c.retxAt = now + c.retxGap;
      timers_.push({c.retxAt, t.call, kByeRetx});
    }
  }
}

void BridgeLoad::advancePhase(Ns now) {
  auto settledCalls = [&] {
    std::uint32_t n = 0;
    for (const Call& c : calls_)
      n += (c.caller == Leg::kFailed || c.caller == Leg::kDone || (c.caller == Leg::kUp && c.agent == Agent::kUp));
    return n;
  };
  if (now < nextPhaseCheck_) return;  // the checks below scan every call: every 5 ms is enough
  nextPhaseCheck_ = now + 5 * kMs;
  switch (phase_) {
    case Phase::kRamp:
      if (placed_ < calls_.size()) return;
      if (rampEnd_ == 0) rampEnd_ = now;
      if (settledCalls() < calls_.size() && now - rampEnd_ < static_cast<Ns>(o_.establishTimeout * 1e9)) return;
      phase_ = Phase::kHold;
      holdStart_ = now;
      txAtHold_ = txPackets_;
      holdEnd_ = now + static_cast<Ns>(o_.hold * 1e9);
      std::printf("phase: hold-start t=%.3f\n", static_cast<double>(now - start_) / 1e9);
      std::fflush(stdout);
      return;
    case Phase::kHold:
      if (now < holdEnd_) return;
      phase_ = Phase::kDrain;  // windows close: in-flight packets of the window still count
      txAtHoldEnd_ = txPackets_;
      phaseEnd_ = now + 500 * kMs;
      std::printf("phase: hold-end t=%.3f\n", static_cast<double>(now - start_) / 1e9);
      std::fflush(stdout);
      return;
    case Phase::kDrain:
      if (now < phaseEnd_) return;
      if (o_.haveHttp) healthHold_ = healthz(o_.http);  // the server's view with every call up
      phase_ = Phase::kHangup;
      hangupStart_ = now;
      return;
    case Phase::kHangup: {
      std::uint32_t due = std::min<std::uint32_t>(
          static_cast<std::uint32_t>(calls_.size()),
          static_cast<std::uint32_t>(static_cast<double>(now - hangupStart_) / 1e9 * o_.hangupRate) + 1);
      for (; hungUp_ < due; ++hungUp_) {
        Call& c = calls_[hungUp_];
        if (c.caller == Leg::kInviting || c.caller == Leg::kProceeding) {
          c.caller = Leg::kFailed;  // never answered: given up (counted as a timeout)
          c.failStatus = 408;
          ++failures_[408];
        }
        if (c.caller != Leg::kUp) continue;
        c.caller = Leg::kByeSent;
        c.txCaller.active = false;
        c.byeAt = now;
        c.retxGap = kT1;
        c.retxAt = now + kT1;
        timers_.push({c.retxAt, hungUp_, kByeRetx});
        sendBye(hungUp_);
      }
      if (hungUp_ < calls_.size()) return;
      bool open = false;
      for (const Call& c : calls_)
        open = open || c.caller == Leg::kByeSent || (c.agent == Agent::kUp && c.caller != Leg::kFailed);
      if (open && now - hangupStart_ < static_cast<Ns>((static_cast<double>(calls_.size()) / o_.hangupRate + 15) * 1e9)) return;
      phase_ = o_.haveHttp ? Phase::kSettle : Phase::kDone;
      phaseEnd_ = now + 30 * kSec;
      return;
    }
    case Phase::kSettle:
      if (now < nextHealth_) return;
      nextHealth_ = now + 250 * kMs;
      healthEnd_ = healthz(o_.http);
      if (healthEnd_.ok && healthEnd_.calls == 0) settled_ = now - hangupStart_;
      if (settled_ >= 0 || now >= phaseEnd_) phase_ = Phase::kDone;
      return;
    case Phase::kDone:
      return;
  }
}

void BridgeLoad::progress(Ns now) {
  if (now - lastProgress_ < 5 * kSec) return;
  double dt = static_cast<double>(now - lastProgress_) / 1e9;
  lastProgress_ = now;
  unsigned up = 0, failed = 0, bridged = 0;
  for (const Call& c : calls_) {
    up += c.caller == Leg::kUp;
    failed += c.caller == Leg::kFailed;
    bridged += c.caller == Leg::kUp && c.agent == Agent::kUp;
  }
  static const char* kNames[] = {"ramp", "hold", "drain", "hangup", "settle", "done"};
  std::printf("t=%6.1fs %-6s placed %u up %u bridged %u failed %u  tx %.0f pps rx %.0f pps  late p99 %.2f ms\n",
              static_cast<double>(now - start_) / 1e9, kNames[static_cast<int>(phase_)], placed_, up, bridged, failed,
              static_cast<double>(txPackets_ - lastTx_) / dt, static_cast<double>(rxPackets_ - lastRx_) / dt,
              lateness_.percentileMs(99));
  std::fflush(stdout);
  lastTx_ = txPackets_;
  lastRx_ = rxPackets_;
}

int BridgeLoad::run() {
  if (md5Hex("abc") != "900150983cd24fb0d6963f7d28e17f72") {
    std::fprintf(stderr, "bridge_load: MD5 self-test failed\n");
    return 2;
  }
  char id[32];
  std::snprintf(id, sizeof id, "bl%x%x", static_cast<unsigned>(getpid()), static_cast<unsigned>(time(nullptr)));
  run_ = id;
  if (!openSockets()) {
    std::fprintf(stderr, "bridge_load: cannot open sockets: %s\n", std::strerror(errno));
    return 2;
  }
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);  // ppoll wake-ups within µs, not the default 50 µs
  std::printf("bridge_load: %u calls at %.0f/s, hold %.0f s; caller sip %u rtp %u, agent sip %u rtp %u\n",
              o_.calls, o_.rate, o_.hold, sipCallerPort_, rtpCallerPort_, sipAgentPort_, rtpAgentPort_);
  if (!registerAgent()) return 2;
  if (o_.haveHttp) health0_ = healthz(o_.http);
  // Batches: at most every call of a slot on each socket.
  std::size_t perSlot = (calls_.size() + o_.slots - 1) / o_.slots;
  txBuf_.resize(2 * perSlot + 2);
  txIov_.resize(txBuf_.size());
  txMsg_.resize(txBuf_.size());
  for (std::size_t k = 0; k < txBuf_.size(); ++k) {
    std::fill(txBuf_[k].begin(), txBuf_[k].end(), std::uint8_t{0xff});  // µ-law silence
    txIov_[k] = {txBuf_[k].data(), kRtpSize};
    txMsg_[k].msg_hdr.msg_iov = &txIov_[k];
    txMsg_[k].msg_hdr.msg_iovlen = 1;
  }
  for (std::size_t k = 0; k < kRxBatch; ++k) {
    rxIov_[k] = {rxBuf_[k].data(), rxBuf_[k].size()};
    msghdr& h = rxMsg_[k].msg_hdr;
    h.msg_name = &rxFrom_[k];
    h.msg_iov = &rxIov_[k];
    h.msg_iovlen = 1;
    h.msg_control = rxCtl_[k].data();
  }
  // Spread: call i's caller stream in slot i % K, its agent stream half a period later.
  slotCallers_.resize(o_.slots);
  slotAgents_.resize(o_.slots);
  for (std::uint32_t i = 0; i < calls_.size(); ++i) {
    slotCallers_[i % o_.slots].push_back(i);
    slotAgents_[(i % o_.slots + o_.slots / 2) % o_.slots].push_back(i);
  }
  slotNs_ = kPtime / o_.slots;
  warmupNs_ = static_cast<Ns>(o_.warmup * 1e9);
  start_ = monoNs();
  gridStart_ = start_ + 10 * kMs;
  lastProgress_ = start_;
  double cap = o_.duration > 0 ? o_.duration
                               : o_.calls / o_.rate + o_.establishTimeout + o_.hold + o_.calls / o_.hangupRate + 90;
  hardStop_ = start_ + static_cast<Ns>(cap * 1e9);
  pollfd fds[2] = {{sipCaller_, POLLIN, 0}, {sipAgent_, POLLIN, 0}};
  bool aborted = false;
  Ns nextRtcp = 0;
  while (phase_ != Phase::kDone) {
    Ns now = monoNs();
    if (now >= hardStop_ || gStop) {
      aborted = true;
      break;
    }
    runGrid(now);
    for (Ns due = start_ + static_cast<Ns>(placed_ / o_.rate * 1e9); placed_ < calls_.size() && now >= due;
         due = start_ + static_cast<Ns>(placed_ / o_.rate * 1e9))
      placeCall(placed_++, now);
    runTimers(now);
    advancePhase(now);
    progress(now);
    if (now >= nextRtcp) {  // the server's RTCP reports: drained, counted, not analysed
      nextRtcp = now + 100 * kMs;
      drainRtcp(rtcpCaller_);
      drainRtcp(rtcpAgent_);
    }
    // Sleep until the next grid slot, call or timer, or until a SIP socket is readable. RTP is
    // not polled: it is read after every send slot (runGrid), and its kernel receive stamps
    // make the read delay irrelevant, so no wake-up per packet.
    Ns next = gridStart_ + period_ * kPtime + static_cast<Ns>(slot_) * slotNs_;
    if (placed_ < calls_.size()) next = std::min(next, start_ + static_cast<Ns>(placed_ / o_.rate * 1e9));
    if (!timers_.empty()) next = std::min(next, timers_.top().at);
    Ns wait = std::max<Ns>(0, next - monoNs());
    timespec ts{static_cast<time_t>(wait / kSec), static_cast<long>(wait % kSec)};
    if (ppoll(fds, 2, &ts, nullptr) <= 0) continue;
    now = monoNs();
    if (fds[0].revents & POLLIN) drainSip(sipCaller_, true, now);
    if (fds[1].revents & POLLIN) drainSip(sipAgent_, false, now);
  }
  bool met = summary(aborted);
  if (aborted) return 3;
  return met ? 0 : 1;
}

bool BridgeLoad::summary(bool aborted) {
  unsigned established = 0, failed = 0, dropped = 0, byeOk = 0, byeTimeout = 0, agentEnded = 0;
  std::vector<double> setup, jRfc, jAdded, jTool, jPeak;
  std::uint64_t expected = 0, received = 0, seqExpected = 0, seqReceived = 0, streamsLossy = 0;
  std::uint64_t streams = 0;
  for (const Call& c : calls_) {
    bool up = c.bridgedAt != 0;
    established += up;
    failed += c.caller == Leg::kFailed;
    dropped += c.droppedEarly;
    byeTimeout += c.byeTimedOut;
    byeOk += c.caller == Leg::kDone && !c.byeTimedOut && !c.droppedEarly;
    agentEnded += c.agent == Agent::kEnded;
    if (up) setup.push_back(static_cast<double>(c.bridgedAt - c.invitedAt) / 1e6);
    const std::pair<const RxStream*, const TxStream*> pairs[] = {{&c.rxAgent, &c.txCaller}, {&c.rxCaller, &c.txAgent}};
    for (auto [rx, tx] : pairs) {
      if (tx->winFirst == kNoSeq) continue;
      ++streams;
      std::uint64_t e = tx->winLast - tx->winFirst + 1;
      expected += e;
      received += rx->inWindow;
      streamsLossy += rx->inWindow < e;
      if (rx->seqInit) {
        seqExpected += rx->cycles + rx->maxSeq - rx->baseSeq + 1;
        seqReceived += rx->seqReceived;
      }
      if (rx->rfc.have) {
        jRfc.push_back(rx->rfc.j / 1e6);
        jAdded.push_back(rx->added.j / 1e6);
        jPeak.push_back(rx->rfc.peak / 1e6);
      }
      if (tx->lateness.have) jTool.push_back(tx->lateness.j / 1e6);
    }
  }
  setup = sorted(setup);
  jRfc = sorted(jRfc);
  jAdded = sorted(jAdded);
  jTool = sorted(jTool);
  jPeak = sorted(jPeak);
  auto lossPct = [](std::uint64_t e, std::uint64_t r) {
    return e == 0 ? 0.0 : 100.0 * (static_cast<double>(e) - static_cast<double>(r)) / static_cast<double>(e);
  };
  std::string fails;
  for (auto [status, n] : failures_) fails += " " + std::to_string(status) + "x" + std::to_string(n);
  std::printf("--- bridge_load summary%s ---\n", aborted ? " (ABORTED: duration cap or signal)" : "");
  std::printf("calls attempted: %u\n", placed_);
  std::printf("calls established: %u (caller answered, agent answered and ACKed)\n", established);
  std::printf("calls failed: %u%s%s\n", failed, fails.empty() ? "" : " status", fails.c_str());
  std::printf("calls dropped by server: %u\n", dropped);
  std::printf("hangups: %u BYE answered, %u BYE timed out; server BYEs to agent: %u\n", byeOk, byeTimeout, agentEnded);
  std::printf("time to establish ms: p50 %.1f p99 %.1f max %.1f (INVITE to agent ACK)\n", pct(setup, 50),
              pct(setup, 99), setup.empty() ? 0 : setup.back());
  std::printf("hold: %.1f s (window per call: bridged + %.1f s warm-up, to hold end)\n",
              static_cast<double>(holdEnd_ - holdStart_) / 1e9, o_.warmup);
  std::printf("streams measured: %llu (relayed streams with a window; 2 per call received)\n",
              static_cast<unsigned long long>(streams));
  std::printf("packets sent: %llu (send errors %llu, skipped slots %llu)\n",
              static_cast<unsigned long long>(txPackets_), static_cast<unsigned long long>(txErrors_),
              static_cast<unsigned long long>(skippedSlots_));
  std::printf("packets received: %llu (unknown source %llu, malformed %llu, cross-talk %llu, rtcp %llu)\n",
              static_cast<unsigned long long>(rxPackets_), static_cast<unsigned long long>(rxUnknown_),
              static_cast<unsigned long long>(rxMalformed_), static_cast<unsigned long long>(crosstalk_),
              static_cast<unsigned long long>(rtcpIn_));
  std::printf("window packets: expected %llu received %llu\n", static_cast<unsigned long long>(expected),
              static_cast<unsigned long long>(received));
  std::printf("loss %%: %.4f end-to-end (sender seq in payload); %.4f server-to-tool (RTP seq, RFC 3550 A.3); "
              "%llu streams with loss\n",
              lossPct(expected, received), lossPct(seqExpected, seqReceived),
              static_cast<unsigned long long>(streamsLossy));
  std::printf("tool socket drops: caller %u agent %u (SO_RXQ_OVFL: lost in this tool, not the server)\n",
              rxqDrops_[0], rxqDrops_[1]);
  std::printf("jitter ms: mean %.3f p99 %.3f max %.3f (RFC 3550 A.8 vs RTP ts, per stream at hold end)\n",
              mean(jRfc), pct(jRfc, 99), jRfc.empty() ? 0 : jRfc.back());
  std::printf("jitter peak ms: p99 %.3f max %.3f (highest running J per stream in the window)\n", pct(jPeak, 99),
              jPeak.empty() ? 0 : jPeak.back());
  std::printf("tool send jitter ms: mean %.3f p99 %.3f max %.3f (A.8 over the tool's own send lateness)\n",
              mean(jTool), pct(jTool, 99), jTool.empty() ? 0 : jTool.back());
  std::printf("added jitter ms: mean %.3f p99 %.3f max %.3f (A.8 vs actual send time: the server's share)\n",
              mean(jAdded), pct(jAdded, 99), jAdded.empty() ? 0 : jAdded.back());
  std::printf("transit ms: mean %.3f p50 %.3f p99 %.3f max %.3f (tool send to relayed arrival, kernel rx stamp)\n",
              transit_.meanMs(), transit_.percentileMs(50), transit_.percentileMs(99), transit_.maxMs());
  std::printf("tool lateness ms: p50 %.3f p99 %.3f max %.3f (send batch start vs the 20 ms grid, %llu batches in the "
              "hold; max over the whole run %.3f)\n",
              lateness_.percentileMs(50), lateness_.percentileMs(99), lateness_.maxMs(),
              static_cast<unsigned long long>(lateness_.count()), static_cast<double>(latenessMax_) / 1e6);
  std::printf("sip: INVITE retransmits %llu, BYE retransmits %llu, agent 200 retransmits %llu, agent ACK missing "
              "%llu, unexpected %llu, unparsable %llu\n",
              static_cast<unsigned long long>(inviteRetx_), static_cast<unsigned long long>(byeRetx_),
              static_cast<unsigned long long>(agentRetx_), static_cast<unsigned long long>(agentAckMissing_),
              static_cast<unsigned long long>(unexpected_), static_cast<unsigned long long>(sipBad_));
  if (o_.haveHttp) {
    std::printf("server at hold end: calls %ld dialogs %ld media_sessions %ld\n", healthHold_.calls,
                healthHold_.dialogs, healthHold_.mediaSessions);
    std::printf("server rtp during run: in %ld out %ld malformed %ld\n",
                healthEnd_.rtpIn >= 0 ? healthEnd_.rtpIn - health0_.rtpIn : -1,
                healthEnd_.rtpOut >= 0 ? healthEnd_.rtpOut - health0_.rtpOut : -1,
                healthEnd_.malformed >= 0 ? healthEnd_.malformed - health0_.malformed : -1);
    if (settled_ >= 0) {
      std::printf("server calls back to 0: %.1f s after the first BYE\n", static_cast<double>(settled_) / 1e9);
    } else {
      std::printf("server calls back to 0: NO (calls %ld at the end)\n", healthEnd_.calls);
    }
  }
  // Verdict against the targets; the measurement only counts if the tool kept its grid.
  bool clean = failures_.empty() && agentAckMissing_ == 0 && established == calls_.size();
  for (const Call& c : calls_) clean = clean && !c.droppedEarly && !c.byeTimedOut && c.caller == Leg::kDone;
  double loss = lossPct(expected, received);
  double holdS = static_cast<double>(holdEnd_ - holdStart_) / 1e9;
  double offered = holdS > 0 ? static_cast<double>(txAtHoldEnd_ - txAtHold_) / holdS : 0;
  double nominal = 2.0 * established * 1e9 / static_cast<double>(kPtime);
  bool kept = skippedInHold_ == 0 && offered >= 0.99 * nominal;
  bool lossOk = loss < o_.maxLossPct, jitterOk = pct(jAdded, 99) < o_.maxJitterMs;
  std::printf("tool send rate in hold: %.0f pps of %.0f nominal (%llu slots skipped in the hold)\n", offered, nominal,
              static_cast<unsigned long long>(skippedInHold_));
  std::printf("verdict: calls %s, loss %s (< %.2f%%), added jitter p99 %s (< %.2f ms), load generator %s\n",
              clean ? "OK" : "FAILED", lossOk ? "OK" : "FAILED", o_.maxLossPct, jitterOk ? "OK" : "FAILED",
              o_.maxJitterMs, kept ? "kept the 20 ms grid" : "FELL BEHIND (the offered load was lower than nominal)");
  std::fflush(stdout);
  return clean && lossOk && jitterOk && kept;
}

// ---------------------------------------------------------------- main

void usage() {
  std::fprintf(stderr,
               "usage: bridge_load --server 127.0.0.1:PORT [--http 127.0.0.1:PORT] [--calls N] [--rate R]\n"
               "                   [--hold S] [--warmup S] [--hangup-rate R] [--establish-timeout S]\n"
               "                   [--number 6000] [--agent 1001] [--agent-password P] [--duration S]\n"
               "                   [--slots K] [--rtp-base PORT] [--max-loss PCT] [--max-jitter MS]\n");
}

bool parseArgs(int argc, char** argv, Options& o) {
  bool haveServer = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (i + 1 >= argc) return false;
    std::string v = argv[++i];
    double d = std::atof(v.c_str());
    if (a == "--server") {
      haveServer = parseHostPort(v, o.server);
      if (!haveServer) return false;
    } else if (a == "--http") {
      o.haveHttp = parseHostPort(v, o.http);
      if (!o.haveHttp) return false;
    } else if (a == "--calls") {
      o.calls = static_cast<unsigned>(d);
    } else if (a == "--rate") {
      o.rate = d;
    } else if (a == "--hangup-rate") {
      o.hangupRate = d;
    } else if (a == "--hold") {
      o.hold = d;
    } else if (a == "--warmup") {
      o.warmup = d;
    } else if (a == "--establish-timeout") {
      o.establishTimeout = d;
    } else if (a == "--duration") {
      o.duration = d;
    } else if (a == "--number") {
      o.number = v;
    } else if (a == "--agent") {
      o.agent = v;
    } else if (a == "--agent-password") {
      o.password = v;
    } else if (a == "--max-loss") {
      o.maxLossPct = d;
    } else if (a == "--max-jitter") {
      o.maxJitterMs = d;
    } else if (a == "--slots") {
      o.slots = static_cast<unsigned>(d);
    } else if (a == "--rtp-base") {
      o.rtpBase = static_cast<std::uint16_t>(d);
    } else {
      return false;
    }
  }
  if (o.hangupRate <= 0) o.hangupRate = o.rate;
  return haveServer && o.calls >= 1 && o.calls <= 100000 && o.rate > 0 && o.hold >= 0 && o.slots >= 2 &&
         o.slots <= 1000 && o.rtpBase >= 1024;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parseArgs(argc, argv, o)) {
    usage();
    return 2;
  }
  std::signal(SIGINT, [](int) { gStop = 1; });
  std::signal(SIGTERM, [](int) { gStop = 1; });
  BridgeLoad load(std::move(o));
  return load.run();
}
