// WebSocket connections of HttpServer (RFC 6455) on Beast: the handshake after the HTTP session
// handed over an upgrade request, the read loop feeding the app's callbacks, and the bounded
// outgoing queue the app fills from any thread.

#include <cassert>
#include <deque>
#include <mutex>
#include <optional>
#include <vector>

#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include "api/internal/websocket_session.h"

namespace sb::api::internal {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;

namespace {

// RFC 6455 §5.5: a control frame carries at most 125 bytes, two of them the close code.
constexpr std::size_t kMaxCloseReasonBytes = 123;

// RFC 6455 §7.4: codes an endpoint may put in a close frame (1004-1006 and 1015 are reserved).
bool sendableCode(std::uint16_t c) {
  return (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) || (c >= 3000 && c <= 4999);
}

// Cuts at a UTF-8 character boundary: the reason must stay valid UTF-8 (§5.5.1).
std::string cutReason(std::string_view reason) {
  if (reason.size() <= kMaxCloseReasonBytes) return std::string(reason);
  std::size_t n = kMaxCloseReasonBytes;
  while (n > 0 && (static_cast<unsigned char>(reason[n]) & 0xC0) == 0x80) --n;
  return std::string(reason.substr(0, n));
}

}  // namespace

/// The app's handle on one connection: a bounded outgoing queue filled from any thread and
/// drained by the session on the loop. It outlives the session harmlessly.
class WsHandle final : public WsConnection {
 public:
  /// What the session may do next.
  struct Next {
    std::optional<std::string> message;            ///< write this
    std::optional<websocket::close_reason> close;  ///< or send this close frame
    bool closing = false;  ///< a close is requested (taken now or still behind the queue)
    bool slow = false;     ///< ... because the consumer fell behind
  };

  WsHandle(std::uint64_t id, std::size_t maxQueuedBytes, std::shared_ptr<LoopGate> gate,
           std::weak_ptr<WsSession> session)
      : id_(id),
        maxQueuedBytes_(maxQueuedBytes),
        gate_(std::move(gate)),
        session_(std::move(session)) {}

  bool send(std::string text) override;
  void close(std::uint16_t code, std::string_view reason) override;
  std::uint64_t id() const override { return id_; }

  /// Rearms flush posting and says what is next; takes a message or the close frame only if
  /// `canWrite`. Loop.
  Next next(bool canWrite);
  /// The message taken by next() has been written: its bytes leave the bound. Loop.
  void written(std::size_t bytes);
  /// The connection is gone: the queue is dropped and every later call does nothing. Loop.
  void markClosed();

 private:
  /// Posts one flush to the session unless one is pending. Called without mu_.
  void postFlush();

  const std::uint64_t id_;
  const std::size_t maxQueuedBytes_;
  const std::shared_ptr<LoopGate> gate_;
  const std::weak_ptr<WsSession> session_;
  std::mutex mu_;
  std::deque<std::string> queue_;  // GUARDED_BY(mu_)
  std::size_t queuedBytes_ = 0;    // GUARDED_BY(mu_): queue_ plus the message being written
  std::optional<websocket::close_reason> closeRequest_;  // GUARDED_BY(mu_): not yet taken
  bool closing_ = false;      // GUARDED_BY(mu_): close requested or connection gone
  bool slow_ = false;         // GUARDED_BY(mu_)
  bool flushPosted_ = false;  // GUARDED_BY(mu_)
};

/// One WebSocket connection, loop thread only. Owned by the shared_ptrs of its pending
/// operations: the read that is always outstanding once open, a write, the close deadline.
class WsSession : public std::enable_shared_from_this<WsSession> {
 public:
  WsSession(ServerCore& core, beast::tcp_stream stream, http::request<http::string_body> request,
            WsCallbacks callbacks)
      : core_(core),
        ws_(std::move(stream)),
        request_(std::move(request)),
        callbacks_(std::move(callbacks)),
        closeDeadline_(core.io_) {
    core_.webSockets_.insert(this);
    core_.countOpen();
  }
  ~WsSession() {
    core_.webSockets_.erase(this);
    core_.countOpen();
  }
  WsSession(const WsSession&) = delete;
  WsSession& operator=(const WsSession&) = delete;

  void start() {
    const HttpConfig& c = core_.config_;
    // The websocket stream's own timeouts replace tcp_stream's from here on.
    beast::get_lowest_layer(ws_).expires_never();
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = c.readTimeout;  // also bounds the closing handshake
    timeouts.idle_timeout = c.wsIdleTimeout;
    timeouts.keep_alive_pings = true;  // a ping after half the idle time, close after all of it
    ws_.set_option(timeouts);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& r) { r.set(http::field::server, "switchboard"); }));
    ws_.read_message_max(c.maxWsMessageBytes);
    ws_.async_accept(request_,
                     [self = shared_from_this()](beast::error_code ec) { self->onAccepted(ec); });
  }

  /// Takes the next message or the close frame off the handle's queue and writes it.
  void flush() {
    if (finished_) return;
    WsHandle::Next n = handle_->next(!writing_ && !closeSent_);
    if (n.closing) armCloseDeadline(n.slow);
    if (n.message) {
      writing_ = true;
      current_ = std::move(*n.message);
      ws_.async_write(
          asio::buffer(current_),
          [self = shared_from_this()](beast::error_code ec, std::size_t) { self->onWritten(ec); });
    } else if (n.close) {
      closeSent_ = true;
      // Completes after the peer's close frame; the read loop then ends with error::closed.
      ws_.async_close(*n.close, [self = shared_from_this()](beast::error_code) {});
    }
  }

  /// Server stop: onClose now, then the socket closes without a close frame.
  void shutdown() {
    finish();
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
  }

 private:
  void onAccepted(beast::error_code ec) {
    if (ec) return;  // Beast has answered a malformed handshake (400/426) or timed out
    opened_ = true;
    ++core_.wsAccepted_;
    ++core_.wsOpen_;
    handle_ = std::make_shared<WsHandle>(core_.nextWsId_++, core_.config_.maxWsQueuedBytes,
                                         core_.gate_, weak_from_this());
    ws_.text(true);
    request_ = {};
    notify(callbacks_.onOpen);
    read();
  }

  void read() {
    if (finished_) return;
    ws_.async_read(readBuffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->onRead(ec);
    });
  }

  // Every way a connection ends fails the outstanding read: peer close (error::closed, after
  // Beast answered the close frame), our close, too big (Beast sends 1009), idle, socket error.
  void onRead(beast::error_code ec) {
    if (ec) return finish();
    std::string message = beast::buffers_to_string(readBuffer_.data());
    readBuffer_.consume(readBuffer_.size());
    if (callbacks_.onMessage) {
      try {
        callbacks_.onMessage(handle_, std::move(message));
      } catch (...) {
        ++core_.handlerFailures_;
        handle_->close(1011, "internal error");
      }
    }
    read();
  }

  void onWritten(beast::error_code ec) {
    writing_ = false;
    handle_->written(current_.size());
    current_.clear();
    if (ec) {
      // The peer is gone or the stream failed; closing the socket ends the read loop too.
      beast::error_code ignored;
      beast::get_lowest_layer(ws_).socket().close(ignored);
      return;
    }
    flush();
  }

  /// A close that cannot complete (a consumer that stopped reading blocks the write ahead of
  /// the close frame) is cut off after readTimeout.
  void armCloseDeadline(bool slow) {
    if (closeDeadlineArmed_) return;
    closeDeadlineArmed_ = true;
    if (slow) ++core_.wsSlowCloses_;
    closeDeadline_.expires_after(core_.config_.readTimeout);
    closeDeadline_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec) return;
      beast::error_code ignored;
      beast::get_lowest_layer(self->ws_).socket().close(ignored);
    });
  }

  void finish() {
    if (finished_) return;
    finished_ = true;
    closeDeadline_.cancel();
    if (!opened_) return;
    handle_->markClosed();
    --core_.wsOpen_;
    notify(callbacks_.onClose);
  }

  void notify(const std::function<void(const std::shared_ptr<WsConnection>&)>& callback) {
    if (!callback) return;
    try {
      callback(handle_);
    } catch (...) {
      ++core_.handlerFailures_;
      handle_->close(1011, "internal error");
    }
  }

  ServerCore& core_;
  websocket::stream<beast::tcp_stream> ws_;
  http::request<http::string_body> request_;  // the upgrade request, until the handshake ends
  WsCallbacks callbacks_;
  std::shared_ptr<WsHandle> handle_;  // set once open
  beast::flat_buffer readBuffer_;
  std::string current_;  // the message being written
  asio::steady_timer closeDeadline_;
  bool opened_ = false;
  bool writing_ = false;
  bool closeSent_ = false;
  bool closeDeadlineArmed_ = false;
  bool finished_ = false;
};

bool WsHandle::send(std::string text) {
  bool accepted = false;
  bool post = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closing_) return false;
    if (queuedBytes_ + text.size() > maxQueuedBytes_) {
      // The consumer fell behind: close instead of growing. It resumes from the last event id
      // it saw when it reconnects.
      for (const std::string& m : queue_) queuedBytes_ -= m.size();
      queue_.clear();
      closing_ = true;
      slow_ = true;
      closeRequest_ = websocket::close_reason(websocket::close_code::policy_error, "too slow");
    } else {
      queuedBytes_ += text.size();
      queue_.push_back(std::move(text));
      accepted = true;
    }
    post = !std::exchange(flushPosted_, true);
  }
  if (post) postFlush();
  return accepted;
}

void WsHandle::close(std::uint16_t code, std::string_view reason) {
  bool post = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closing_) return;
    closing_ = true;
    closeRequest_ = websocket::close_reason(
        static_cast<websocket::close_code>(sendableCode(code) ? code : 1000), cutReason(reason));
    post = !std::exchange(flushPosted_, true);
  }
  if (post) postFlush();
}

void WsHandle::postFlush() {
  gate_->post([session = session_] {
    if (auto s = session.lock()) s->flush();
  });
}

WsHandle::Next WsHandle::next(bool canWrite) {
  std::lock_guard<std::mutex> lock(mu_);
  flushPosted_ = false;
  Next n;
  n.closing = closing_;
  n.slow = slow_;
  if (!canWrite) return n;
  if (!queue_.empty()) {
    n.message = std::move(queue_.front());
    queue_.pop_front();
  } else if (closeRequest_) {
    n.close = std::move(*closeRequest_);
    closeRequest_.reset();
  }
  return n;
}

void WsHandle::written(std::size_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  queuedBytes_ -= std::min(bytes, queuedBytes_);
}

void WsHandle::markClosed() {
  std::lock_guard<std::mutex> lock(mu_);
  closing_ = true;
  queue_.clear();
  queuedBytes_ = 0;
  closeRequest_.reset();
}

void startWebSocket(ServerCore& core, beast::tcp_stream stream,
                    http::request<http::string_body> request, WsCallbacks callbacks) {
  assert(core.onLoop());
  std::make_shared<WsSession>(core, std::move(stream), std::move(request), std::move(callbacks))
      ->start();
}

void closeAllWebSockets(ServerCore& core) {
  assert(core.onLoop());
  // shutdown() runs onClose, which may call into the server; iterate over a copy.
  std::vector<WsSession*> sessions(core.webSockets_.begin(), core.webSockets_.end());
  for (WsSession* s : sessions) s->shutdown();
}

}  // namespace sb::api::internal
