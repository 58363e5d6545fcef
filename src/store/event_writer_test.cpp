#include "store/event_writer.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "store/sqlite_store.h"

namespace sb::store {
namespace {

using std::chrono::milliseconds;

class EventWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = "/tmp/sb_writer_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string db() const { return dir_ + "/events.db"; }
  std::unique_ptr<EventStore> open() {
    auto s = SqliteStore::open({db()});
    EXPECT_TRUE(s.ok()) << s.error().message;
    return s ? std::unique_ptr<EventStore>(std::move(s).value()) : nullptr;
  }
  std::string dir_;
};

Event numbered(int i) {
  return Event{i, "t", "call", "e", "{\"i\":" + std::to_string(i) + "}"};
}

TEST_F(EventWriterTest, CommitsEveryEventInOrderInFewTransactions) {
  constexpr int kEvents = 20000;
  {
    EventWriter w(open(), nullptr, 0, 4096);
    for (int i = 1; i <= kEvents; ++i) EXPECT_EQ(w.append(numbered(i)), static_cast<unsigned>(i));
    ASSERT_TRUE(w.flush(milliseconds(20000)));
    auto st = w.stats();
    EXPECT_EQ(st.committed, static_cast<unsigned>(kEvents));
    EXPECT_EQ(w.committedSeq(), static_cast<unsigned>(kEvents));
    EXPECT_LE(st.batches, static_cast<unsigned>(kEvents));
    EXPECT_GE(st.batches, static_cast<unsigned>(kEvents / 4096));
  }
  auto s = open();
  auto all = s->read("t", 0, kEvents + 10);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), static_cast<std::size_t>(kEvents));
  for (int i = 0; i < kEvents; ++i) {
    ASSERT_EQ((*all)[static_cast<std::size_t>(i)].event.timeMs, i + 1);
  }
}

TEST_F(EventWriterTest, DestructionCommitsWhatIsQueued) {
  {
    EventWriter w(open());
    for (int i = 1; i <= 500; ++i) w.append(numbered(i));
  }
  EXPECT_EQ(*open()->lastId(), 500u);
}

TEST_F(EventWriterTest, FullQueueRefusesAndCounts) {
  EventWriter w(open(), nullptr, 0, 8192, 0);  // a queue that takes nothing
  EXPECT_EQ(w.append(numbered(1)), 0u);
  EXPECT_EQ(w.stats().refused, 1u);
}

// The promise of the writer: an event acknowledged as committed survives kill -9. A child
// appends events and reports each new committedSeq() on a pipe; the parent kills it with
// SIGKILL mid-stream and finds every acknowledged event, in order, without gaps.
TEST_F(EventWriterTest, AcknowledgedEventsSurviveKill9) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(fds[0]);
    auto s = SqliteStore::open({db()});
    if (!s) ::_exit(3);
    EventWriter w(std::unique_ptr<EventStore>(std::move(s).value()), nullptr, 0, 512);
    std::uint64_t reported = 0;
    for (int i = 1; i <= 5'000'000; ++i) {
      w.append(numbered(i));
      std::uint64_t c = w.committedSeq();
      if (c != reported) {
        reported = c;
        if (::write(fds[1], &c, sizeof c) != sizeof c) ::_exit(4);
      }
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  std::uint64_t acked = 0;
  std::uint64_t c = 0;
  while (acked < 20000 && ::read(fds[0], &c, sizeof c) == sizeof c) acked = c;
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ::close(fds[0]);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the child ended before the kill";
  ASSERT_GE(acked, 20000u);
  auto s = open();
  std::uint64_t last = *s->lastId();
  EXPECT_GE(last, acked) << "an acknowledged event was lost";
  auto all = s->read("t", 0, last + 1);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), last);
  for (std::size_t i = 0; i < all->size(); ++i) {
    ASSERT_EQ((*all)[i].event.timeMs, static_cast<std::int64_t>(i + 1)) << "a gap at " << i;
  }
}

}  // namespace
}  // namespace sb::store
