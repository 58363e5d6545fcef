#include "base/endpoint.h"

#include <arpa/inet.h>

#include <cstring>

namespace sb {

std::optional<Endpoint> Endpoint::parse(std::string_view ip, std::uint16_t port) {
  char text[INET6_ADDRSTRLEN + 1];
  if (ip.empty() || ip.size() >= sizeof(text)) return std::nullopt;
  std::memcpy(text, ip.data(), ip.size());
  text[ip.size()] = '\0';
  Endpoint e;
  e.port = port;
  if (inet_pton(AF_INET, text, e.bytes.data()) == 1) return e;
  if (inet_pton(AF_INET6, text, e.bytes.data()) == 1) {
    e.v6 = true;
    return e;
  }
  return std::nullopt;
}

std::string Endpoint::ip() const {
  char text[INET6_ADDRSTRLEN];
  if (inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), text, sizeof(text)) == nullptr) return {};
  return text;
}

std::string Endpoint::toString() const {
  return v6 ? "[" + ip() + "]:" + std::to_string(port) : ip() + ":" + std::to_string(port);
}

std::size_t EndpointHash::operator()(const Endpoint& e) const noexcept {
  std::uint64_t a = 0;
  std::uint64_t b = 0;
  std::memcpy(&a, e.bytes.data(), 8);
  std::memcpy(&b, e.bytes.data() + 8, 8);
  std::uint64_t h = (a * 0x9E3779B97F4A7C15ull) ^ (b * 0x632BE59BD9B4E019ull);
  h ^= (static_cast<std::uint64_t>(e.port) << 1) | (e.v6 ? 1u : 0u);
  return static_cast<std::size_t>(h * 0xBF58476D1CE4E5B9ull);
}

}  // namespace sb
