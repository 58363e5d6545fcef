#include "flow/diff.h"

#include <gtest/gtest.h>

namespace sb::flow {
namespace {

// Applies an edit script to check it turns `before` into `after`.
std::string replay(const std::vector<DiffLine>& lines, bool after) {
  std::string out;
  for (const auto& l : lines) {
    bool keep = l.op == DiffLine::Op::kKeep ||
                (after ? l.op == DiffLine::Op::kInsert : l.op == DiffLine::Op::kDelete);
    if (keep) out += std::string(l.text) + "\n";
  }
  return out;
}

TEST(Diff, IdenticalTextsHaveNoDiff) {
  EXPECT_EQ(unifiedDiff("a\nb\n", "a\nb\n", "v1", "v2"), "");
}

TEST(Diff, OneChangedLineWithContext) {
  std::string before = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
  std::string after = "1\n2\n3\n4\nFIVE\n6\n7\n8\n9\n";
  EXPECT_EQ(unifiedDiff(before, after, "main v1", "main v2"),
            "--- main v1\n+++ main v2\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+FIVE\n 6\n 7\n 8\n");
}

TEST(Diff, FirstVersionIsAllInsertions) {
  EXPECT_EQ(unifiedDiff("", "a\nb\n", "/dev/null", "f v1"),
            "--- /dev/null\n+++ f v1\n@@ -0,0 +1,2 @@\n+a\n+b\n");
}

TEST(Diff, SeparateHunksWhenChangesAreFarApart) {
  std::string before, after;
  for (int i = 1; i <= 20; ++i) {
    before += std::to_string(i) + "\n";
    after += (i == 2 ? "two" : i == 18 ? "eighteen" : std::to_string(i)) + "\n";
  }
  std::string d = unifiedDiff(before, after, "a", "b");
  EXPECT_NE(d.find("@@ -1,5 +1,5 @@"), std::string::npos) << d;
  EXPECT_NE(d.find("@@ -15,6 +15,6 @@"), std::string::npos) << d;
}

TEST(Diff, EditScriptIsMinimalAndReproducesBothTexts) {
  std::string a = "a\nb\nc\na\nb\nb\na\n";
  std::string b = "c\nb\na\nb\na\nc\n";
  auto lines = diffLines(a, b);
  EXPECT_EQ(replay(lines, false), a);
  EXPECT_EQ(replay(lines, true), b);
  std::size_t edits = 0;
  for (const auto& l : lines) edits += l.op != DiffLine::Op::kKeep;
  EXPECT_EQ(edits, 5u);  // Myers' classic example: D = 5
}

TEST(Diff, FallsBackBeyondTheEditLimit) {
  std::string a, b;
  for (int i = 0; i < 50; ++i) {
    a += "a" + std::to_string(i) + "\n";
    b += "b" + std::to_string(i) + "\n";
  }
  auto lines = diffLines(a, b, 10);
  EXPECT_EQ(replay(lines, false), a);
  EXPECT_EQ(replay(lines, true), b);
  EXPECT_EQ(lines.size(), 100u);
}

TEST(Diff, DeletionAtTheEndAndMissingFinalNewline) {
  auto d = unifiedDiff("x\ny\nz", "x\ny\n", "a", "b");
  EXPECT_EQ(d, "--- a\n+++ b\n@@ -1,3 +1,2 @@\n x\n y\n-z\n");
}

}  // namespace
}  // namespace sb::flow
