// bridge_load: loopback sockets, RTP/RTCP port pairs and the /healthz client (net.h).
#include "net.h"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <string>

#include "sip_text.h"

namespace bridge_load {
namespace {

long jsonInt(std::string_view body, std::string_view key) {
  std::string k = "\"" + std::string(key) + "\":";
  auto at = body.find(k);
  if (at == std::string_view::npos) return -1;
  std::string_view v = body.substr(at + k.size());
  std::size_t n = 0;
  while (n < v.size() && v[n] >= '0' && v[n] <= '9') ++n;
  return toLong(v.substr(0, n));
}

/// The raw HTTP response to GET /healthz (at most ~64 KiB); empty when the server is not there.
std::string fetchHealthz(const sockaddr_in& http) {
  std::string text;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return text;
  timeval tv{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&http), sizeof http) == 0) {
    std::string req = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size())) {
      char buf[4096];
      ssize_t n = 0;
      while ((n = recv(fd, buf, sizeof buf, 0)) > 0 && text.size() < 65536)
        text.append(buf, static_cast<std::size_t>(n));
    }
  }
  close(fd);
  return text;
}

}  // namespace

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

Health healthz(const sockaddr_in& http) {
  Health h;
  std::string text = fetchHealthz(http);
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

}  // namespace bridge_load
