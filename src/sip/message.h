#pragma once
// SIP message model (RFC 3261 §7, §20, §25): a parsed message owns one byte buffer and every
// parsed element is a view into it (zero-copy). Outgoing messages are built by MessageWriter.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/endpoint.h"
#include "base/result.h"
#include "sip/uri.h"

namespace sb::sip {

/// SIP request methods we know; anything else is kUnknown with its text kept.
enum class Method : std::uint8_t {
  kUnknown, kInvite, kAck, kBye, kCancel, kOptions, kRegister, kInfo, kPrack, kUpdate, kRefer,
  kSubscribe, kNotify, kMessage, kPublish,
};
/// Canonical method name ("INVITE"); "" for kUnknown.
std::string_view methodName(Method m);
/// Method from its token; methods are case-sensitive (RFC 3261 §7.1).
Method methodFromName(std::string_view name);

/// Headers the stack looks at; compact forms map to the same id (RFC 3261 §7.3.3).
enum class HeaderId : std::uint8_t {
  kOther, kVia, kFrom, kTo, kCallId, kCSeq, kContact, kMaxForwards, kContentLength,
  kContentType, kRoute, kRecordRoute, kAuthorization, kProxyAuthorization, kWwwAuthenticate,
  kProxyAuthenticate, kExpires, kMinExpires, kAllow, kSupported, kRequire, kProxyRequire,
  kUnsupported, kUserAgent, kServer, kRetryAfter, kReferTo, kReferredBy, kEvent, kSubject,
  kContentEncoding, kAccept, kSessionExpires, kRSeq, kRAck, kReplaces, kTimestamp,
  kAllowEvents, kSubscriptionState,
};
/// Id of a header name, case-insensitive, compact forms included; kOther when unknown.
HeaderId headerIdFromName(std::string_view name);

/// One header field value. List headers (Via, Contact, Route, Record-Route) are split at
/// top-level commas into one Header per element.
struct Header {
  HeaderId id;
  std::string_view name;   ///< as written
  std::string_view value;  ///< trimmed; folded continuation lines joined by spaces
};

/// A name-addr or addr-spec with header parameters (From, To, Contact, Route, Refer-To).
struct NameAddr {
  std::string_view displayName;  ///< without quotes; escapes left as written
  Uri uri;
  std::string_view params;       ///< header params after the URI, without the leading ';'
  bool wildcard = false;         ///< Contact: *
  /// The tag parameter, "" when absent.
  std::string_view tag() const;
  /// A header parameter by name (case-insensitive); "" for a flag; nullopt when absent.
  std::optional<std::string_view> param(std::string_view name) const;
};
/// Parses a name-addr / addr-spec. For addr-spec, ';' params belong to the header (§20.10).
/// Rejects LWS inside <...>, an unquoted display name that is not tokens, empty or malformed
/// header params (";;", "tag=") and a valueless tag. Errors: kInvalidInput.
Result<NameAddr> parseNameAddr(std::string_view text);

/// One via-parm (RFC 3261 §20.42, RFC 3581 rport).
struct Via {
  std::string_view transport;  ///< "UDP", "TCP", "TLS", "WS", ... as written
  std::string_view host;       ///< sent-by host, IPv6 without brackets
  std::uint16_t port = 0;      ///< 0 when absent
  std::string_view params;     ///< without the leading ';'
  std::string_view branch;     ///< "" when absent
  std::string_view received;   ///< "" when absent
  bool rport = false;          ///< rport parameter present (with or without value)
  /// A parameter by name (case-insensitive); "" for a flag; nullopt when absent.
  std::optional<std::string_view> param(std::string_view name) const;
};
/// Parses one via-parm ("SIP/2.0/UDP host:port;branch=..."); LWS around '/' and ':' allowed.
/// The host must be a host name, IPv4 or bracketed IPv6 address; branch and received need a
/// value. Errors: kInvalidInput.
Result<Via> parseVia(std::string_view text);

/// CSeq header (§20.16).
struct CSeq {
  std::uint32_t number = 0;
  Method method = Method::kUnknown;
  std::string_view methodText;
};

/// Transport protocols; TLS and WebSocket share the stream code path.
enum class Transport : std::uint8_t { kUdp, kTcp, kTls, kWs, kWss };
/// Via token for a transport ("UDP", "TCP", ...).
std::string_view transportName(Transport t);
/// True for connection-oriented transports (framing by Content-Length, no retransmissions).
inline bool isReliable(Transport t) { return t != Transport::kUdp; }

/// Where a received message came from; set by the transport layer.
struct Source {
  Transport transport = Transport::kUdp;
  Endpoint remote;
  Endpoint local;
  std::uint64_t connection = 0;  ///< stream connection id; 0 for datagrams
};

/// Limits applied while parsing; exceeding one is a parse error.
struct ParseLimits {
  std::size_t maxBytes = 65535;
  std::size_t maxHeaders = 256;
};

/// A parsed SIP request or response. Owns its bytes; movable, not copyable. Every accessor
/// returns views into the owned buffer that stay valid for the message's lifetime.
class Message {
 public:
  /// Parses one complete message (a datagram, or one frame cut from a stream). Validates the
  /// start line, the mandatory headers (Via, From, To, Call-ID, CSeq; Max-Forwards defaults
  /// to 70), CSeq/method agreement, duplicate singleton headers, Content-Length, control
  /// characters (allowed only as quoted-pairs), every Via, request Contacts (one SIP/SIPS
  /// Contact at most in INVITE, SUBSCRIBE, REFER) and no headers in a SIP Request-URI.
  /// `datagram`: a body longer than Content-Length is truncated (§18.3); absent
  /// Content-Length means "rest of datagram". On a stream Content-Length and the blank line
  /// are required. Errors: kUnsupported for a SIP version other than 2.0, else kInvalidInput.
  static Result<Message> parse(std::string_view bytes, bool datagram = true,
                               const ParseLimits& limits = {});

  Message(Message&&) noexcept = default;
  Message& operator=(Message&&) noexcept = default;
  Message(const Message&) = delete;
  Message& operator=(const Message&) = delete;

  bool isRequest() const { return status_ == 0; }
  /// Request method; for responses the CSeq method.
  Method method() const { return isRequest() ? method_ : cseq_.method; }
  std::string_view methodText() const { return isRequest() ? methodText_ : cseq_.methodText; }
  const Uri& requestUri() const { return requestUri_; }
  int status() const { return status_; }
  std::string_view reason() const { return reason_; }

  const std::vector<Header>& headers() const { return headers_; }
  /// First value of a header, "" when absent.
  std::string_view header(HeaderId id) const;
  /// First value of a header by name, case-insensitive; a known name also finds its compact
  /// form ("Call-ID" finds "i:").
  std::string_view header(std::string_view name) const;
  std::size_t count(HeaderId id) const;
  /// Calls f(value) for every value of the header, in order.
  template <class F>
  void forEach(HeaderId id, F&& f) const {
    for (const auto& h : headers_) {
      if (h.id == id) f(h.value);
    }
  }

  const Via& topVia() const { return topVia_; }
  std::string_view callId() const { return callId_; }
  const CSeq& cseq() const { return cseq_; }
  const NameAddr& from() const { return from_; }
  const NameAddr& to() const { return to_; }
  int maxForwards() const { return maxForwards_; }
  std::string_view body() const { return body_; }
  /// Where the message came from (set by the transport after parsing).
  const Source& source() const { return source_; }
  void setSource(const Source& s) { source_ = s; }
  /// The message exactly as received (after unfolding).
  std::string_view bytes() const { return {buf_.get(), size_}; }

 private:
  Message() = default;
  Result<void> parseInPlace(bool datagram, const ParseLimits& limits);
  Result<void> parseStartLine(std::string_view line);
  Result<void> addHeader(std::string_view name, std::string_view value, const ParseLimits& lim);
  Result<void> validate();

  std::unique_ptr<char[]> buf_;
  std::size_t size_ = 0;
  Method method_ = Method::kUnknown;
  std::string_view methodText_;
  Uri requestUri_;
  int status_ = 0;
  std::string_view reason_;
  std::vector<Header> headers_;
  Via topVia_;
  std::string_view callId_;
  CSeq cseq_;
  NameAddr from_;
  NameAddr to_;
  int maxForwards_ = 70;
  std::string_view body_;
  Source source_;
};

/// Best-effort 400 for bytes that failed to parse: when the Via lines (all of them, in order),
/// From, To, Call-ID and CSeq of a request can still be found and parse on their own, returns
/// a response naming `why`, with a To tag derived from the request when it had none
/// (§8.2.6.2); else nullopt and the bytes are dropped (§18.3). Never answers a response or an
/// ACK. The result always parses with Message::parse.
std::optional<std::string> badRequestResponse(std::string_view bytes, std::string_view why);

}  // namespace sb::sip
