// bridge_load: sockets — loopback addresses, non-blocking UDP sockets, RTP/RTCP port pairs and
// the blocking HTTP client for the server's /healthz.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <string_view>

namespace bridge_load {

/// An IPv4 socket address.
sockaddr_in loopback(in_addr ip, std::uint16_t port);
/// "127.x.y.z:PORT" into `out`; false for anything else (loopback only).
bool parseHostPort(std::string_view s, sockaddr_in& out);
/// A non-blocking UDP socket on 127.0.0.1:port (0: any) with `buffer` bytes each way; `rtp`
/// adds kernel receive stamps (SO_TIMESTAMPNS) and drop counts (SO_RXQ_OVFL). -1 when the port
/// is taken.
int udpSocket(std::uint16_t port, int buffer, bool rtp);
/// The port `fd` is bound to.
std::uint16_t localPort(int fd);
/// An RTP/RTCP socket pair on an even port at or above `base` (RFC 3550 §11).
bool rtpPair(std::uint16_t base, int& rtp, int& rtcp);

/// The integer fields of the server's /healthz we report; -1 for a missing one.
struct Health {
  bool ok = false;
  long calls = -1, dialogs = -1, mediaSessions = -1, rtpIn = -1, rtpOut = -1, malformed = -1;
};

/// GET /healthz over HTTP/1.1 (blocking, 1 s timeouts); `ok` false when it did not answer.
Health healthz(const sockaddr_in& http);

}  // namespace bridge_load
