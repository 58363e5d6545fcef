#include "sip/stream_framer.h"

#include "sip/message.h"
#include "sip/uri.h"

namespace sb::sip {

Frame nextFrame(std::string_view buffer, std::size_t maxMessage) {
  Frame f;
  if (buffer.empty()) return f;
  if (buffer[0] == '\r' || buffer[0] == '\n') {
    if (buffer.substr(0, 4) == "\r\n\r\n") {
      f.kind = Frame::Kind::kKeepalive;
      f.length = 4;
      return f;
    }
    std::size_t n = 0;
    while (n < buffer.size() && (buffer[n] == '\r' || buffer[n] == '\n')) ++n;
    if (n == buffer.size() && buffer.substr(0, 4) == std::string_view("\r\n\r\n").substr(0, n)) {
      return f;  // could still become a CRLFCRLF ping
    }
    f.kind = Frame::Kind::kCrlf;
    f.length = n;
    return f;
  }
  std::size_t end = buffer.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (buffer.size() > maxMessage) {
      f.kind = Frame::Kind::kError;
      f.error = "header block too large";
    }
    return f;
  }
  std::size_t headerBytes = end + 4;
  // Scan header lines for Content-Length (or its compact form "l").
  std::string_view head = buffer.substr(0, end);
  std::size_t pos = head.find("\r\n");
  bool found = false;
  std::size_t contentLength = 0;
  while (pos != std::string_view::npos) {
    std::size_t start = pos + 2;
    std::size_t next = head.find("\r\n", start);
    std::string_view line = head.substr(start, next == std::string_view::npos ? next : next - start);
    std::size_t colon = line.find(':');
    if (colon != std::string_view::npos &&
        headerIdFromName(trim(line.substr(0, colon))) == HeaderId::kContentLength) {
      auto v = parseNumber(trim(line.substr(colon + 1)), 0x7fffffff);
      if (!v || (found && *v != contentLength)) {
        f.kind = Frame::Kind::kError;
        f.error = "invalid Content-Length";
        return f;
      }
      found = true;
      contentLength = *v;
    }
    pos = next;
  }
  if (!found) {
    f.kind = Frame::Kind::kError;
    f.error = "Content-Length required on stream transports";
    return f;
  }
  if (headerBytes + contentLength > maxMessage) {
    f.kind = Frame::Kind::kError;
    f.error = "message too large";
    return f;
  }
  if (buffer.size() < headerBytes + contentLength) return f;
  f.kind = Frame::Kind::kMessage;
  f.length = headerBytes + contentLength;
  return f;
}

}  // namespace sb::sip
