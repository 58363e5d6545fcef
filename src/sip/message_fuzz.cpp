// libFuzzer entry point for the SIP message parser (datagram and stream framing) and the
// response serializer. Beyond "no crash", it checks invariants with always-on checks: every
// accessor of a parsed message is safe to read, the unfolded bytes parse again the same way,
// a stream parse implies a datagram parse, every response built with responseTo parses back
// with the request's Vias, tags, Call-ID and CSeq, and every 400 from badRequestResponse
// parses and is never an answer to a response.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "base/endpoint.h"
#include "sip/message.h"
#include "sip/uri.h"
#include "sip/writer.h"

namespace {

using sb::sip::HeaderId;
using sb::sip::Message;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "message_fuzz invariant broken: %s\n", what);
    std::abort();
  }
}

// Anything built from an input of at most 64 KiB fits: a response may be longer than its
// request because compact header names ("v:") are written in full ("Via: ").
sb::sip::ParseLimits reparseLimits() {
  sb::sip::ParseLimits limits;
  limits.maxBytes = std::size_t{1} << 22;
  limits.maxHeaders = std::size_t{1} << 16;
  return limits;
}

// Reads every byte of a view so ASan sees any view that points outside its buffer.
std::size_t touch(std::string_view s) {
  std::size_t sum = s.size();
  for (char c : s) sum += static_cast<unsigned char>(c);
  return sum;
}

std::size_t touchUri(const sb::sip::Uri& u) {
  std::size_t sum = touch(u.scheme) + touch(u.user) + touch(u.password) + touch(u.host) +
                    touch(u.params) + touch(u.headers) + touch(u.raw) + u.port + u.isSip();
  if (auto t = u.param("transport")) sum += touch(*t);
  if (auto lr = u.param("lr")) sum += touch(*lr);
  sum += touch(sb::sip::unescape(u.user));
  return sum;
}

std::size_t touchNameAddr(const sb::sip::NameAddr& na) {
  std::size_t sum = touch(na.displayName) + touchUri(na.uri) + touch(na.params) + na.wildcard;
  sum += touch(na.tag());
  if (auto q = na.param("q")) sum += touch(*q);
  if (auto e = na.param("expires")) sum += touch(*e);
  return sum;
}

std::size_t touchVia(const sb::sip::Via& v) {
  std::size_t sum = touch(v.transport) + touch(v.host) + v.port + touch(v.params) +
                    touch(v.branch) + touch(v.received) + v.rport;
  if (auto r = v.param("rport")) sum += touch(*r);
  return sum;
}

bool isNameAddrHeader(HeaderId id) {
  return id == HeaderId::kContact || id == HeaderId::kRoute || id == HeaderId::kRecordRoute ||
         id == HeaderId::kFrom || id == HeaderId::kTo || id == HeaderId::kReferTo ||
         id == HeaderId::kReferredBy;
}

std::size_t touchMessage(const Message& m) {
  std::size_t sum = touch(m.bytes()) + touch(m.methodText()) + touch(m.reason()) +
                    touchUri(m.requestUri()) + touch(sb::sip::methodName(m.method()));
  sum += static_cast<std::size_t>(m.status() + m.maxForwards());
  for (const auto& h : m.headers()) {
    sum += touch(h.name) + touch(h.value) + m.count(h.id);
    sum += touch(m.header(h.id)) + touch(m.header(h.name));
    check(sb::sip::headerIdFromName(h.name) == h.id, "header id does not match its name");
    if (isNameAddrHeader(h.id)) {
      if (auto na = sb::sip::parseNameAddr(h.value)) sum += touchNameAddr(*na);
    }
    if (h.id == HeaderId::kVia) {
      auto via = sb::sip::parseVia(h.value);
      check(via.ok(), "a Via of a parsed message does not parse");
      sum += touchVia(*via);
    }
  }
  sum += touchVia(m.topVia()) + touch(m.callId()) + touch(m.cseq().methodText) + m.cseq().number;
  sum += touchNameAddr(m.from()) + touchNameAddr(m.to()) + touch(m.body());
  check(m.count(HeaderId::kVia) > 0 && !m.callId().empty(), "mandatory header missing");
  check(!m.isRequest() || m.cseq().methodText == m.methodText(), "CSeq method mismatch");
  check(m.isRequest() || (m.status() >= 100 && m.status() <= 699), "status out of range");
  auto bytes = m.bytes();
  check(m.body().empty() || (m.body().data() >= bytes.data() &&
                             m.body().data() + m.body().size() <= bytes.data() + bytes.size()),
        "body outside the message buffer");
  return sum;
}

void checkResponseTo(Message& req, bool v6) {
  sb::sip::Source src;
  src.transport = v6 ? sb::sip::Transport::kTcp : sb::sip::Transport::kUdp;
  src.remote = *sb::Endpoint::parse(v6 ? "2001:db8::7" : "198.51.100.7", 40000);
  src.local = *sb::Endpoint::parse(v6 ? "2001:db8::1" : "192.0.2.1", 5060);
  req.setSource(src);

  std::string text = sb::sip::responseTo(req, 200, {}, "fuzz-tag", true)
                         .header("Contact", "<sip:fuzz@192.0.2.1>")
                         .finish("application/sdp", "v=0\r\n");
  auto resp = Message::parse(text, false, reparseLimits());
  if (!resp) std::fprintf(stderr, "%s\n---\n%s\n", resp.error().message.c_str(), text.c_str());
  check(resp.ok(), "responseTo output does not parse");
  check(!resp->isRequest() && resp->status() == 200, "wrong status line");
  check(resp->body() == "v=0\r\n", "wrong body");
  check(resp->callId() == req.callId(), "Call-ID changed");
  check(
      resp->cseq().number == req.cseq().number && resp->cseq().methodText == req.cseq().methodText,
      "CSeq changed");
  check(resp->count(HeaderId::kVia) == req.count(HeaderId::kVia), "Via count changed");
  check(resp->count(HeaderId::kRecordRoute) == req.count(HeaderId::kRecordRoute),
        "Record-Route count changed");
  check(resp->topVia().branch == req.topVia().branch, "top Via branch changed");
  check(resp->topVia().received.empty() || resp->topVia().received == src.remote.ip(),
        "top Via received is not the source address");
  check(resp->from().tag() == req.from().tag(), "From tag changed");
  if (req.to().param("tag")) {
    check(resp->header(HeaderId::kTo) == req.header(HeaderId::kTo), "To changed");
  } else {
    check(resp->to().tag() == "fuzz-tag", "To tag not added");
  }

  std::string trying = sb::sip::responseTo(req, 100).finish();
  check(Message::parse(trying, false, reparseLimits()).ok(), "100 Trying does not parse");
}

void checkBadRequest(std::string_view bytes, const sb::Result<Message>& parsed) {
  auto bad = sb::sip::badRequestResponse(bytes, "fuzz \r\n reason");
  if (parsed && !parsed->isRequest()) check(!bad, "badRequestResponse answered a response");
  if (!bad) return;
  auto resp = Message::parse(*bad, false, reparseLimits());
  check(resp.ok(), "badRequestResponse output does not parse");
  check(!resp->isRequest() && resp->status() == 400, "badRequestResponse is not a 400");
  check(!resp->to().tag().empty(), "badRequestResponse without To tag");
  touchMessage(*resp);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto datagram = Message::parse(bytes, true);
  auto stream = Message::parse(bytes, false);
  if (stream) {
    check(datagram.ok(), "a stream parse succeeded where the datagram parse failed");
    check(datagram->body() == stream->body(), "datagram and stream bodies differ");
  }
  for (auto* parsed : {&datagram, &stream}) {
    if (!parsed->ok()) continue;
    Message& m = parsed->value();
    volatile std::size_t sink = touchMessage(m);
    (void)sink;
    // The unfolded bytes hold the same message.
    auto again = Message::parse(m.bytes(), parsed == &datagram, reparseLimits());
    check(again.ok(), "unfolded bytes do not parse again");
    check(again->headers().size() == m.headers().size() && again->callId() == m.callId() &&
              again->body() == m.body(),
          "unfolded bytes parse differently");
    checkResponseTo(m, (size & 1) != 0);
  }
  checkBadRequest(bytes, datagram);
  return 0;
}
