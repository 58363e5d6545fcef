#pragma once
// SIP transports (RFC 3261 §18) on the control loop: UDP sockets and TCP listeners/connections.
// TLS and WebSocket plug in as further stream kinds sharing the stream framing path.
// Asio stays inside transport.cpp; this header forward-declares the io_context only.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/endpoint.h"
#include "base/result.h"
#include "sip/message.h"

namespace boost::asio {
class io_context;
}

namespace sb::sip {

/// One listening address.
struct ListenSpec {
  Transport transport = Transport::kUdp;
  std::string address = "127.0.0.1";
  std::uint16_t port = 5060;  ///< 0 picks a free port
};

/// Where to send a message. For streams an existing connection is preferred (`connection`,
/// else any open connection to `remote`); otherwise one is opened.
struct Destination {
  Transport transport = Transport::kUdp;
  Endpoint remote;
  std::uint64_t connection = 0;
};

/// The sending side the transaction layer needs; implemented by TransportLayer and test fakes.
class Sender {
 public:
  virtual ~Sender() = default;
  /// Sends one serialised message. Returns false when it could not be sent or queued.
  virtual bool send(const Destination& to, std::string_view bytes) = 0;
};

/// Counters, read on the control loop.
struct TransportStats {
  std::uint64_t received = 0;
  std::uint64_t sent = 0;
  std::uint64_t parseErrors = 0;
  std::uint64_t sendErrors = 0;
  std::uint64_t filtered = 0;  ///< dropped by the source filter (banned sources)
  std::uint64_t connectionsAccepted = 0;
  std::uint64_t connectionsOpen = 0;
};

/// Limits of the transport layer.
struct TransportConfig {
  ParseLimits parse;
  std::size_t maxConnections = 10000;
  std::chrono::seconds idleTimeout{300};  ///< stream connections without traffic are closed
  int socketBufferBytes = 8 * 1024 * 1024;
};

/// Owns every SIP socket of the node. Confined to the control loop (the io_context's thread).
class TransportLayer final : public Sender {
 public:
  using MessageHandler = std::function<void(Message&&)>;
  /// Returns false to drop bytes from this source before parsing (ban list).
  using SourceFilter = std::function<bool(const Endpoint&)>;

  explicit TransportLayer(boost::asio::io_context& io, TransportConfig config = {});
  ~TransportLayer() override;
  TransportLayer(const TransportLayer&) = delete;
  TransportLayer& operator=(const TransportLayer&) = delete;

  /// Binds a listener. Error kIo naming the address when binding fails.
  Result<void> listen(const ListenSpec& spec);
  /// Receives every message that parsed; malformed requests were already answered with 400.
  void setHandler(MessageHandler handler);
  void setSourceFilter(SourceFilter filter);
  bool send(const Destination& to, std::string_view bytes) override;
  /// Bound address of the first listener of transport `t`.
  std::optional<Endpoint> localEndpoint(Transport t) const;
  const TransportStats& stats() const;
  /// Closes every socket; pending handlers complete with operation_aborted.
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sb::sip
