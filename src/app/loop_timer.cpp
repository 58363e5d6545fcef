#include "app/loop_timer.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace sb::app {

struct LoopTimer::Impl {
  Impl(boost::asio::io_context& io, TimerWheel& w, const Clock& c, Duration t)
      : timer(io), wheel(w), clock(c), tick(t) {}
  boost::asio::steady_timer timer;
  TimerWheel& wheel;
  const Clock& clock;
  Duration tick;
  bool running = false;
};

LoopTimer::LoopTimer(boost::asio::io_context& io, TimerWheel& wheel, const Clock& clock,
                     Duration tick)
    : impl_(std::make_unique<Impl>(io, wheel, clock, tick)) {}

LoopTimer::~LoopTimer() {
  stop();
}

void LoopTimer::start() {
  impl_->running = true;
  auto arm = [this](auto& self) -> void {
    impl_->timer.expires_after(impl_->tick);
    impl_->timer.async_wait([this, self](const boost::system::error_code& ec) {
      if (ec || !impl_->running) return;
      TimePoint now = impl_->clock.now();
      impl_->wheel.advance(now);
      lastTickMs_.store(
          std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count(),
          std::memory_order_relaxed);
      self(self);
    });
  };
  lastTickMs_.store(
      std::chrono::duration_cast<std::chrono::milliseconds>(impl_->clock.now().time_since_epoch())
          .count(),
      std::memory_order_relaxed);
  arm(arm);
}

void LoopTimer::stop() {
  if (!impl_->running) return;
  impl_->running = false;
  impl_->timer.cancel();
}

}  // namespace sb::app
