#pragma once
// Cuts SIP messages out of a byte stream (TCP/TLS, RFC 3261 §18.3): the header block ends at
// the first blank line and Content-Length, mandatory on streams, gives the body size.
// Keep-alive pings (RFC 5626 §3.5.1: CRLFCRLF) between messages are recognised.

#include <cstddef>
#include <string>
#include <string_view>

namespace sb::sip {

/// Outcome of looking for one frame at the start of a stream buffer.
struct Frame {
  enum class Kind {
    kNeedMore,   ///< incomplete; read more bytes
    kMessage,    ///< `length` bytes form one message
    kKeepalive,  ///< `length` bytes are a CRLFCRLF ping (answer with CRLF pong)
    kCrlf,       ///< `length` bytes are stray CRLFs before a message (skip them)
    kError,      ///< unrecoverable framing error; close the connection
  };
  Kind kind = Kind::kNeedMore;
  std::size_t length = 0;
  std::string error;
};

/// Finds the next frame in `buffer`. A message larger than `maxMessage`, a header block with
/// no or an invalid Content-Length, are errors: a stream cannot be resynchronised after them.
Frame nextFrame(std::string_view buffer, std::size_t maxMessage = 65535);

}  // namespace sb::sip
