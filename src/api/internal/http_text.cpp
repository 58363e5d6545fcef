#include "api/internal/http_text.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>

namespace sb::api::internal {
namespace {

// Largest header value a handler may set; Beast throws above 64 KiB, we refuse far earlier.
constexpr std::size_t kMaxHandlerFieldBytes = 8 * 1024;

char lower(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

void checkOrDie(bool ok, std::string_view what) {
  if (ok) return;
  std::fprintf(stderr, "sb::api::HttpServer: %.*s\n", static_cast<int>(what.size()), what.data());
  std::abort();
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return lower(x) == lower(y); });
}

bool startsWithNoCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

bool isToken(std::string_view s) {
  static constexpr std::string_view kExtra = "!#$%&'*+-.^_`|~";
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
           kExtra.find(c) != std::string_view::npos;
  });
}

// No control characters but HTAB: this keeps CR/LF out (response splitting).
bool isFieldValue(std::string_view s) {
  return s.size() <= kMaxHandlerFieldBytes && std::none_of(s.begin(), s.end(), [](char c) {
           auto u = static_cast<unsigned char>(c);
           return (u < 0x20 && c != '\t') || u == 0x7f;
         });
}

bool isServerField(std::string_view name) {
  for (std::string_view f : {"content-length", "transfer-encoding", "connection", "content-type",
                             "server", "date", "keep-alive", "upgrade"}) {
    if (iequals(name, f)) return true;
  }
  return false;
}

std::string jsonError(std::string_view message) {
  std::string out = "{\"error\":\"";
  for (char c : message) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) out += c;
  }
  return out + "\"}";
}

HttpResponse fixedError(int status, std::string_view message) {
  return HttpResponse{status, "application/json", jsonError(message), {}};
}

// Rejects NUL too, so decoded values are safe as C strings.
std::optional<std::string> percentDecode(std::string_view s, bool plusIsSpace) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+' && plusIsSpace) {
      out += ' ';
      continue;
    }
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    int hi = hexValue(s[i + 1]);
    int lo = hexValue(s[i + 2]);
    if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

std::vector<std::string_view> splitPath(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t start = 1;
  for (;;) {
    std::size_t slash = path.find('/', start);
    out.push_back(path.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) return out;
    start = slash + 1;
  }
}

// Origin-form "/p?q", or absolute-form "http://host/p?q" (RFC 9112 §3.2.2). Other forms ("*",
// authority-form) keep their text as path, which matches no route.
void splitTarget(std::string_view target, std::string& path, std::string& query) {
  std::size_t q = target.find('?');
  std::string_view p = target.substr(0, q);
  if (q != std::string_view::npos) query = std::string(target.substr(q + 1));
  for (std::string_view scheme : {"http://", "https://"}) {
    if (!startsWithNoCase(p, scheme)) continue;
    p.remove_prefix(scheme.size());
    std::size_t slash = p.find('/');
    p = slash == std::string_view::npos ? std::string_view("/") : p.substr(slash);
    break;
  }
  path = std::string(p);
}

// Built by hand because strftime names follow the locale.
std::string httpDate(std::time_t t) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday % 7],
                tm.tm_mday, kMonths[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

}  // namespace sb::api::internal
