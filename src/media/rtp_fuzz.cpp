// libFuzzer entry point for the packet parsers of the media engine: RTP (parseRtp), RTCP
// (parseRtcp) and RFC 4733 telephone-events (parseDtmfEvent, DtmfEventReceiver), all over the
// same input. Beyond "no crash", always-on checks: a parsed RTP packet's views lie inside the
// datagram and account for every byte of it, a re-serialised or rewritten header parses back
// to the same fields and payload, RTCP that parses is re-written and parses back equal, and a
// telephone-event survives write/parse.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string_view>
#include <vector>

#include "media/dtmf_event.h"
#include "media/rtcp.h"
#include "media/rtp.h"

namespace {

using namespace sb::media;
using Span = std::span<const std::uint8_t>;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "rtp_fuzz invariant broken: %s\n", what);
    std::abort();
  }
}

bool inside(Span part, Span whole) {
  if (part.empty()) return true;
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

bool sameBytes(Span a, Span b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0);
}

void checkRtpLayout(Span d, const RtpPacket& p) {
  check(inside(p.payload, d) && inside(p.csrcs, d) && inside(p.extension, d),
        "RTP view outside the datagram");
  check(!p.payload.empty(), "kOk with an empty payload");
  check(p.csrcCount <= 15 && p.csrcs.size() == 4u * p.csrcCount, "CSRC count and list disagree");
  const bool x = (d[0] & 0x10) != 0;
  const std::size_t header = kRtpHeaderSize + p.csrcs.size() + (x ? 4 + p.extension.size() : 0);
  check(header + p.payload.size() + p.paddingSize == d.size(), "RTP parts do not add up");
  check(p.payload.data() == d.data() + header, "payload does not follow the header");
  check(((d[0] & 0x20) != 0) == (p.paddingSize > 0), "padding size without P or P without it");
  check(p.payloadType == (d[1] & 0x7F) && p.marker == ((d[1] & 0x80) != 0),
        "PT or marker differ from the bytes");
  check(p.sequence == ((d[2] << 8) | d[3]), "sequence differs from the bytes");
}

void checkRtpRoundTrip(Span d, const RtpPacket& p) {
  // A fresh 12-byte header in front of the payload parses back to the same fields.
  std::vector<std::uint8_t> fresh(kRtpHeaderSize + p.payload.size());
  check(writeRtpHeader(fresh, p.payloadType, p.marker, p.sequence, p.timestamp, p.ssrc) ==
            kRtpHeaderSize,
        "writeRtpHeader did not write 12 bytes");
  std::memcpy(fresh.data() + kRtpHeaderSize, p.payload.data(), p.payload.size());
  RtpPacket q;
  check(parseRtp(fresh, q) == RtpDrop::kOk, "re-serialised header does not parse");
  check(q.payloadType == p.payloadType && q.marker == p.marker && q.sequence == p.sequence &&
            q.timestamp == p.timestamp && q.ssrc == p.ssrc && q.csrcCount == 0,
        "re-serialised header parses to other fields");
  check(sameBytes(q.payload, p.payload), "re-serialised payload differs");

  // Rewriting in place keeps everything but the rewritten fields.
  std::vector<std::uint8_t> copy(d.begin(), d.end());
  const auto pt = static_cast<std::uint8_t>((p.payloadType + 1) & 0x7F);
  const auto seq = static_cast<std::uint16_t>(p.sequence + 1);
  rewriteRtpHeader(copy, pt, !p.marker, seq, p.timestamp + 160, ~p.ssrc);
  RtpPacket r;
  check(parseRtp(copy, r) == RtpDrop::kOk, "rewritten packet does not parse");
  check(r.payloadType == pt && r.marker == !p.marker && r.sequence == seq &&
            r.timestamp == p.timestamp + 160 && r.ssrc == ~p.ssrc,
        "rewritten header parses to other fields");
  check(r.csrcCount == p.csrcCount && r.extensionProfile == p.extensionProfile &&
            r.paddingSize == p.paddingSize && sameBytes(r.payload, p.payload) &&
            sameBytes(r.extension, p.extension) && sameBytes(r.csrcs, p.csrcs),
        "rewrite changed more than the header fields");
}

void fuzzRtp(Span d) {
  RtpPacket p;
  const RtpDrop drop = parseRtp(d, p);
  const std::string_view name = rtpDropName(drop);
  check(!name.empty() && name != "unknown", "drop reason without a name");
  check((drop == RtpDrop::kOk) == (name == "ok"), "kOk and its name disagree");
  (void)looksLikeRtcp(d);
  if (drop != RtpDrop::kOk) {
    check(d.size() >= kRtpHeaderSize || drop == RtpDrop::kTooShort, "short datagram not too_short");
    return;
  }
  check(d.size() >= kRtpHeaderSize + 1 && (d[0] >> 6) == 2, "accepted a short or non-v2 datagram");
  checkRtpLayout(d, p);
  checkRtpRoundTrip(d, p);
}

void checkRtcpReport(const RtcpReport& report, const std::string& cname, bool bye) {
  check(report.blocks.size() <= kMaxReportBlocks, "more than 31 blocks in one report");
  for (const ReportBlock& b : report.blocks)
    check(b.cumulativeLost >= -0x800000 && b.cumulativeLost <= 0x7FFFFF, "lost outside 24 bits");
  std::vector<std::uint8_t> buf(
      rtcpReportSize(report.senderReport, report.blocks.size(), cname.size()) + 8);
  const std::size_t n =
      bye ? writeRtcpBye(buf, report, cname) : writeRtcpReport(buf, report, cname);
  check(n > 0 && n % 4 == 0, "writing a parsed report failed");
  auto again = parseRtcp(Span(buf.data(), n));
  check(again.ok(), "a re-written report does not parse");
  check(again->reports.size() == 1 && again->reports[0] == report, "re-written report differs");
  check(again->cname == cname && again->bye == bye, "re-written CNAME or BYE differs");
}

void fuzzRtcp(Span d) {
  auto c = parseRtcp(d);
  if (!c.ok()) {
    check(c.error().code == sb::Errc::kInvalidInput && !c.error().message.empty(),
          "RTCP error without kInvalidInput and a reason");
    return;
  }
  check(!c->reports.empty(), "compound without SR/RR accepted");
  check(c->cname.size() <= kMaxCnameSize, "CNAME longer than an SDES item");
  check(d.size() % 4 == 0 && d.size() >= 8, "compound size not whole words");
  for (const RtcpReport& r : c->reports) checkRtcpReport(r, c->cname, c->bye);
}

void fuzzDtmf(Span d) {
  DtmfEvent e;
  const bool ok = parseDtmfEvent(d, e);
  check(ok == (!d.empty() && d.size() % 4 == 0), "telephone-event size rule broken");
  if (ok) {
    check(e.event == d[0] && e.end == ((d[1] & 0x80) != 0) && e.volume == (d[1] & 0x3F) &&
              e.duration == ((d[2] << 8) | d[3]),
          "telephone-event fields differ from the bytes");
    std::uint8_t buf[kDtmfEventSize];
    check(writeDtmfEvent(buf, e) == kDtmfEventSize, "writeDtmfEvent did not write 4 bytes");
    DtmfEvent back;
    check(parseDtmfEvent(buf, back) && back == e, "telephone-event does not survive write/parse");
  }
  // The input as a stream of (timestamp, event) records for one receiver: digits are what
  // the event says, and an exact repeat of a packet never yields a second digit.
  DtmfEventReceiver rx;
  for (std::size_t at = 0; at + 8 <= d.size(); at += 8) {
    const std::uint32_t ts = (std::uint32_t{d[at]} << 24) | (std::uint32_t{d[at + 1]} << 16) |
                             (std::uint32_t{d[at + 2]} << 8) | d[at + 3];
    DtmfEvent ev;
    check(parseDtmfEvent(d.subspan(at + 4, 4), ev), "4-byte block rejected");
    auto digit = rx.onPacket(ts, ev);
    if (digit) check(*digit != '\0' && *digit == dtmfEventChar(ev.event), "wrong digit reported");
    check(!rx.onPacket(ts, ev), "a repeated packet reported a digit again");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Span input(data, size);
  fuzzRtp(input);
  fuzzRtcp(input);
  fuzzDtmf(input);
  RtpPacket p;
  if (parseRtp(input, p) == RtpDrop::kOk) fuzzDtmf(p.payload);  // events arrive as RTP payload
  return 0;
}
