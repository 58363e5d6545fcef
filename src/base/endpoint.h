#pragma once
// A transport address (IPv4 or IPv6 plus port) as a plain value type, free of socket libraries.

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace sb {

/// IP address and port. Value type; comparable and hashable.
struct Endpoint {
  std::array<std::uint8_t, 16> bytes{};  ///< IPv4 in the first 4 bytes
  bool v6 = false;
  std::uint16_t port = 0;

  /// Parses "1.2.3.4" or "::1" (no brackets) and a port; nullopt when not an IP literal.
  static std::optional<Endpoint> parse(std::string_view ip, std::uint16_t port);
  /// The address without port ("127.0.0.1", "::1").
  std::string ip() const;
  /// "ip:port", IPv6 as "[ip]:port".
  std::string toString() const;
  bool operator==(const Endpoint&) const = default;
};

/// Hash for unordered containers.
struct EndpointHash {
  std::size_t operator()(const Endpoint& e) const noexcept;
};

}  // namespace sb
