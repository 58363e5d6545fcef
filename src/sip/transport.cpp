#include "sip/transport.h"

#include <array>
#include <deque>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "base/log.h"
#include "sip/stream_framer.h"

namespace sb::sip {
namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;

namespace {

template <class AsioEndpoint>
Endpoint toEndpoint(const AsioEndpoint& ep) {
  Endpoint e;
  e.port = ep.port();
  if (ep.address().is_v6()) {
    e.v6 = true;
    e.bytes = ep.address().to_v6().to_bytes();
  } else {
    auto b = ep.address().to_v4().to_bytes();
    std::copy(b.begin(), b.end(), e.bytes.begin());
  }
  return e;
}

asio::ip::address toAddress(const Endpoint& e) {
  if (e.v6) return asio::ip::address_v6(e.bytes);
  asio::ip::address_v4::bytes_type b;
  std::copy(e.bytes.begin(), e.bytes.begin() + 4, b.begin());
  return asio::ip::address_v4(b);
}

}  // namespace

struct TransportLayer::Impl {
  struct UdpListener {
    explicit UdpListener(asio::io_context& io) : socket(io) {}
    udp::socket socket;
    udp::endpoint from;
    Endpoint local;
    std::array<char, 65536> buf{};
  };

  struct Connection : std::enable_shared_from_this<Connection> {
    Connection(asio::io_context& io, std::uint64_t connId) : socket(io), id(connId) {}
    tcp::socket socket;
    std::uint64_t id;
    Endpoint remote;
    Endpoint local;
    std::string in;
    std::array<char, 16384> readBuf{};
    std::deque<std::string> out;
    bool writing = false;
    bool connected = false;
    bool closed = false;
    std::chrono::steady_clock::time_point lastActivity = std::chrono::steady_clock::now();
  };

  Impl(asio::io_context& ioc, TransportConfig cfg) : io(ioc), config(cfg), sweepTimer(ioc) {}

  asio::io_context& io;
  TransportConfig config;
  MessageHandler handler;
  SourceFilter filter;
  TransportStats stats;
  std::vector<std::unique_ptr<UdpListener>> udp;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  std::vector<Endpoint> tcpLocal;
  std::unordered_map<std::uint64_t, std::shared_ptr<Connection>> connections;
  std::unordered_map<Endpoint, std::uint64_t, EndpointHash> byRemote;
  std::uint64_t nextConnectionId = 1;
  asio::steady_timer sweepTimer;
  bool sweeping = false;

  void deliver(std::string_view bytes, const Source& src, bool datagram,
               const std::shared_ptr<Connection>& conn, UdpListener* listener) {
    ++stats.received;
    auto parsed = Message::parse(bytes, datagram, config.parse);
    if (!parsed) {
      ++stats.parseErrors;
      SPDLOG_DEBUG("sip: unparsable message from {}: {}", src.remote.toString(),
                   parsed.error().message);
      if (auto resp = badRequestResponse(bytes, parsed.error().message)) {
        if (conn) {
          queueWrite(conn, *resp);
        } else if (listener != nullptr) {
          sendUdp(*listener, src.remote, *resp);
        }
      }
      return;
    }
    Message m = std::move(parsed).value();
    m.setSource(src);
    if (handler) handler(std::move(m));
  }

  // ---- UDP ----
  void startReceive(UdpListener& l) {
    l.socket.async_receive_from(
        asio::buffer(l.buf), l.from, [this, &l](const boost::system::error_code& ec, std::size_t n) {
          if (ec == asio::error::operation_aborted) return;
          if (!ec) onDatagram(l, n);
          // Drain what is already queued before re-arming: fewer wakeups under load.
          for (int i = 0; i < 64; ++i) {
            boost::system::error_code rec;
            std::size_t got = l.socket.receive_from(asio::buffer(l.buf), l.from, 0, rec);
            if (rec) break;
            onDatagram(l, got);
          }
          if (l.socket.is_open()) startReceive(l);
        });
  }

  void onDatagram(UdpListener& l, std::size_t n) {
    Source src;
    src.transport = Transport::kUdp;
    src.remote = toEndpoint(l.from);
    src.local = l.local;
    if (filter && !filter(src.remote)) {
      ++stats.filtered;
      return;
    }
    std::string_view bytes(l.buf.data(), n);
    // Keep-alive CRLFs and empty datagrams are not messages (RFC 5626 §4.4.1 uses STUN on UDP).
    if (bytes.find_first_not_of("\r\n") == std::string_view::npos) return;
    deliver(bytes, src, true, nullptr, &l);
  }

  bool sendUdp(UdpListener& l, const Endpoint& to, std::string_view bytes) {
    boost::system::error_code ec;
    l.socket.send_to(asio::buffer(bytes.data(), bytes.size()), udp::endpoint(toAddress(to), to.port),
                     0, ec);
    if (ec) {
      ++stats.sendErrors;
      SPDLOG_DEBUG("sip: udp send to {} failed: {}", to.toString(), ec.message());
      return false;
    }
    ++stats.sent;
    return true;
  }

  UdpListener* udpFor(const Endpoint& to) {
    for (auto& l : udp) {
      if (l->local.v6 == to.v6) return l.get();
    }
    return udp.empty() ? nullptr : udp.front().get();
  }

  // ---- TCP ----
  void startAccept(tcp::acceptor& acceptor) {
    auto conn = std::make_shared<Connection>(io, nextConnectionId++);
    acceptor.async_accept(conn->socket, [this, &acceptor, conn](const boost::system::error_code& ec) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) {
        boost::system::error_code ignored;
        auto remote = conn->socket.remote_endpoint(ignored);
        auto local = conn->socket.local_endpoint(ignored);
        conn->remote = toEndpoint(remote);
        conn->local = toEndpoint(local);
        if (connections.size() >= config.maxConnections || (filter && !filter(conn->remote))) {
          ++stats.filtered;
          conn->socket.close(ignored);
        } else {
          conn->connected = true;
          conn->socket.set_option(tcp::no_delay(true), ignored);
          ++stats.connectionsAccepted;
          addConnection(conn);
          startRead(conn);
        }
      }
      if (acceptor.is_open()) startAccept(acceptor);
    });
  }

  void addConnection(const std::shared_ptr<Connection>& conn) {
    connections[conn->id] = conn;
    byRemote[conn->remote] = conn->id;
    stats.connectionsOpen = connections.size();
    armSweep();
  }

  void closeConnection(const std::shared_ptr<Connection>& conn) {
    if (conn->closed) return;
    conn->closed = true;
    boost::system::error_code ignored;
    conn->socket.close(ignored);
    connections.erase(conn->id);
    auto it = byRemote.find(conn->remote);
    if (it != byRemote.end() && it->second == conn->id) byRemote.erase(it);
    stats.connectionsOpen = connections.size();
  }

  void startRead(const std::shared_ptr<Connection>& conn) {
    conn->socket.async_read_some(
        asio::buffer(conn->readBuf), [this, conn](const boost::system::error_code& ec, std::size_t n) {
          if (ec) {
            closeConnection(conn);
            return;
          }
          conn->lastActivity = std::chrono::steady_clock::now();
          conn->in.append(conn->readBuf.data(), n);
          if (!drainFrames(conn)) {
            closeConnection(conn);
            return;
          }
          if (!conn->closed) startRead(conn);
        });
  }

  // Returns false when the stream cannot continue.
  bool drainFrames(const std::shared_ptr<Connection>& conn) {
    std::size_t consumed = 0;
    for (;;) {
      std::string_view view(conn->in.data() + consumed, conn->in.size() - consumed);
      Frame f = nextFrame(view, config.parse.maxBytes);
      if (f.kind == Frame::Kind::kNeedMore) break;
      if (f.kind == Frame::Kind::kError) {
        ++stats.parseErrors;
        SPDLOG_DEBUG("sip: closing stream from {}: {}", conn->remote.toString(), f.error);
        if (auto resp = badRequestResponse(view, f.error)) queueWrite(conn, *resp);
        return false;
      }
      if (f.kind == Frame::Kind::kKeepalive) queueWrite(conn, "\r\n");  // RFC 5626 pong
      if (f.kind == Frame::Kind::kMessage) {
        Source src{Transport::kTcp, conn->remote, conn->local, conn->id};
        deliver(view.substr(0, f.length), src, false, conn, nullptr);
        if (conn->closed) return true;
      }
      consumed += f.length;
    }
    conn->in.erase(0, consumed);
    return true;
  }

  void queueWrite(const std::shared_ptr<Connection>& conn, std::string_view bytes) {
    conn->out.emplace_back(bytes);
    ++stats.sent;
    if (conn->connected && !conn->writing) writeNext(conn);
  }

  void writeNext(const std::shared_ptr<Connection>& conn) {
    if (conn->out.empty() || conn->closed) {
      conn->writing = false;
      return;
    }
    conn->writing = true;
    asio::async_write(conn->socket, asio::buffer(conn->out.front()),
                      [this, conn](const boost::system::error_code& ec, std::size_t) {
                        if (ec) {
                          ++stats.sendErrors;
                          closeConnection(conn);
                          return;
                        }
                        conn->out.pop_front();
                        writeNext(conn);
                      });
  }

  bool sendTcp(const Destination& to, std::string_view bytes) {
    std::shared_ptr<Connection> conn;
    if (to.connection != 0) {
      auto it = connections.find(to.connection);
      if (it != connections.end()) conn = it->second;
    }
    if (!conn) {
      auto it = byRemote.find(to.remote);
      if (it != byRemote.end()) conn = connections[it->second];
    }
    if (!conn) {
      if (connections.size() >= config.maxConnections) {
        ++stats.sendErrors;
        return false;
      }
      conn = std::make_shared<Connection>(io, nextConnectionId++);
      conn->remote = to.remote;
      addConnection(conn);
      conn->socket.async_connect(tcp::endpoint(toAddress(to.remote), to.remote.port),
                                 [this, conn](const boost::system::error_code& ec) {
                                   if (ec || conn->closed) {
                                     ++stats.sendErrors;
                                     closeConnection(conn);
                                     return;
                                   }
                                   boost::system::error_code ignored;
                                   conn->local = toEndpoint(conn->socket.local_endpoint(ignored));
                                   conn->socket.set_option(tcp::no_delay(true), ignored);
                                   conn->connected = true;
                                   startRead(conn);
                                   writeNext(conn);
                                 });
    }
    queueWrite(conn, bytes);
    return true;
  }

  // Closes stream connections idle for longer than the configured timeout.
  void armSweep() {
    if (sweeping) return;
    sweeping = true;
    sweepTimer.expires_after(std::chrono::seconds(5));
    sweepTimer.async_wait([this](const boost::system::error_code& ec) {
      sweeping = false;
      if (ec) return;
      auto cutoff = std::chrono::steady_clock::now() - config.idleTimeout;
      std::vector<std::shared_ptr<Connection>> idle;
      for (auto& [id, c] : connections) {
        if (c->lastActivity < cutoff && c->out.empty()) idle.push_back(c);
      }
      for (auto& c : idle) closeConnection(c);
      if (!connections.empty()) armSweep();
    });
  }
};

TransportLayer::TransportLayer(asio::io_context& io, TransportConfig config)
    : impl_(std::make_unique<Impl>(io, config)) {}

TransportLayer::~TransportLayer() { close(); }

Result<void> TransportLayer::listen(const ListenSpec& spec) {
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(spec.address, ec);
  if (ec) return fail(Errc::kInvalidInput, "invalid listen address '" + spec.address + "'");
  std::string where = std::string(transportName(spec.transport)) + " " + spec.address + ":" +
                      std::to_string(spec.port);
  if (spec.transport == Transport::kUdp) {
    auto l = std::make_unique<Impl::UdpListener>(impl_->io);
    udp::endpoint ep(addr, spec.port);
    l->socket.open(ep.protocol(), ec);
    if (!ec) l->socket.bind(ep, ec);
    if (ec) return fail(Errc::kIo, "cannot bind " + where + ": " + ec.message());
    boost::system::error_code ignored;
    l->socket.set_option(udp::socket::receive_buffer_size(impl_->config.socketBufferBytes), ignored);
    l->socket.set_option(udp::socket::send_buffer_size(impl_->config.socketBufferBytes), ignored);
    l->socket.non_blocking(true, ignored);
    l->local = toEndpoint(l->socket.local_endpoint(ignored));
    impl_->startReceive(*l);
    impl_->udp.push_back(std::move(l));
    return {};
  }
  if (spec.transport == Transport::kTcp) {
    auto acceptor = std::make_unique<tcp::acceptor>(impl_->io);
    tcp::endpoint ep(addr, spec.port);
    acceptor->open(ep.protocol(), ec);
    if (!ec) acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor->bind(ep, ec);
    if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return fail(Errc::kIo, "cannot bind " + where + ": " + ec.message());
    boost::system::error_code ignored;
    impl_->tcpLocal.push_back(toEndpoint(acceptor->local_endpoint(ignored)));
    impl_->startAccept(*acceptor);
    impl_->acceptors.push_back(std::move(acceptor));
    return {};
  }
  return fail(Errc::kUnsupported, "transport not available yet: " + where);
}

void TransportLayer::setHandler(MessageHandler handler) { impl_->handler = std::move(handler); }

void TransportLayer::setSourceFilter(SourceFilter filter) { impl_->filter = std::move(filter); }

bool TransportLayer::send(const Destination& to, std::string_view bytes) {
  if (to.transport == Transport::kUdp) {
    Impl::UdpListener* l = impl_->udpFor(to.remote);
    if (l == nullptr) {
      ++impl_->stats.sendErrors;
      return false;
    }
    return impl_->sendUdp(*l, to.remote, bytes);
  }
  if (to.transport == Transport::kTcp) return impl_->sendTcp(to, bytes);
  ++impl_->stats.sendErrors;
  return false;
}

std::optional<Endpoint> TransportLayer::localEndpoint(Transport t) const {
  if (t == Transport::kUdp && !impl_->udp.empty()) return impl_->udp.front()->local;
  if (t == Transport::kTcp && !impl_->tcpLocal.empty()) return impl_->tcpLocal.front();
  return std::nullopt;
}

const TransportStats& TransportLayer::stats() const { return impl_->stats; }

void TransportLayer::close() {
  boost::system::error_code ignored;
  for (auto& l : impl_->udp) l->socket.close(ignored);
  for (auto& a : impl_->acceptors) a->close(ignored);
  std::vector<std::shared_ptr<Impl::Connection>> all;
  for (auto& [id, c] : impl_->connections) all.push_back(c);
  for (auto& c : all) impl_->closeConnection(c);
  impl_->sweepTimer.cancel();
}

}  // namespace sb::sip
