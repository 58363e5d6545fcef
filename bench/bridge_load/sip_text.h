// bridge_load: text helpers, a minimal SIP message parser and builder (just what one UAC and one
// UAS need over UDP), the SDP offer/answer it exchanges, and MD5 digest authentication.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bridge_load {

/// `s` without leading blanks and trailing blanks or CR.
std::string_view trim(std::string_view s);
/// A non-negative decimal of up to 18 digits, `fallback` for anything else.
long toLong(std::string_view s, long fallback = -1);
/// The URI inside `<...>` of a name-addr, or the value up to the first ';'.
std::string_view uriOf(std::string_view nameAddr);
/// Whether a From/To value carries a tag parameter (after the `>` of a name-addr).
bool hasTag(std::string_view nameAddr);

/// A parsed SIP datagram; views point into the receive buffer.
struct SipMsg {
  bool request = false;
  int status = 0;
  std::string_view method, ruri, callId, from, to, contact, body;
  std::vector<std::string_view> vias, recordRoutes, challenges;
  long cseq = -1;
  std::string_view cseqMethod;
};

/// Parses one datagram into `m`; false when it is not a SIP message with Via, Call-ID, From, To
/// and CSeq.
bool parseSip(std::string_view data, SipMsg& m);

/// A response to `req` (RFC 3261 §8.2.6.2): Via, From, Call-ID, CSeq copied, To with `toTag`
/// added when it has none; `extra` is inserted as header lines, `sdp` as the body.
std::string response(const SipMsg& req, int status, std::string_view reason, std::string_view toTag,
                     std::string_view extra, std::string_view sdp);

/// The audio address of an SDP body: c= (IPv4 loopback only) and the m=audio port; the
/// telephone-event payload type when one is offered.
struct SdpAudio {
  in_addr ip{};
  std::uint16_t port = 0;
  int telephoneEvent = -1;
};

/// False unless the body has a loopback c= line and an m=audio port.
bool parseSdp(std::string_view body, SdpAudio& out);
/// Our SDP: PCMU on 127.0.0.1:port, telephone-event as payload type `telephoneEvent` (< 0: none).
std::string sdpBody(std::string_view user, unsigned id, std::uint16_t port, int telephoneEvent);

/// Lower-case hex MD5 of `data` (OpenSSL EVP); empty if the digest is unavailable.
std::string md5Hex(std::string_view data);
/// The first WWW-Authenticate challenge of `m` that is not SHA-256 (the server lists MD5
/// first); empty when there is none.
std::string md5Challenge(const SipMsg& m);
/// An `Authorization: Digest ...` header line, CRLF included, answering `challenge` (RFC 7616
/// MD5 with qop=auth) for `method` on `uri`; the cnonce is derived from `cnonceSeed`.
std::string digestAuthorization(const std::string& challenge, const std::string& user,
                                const std::string& password, const std::string& method,
                                const std::string& uri, const std::string& cnonceSeed);

}  // namespace bridge_load
