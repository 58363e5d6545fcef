#include "sip/writer.h"

#include <charconv>

namespace sb::sip {

std::string_view reasonPhrase(int status) {
  switch (status) {
    case 100: return "Trying";
    case 180: return "Ringing";
    case 181: return "Call Is Being Forwarded";
    case 182: return "Queued";
    case 183: return "Session Progress";
    case 199: return "Early Dialog Terminated";
    case 200: return "OK";
    case 202: return "Accepted";
    case 204: return "No Notification";
    case 300: return "Multiple Choices";
    case 301: return "Moved Permanently";
    case 302: return "Moved Temporarily";
    case 305: return "Use Proxy";
    case 380: return "Alternative Service";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 407: return "Proxy Authentication Required";
    case 408: return "Request Timeout";
    case 410: return "Gone";
    case 412: return "Conditional Request Failed";
    case 413: return "Request Entity Too Large";
    case 414: return "Request-URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Unsupported URI Scheme";
    case 420: return "Bad Extension";
    case 421: return "Extension Required";
    case 422: return "Session Interval Too Small";
    case 423: return "Interval Too Brief";
    case 480: return "Temporarily Unavailable";
    case 481: return "Call/Transaction Does Not Exist";
    case 482: return "Loop Detected";
    case 483: return "Too Many Hops";
    case 484: return "Address Incomplete";
    case 486: return "Busy Here";
    case 487: return "Request Terminated";
    case 488: return "Not Acceptable Here";
    case 489: return "Bad Event";
    case 491: return "Request Pending";
    case 493: return "Undecipherable";
    case 500: return "Server Internal Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Server Time-out";
    case 505: return "Version Not Supported";
    case 513: return "Message Too Large";
    case 580: return "Precondition Failure";
    case 600: return "Busy Everywhere";
    case 603: return "Decline";
    case 604: return "Does Not Exist Anywhere";
    case 606: return "Not Acceptable";
    case 607: return "Unwanted";
    default: break;
  }
  if (status < 200) return "Session Progress";
  if (status < 300) return "OK";
  if (status < 400) return "Redirect";
  if (status < 500) return "Client Error";
  if (status < 600) return "Server Error";
  return "Global Failure";
}

MessageWriter MessageWriter::request(std::string_view method, std::string_view uri) {
  MessageWriter w;
  w.out_.reserve(640);
  w.out_.append(method).append(" ").append(uri).append(" SIP/2.0\r\n");
  return w;
}

MessageWriter MessageWriter::response(int status, std::string_view reason) {
  MessageWriter w;
  w.out_.reserve(640);
  char code[8];
  auto [end, ec] = std::to_chars(code, code + sizeof(code), status);
  w.out_.append("SIP/2.0 ").append(code, end).append(" ");
  w.out_.append(reason.empty() ? reasonPhrase(status) : reason).append("\r\n");
  return w;
}

MessageWriter& MessageWriter::header(std::string_view name, std::string_view value) {
  out_.append(name).append(": ").append(value).append("\r\n");
  return *this;
}

MessageWriter& MessageWriter::header(std::string_view name,
                                     std::initializer_list<std::string_view> parts) {
  out_.append(name).append(": ");
  for (auto p : parts) out_.append(p);
  out_.append("\r\n");
  return *this;
}

std::string MessageWriter::finish(std::string_view contentType, std::string_view body) {
  if (!body.empty() && !contentType.empty()) header("Content-Type", contentType);
  char len[24];
  auto [end, ec] = std::to_chars(len, len + sizeof(len), body.size());
  out_.append("Content-Length: ").append(len, end).append("\r\n\r\n").append(body);
  std::string out = std::move(out_);
  out_.clear();  // a moved-from string is only "valid but unspecified"
  return out;
}

std::string responseTopVia(const Message& req) {
  const Via& via = req.topVia();
  const Source& src = req.source();
  std::string ip = src.remote.port != 0 ? src.remote.ip() : std::string();
  // Rebuild the parameter list, filling a valueless rport (RFC 3581 §4).
  std::string out = "SIP/2.0/";
  out.append(via.transport).append(" ");
  if (via.host.find(':') != std::string_view::npos) {
    out.append("[").append(via.host).append("]");
  } else {
    out.append(via.host);
  }
  if (via.port != 0) out.append(":").append(std::to_string(via.port));
  std::string_view params = via.params;
  bool hasReceived = false;
  while (!params.empty()) {
    std::size_t semi = firstParamLength(params);  // a quoted value may hold ';'
    std::string_view item = trim(params.substr(0, semi));
    params = semi == params.size() ? std::string_view{} : params.substr(semi + 1);
    if (item.empty()) continue;
    std::string_view key = trim(item.substr(0, item.find('=')));
    if (iequals(key, "rport") && item.find('=') == std::string_view::npos && !ip.empty()) {
      out.append(";rport=").append(std::to_string(src.remote.port));
    } else if (iequals(key, "received") && !ip.empty()) {
      hasReceived = true;
      out.append(";received=").append(ip);
    } else {
      out.append(";").append(item);
    }
  }
  // §18.2.1: add received when sent-by differs from the packet source (always with rport).
  if (!hasReceived && !ip.empty() && (via.host != ip || via.rport)) {
    out.append(";received=").append(ip);
  }
  return out;
}

MessageWriter responseTo(const Message& req, int status, std::string_view reason,
                         std::string_view toTag, bool copyRecordRoute) {
  MessageWriter w = MessageWriter::response(status, reason);
  bool top = true;
  for (const auto& h : req.headers()) {
    if (h.id != HeaderId::kVia) continue;
    if (top) {
      w.header("Via", responseTopVia(req));
      top = false;
    } else {
      w.header("Via", h.value);
    }
  }
  if (copyRecordRoute) {
    req.forEach(HeaderId::kRecordRoute, [&](std::string_view v) { w.header("Record-Route", v); });
  }
  w.header("From", req.header(HeaderId::kFrom));
  if (!toTag.empty() && !req.to().param("tag")) {
    w.header("To", {req.header(HeaderId::kTo), ";tag=", toTag});
  } else {
    w.header("To", req.header(HeaderId::kTo));
  }
  w.header("Call-ID", req.callId());
  w.header("CSeq", req.header(HeaderId::kCSeq));
  return w;
}

}  // namespace sb::sip
