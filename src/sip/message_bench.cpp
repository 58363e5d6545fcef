// Micro-benchmarks for the SIP parser and serializer on typical SIPp traffic: an INVITE with
// SDP (~700 bytes), a 200 OK with SDP, a REGISTER with digest Authorization, and building a
// response with responseTo. Items/s is messages per second on one core.
#include <benchmark/benchmark.h>

#include <string>
#include <string_view>

#include "base/endpoint.h"
#include "sip/message.h"
#include "sip/writer.h"

namespace sb::sip {
namespace {

constexpr std::string_view kInvite =
    "INVITE sip:4000@192.0.2.1:5060 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.10:5061;rport;branch=z9hG4bK-23412-1-0\r\n"
    "From: \"sipp\" <sip:sipp@192.0.2.10:5061>;tag=23412SIPpTag001\r\n"
    "To: <sip:4000@192.0.2.1:5060>\r\n"
    "Call-ID: 1-23412@192.0.2.10\r\n"
    "CSeq: 1 INVITE\r\n"
    "Contact: <sip:sipp@192.0.2.10:5061>\r\n"
    "Max-Forwards: 70\r\n"
    "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY\r\n"
    "Supported: replaces, timer\r\n"
    "User-Agent: SIPp/3.7\r\n"
    "Subject: Performance Test\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 235\r\n"
    "\r\n"
    "v=0\r\n"
    "o=user1 53655765 2353687637 IN IP4 192.0.2.10\r\n"
    "s=-\r\n"
    "c=IN IP4 192.0.2.10\r\n"
    "t=0 0\r\n"
    "m=audio 6000 RTP/AVP 0 8 101\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\n"
    "a=ptime:20\r\n"
    "a=sendrecv\r\n";

constexpr std::string_view kOk =
    "SIP/2.0 200 OK\r\n"
    "Via: SIP/2.0/UDP 192.0.2.10:5061;rport=5061;branch=z9hG4bK-23412-1-0;received=192.0.2.10\r\n"
    "Record-Route: <sip:192.0.2.1;lr>\r\n"
    "From: \"sipp\" <sip:sipp@192.0.2.10:5061>;tag=23412SIPpTag001\r\n"
    "To: <sip:4000@192.0.2.1:5060>;tag=sb-7f3a9c\r\n"
    "Call-ID: 1-23412@192.0.2.10\r\n"
    "CSeq: 1 INVITE\r\n"
    "Contact: <sip:switchboard@192.0.2.1:5060>\r\n"
    "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY\r\n"
    "Supported: replaces, timer\r\n"
    "Server: Switchboard\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 177\r\n"
    "\r\n"
    "v=0\r\n"
    "o=- 1821 1821 IN IP4 192.0.2.1\r\n"
    "s=Switchboard\r\n"
    "c=IN IP4 192.0.2.1\r\n"
    "t=0 0\r\n"
    "m=audio 17890 RTP/AVP 0 101\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=sendrecv\r\n";

constexpr std::string_view kRegister =
    "REGISTER sip:example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.20:5060;rport;branch=z9hG4bK-reg-2\r\n"
    "Max-Forwards: 70\r\n"
    "From: <sip:1001@example.com>;tag=reg1\r\n"
    "To: <sip:1001@example.com>\r\n"
    "Call-ID: reg-1@192.0.2.20\r\n"
    "CSeq: 2 REGISTER\r\n"
    "Contact: <sip:1001@192.0.2.20:5060>;expires=3600\r\n"
    "Authorization: Digest username=\"1001\", realm=\"example.com\", "
    "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"sip:example.com\", "
    "response=\"6629fae49393a05397450978507c4ef1\", algorithm=MD5, cnonce=\"0a4f113b\", "
    "qop=auth, nc=00000001, opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"\r\n"
    "Expires: 3600\r\n"
    "User-Agent: SIPp/3.7\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

void parseLoop(benchmark::State& state, std::string_view bytes) {
  for (auto _ : state) {
    auto m = Message::parse(bytes);
    if (!m) state.SkipWithError(m.error().message.c_str());
    benchmark::DoNotOptimize(m);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes.size()));
}

void BM_ParseInvite(benchmark::State& state) {
  parseLoop(state, kInvite);
}
void BM_Parse200Ok(benchmark::State& state) {
  parseLoop(state, kOk);
}
void BM_ParseRegisterWithAuth(benchmark::State& state) {
  parseLoop(state, kRegister);
}

void BM_ResponseTo(benchmark::State& state) {
  auto req = Message::parse(kInvite);
  if (!req) {
    state.SkipWithError(req.error().message.c_str());
    return;
  }
  Source src;
  src.remote = *Endpoint::parse("192.0.2.10", 5061);
  src.local = *Endpoint::parse("192.0.2.1", 5060);
  req->setSource(src);
  for (auto _ : state) {
    std::string out = responseTo(*req, 180, {}, "sb-7f3a9c")
                          .header("Contact", "<sip:switchboard@192.0.2.1:5060>")
                          .finish();
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}

// Parse a request and answer it: the per-INVITE cost on the signalling loop.
void BM_ParseAndRespond(benchmark::State& state) {
  for (auto _ : state) {
    auto req = Message::parse(kInvite);
    std::string out = responseTo(*req, 100).finish();
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_ParseInvite);
BENCHMARK(BM_Parse200Ok);
BENCHMARK(BM_ParseRegisterWithAuth);
BENCHMARK(BM_ResponseTo);
BENCHMARK(BM_ParseAndRespond);

}  // namespace
}  // namespace sb::sip
