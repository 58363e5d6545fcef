#include "base/blocking_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <set>
#include <stdexcept>

namespace sb {
namespace {

TEST(BlockingPoolTest, RunsEveryJobOnWorkerThreads) {
  std::atomic<int> ran{0};
  std::mutex m;
  std::set<std::thread::id> ids;
  {
    BlockingPool pool(2);
    for (int i = 0; i < 100; ++i) {
      pool.post([&] {
        ++ran;
        std::lock_guard lock(m);
        ids.insert(std::this_thread::get_id());
      });
    }
  }  // the destructor drains the queue
  EXPECT_EQ(ran.load(), 100);
  EXPECT_EQ(ids.count(std::this_thread::get_id()), 0u);
  EXPECT_LE(ids.size(), 2u);
}

TEST(BlockingPoolTest, ThrowingJobDoesNotKillTheWorker) {
  BlockingPool pool(1);
  pool.post([] { throw std::runtime_error("boom"); });
  std::promise<int> p;
  pool.post([&] { p.set_value(7); });
  EXPECT_EQ(p.get_future().get(), 7);
}

}  // namespace
}  // namespace sb
