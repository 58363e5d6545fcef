#pragma once
// The composition root of one node: builds every component from the Config, wires ports to
// adapters, owns the control loop (the calling thread of run()) and the API loop.

#include <chrono>
#include <memory>
#include <string>

#include "app/config.h"
#include "base/result.h"

namespace sb::app {

/// One Switchboard node.
class Server {
 public:
  explicit Server(Config config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// The file SIGHUP reads again to publish changed flows (new calls take the new versions).
  /// Call before start().
  void setConfigPath(std::string path);
  /// Prints the queues' live figures every `every` (the demo's terminal wallboard). Call
  /// before start().
  void setWallboard(std::chrono::seconds every);
  /// Binds SIP and HTTP listeners. Errors name the address that failed.
  Result<void> start();
  /// Runs the control loop on the calling thread until stop() or SIGINT/SIGTERM.
  void run();
  /// Asks run() to return after a graceful shutdown. Any thread.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sb::app
