#pragma once
// State shared by the HTTP sessions (http_server.cpp) and the WebSocket sessions
// (websocket.cpp) of one HttpServer. Internal to sb_api: Beast and Asio may appear here.

#include <atomic>
#include <cstdint>
#include <ctime>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "api/http_server.h"
#include "api/internal/route_table.h"

namespace sb::api::internal {

/// The one way other threads reach the api loop: posts work while the loop exists. Shared by
/// the server and every handle that may outlive it (Responder, WsConnection). Thread-safe.
class LoopGate {
 public:
  explicit LoopGate(boost::asio::io_context& io) : io_(&io) {}

  /// Queues `fn` on the loop; false (fn dropped) once shut. Never runs fn inline. Any thread.
  template <class Fn>
  bool post(Fn&& fn) {
    std::lock_guard<std::mutex> lock(mu_);
    if (io_ == nullptr) return false;
    boost::asio::post(*io_, std::forward<Fn>(fn));
    return true;
  }
  /// Refuses every later post (the server stopped or is being destroyed). Any thread.
  void shut() {
    std::lock_guard<std::mutex> lock(mu_);
    io_ = nullptr;
  }

 private:
  std::mutex mu_;
  boost::asio::io_context* io_;  // GUARDED_BY(mu_); null once shut
};

class HttpSession;
class WsSession;

/// The server's state. Fields marked "loop" are touched only on the api thread.
class ServerCore {
 public:
  explicit ServerCore(HttpConfig c) : config_(std::move(c)), acceptor_(io_), acceptRetry_(io_) {}
  ~ServerCore() { gate_->shut(); }
  ServerCore(const ServerCore&) = delete;
  ServerCore& operator=(const ServerCore&) = delete;

  bool onLoop() const { return loopThread_.load() == std::this_thread::get_id(); }
  /// Recomputes openConnections_ after a session came or went. Loop.
  void countOpen() { openConnections_ = httpSessions_.size() + webSockets_.size(); }
  /// The Date field value, recomputed at most once a second. Loop.
  const std::string& date();

  void accept();
  void onAccept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);
  /// Closes the listener and every connection. Loop.
  void closeAll();
  /// The thread body.
  void run();

  // Everything a session touches is declared before io_: io_'s destructor destroys sessions
  // still owned by pending handlers, and their destructors unregister here.
  HttpConfig config_;
  RouteTable routes_;                              // written before start(), read-only after
  std::unordered_set<HttpSession*> httpSessions_;  // loop
  std::unordered_set<WsSession*> webSockets_;      // loop
  std::atomic<std::size_t> openConnections_{0};
  std::atomic<std::uint64_t> accepted_{0};
  std::atomic<std::uint64_t> refused_{0};
  std::atomic<std::uint64_t> timedOut_{0};
  std::atomic<std::uint64_t> requests_{0};
  std::atomic<std::uint64_t> handlerFailures_{0};
  std::atomic<std::uint64_t> handlerTimeouts_{0};
  std::atomic<std::size_t> wsOpen_{0};
  std::atomic<std::uint64_t> wsAccepted_{0};
  std::atomic<std::uint64_t> wsSlowCloses_{0};
  std::uint64_t nextWsId_ = 1;  // loop
  std::atomic<std::uint16_t> port_{0};
  std::atomic<bool> running_{false};
  std::atomic<std::thread::id> loopThread_{};
  bool started_ = false;  // owner thread only
  std::time_t dateSecond_ = -1;
  std::string dateText_;
  boost::asio::io_context io_{1};
  std::shared_ptr<LoopGate> gate_ = std::make_shared<LoopGate>(io_);
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer acceptRetry_;
  std::thread thread_;
};

}  // namespace sb::api::internal
