#include "store/event_writer.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <span>

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

TEST_F(EventWriterTest, ListenerSeesEveryCommittedEventWithItsStoredId) {
  std::vector<StoredEvent> seen;  // written by the writer thread, read after it joined
  {
    EventWriter w(open(), nullptr, 0, 64);
    w.setCommittedListener([&seen](std::vector<StoredEvent>&& batch) {
      for (auto& e : batch) seen.push_back(std::move(e));
    });
    for (int i = 1; i <= 1000; ++i) w.append(numbered(i));
  }
  auto stored = open()->read("t", 0, 2000);
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(seen.size(), stored->size());
  for (std::size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i].id, (*stored)[i].id);
    EXPECT_EQ(seen[i].event.body, (*stored)[i].event.body);
  }
}

/// Derives one CDR per "call_ended" event and, at finish, one per call still open.
class EndedCalls final : public Projection {
 public:
  void apply(std::uint64_t run, std::span<const Event> events, Derived& out) override {
    for (const Event& e : events) {
      if (e.kind == "call_created") open_.push_back(e.call);
      if (e.kind != "call_ended") continue;
      std::erase(open_, e.call);
      out.cdrs.push_back(cdr(run, e.call, Disposition::kSelfService));
    }
    run_ = run;
  }
  void finish(std::int64_t, Derived& out) override {
    for (auto c : open_) out.cdrs.push_back(cdr(run_, c, Disposition::kInterrupted));
    open_.clear();
  }

 private:
  static Cdr cdr(std::uint64_t run, std::uint64_t call, Disposition d) {
    Cdr c;
    c.run = run;
    c.call = call;
    c.tenant = "t";
    c.disposition = d;
    return c;
  }
  std::vector<std::uint64_t> open_;
  std::uint64_t run_ = 0;
};

Event callEvent(std::string kind, std::uint64_t call) {
  return Event{1, "t", "call", std::move(kind), "{}", call};
}

// Records derived from a batch commit with it; a graceful stop closes what is open and
// finishes the run; a run killed before finishing is closed by recoverRuns exactly once.
TEST_F(EventWriterTest, ProjectionRecordsCommitWithTheirEventsAndRunsAreRecoveredOnce) {
  auto make = [] { return std::make_unique<EndedCalls>(); };
  std::uint64_t first = 0;
  {
    auto s = SqliteStore::open({db()});
    ASSERT_TRUE(s.ok());
    auto run = (*s)->beginRun(1);
    ASSERT_TRUE(run.ok());
    first = run->run;
    EventWriter w(std::unique_ptr<EventStore>(std::move(s).value()), make(), first);
    w.append(callEvent("call_created", 1));
    w.append(callEvent("call_created", 2));
    w.append(callEvent("call_ended", 1));
  }  // graceful: call 2 closes as interrupted, the run is finished
  {
    auto s = SqliteStore::open({db()});
    auto run = (*s)->beginRun(2);
    ASSERT_TRUE(run.ok());
    EXPECT_TRUE(run->unfinished.empty());
    // A run that dies: its events are committed but the writer never finishes it.
    ASSERT_TRUE((*s)->append({callEvent("call_created", 1), callEvent("call_created", 2),
                              callEvent("call_ended", 2)},
                             {})
                    .ok());
  }
  for (int restart = 0; restart < 2; ++restart) {
    auto s = SqliteStore::open({db()});
    auto run = (*s)->beginRun(3);
    ASSERT_TRUE(run.ok());
    auto recovered = recoverRuns(**s, run->unfinished, make, 4);
    ASSERT_TRUE(recovered.ok()) << recovered.error().message;
    EXPECT_EQ(*recovered, restart == 0 ? 2u : 0u);
    ASSERT_TRUE((*s)->finishRun(run->run, {}, 5).ok());
  }
  auto s = SqliteStore::open({db()});
  CdrQuery q;
  q.tenant = "t";
  auto all = (*s)->cdrs(q);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 4u);
  auto disposition = [&](std::uint64_t run, std::uint64_t call) {
    auto c = (*s)->cdr("t", run, call);
    return c.ok() && c->has_value() ? std::string(dispositionName((*c)->disposition)) : "none";
  };
  EXPECT_EQ(disposition(first, 1), "self_service");
  EXPECT_EQ(disposition(first, 2), "interrupted");
  EXPECT_EQ(disposition(first + 1, 1), "interrupted");
  EXPECT_EQ(disposition(first + 1, 2), "self_service");
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
