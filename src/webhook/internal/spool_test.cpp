#include "webhook/internal/spool.h"

#include <gtest/gtest.h>

#include <fstream>

#include "webhook/internal/test_dir.h"

namespace sb::webhook::internal {
namespace {

constexpr std::uint64_t kNoCap = 1ull << 40;

/// A spool line of `size` bytes (newline excluded) for event `id`.
Record rec(std::uint64_t id, std::size_t size = 40) {
  std::string line = "{\"id\":" + std::to_string(id) + ",\"pad\":\"";
  line += std::string(size > line.size() + 2 ? size - line.size() - 2 : 0, 'x');
  line += "\"}";
  return Record{id, line};
}

std::vector<Record> recs(std::uint64_t first, std::uint64_t last, std::size_t size = 40) {
  std::vector<Record> out;
  for (std::uint64_t id = first; id <= last; ++id) out.push_back(rec(id, size));
  return out;
}

std::vector<std::uint64_t> ids(const Batch& b) {
  std::vector<std::uint64_t> out;
  for (const auto& r : b.records) out.push_back(recordId(r));
  return out;
}

class SpoolTest : public ::testing::Test {
 protected:
  Spool open() {
    auto s = Spool::open(dir_.path(), "t");
    EXPECT_TRUE(s.ok()) << s.error().message;
    return std::move(*s);
  }
  std::filesystem::path file() const { return dir_.path() / "t.spool"; }
  void writeFile(const std::string& text) { std::ofstream(file(), std::ios::binary) << text; }

  TestDir dir_;
};

TEST(RecordId, ReadsTheLeadingIdOnly) {
  EXPECT_EQ(recordId(R"({"id":17,"x":1})"), 17u);
  EXPECT_EQ(recordId(R"({"id":17})"), 17u);
  EXPECT_EQ(recordId(R"({"run":1,"id":17})"), 0u);
  EXPECT_EQ(recordId(R"({"id":17)"), 0u);
  EXPECT_EQ(recordId(R"({"id":x})"), 0u);
  EXPECT_EQ(recordId(""), 0u);
}

TEST_F(SpoolTest, AppendsReadsInIdOrderAndTruncatesOnceAllIsDelivered) {
  Spool s = open();
  EXPECT_EQ(s.pending(), 0u);
  ASSERT_EQ(*s.append(recs(1, 3), kNoCap), 0u);
  EXPECT_EQ(s.pending(), 3u);
  auto b = s.readBatch(2, 1 << 20);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(ids(*b), (std::vector<std::uint64_t>{1, 2}));
  EXPECT_EQ(b->firstId, 1u);
  EXPECT_EQ(b->lastId, 2u);
  Resolved r = s.resolve(*b);
  EXPECT_EQ(r.events, 2u);
  EXPECT_EQ(s.pending(), 1u);
  EXPECT_GT(s.fileBytes(), 0u);
  auto rest = s.readBatch(10, 1 << 20);
  EXPECT_EQ(ids(*rest), (std::vector<std::uint64_t>{3}));
  s.resolve(*rest);
  EXPECT_EQ(s.pending(), 0u);
  EXPECT_EQ(s.fileBytes(), 0u);
  EXPECT_EQ(std::filesystem::file_size(file()), 0u) << "compacted";
  ASSERT_EQ(*s.append(recs(4, 4), kNoCap), 0u);
  EXPECT_EQ(ids(*s.readBatch(10, 1 << 20)), (std::vector<std::uint64_t>{4}));
}

TEST_F(SpoolTest, ABatchStopsBeforeMaxBytesButHoldsAtLeastOneRecord) {
  Spool s = open();
  ASSERT_TRUE(s.append(recs(1, 3, 100), kNoCap).ok());
  EXPECT_EQ(s.readBatch(10, 250)->records.size(), 2u);
  EXPECT_EQ(s.readBatch(10, 10)->records.size(), 1u);
}

TEST_F(SpoolTest, ReopenedItResumesAfterTheCursor) {
  {
    Spool s = open();
    ASSERT_TRUE(s.append(recs(1, 5), kNoCap).ok());
    auto b = s.readBatch(2, 1 << 20);
    s.resolve(*b);
    ASSERT_TRUE(writeCursor(s.cursorPath(), b->lastId).ok());
  }
  Spool s = open();
  EXPECT_EQ(s.pending(), 3u);
  EXPECT_EQ(ids(*s.readBatch(10, 1 << 20)), (std::vector<std::uint64_t>{3, 4, 5}));
}

TEST_F(SpoolTest, ReopenedWithEverythingDeliveredItStartsEmpty) {
  {
    Spool s = open();
    ASSERT_TRUE(s.append(recs(1, 2), kNoCap).ok());
    ASSERT_TRUE(writeCursor(s.cursorPath(), 2).ok());  // delivered, truncation lost in a crash
  }
  Spool s = open();
  EXPECT_EQ(s.pending(), 0u);
  EXPECT_EQ(std::filesystem::file_size(file()), 0u);
}

TEST_F(SpoolTest, ATornLastLineIsCutOff) {
  writeFile(rec(1).line + "\n" + rec(2).line + "\n" + "{\"id\":3,\"pa");
  Spool s = open();
  EXPECT_EQ(s.pending(), 2u);
  EXPECT_EQ(s.fileBytes(), 2 * (rec(1).line.size() + 1));
  ASSERT_TRUE(s.append(recs(3, 3), kNoCap).ok());
  EXPECT_EQ(ids(*s.readBatch(10, 1 << 20)), (std::vector<std::uint64_t>{1, 2, 3}));
}

TEST_F(SpoolTest, DamagedLinesAreSkippedAndReported) {
  writeFile(rec(1).line + "\nnot a record\n{\"id\":2,broken\n" + rec(3).line + "\n");
  Spool s = open();
  EXPECT_EQ(s.pending(), 4u);
  auto b = s.readBatch(10, 1 << 20);
  EXPECT_EQ(ids(*b), (std::vector<std::uint64_t>{1, 3}));
  EXPECT_EQ(b->lines, 4u);
  Resolved r = s.resolve(*b);
  EXPECT_EQ(r.events, 2u);
  EXPECT_EQ(r.corrupt, 2u);
  EXPECT_EQ(s.pending(), 0u);
}

TEST_F(SpoolTest, OverTheCapTheOldestUndeliveredAreDroppedAndTheFileStaysBounded) {
  Spool s = open();
  const std::uint64_t cap = 1000;
  std::size_t dropped = 0;
  for (std::uint64_t id = 1; id <= 60; ++id) {
    auto r = s.append(recs(id, id, 99), cap);  // 100 bytes a line
    ASSERT_TRUE(r.ok()) << r.error().message;
    dropped += *r;
    EXPECT_LE(std::filesystem::file_size(file()), cap) << id;
  }
  EXPECT_GT(dropped, 0u);
  EXPECT_EQ(dropped + s.pending(), 60u);
  auto b = s.readBatch(100, 1 << 20);
  ASSERT_FALSE(b->records.empty());
  EXPECT_EQ(b->lastId, 60u) << "the newest are kept";
  EXPECT_EQ(b->lastId - b->firstId + 1, b->records.size()) << "contiguous";
}

TEST_F(SpoolTest, ReachingTheCapWithADeliveredPrefixCompactsWithoutDropping) {
  Spool s = open();
  const std::uint64_t cap = 1000;
  ASSERT_EQ(*s.append(recs(1, 8, 99), cap), 0u);
  s.resolve(*s.readBatch(6, 1 << 20));
  EXPECT_EQ(s.pending(), 2u);
  ASSERT_EQ(*s.append(recs(9, 11, 99), cap), 0u) << "rewritten, nothing dropped";
  EXPECT_EQ(s.pending(), 5u);
  EXPECT_EQ(s.fileBytes(), 500u);
  EXPECT_EQ(ids(*s.readBatch(10, 1 << 20)), (std::vector<std::uint64_t>{7, 8, 9, 10, 11}));
}

TEST_F(SpoolTest, ABatchOutWhileItsRecordsAreDroppedIsNoLongerHeld) {
  Spool s = open();
  const std::uint64_t cap = 1000;
  ASSERT_TRUE(s.append(recs(1, 3, 99), cap).ok());
  auto out = s.readBatch(3, 1 << 20);
  ASSERT_TRUE(s.holds(*out));
  ASSERT_EQ(*s.append(recs(4, 11, 99), cap), 6u);  // 1100 bytes: the oldest go, 500 stay
  EXPECT_FALSE(s.holds(*out));
  std::size_t before = s.pending();
  Resolved r = s.resolve(*out);  // delivered anyway: only what is left of it goes
  EXPECT_EQ(r.events, 0u);
  EXPECT_EQ(s.pending(), before);
  EXPECT_EQ(ids(*s.readBatch(10, 1 << 20)), (std::vector<std::uint64_t>{7, 8, 9, 10, 11}));
}

TEST_F(SpoolTest, ARewriteThatKeepsTheBatchStillResolvesIt) {
  Spool s = open();
  const std::uint64_t cap = 1000;
  ASSERT_TRUE(s.append(recs(1, 6, 99), cap).ok());
  s.resolve(*s.readBatch(4, 1 << 20));
  auto out = s.readBatch(1, 1 << 20);              // id 5
  ASSERT_EQ(*s.append(recs(7, 11, 99), cap), 0u);  // compaction only: offsets change
  EXPECT_TRUE(s.holds(*out));
  Resolved r = s.resolve(*out);
  EXPECT_EQ(r.events, 1u);
  EXPECT_EQ(s.readBatch(10, 1 << 20)->firstId, 6u);
}

TEST_F(SpoolTest, CursorFilesRoundTripAndDamageIsReported) {
  auto path = dir_.path() / "c.cursor";
  EXPECT_EQ(*readCursor(path), 0u) << "missing: nothing delivered yet";
  ASSERT_TRUE(writeCursor(path, 42).ok());
  EXPECT_EQ(*readCursor(path), 42u);
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "c.cursor.tmp"));
  std::ofstream(path) << "garbage";
  EXPECT_EQ(readCursor(path).error().code, Errc::kInvalidInput);
}

TEST(Spool, AnUnusableDirectoryIsAnIoError) {
  TestDir dir;
  std::ofstream(dir.path() / "file") << "x";
  auto s = Spool::open(dir.path() / "file" / "sub", "t");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::kIo);
}

}  // namespace
}  // namespace sb::webhook::internal
