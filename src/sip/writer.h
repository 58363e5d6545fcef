#pragma once
// Serialisation of outgoing SIP messages (RFC 3261 §7). Builds the wire text in one string;
// Content-Length is always written, so the output frames correctly on stream transports.

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sip/message.h"

namespace sb::sip {

/// Extra headers as name/value pairs.
using HeaderList = std::vector<std::pair<std::string, std::string>>;

/// A message body with its type.
struct Body {
  std::string contentType;
  std::string content;
};

/// Standard reason phrase for a status code ("OK", "Ringing", ...).
std::string_view reasonPhrase(int status);

/// Appends start line and headers; `finish` adds Content-Length and the body.
class MessageWriter {
 public:
  /// "METHOD uri SIP/2.0".
  static MessageWriter request(std::string_view method, std::string_view uri);
  /// "SIP/2.0 status reason"; the standard phrase when `reason` is empty.
  static MessageWriter response(int status, std::string_view reason = {});

  /// Appends "Name: value".
  MessageWriter& header(std::string_view name, std::string_view value);
  /// Appends "Name: " followed by the concatenation of `parts`.
  MessageWriter& header(std::string_view name, std::initializer_list<std::string_view> parts);
  /// Appends Content-Type (when a body is given), Content-Length, the blank line and the body.
  /// Leaves the writer empty.
  std::string finish(std::string_view contentType = {}, std::string_view body = {});

 private:
  std::string out_;
};

/// Starts a response to `req` (§8.2.6.2): copies every Via (the top one gets received= and
/// rport= per §18.2.1 / RFC 3581), From, To (adding `toTag` when the request's To has no tag),
/// Call-ID and CSeq; Record-Route too when `copyRecordRoute` (dialog-creating responses, §12.1.1).
MessageWriter responseTo(const Message& req, int status, std::string_view reason = {},
                         std::string_view toTag = {}, bool copyRecordRoute = false);

/// The top Via of `req` as it should appear in a response (received/rport filled in).
std::string responseTopVia(const Message& req);

}  // namespace sb::sip
