#include "store/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>

namespace sb::store {
namespace {

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = "/tmp/sb_store_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string db() const { return dir_ + "/sub/events.db"; }
  std::string dir_;
};

Event ev(std::string tenant, std::string kind, std::int64_t t = 1) {
  return Event{t, std::move(tenant), "call", std::move(kind), "{\"n\":1}"};
}

TEST_F(SqliteStoreTest, AppendsAndReadsPerTenantInOrder) {
  auto s = SqliteStore::open({db()});
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ((*s)->schemaVersion(), 2);
  auto last = (*s)->append({ev("a", "answered"), ev("b", "answered"), ev("a", "call_ended")}, {});
  ASSERT_TRUE(last.ok()) << last.error().message;
  EXPECT_EQ(*last, 3u);
  auto a = (*s)->read("a", 0, 100);
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->size(), 2u);
  EXPECT_EQ((*a)[0].id, 1u);
  EXPECT_EQ((*a)[0].event.kind, "answered");
  EXPECT_EQ((*a)[1].id, 3u);
  EXPECT_EQ((*a)[1].event.body, "{\"n\":1}");
  auto resumed = (*s)->read("a", 1, 100);
  ASSERT_TRUE(resumed.ok());
  ASSERT_EQ(resumed->size(), 1u);
  EXPECT_EQ((*resumed)[0].id, 3u);
  EXPECT_TRUE((*s)->read("c", 0, 100)->empty());  // no other tenant's events, ever
  EXPECT_EQ(*(*s)->lastId(), 3u);
}

TEST_F(SqliteStoreTest, ReopeningKeepsEventsAndSchema) {
  {
    auto s = SqliteStore::open({db()});
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE((*s)->append({ev("a", "x"), ev("a", "y")}, {}).ok());
  }
  auto s = SqliteStore::open({db()});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*(*s)->lastId(), 2u);
  EXPECT_EQ(*(*s)->append({ev("a", "z")}, {}), 3u);
}

TEST_F(SqliteStoreTest, RefusesANewerSchema) {
  { ASSERT_TRUE(SqliteStore::open({db()}).ok()); }
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open(db().c_str(), &h), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(h, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(h);
  auto s = SqliteStore::open({db()});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::kConflict);
  EXPECT_NE(s.error().message.find("schema version 99"), std::string::npos);
}

// A database written by the first release (schema 1: events only) is upgraded in place:
// its events stay, belong to run 0, and the derived tables appear.
TEST_F(SqliteStoreTest, UpgradesAVersion1DatabaseKeepingItsEvents) {
  std::filesystem::create_directories(dir_ + "/sub");
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open(db().c_str(), &h), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(h,
                         "CREATE TABLE events (id INTEGER PRIMARY KEY, time_ms INTEGER NOT NULL,"
                         " tenant TEXT NOT NULL, source TEXT NOT NULL, kind TEXT NOT NULL,"
                         " body TEXT NOT NULL);"
                         "CREATE INDEX events_by_tenant ON events (tenant, id);"
                         "INSERT INTO events (time_ms, tenant, source, kind, body)"
                         " VALUES (7, 'a', 'call', 'answered', '{}');"
                         "PRAGMA user_version = 1;",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(h);
  auto s = SqliteStore::open({db()});
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ((*s)->schemaVersion(), 2);
  auto old = (*s)->read("a", 0, 10);
  ASSERT_TRUE(old.ok());
  ASSERT_EQ(old->size(), 1u);
  EXPECT_EQ((*old)[0].run, 0u);
  EXPECT_EQ((*old)[0].event.timeMs, 7);
  CdrQuery q;
  q.tenant = "a";
  auto cdrs = (*s)->cdrs(q);
  ASSERT_TRUE(cdrs.ok()) << cdrs.error().message;
  EXPECT_TRUE(cdrs->empty());
}

TEST_F(SqliteStoreTest, UnopenablePathIsAnIoError) {
  auto s = SqliteStore::open({"/proc/nope/events.db"});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::kIo);
}

TEST_F(SqliteStoreTest, TextIsStoredExactly) {
  auto s = SqliteStore::open({db()});
  ASSERT_TRUE(s.ok());
  std::string odd = std::string("quote ' and \" and NUL-free UTF-8 \xe4\xbd\xa0\xe5\xa5\xbd ") +
                    "'); DROP TABLE events; --";
  ASSERT_TRUE((*s)->append({Event{5, "a", "flow", odd, odd}}, {}).ok());
  auto r = (*s)->read("a", 0, 10);
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].event.kind, odd);
  EXPECT_EQ((*r)[0].event.body, odd);
  EXPECT_EQ((*r)[0].event.timeMs, 5);
}

}  // namespace
}  // namespace sb::store
