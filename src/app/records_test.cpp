#include "app/records.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "store/sqlite_store.h"

namespace sb::app {
namespace {

namespace fs = std::filesystem;

class RecordsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = "/tmp/sb_records_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    fs::create_directories(dir_ + "/rec/a");
    fs::create_directories(dir_ + "/rec/b");
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string file(const std::string& rel, const std::string& content) {
    std::string p = dir_ + "/" + rel;
    std::ofstream(p) << content;
    return p;
  }
  std::string dir_;
};

store::RecordingEntry entry(std::string tenant, std::uint64_t leg, std::string path,
                            std::int64_t startMs) {
  store::RecordingEntry e;
  e.run = 1;
  e.call = leg;
  e.leg = leg;
  e.tenant = std::move(tenant);
  e.path = std::move(path);
  e.startMs = startMs;
  return e;
}

TEST_F(RecordsTest, FileDigestIsSizeAndSha256) {
  auto d = fileDigest(file("rec/a/x.wav", "abc"));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->first, 3);
  EXPECT_EQ(d->second, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_FALSE(fileDigest(dir_ + "/missing.wav").ok());
}

// Each tenant keeps its own number of days; files outside the recordings directory are never
// deleted even if the index names them; a tenant keeping forever loses nothing.
TEST_F(RecordsTest, RetentionRemovesOnlyWhatEachTenantNoLongerKeeps) {
  constexpr std::int64_t kDay = 86'400'000;
  const std::int64_t now = 1000 * kDay;
  auto db = store::SqliteStore::open({dir_ + "/s.db"});
  ASSERT_TRUE(db.ok());
  std::string oldA = file("rec/a/old.wav", "1"), newA = file("rec/a/new.wav", "2");
  std::string oldB = file("rec/b/old.wav", "3"), outside = file("outside.wav", "4");
  store::Derived d;
  d.recordings = {entry("a", 1, oldA, now - 40 * kDay), entry("a", 2, newA, now - 10 * kDay),
                  entry("a", 3, outside, now - 40 * kDay), entry("b", 4, oldB, now - 400 * kDay)};
  ASSERT_TRUE((*db)->append({}, d).ok());
  Config c;
  c.media.recordingDir = dir_ + "/rec";
  c.tenants.resize(2);
  c.tenants[0].id = "a";
  c.tenants[0].recordingRetentionDays = 30;
  c.tenants[1].id = "b";  // keeps forever
  EXPECT_EQ(expireRecordings(**db, c, now), 2u);
  EXPECT_FALSE(fs::exists(oldA));
  EXPECT_TRUE(fs::exists(newA));
  EXPECT_TRUE(fs::exists(outside));  // not under the recordings directory
  EXPECT_TRUE(fs::exists(oldB));
  store::RecordingQuery q;
  q.tenant = "a";
  EXPECT_EQ((*db)->recordings(q)->size(), 1u);
  q.tenant = "b";
  EXPECT_EQ((*db)->recordings(q)->size(), 1u);
}

}  // namespace
}  // namespace sb::app
