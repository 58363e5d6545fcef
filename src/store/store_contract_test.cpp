// The repository contract (event_store.h): one suite, run against every adapter — SQLite on a
// temporary file, PostgreSQL on the throwaway server of CTest fixture "pg" (a database per
// test case, dropped at the end). A PostgreSQL test fails, not skips, without the server.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <sstream>

#include "store/pg_store.h"
#include "store/sqlite_store.h"

// Queries are written with designated initializers, the other fields keeping their defaults
// on purpose; GCC 12 warns about exactly that.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace sb::store {
namespace {

// --- backends ------------------------------------------------------------------------------

/// One adapter object, seen through both interfaces.
struct Store {
  std::unique_ptr<EventStore> owner;
  EventStore* events = nullptr;
  RecordStore* records = nullptr;
};

template <class S>
Result<Store> wrap(Result<std::unique_ptr<S>> opened) {
  if (!opened) return opened.error();
  Store s;
  s.events = opened->get();
  s.records = opened->get();
  s.owner = std::move(*opened);
  return s;
}

/// A database the suite opens stores on (again, to test reopening) and tampers with.
class TestDb {
 public:
  virtual ~TestDb() = default;
  virtual Result<Store> open() = 0;
  /// Records schema version `v` in the database, as a newer binary would have.
  virtual void setSchemaVersion(int v) = 0;
  /// Makes inserting an event of kind "boom", or a CDR of tenant "boom", fail.
  virtual void installFailures() = 0;
};

class SqliteDb final : public TestDb {
 public:
  SqliteDb() {
    std::string tmpl = "/tmp/sb_contract_XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    dir_ = tmpl;
  }
  ~SqliteDb() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  Result<Store> open() override { return wrap(SqliteStore::open({path()})); }
  void setSchemaVersion(int v) override { exec("PRAGMA user_version = " + std::to_string(v)); }
  void installFailures() override {
    exec(
        "CREATE TRIGGER events_boom BEFORE INSERT ON events WHEN NEW.kind = 'boom' "
        "BEGIN SELECT RAISE(ABORT, 'boom'); END;"
        "CREATE TRIGGER cdrs_boom BEFORE INSERT ON cdrs WHEN NEW.tenant = 'boom' "
        "BEGIN SELECT RAISE(ABORT, 'boom'); END;");
  }

 private:
  std::string path() const { return dir_ + "/sub/store.db"; }
  void exec(const std::string& sql) {
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open(path().c_str(), &h), SQLITE_OK);
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(h, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK)
        << (err != nullptr ? err : "");
    sqlite3_free(err);
    sqlite3_close(h);
  }
  std::string dir_;
};

/// Runs `sql` on a fresh connection; "" on success, else the error.
std::string pgExec(const std::string& conninfo, const std::string& sql) {
  PGconn* c = PQconnectdb(conninfo.c_str());
  std::string err;
  if (PQstatus(c) != CONNECTION_OK) {
    err = PQerrorMessage(c);
  } else {
    PGresult* r = PQexec(c, sql.c_str());
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
      err = PQresultErrorMessage(r);
    }
    PQclear(r);
  }
  PQfinish(c);
  return err;
}

class PgDb final : public TestDb {
 public:
  /// A new, empty database on the fixture's server; nullptr (and a test failure) without one.
  static std::unique_ptr<TestDb> make() {
    const char* file = std::getenv("SB_TEST_PG_CONNINFO_FILE");
    if (file == nullptr || *file == '\0') {
      ADD_FAILURE() << "SB_TEST_PG_CONNINFO_FILE is not set. Run the store tests with ctest "
                       "(fixture 'pg' starts PostgreSQL), or run scripts/pg-test-server.sh "
                       "start DIR and export SB_TEST_PG_CONNINFO_FILE=DIR/conninfo";
      return nullptr;
    }
    std::ifstream in(file);
    std::string server;
    std::getline(in, server);
    if (server.empty()) {
      ADD_FAILURE() << "no libpq conninfo in " << file << " (did the pg fixture start?)";
      return nullptr;
    }
    // ctest runs each test case in its own process, several at once: one database each.
    auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
    std::string name = "sb_contract_" + std::to_string(::getpid()) + "_" + std::to_string(stamp);
    if (auto err = pgExec(server, "CREATE DATABASE " + name); !err.empty()) {
      ADD_FAILURE() << "CREATE DATABASE on '" << server << "': " << err;
      return nullptr;
    }
    return std::unique_ptr<TestDb>(new PgDb(server, name));
  }
  ~PgDb() override {
    EXPECT_EQ(pgExec(server_, "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)"), "");
  }
  Result<Store> open() override { return wrap(PgStore::open({conninfo()})); }
  void setSchemaVersion(int v) override {
    EXPECT_EQ(pgExec(conninfo(), "UPDATE schema_version SET version = " + std::to_string(v)), "");
  }
  void installFailures() override {
    EXPECT_EQ(pgExec(conninfo(),
                     "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS "
                     "$$ BEGIN RAISE EXCEPTION 'boom'; END $$;"
                     "CREATE TRIGGER events_boom BEFORE INSERT ON events FOR EACH ROW "
                     "WHEN (NEW.kind = 'boom') EXECUTE FUNCTION boom();"
                     "CREATE TRIGGER cdrs_boom BEFORE INSERT ON cdrs FOR EACH ROW "
                     "WHEN (NEW.tenant = 'boom') EXECUTE FUNCTION boom();"),
              "");
  }

 private:
  PgDb(std::string server, std::string name) : server_(std::move(server)), name_(std::move(name)) {}
  std::string conninfo() const { return server_ + " dbname=" + name_; }  // the last dbname wins
  std::string server_;
  std::string name_;
};

struct Backend {
  const char* name;
  std::unique_ptr<TestDb> (*make)();
};

void PrintTo(const Backend& b, std::ostream* os) {
  *os << b.name;
}

const Backend kBackends[] = {
    {"sqlite", [] { return std::unique_ptr<TestDb>(new SqliteDb()); }},
    {"postgres", &PgDb::make},
};

// --- values --------------------------------------------------------------------------------

constexpr std::int64_t kT0 = 1796000000000 / kIntervalMs * kIntervalMs;  // an interval start

Event ev(std::string tenant, std::string kind, std::uint64_t call = 0, std::string source = "call",
         std::int64_t t = kT0) {
  return Event{t, std::move(tenant), std::move(source), std::move(kind), R"({"n":1})", call};
}

Cdr makeCdr(std::uint64_t run, std::uint64_t call, std::string tenant = "a") {
  Cdr c;
  c.run = run;
  c.call = call;
  c.tenant = std::move(tenant);
  c.number = "+4930123";
  c.caller = "alice";
  c.startMs = kT0 + static_cast<std::int64_t>(call) * 1000;
  c.answerMs = c.startMs + 100;
  c.queuedMs = c.startMs + 5000;
  c.offeredMs = c.queuedMs + 1000;
  c.acceptedMs = c.offeredMs + 3000;
  c.endMs = c.acceptedMs + 60000;
  c.queue = "sales";
  c.agent = "ann";
  c.disposition = Disposition::kAnswered;
  c.hangupCause = "normal";
  c.hangupSide = "caller";
  c.waitMs = 4000;
  c.talkMs = 55000;
  c.holdMs = 5000;
  c.answeredInSl = true;
  return c;
}

std::string describe(const Cdr& c) {
  std::ostringstream o;
  o << c.run << '/' << c.call << ' ' << c.tenant << '|' << c.number << '|' << c.caller << '|'
    << c.startMs << ',' << c.answerMs << ',' << c.queuedMs << ',' << c.offeredMs << ','
    << c.acceptedMs << ',' << c.endMs << ',' << c.wrapUpEndMs << '|' << c.queue << '|' << c.agent
    << '|' << dispositionName(c.disposition) << '|' << c.hangupCause << '|' << c.hangupSide << '|'
    << c.recording << '|' << c.ivrMs << ',' << c.waitMs << ',' << c.talkMs << ',' << c.holdMs << ','
    << c.wrapUpMs << '|' << c.answeredInSl << c.abandonedInSl << c.shortAbandon;
  for (const auto& l : c.legs) {
    o << " [" << l.leg << '|' << l.role << '|' << l.peer << '|' << l.agent << '|' << l.createdMs
      << ',' << l.ringingMs << ',' << l.answeredMs << ',' << l.endedMs << '|' << l.cause << ']';
  }
  return o.str();
}

template <class T, class F>
std::vector<std::string> describeAll(const std::vector<T>& items, F f) {
  std::vector<std::string> out;
  for (const auto& i : items) out.push_back(f(i));
  return out;
}

std::vector<std::string> describeCdrs(const std::vector<Cdr>& cdrs) {
  return describeAll(cdrs, [](const Cdr& c) { return describe(c); });
}

std::string describe(const IntervalSums& s) {
  std::ostringstream o;
  o << s.tenant << '|' << s.queue << '|' << s.intervalStartMs << " offered=" << s.offered
    << " answered=" << s.answered << " abandoned=" << s.abandoned << " short=" << s.shortAbandoned
    << " callbacks=" << s.callbacks << " left=" << s.left << " answeredInSl=" << s.answeredInSl
    << " abandonedInSl=" << s.abandonedInSl << " waitAnswered=" << s.waitAnsweredMs
    << " waitAbandoned=" << s.waitAbandonedMs << " maxWait=" << s.maxWaitMs << " talk=" << s.talkMs
    << " hold=" << s.holdMs << " wrapUp=" << s.wrapUpMs;
  return o.str();
}

std::string describe(const AgentStateInterval& a) {
  std::ostringstream o;
  o << a.run << '|' << a.tenant << '|' << a.agent << '|' << a.state << '|' << a.reason << '|'
    << a.startMs << '-' << a.endMs;
  return o.str();
}

std::string describe(const RecordingEntry& r) {
  std::ostringstream o;
  o << r.run << '/' << r.call << '/' << r.leg << '|' << r.tenant << '|' << r.agent << '|' << r.path
    << '|' << r.startMs << '+' << r.durationMs << '|' << r.bytes << '|' << r.sha256;
  return o.str();
}

/// The sums the store must hold for `cdrs`: docs/metrics.md "Intervals" (as report::rollUp).
std::vector<std::string> expectedSums(const std::vector<Cdr>& cdrs, std::string_view tenant) {
  std::map<std::pair<std::int64_t, std::string>, IntervalSums> sums;
  for (const auto& c : cdrs) {
    if (c.tenant != tenant || c.queue.empty()) continue;
    std::int64_t start = c.queuedMs / kIntervalMs * kIntervalMs;
    if (c.queuedMs % kIntervalMs < 0) start -= kIntervalMs;  // floor
    IntervalSums& s = sums[{start, c.queue}];
    s.tenant = c.tenant;
    s.queue = c.queue;
    s.intervalStartMs = start;
    bool answered = c.disposition == Disposition::kAnswered;
    bool abandoned = c.disposition == Disposition::kAbandoned;
    s.offered += 1;
    s.answered += answered;
    s.abandoned += abandoned;
    s.shortAbandoned += abandoned && c.shortAbandon;
    s.callbacks += c.disposition == Disposition::kCallback;
    s.left += c.disposition == Disposition::kLeft;
    s.answeredInSl += answered && c.answeredInSl;
    s.abandonedInSl += abandoned && c.abandonedInSl;
    s.waitAnsweredMs += answered ? c.waitMs : 0;
    s.waitAbandonedMs += abandoned ? c.waitMs : 0;
    s.maxWaitMs = std::max(s.maxWaitMs, c.waitMs);
    s.talkMs += answered ? c.talkMs : 0;  // handle time of answered CDRs only
    s.holdMs += answered ? c.holdMs : 0;
    s.wrapUpMs += answered ? c.wrapUpMs : 0;
  }
  std::vector<std::string> out;
  for (const auto& [key, s] : sums) out.push_back(describe(s));
  return out;
}

// --- the suite -----------------------------------------------------------------------------

class StoreContract : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    db_ = GetParam().make();
    ASSERT_NE(db_, nullptr);
    ASSERT_NO_FATAL_FAILURE(reopen());
  }
  void TearDown() override {
    store_ = {};
    db_.reset();
  }
  /// Closes the store and opens the database again (a node restart).
  void reopen() {
    store_ = {};
    auto s = db_->open();
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(*s);
  }
  EventStore& events() { return *store_.events; }
  RecordStore& records() { return *store_.records; }
  std::uint64_t beginRun(std::int64_t t = kT0) {
    auto r = events().beginRun(t);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? r->run : 0;
  }
  std::uint64_t append(const std::vector<Event>& e, const Derived& d = {}) {
    auto r = events().append(e, d);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? *r : 0;
  }
  std::vector<StoredEvent> read(std::string_view tenant, std::uint64_t after = 0,
                                std::size_t limit = 1000) {
    auto r = events().read(tenant, after, limit);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? *r : std::vector<StoredEvent>{};
  }
  std::vector<Cdr> cdrs(const CdrQuery& q) {
    auto r = records().cdrs(q);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? *r : std::vector<Cdr>{};
  }
  /// The recordings `q` finds, described.
  std::vector<std::string> recordings(const RecordingQuery& q) {
    auto r = records().recordings(q);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? describeAll(*r, [](const RecordingEntry& x) { return describe(x); })
                  : std::vector<std::string>{};
  }
  std::vector<std::string> sums(std::string_view tenant, std::int64_t from = INT64_MIN,
                                std::int64_t to = INT64_MAX, std::string_view queue = "") {
    auto r = records().intervals(tenant, from, to, queue);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? describeAll(*r, [](const IntervalSums& s) { return describe(s); })
                  : std::vector<std::string>{};
  }

  std::unique_ptr<TestDb> db_;
  Store store_;
};

TEST_P(StoreContract, AppendsAtomicallyWithIncreasingIds) {
  EXPECT_EQ(*events().lastId(), 0u);
  EXPECT_EQ(append({}), 0u);
  beginRun();
  std::uint64_t last = append({ev("a", "created", 1), ev("a", "answered", 1), ev("a", "x", 2)});
  auto got = read("a");
  ASSERT_EQ(got.size(), 3u);
  EXPECT_LT(got[0].id, got[1].id);
  EXPECT_LT(got[1].id, got[2].id);
  EXPECT_EQ(got[2].id, last);
  EXPECT_EQ(*events().lastId(), last);
  // Derived records without events: the previous last id.
  EXPECT_EQ(append({}, Derived{{makeCdr(1, 1)}, {}, {}}), last);
  ASSERT_TRUE(records().cdr("a", 1, 1)->has_value());

  db_->installFailures();
  auto failed = events().append({ev("a", "fine", 3), ev("a", "boom", 3)}, {});
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, Errc::kIo);
  Derived bad{{makeCdr(1, 4), makeCdr(1, 5, "boom")}, {}, {}};
  failed = events().append({ev("a", "fine", 4)}, bad);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, Errc::kIo);
  EXPECT_EQ(*events().lastId(), last);  // nothing of either batch
  EXPECT_EQ(read("a").size(), 3u);
  EXPECT_FALSE(records().cdr("a", 1, 4)->has_value());

  // The store works on after a failed batch; a big batch arrives whole and in order.
  std::vector<Event> big;
  for (int i = 0; i < 20000; ++i) big.push_back(ev("a", std::to_string(i), 9));
  std::uint64_t bigLast = append(big);
  EXPECT_GT(bigLast, last);
  auto all = read("a", last, 30000);
  ASSERT_EQ(all.size(), big.size());
  for (std::size_t i = 0; i < all.size(); ++i) {
    ASSERT_EQ(all[i].event.kind, big[i].kind);
    if (i > 0) {
      ASSERT_LT(all[i - 1].id, all[i].id);
    }
  }
  EXPECT_EQ(all.back().id, bigLast);
}

TEST_P(StoreContract, ConcurrentWritersNeverHideARowFromAResumingReader) {
  // Two adapter objects (two nodes, or two threads) append while a reader resumes after the
  // last id it saw: an id committed later than a bigger one would be skipped for good.
  auto other = db_->open();
  ASSERT_TRUE(other.ok()) << other.error().message;
  auto writer = [](EventStore& s, std::string kind) {
    for (int i = 0; i < 150; ++i) {
      std::vector<Event> batch(3, ev("a", kind));
      if (!s.append(batch, {}).ok()) return false;
    }
    return true;
  };
  auto first = std::async(std::launch::async, writer, std::ref(events()), "one");
  auto second = std::async(std::launch::async, writer, std::ref(*other->events), "two");
  auto reader = db_->open();
  ASSERT_TRUE(reader.ok()) << reader.error().message;
  std::vector<std::uint64_t> seen;
  auto poll = [&] {
    for (;;) {
      auto got = reader->events->read("a", seen.empty() ? 0 : seen.back(), 1000);
      if (!got.ok() || got->empty()) return;
      for (const auto& e : *got) seen.push_back(e.id);
    }
  };
  while (first.wait_for(std::chrono::milliseconds(1)) != std::future_status::ready ||
         second.wait_for(std::chrono::milliseconds(0)) != std::future_status::ready) {
    poll();
  }
  EXPECT_TRUE(first.get());
  EXPECT_TRUE(second.get());
  poll();
  std::vector<std::uint64_t> all;
  for (const auto& e : read("a", 0, 10000)) all.push_back(e.id);
  EXPECT_EQ(all.size(), 900u);
  EXPECT_EQ(seen.size(), all.size()) << "the reader missed rows";
  EXPECT_EQ(seen, all);
}

TEST_P(StoreContract, ReadsOneTenantAfterAnIdUpToTheLimit) {
  std::uint64_t run = beginRun();
  append({ev("a", "1"), ev("b", "2"), ev("a", "3", 7, "acd", kT0 + 5)});
  append({ev("b", "4"), ev("a", "5")});
  auto a = read("a");
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[0].event.kind, "1");
  EXPECT_EQ(a[1].event.kind, "3");
  EXPECT_EQ(a[2].event.kind, "5");
  for (const auto& s : a) EXPECT_EQ(s.event.tenant, "a");
  // Every field round-trips.
  EXPECT_EQ(a[1].run, run);
  EXPECT_EQ(a[1].event.call, 7u);
  EXPECT_EQ(a[1].event.source, "acd");
  EXPECT_EQ(a[1].event.timeMs, kT0 + 5);
  EXPECT_EQ(a[1].event.body, R"({"n":1})");
  auto page = read("a", a[0].id, 1);
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0].id, a[1].id);
  EXPECT_TRUE(read("a", a[2].id).empty());
  EXPECT_TRUE(read("a", 0, 0).empty());
  EXPECT_EQ(read("b").size(), 2u);
  EXPECT_TRUE(read("c").empty());
  EXPECT_TRUE(read("").empty());
}

TEST_P(StoreContract, StoresTextExactly) {
  std::string odd = std::string("quote ' \" back\\slash \\N tab\t nl\n cr\r UTF-8 ") +
                    "\xe4\xbd\xa0\xe5\xa5\xbd \xf0\x9f\x93\x9e '); DROP TABLE events; --";
  Event e{-5, odd, odd, odd, odd, 3};
  append({e, ev("a", "\\N")});
  auto r = read(odd);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].event.tenant, odd);
  EXPECT_EQ(r[0].event.source, odd);
  EXPECT_EQ(r[0].event.kind, odd);
  EXPECT_EQ(r[0].event.body, odd);
  EXPECT_EQ(r[0].event.timeMs, -5);
  ASSERT_EQ(read("a").size(), 1u);
  EXPECT_EQ(read("a")[0].event.kind, "\\N");  // not NULL
}

TEST_P(StoreContract, UnusualBytesDoNotFailTheBatch) {
  // A batch that fails is retried unchanged by the writer: bytes a database cannot hold as
  // text (PostgreSQL: invalid UTF-8, NUL) must not make it fail forever.
  std::string bytes = std::string("bad \xff\xfe utf-8 and a NUL ") + '\0' + " end";
  Cdr c = makeCdr(1, 1);
  c.caller = bytes;
  auto r = events().append({Event{1, "a", "call", "x", bytes, 1}}, Derived{{c}, {}, {}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(read("a").size(), 1u);
  EXPECT_EQ(read("a")[0].event.body.substr(0, 4), "bad ");
  ASSERT_TRUE(records().cdr("a", 1, 1)->has_value());
}

TEST_P(StoreContract, BeginRunNumbersRunsAndReportsUnfinished) {
  auto first = events().beginRun(kT0);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->run, 1u);
  EXPECT_TRUE(first->unfinished.empty());
  append({ev("a", "x")});
  EXPECT_EQ(read("a").back().run, 1u);
  ASSERT_NO_FATAL_FAILURE(reopen());  // killed: run 1 never finished
  auto second = events().beginRun(kT0 + 1);
  EXPECT_EQ(second->run, 2u);
  EXPECT_EQ(second->unfinished, (std::vector<std::uint64_t>{1}));
  ASSERT_NO_FATAL_FAILURE(reopen());
  auto third = events().beginRun(kT0 + 2);
  EXPECT_EQ(third->run, 3u);
  EXPECT_EQ(third->unfinished, (std::vector<std::uint64_t>{1, 2}));  // oldest first
  ASSERT_TRUE(events().finishRun(1, {}, kT0 + 3).ok());
  ASSERT_TRUE(events().finishRun(2, {}, kT0 + 4).ok());
  append({ev("a", "y")});
  EXPECT_EQ(read("a").back().run, 3u);
  ASSERT_NO_FATAL_FAILURE(reopen());
  auto fourth = events().beginRun(kT0 + 5);
  EXPECT_EQ(fourth->run, 4u);
  EXPECT_EQ(fourth->unfinished, (std::vector<std::uint64_t>{3}));
  append({ev("a", "z")});
  EXPECT_EQ(read("a").back().run, 4u);
}

TEST_P(StoreContract, RecoveryEventsAreCallsWithoutACdrAndAgentStates) {
  std::uint64_t run = beginRun();
  append({ev("a", "created", 1), ev("a", "agent_state", 0, "acd"), ev("a", "created", 2),
          ev("a", "step", 0, "flow"), ev("b", "created", 3)});
  append({ev("a", "ended", 1), ev("a", "answered", 2), ev("b", "agent_state", 0, "acd")});
  append({}, Derived{{makeCdr(run, 1)}, {}, {}});  // call 1 is complete
  ASSERT_NO_FATAL_FAILURE(reopen());
  std::uint64_t next = beginRun();
  append({ev("a", "created", 2), ev("a", "agent_state", 0, "acd")});  // the next run's own

  auto got = events().recoveryEvents(run);
  ASSERT_TRUE(got.ok()) << got.error().message;
  std::vector<std::string> kinds;
  for (const auto& s : *got) {
    kinds.push_back(s.event.tenant + ":" + s.event.kind + ":" + std::to_string(s.event.call));
    EXPECT_EQ(s.run, run);
  }
  EXPECT_EQ(kinds, (std::vector<std::string>{"a:agent_state:0", "a:created:2", "b:created:3",
                                             "a:answered:2", "b:agent_state:0"}));
  for (std::size_t i = 1; i < got->size(); ++i) EXPECT_LT((*got)[i - 1].id, (*got)[i].id);
  EXPECT_EQ(events().recoveryEvents(next)->size(), 2u);
  EXPECT_TRUE(events().recoveryEvents(99)->empty());
}

TEST_P(StoreContract, FinishRunInsertsDerivedAndMarksTheRunFinished) {
  std::uint64_t run = beginRun();
  append({ev("a", "created", 1)});
  ASSERT_NO_FATAL_FAILURE(reopen());
  auto start = events().beginRun(kT0 + 10);
  ASSERT_EQ(start->unfinished, (std::vector<std::uint64_t>{run}));
  Cdr c = makeCdr(run, 1);
  c.disposition = Disposition::kInterrupted;
  AgentStateInterval s{run, "a", "ann", "ready", "login", kT0, kT0 + 10};
  ASSERT_TRUE(events().finishRun(run, Derived{{c}, {s}, {}}, kT0 + 10).ok());
  auto stored = records().cdr("a", run, 1);
  ASSERT_TRUE(stored->has_value());
  EXPECT_EQ((*stored)->disposition, Disposition::kInterrupted);
  EXPECT_EQ(records().agentStates("a", kT0, kT0 + 10, "")->size(), 1u);
  ASSERT_NO_FATAL_FAILURE(reopen());
  EXPECT_EQ(events().beginRun(kT0 + 20)->unfinished, (std::vector<std::uint64_t>{start->run}));
}

TEST_P(StoreContract, ReplayedCdrsAndAgentIntervalsAreSkippedAndNotSummedTwice) {
  std::uint64_t run = beginRun();
  Cdr first = makeCdr(run, 1);
  Cdr replay = first;
  replay.disposition = Disposition::kAbandoned;
  replay.number = "changed";
  AgentStateInterval s{run, "a", "ann", "on_call", "", kT0, kT0 + 100};
  AgentStateInterval sChanged = s;
  sChanged.reason = "changed";
  sChanged.endMs = kT0 + 200;
  std::uint64_t last = append({ev("a", "ended", 1)}, Derived{{first}, {s}, {}});
  EXPECT_EQ(append({}, Derived{{replay}, {sChanged}, {}}), last);
  Cdr two = makeCdr(run, 2);
  Cdr twoAgain = two;
  twoAgain.queue = "other";
  append({}, Derived{{two, twoAgain}, {}, {}});  // a duplicate within one batch too
  std::vector<Cdr> expected = {first, two};
  auto stored = cdrs({.tenant = "a"});
  ASSERT_EQ(stored.size(), 2u);
  for (auto& c : stored) c.id = 0;
  EXPECT_EQ(describeCdrs(stored), describeCdrs(expected));
  EXPECT_EQ(sums("a"), expectedSums(expected, "a"));
  auto states = records().agentStates("a", INT64_MIN, INT64_MAX, "");
  ASSERT_EQ(states->size(), 1u);
  EXPECT_EQ(describe(states->front()), describe(s));

  // Restart: recovery closes the run with what it re-derives (some of it stored already).
  ASSERT_NO_FATAL_FAILURE(reopen());
  ASSERT_EQ(events().beginRun(kT0)->unfinished, (std::vector<std::uint64_t>{run}));
  Derived recovered{{replay, makeCdr(run, 3)}, {sChanged}, {}};
  ASSERT_TRUE(events().finishRun(run, recovered, kT0 + 1000).ok());
  expected.push_back(makeCdr(run, 3));
  auto afterFirst = sums("a");
  EXPECT_EQ(afterFirst, expectedSums(expected, "a"));
  // A second restart that replays the same recovery adds nothing.
  ASSERT_NO_FATAL_FAILURE(reopen());
  ASSERT_TRUE(events().finishRun(run, recovered, kT0 + 2000).ok());
  EXPECT_EQ(sums("a"), afterFirst);
  EXPECT_EQ(cdrs({.tenant = "a"}).size(), 3u);
  EXPECT_EQ(records().agentStates("a", INT64_MIN, INT64_MAX, "")->size(), 1u);
}

TEST_P(StoreContract, IntervalSumsAreTheSumsOfTheInsertedCdrs) {
  std::uint64_t run = beginRun();
  const Disposition kAll[] = {Disposition::kAnswered,    Disposition::kAbandoned,
                              Disposition::kCallback,    Disposition::kLeft,
                              Disposition::kSelfService, Disposition::kUnanswered,
                              Disposition::kOutbound,    Disposition::kInterrupted};
  const char* kQueues[] = {"sales", "support", ""};
  const std::int64_t kWaits[] = {500, 3500, 15000, 40000};
  const std::int64_t kQueuedAt[] = {0, 1, kIntervalMs - 1, kIntervalMs, 2 * kIntervalMs + 7};
  std::vector<Cdr> all;
  std::uint32_t rnd = 12345;
  auto next = [&](std::uint32_t mod) {
    rnd = rnd * 1103515245u + 12345u;
    return static_cast<std::int64_t>((rnd >> 8) % mod);
  };
  for (std::uint64_t call = 1; call <= 60; ++call) {
    Cdr c = makeCdr(run, call, call % 7 == 0 ? "b" : "a");
    c.disposition = kAll[call % 8];
    c.queue = kQueues[call % 3];
    c.queuedMs = kT0 + kQueuedAt[call % 5];
    // Waits on both sides of both thresholds (5 s short abandon, 20 s service level).
    c.waitMs = kWaits[(call / 8) % 4] + next(1000);
    // An interrupted call may have been with an agent: handle time that must not count.
    bool talked =
        c.disposition == Disposition::kAnswered || c.disposition == Disposition::kInterrupted;
    c.talkMs = talked ? next(600000) : 0;
    c.holdMs = talked ? next(60000) : 0;
    c.wrapUpMs = talked ? next(30000) : 0;
    c.answeredInSl = c.disposition == Disposition::kAnswered && c.waitMs <= 20000;
    c.abandonedInSl = c.disposition == Disposition::kAbandoned && c.waitMs <= 20000;
    c.shortAbandon = c.disposition == Disposition::kAbandoned && c.waitMs <= 5000;
    all.push_back(c);
  }
  // The longest wait of an interval comes first: later, shorter waits must not replace it.
  all[0].waitMs = 999999;
  // In batches (so sums are added to, not only created), the last through finishRun.
  append({ev("a", "x")}, Derived{{all.begin(), all.begin() + 20}, {}, {}});
  append({}, Derived{{all.begin() + 20, all.begin() + 45}, {}, {}});
  ASSERT_TRUE(events().finishRun(run, Derived{{all.begin() + 45, all.end()}, {}, {}}, kT0).ok());

  EXPECT_EQ(sums("a"), expectedSums(all, "a"));
  EXPECT_EQ(sums("b"), expectedSums(all, "b"));
  EXPECT_TRUE(sums("c").empty());
  // Ranges are on the interval start, from inclusive, to exclusive; the queue filters.
  std::vector<Cdr> second;
  for (const auto& c : all) {
    if (c.queuedMs >= kT0 + kIntervalMs && c.queuedMs < kT0 + 2 * kIntervalMs) second.push_back(c);
  }
  EXPECT_EQ(sums("a", kT0 + kIntervalMs, kT0 + 2 * kIntervalMs), expectedSums(second, "a"));
  std::vector<Cdr> sales;
  for (const auto& c : all) {
    if (c.queue == "sales") sales.push_back(c);
  }
  EXPECT_EQ(sums("a", INT64_MIN, INT64_MAX, "sales"), expectedSums(sales, "a"));
  EXPECT_TRUE(sums("a", INT64_MIN, INT64_MAX, "nobody").empty());
  EXPECT_EQ(sums("a", kT0, kT0 + kIntervalMs).size(), 2u);  // sales and support
}

TEST_P(StoreContract, CdrQueriesFilterPageAndStayInTheTenant) {
  std::uint64_t run = beginRun();
  std::vector<Cdr> a;
  for (std::uint64_t call = 1; call <= 6; ++call) {
    Cdr c = makeCdr(run, call);
    c.queue = call % 2 == 0 ? "sales" : "support";
    c.agent = call <= 3 ? "ann" : "";
    c.disposition = call <= 3 ? Disposition::kAnswered : Disposition::kAbandoned;
    a.push_back(c);
  }
  append({}, Derived{{a[0], a[1], a[2]}, {}, {}});
  append({}, Derived{{a[3], makeCdr(run, 7, "b"), a[4], makeCdr(run, 8, "b"), a[5]}, {}, {}});

  auto all = cdrs({.tenant = "a"});
  ASSERT_EQ(all.size(), 6u);
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].call, i + 1);
    if (i > 0) {
      EXPECT_LT(all[i - 1].id, all[i].id);
    }
  }
  auto calls = [](const std::vector<Cdr>& cs) {
    std::vector<std::uint64_t> out;
    for (const auto& c : cs) out.push_back(c.call);
    return out;
  };
  using V = std::vector<std::uint64_t>;
  EXPECT_EQ(calls(cdrs({.tenant = "a", .fromMs = a[1].startMs, .toMs = a[4].startMs})),
            (V{2, 3, 4}));
  EXPECT_EQ(calls(cdrs({.tenant = "a", .queue = "sales"})), (V{2, 4, 6}));
  EXPECT_EQ(calls(cdrs({.tenant = "a", .agent = "ann"})), (V{1, 2, 3}));
  EXPECT_EQ(calls(cdrs({.tenant = "a", .disposition = Disposition::kAbandoned})), (V{4, 5, 6}));
  EXPECT_EQ(calls(cdrs({.tenant = "a", .queue = "sales", .disposition = Disposition::kAnswered})),
            (V{2}));
  EXPECT_TRUE(cdrs({.tenant = "a", .disposition = Disposition::kCallback}).empty());
  EXPECT_EQ(calls(cdrs({.tenant = "a", .limit = 2})), (V{1, 2}));
  V paged;
  std::uint64_t after = 0;
  for (int page = 0; page < 10; ++page) {
    auto got = cdrs({.tenant = "a", .afterId = after, .limit = 4});
    if (got.empty()) break;
    for (const auto& c : got) paged.push_back(c.call);
    after = got.back().id;
  }
  EXPECT_EQ(paged, (V{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(calls(cdrs({.tenant = "b"})), (V{7, 8}));
  EXPECT_TRUE(cdrs({.tenant = "c"}).empty());

  EXPECT_TRUE(records().cdr("a", run, 1)->has_value());
  EXPECT_FALSE(records().cdr("b", run, 1)->has_value());  // another tenant's
  EXPECT_FALSE(records().cdr("a", run, 7)->has_value());
  EXPECT_FALSE(records().cdr("a", run + 1, 1)->has_value());
}

TEST_P(StoreContract, CdrRoundTripsExactlyWithItsLegs) {
  std::uint64_t run = beginRun();
  Cdr c = makeCdr(run, 42);
  c.number = "sip:+49 \"30\" \\ 'x' \xc3\xa4";
  c.recording = "/var/rec/a/42.wav";
  c.ivrMs = 4900;
  c.wrapUpEndMs = c.endMs + 7000;
  c.wrapUpMs = 7000;
  c.hangupSide = "agent";
  c.legs = {
      {1, "caller", "+4930123", "", kT0, 0, kT0 + 100, kT0 + 90000, "normal"},
      {2, "agent", "sip:ann@a", "ann", kT0 + 6000, kT0 + 6100, kT0 + 9000, kT0 + 90000, "normal"},
      {3, "agent", "sip:bob@a", "bob \"the\" \xe2\x98\x8e", kT0 + 6000, kT0 + 6100, 0, kT0 + 9000,
       "cancelled"},
      {INT64_MAX, "transfer", "", "", INT64_MIN, -1, 0, INT64_MAX, ""}};
  Cdr noLegs = makeCdr(run, 43);
  append({}, Derived{{c, noLegs}, {}, {}});
  auto got = records().cdr("a", run, 42);
  ASSERT_TRUE(got.ok()) << got.error().message;
  ASSERT_TRUE(got->has_value());
  EXPECT_GT((*got)->id, 0u);
  EXPECT_EQ(describe(**got), describe(c));
  auto listed = cdrs({.tenant = "a"});
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].id, (*got)->id);
  EXPECT_EQ(describe(listed[0]), describe(c));
  EXPECT_EQ(describe(listed[1]), describe(noLegs));
}

TEST_P(StoreContract, AgentStatesOverlappingTheRange) {
  std::uint64_t run = beginRun();
  using S = AgentStateInterval;
  S ready{run, "a", "ann", "ready", "login", 100, 200};
  S onCall{run, "a", "ann", "on_call", "", 200, 300};
  S wrapUp{run, "a", "ann", "wrap_up", "", 300, 400};
  S bob{run, "a", "bob", "not_ready", "lunch", 50, 1000};
  S other{run, "b", "cid", "ready", "", 150, 250};
  append({}, Derived{{}, {ready, onCall, wrapUp, bob, other}, {}});
  auto got = [&](std::int64_t from, std::int64_t to, std::string_view agent = "",
                 std::string_view tenant = "a") {
    auto r = records().agentStates(tenant, from, to, agent);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return describeAll(*r, [](const S& s) { return describe(s); });
  };
  auto d = [](std::initializer_list<S> l) {
    return describeAll(std::vector<S>(l), [](const S& s) { return describe(s); });
  };
  // [from, to) overlaps [start, end): start < to and end > from; by start.
  EXPECT_EQ(got(200, 300), d({bob, onCall}));
  EXPECT_EQ(got(199, 201), d({bob, ready, onCall}));
  EXPECT_EQ(got(0, 2000), d({bob, ready, onCall, wrapUp}));
  EXPECT_EQ(got(200, 300, "ann"), d({onCall}));
  EXPECT_EQ(got(1000, 2000), d({}));
  EXPECT_EQ(got(0, 50), d({}));
  EXPECT_EQ(got(0, 2000, "", "b"), d({other}));
  EXPECT_EQ(got(0, 2000, "cid"), d({}));  // b's agent, asked as a
}

TEST_P(StoreContract, RecordingsQueryAndExpiry) {
  using R = RecordingEntry;
  R r1{1, 1, 1, "a", "ann", "/rec/a/1-1.wav", 1000, 60000, 480000, std::string(64, 'a')};
  R r2{1, 2, 3, "a", "bob", "/rec/a/1-2.wav", 2000, 1000, 8000, std::string(64, 'b')};
  R r3{2, 1, 1, "a", "ann", "/rec/a/2-1.wav", 3000, 5, 40, std::string(64, 'c')};
  R r4{1, 1, 9, "b", "ann", "/rec/b/1-1.wav", 1500, 10, 80, std::string(64, 'd')};
  append({}, Derived{{}, {}, {r3, r1, r4, r2}});
  auto d = [](std::initializer_list<R> l) {
    return describeAll(std::vector<R>(l), [](const R& r) { return describe(r); });
  };
  EXPECT_EQ(recordings({.tenant = "a"}), d({r1, r2, r3}));  // by start
  EXPECT_EQ(recordings({.tenant = "a", .fromMs = 1500, .toMs = 3000}), d({r2}));
  EXPECT_EQ(recordings({.tenant = "a", .fromMs = 2000, .toMs = 3001}), d({r2, r3}));
  EXPECT_EQ(recordings({.tenant = "a", .run = 1, .call = 1}), d({r1}));
  // A call names one run's call: run 0 is not "any run" (ids made up by a client match none).
  EXPECT_EQ(recordings({.tenant = "a", .run = 0, .call = 1}), d({}));
  EXPECT_EQ(recordings({.tenant = "a", .run = 3, .call = 1}), d({}));
  EXPECT_EQ(recordings({.tenant = "a", .agent = "ann"}), d({r1, r3}));
  EXPECT_EQ(recordings({.tenant = "a", .limit = 2}), d({r1, r2}));
  EXPECT_EQ(recordings({.tenant = "b"}), d({r4}));
  EXPECT_EQ(recordings({.tenant = "c"}), d({}));

  auto expired = records().expireRecordings("a", 2500);
  ASSERT_TRUE(expired.ok()) << expired.error().message;
  EXPECT_EQ(describeAll(*expired, [](const R& x) { return describe(x); }), d({r1, r2}));
  EXPECT_EQ(recordings({.tenant = "a"}), d({r3}));
  EXPECT_EQ(recordings({.tenant = "b"}), d({r4}));  // another tenant's, older, untouched
  EXPECT_TRUE(records().expireRecordings("a", 2500)->empty());
  EXPECT_TRUE(records().expireRecordings("a", 3000)->empty());  // before: 3000 is kept
}

TEST_P(StoreContract, RefusesANewerSchema) {
  store_ = {};
  db_->setSchemaVersion(99);
  auto s = db_->open();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::kConflict);
  EXPECT_NE(s.error().message.find("schema version 99"), std::string::npos) << s.error().message;
}

TEST_P(StoreContract, ReopeningKeepsEverything) {
  std::uint64_t run = beginRun();
  Cdr c = makeCdr(run, 1);
  c.legs = {{1, "caller", "+49", "", kT0, 0, kT0 + 1, kT0 + 2, "normal"}};
  AgentStateInterval s{run, "a", "ann", "ready", "", kT0, kT0 + 5};
  RecordingEntry r{run, 1, 1, "a", "ann", "/rec/1.wav", kT0, 1, 2, "ff"};
  std::uint64_t last = append({ev("a", "x", 1), ev("b", "y")}, Derived{{c}, {s}, {r}});
  auto snapshot = [&] {
    std::vector<std::string> out;
    for (const auto& e : read("a")) out.push_back(std::to_string(e.id) + e.event.kind);
    for (const auto& x : cdrs({.tenant = "a"})) out.push_back(describe(x));
    for (const auto& x : sums("a")) out.push_back(x);
    auto states = records().agentStates("a", INT64_MIN, INT64_MAX, "");
    for (const auto& x : *states) out.push_back(describe(x));
    for (const auto& x : recordings({.tenant = "a"})) out.push_back(x);
    return out;
  };
  auto before = snapshot();
  ASSERT_EQ(before.size(), 5u);
  ASSERT_NO_FATAL_FAILURE(reopen());
  EXPECT_EQ(snapshot(), before);
  EXPECT_EQ(*events().lastId(), last);
  EXPECT_EQ(beginRun(), run + 1);
  EXPECT_GT(append({ev("a", "z")}), last);
}

// Index-named (/0, /1) for gtest; PrintTo names them for ctest ("store/StoreContract.X/sqlite").
INSTANTIATE_TEST_SUITE_P(store, StoreContract, ::testing::ValuesIn(kBackends));

}  // namespace
}  // namespace sb::store
