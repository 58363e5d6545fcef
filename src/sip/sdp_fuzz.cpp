// libFuzzer entry point for the SDP parser, serializer and offer/answer. Beyond "no crash", it
// checks with always-on checks that whatever parses stays inside the documented limits, that
// its serialization parses back to the same Session and the same text, and that every answer we
// build keeps the offer's m= count, accepts at most one stream and parses back unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sip/sdp.h"

namespace {

using namespace sb::sip::sdp;

void check(bool ok, const char* what, std::string_view context = {}) {
  if (!ok) {
    std::fprintf(stderr, "sdp_fuzz invariant broken: %s\n%.*s\n", what,
                 static_cast<int>(context.size()), context.data());
    std::abort();
  }
}

void checkLimits(const Session& s) {
  check(s.media.size() <= kMaxMedia, "too many media sections accepted");
  check(!s.name.empty() && !s.originAddress.empty(), "empty s= or o= address accepted");
  for (const auto& m : s.media) {
    check(!m.formats.empty() && m.formats.size() <= kMaxFormats, "format count out of range");
    check(m.port >= 0 && m.port <= 65535 && m.portCount >= 1, "port out of range");
    check(m.port == 0 || !m.connectionAddress.empty() || !s.connectionAddress.empty(),
          "used stream without a connection address");
    for (const auto& f : m.formats) {
      bool rtp = isRtp(m.proto);
      check(rtp ? f.payloadType >= 0 && f.payloadType <= 127 : f.payloadType == -1,
            "payload type out of range");
    }
  }
}

void checkRoundTrip(const Session& s, const char* what) {
  std::string text = serialize(s);
  auto again = parse(text);
  if (!again.ok()) check(false, what, again.error().message + "\n" + text);
  check(*again == s, what, text);
  check(serialize(*again) == text, "serialization is not stable", text);
}

void checkAnswer(const Session& offer, const AnswerOptions& opt) {
  auto a = answer(offer, opt);
  if (!a.ok()) {
    check(a.error().code == sb::Errc::kInvalidInput && a.error().message == "no common codec",
          "answer failed for another reason than no common codec");
    return;
  }
  check(a->media.size() == offer.media.size(), "answer changed the m= count");
  std::size_t used = 0;
  for (std::size_t i = 0; i < a->media.size(); ++i) {
    const Media& m = a->media[i];
    check(m.type == offer.media[i].type && m.proto == offer.media[i].proto,
          "answer changed a stream's media or proto");
    if (m.port == 0) continue;
    ++used;
    check(m.port == opt.port && !m.formats.empty() && m.formats.size() <= 2,
          "accepted stream has the wrong port or formats");
    check(offer.media[i].port != 0, "answer revived a disabled stream");
  }
  check(used == 1, "answer must accept exactly one stream");
  checkRoundTrip(*a, "answer does not survive serialize/parse");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto s = parse(input);
  if (!s.ok()) {
    check(s.error().code == sb::Errc::kInvalidInput && !s.error().message.empty(),
          "parse error without kInvalidInput and a reason");
    return 0;
  }
  checkLimits(*s);
  checkRoundTrip(*s, "serialized description does not parse back to the same session");

  AnswerOptions opt;
  opt.address = "192.0.2.1";
  opt.port = 4000;
  checkAnswer(*s, opt);
  AnswerOptions wide;
  wide.address = "2001:db8::1";
  wide.port = 65534;
  wide.codecs = {"g722", "opus", "PCMU", "G729", "telephone-event"};
  wide.telephoneEvent = false;
  wide.ptime = 0;
  checkAnswer(*s, wide);
  return 0;
}
