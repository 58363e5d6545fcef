#include "flow/diff.h"

#include <algorithm>
#include <cstdint>

namespace sb::flow {
namespace {

std::vector<std::string_view> splitLines(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    out.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}

using Lines = std::vector<std::string_view>;

// Myers' greedy forward pass keeping, for each d, the band v[-d-1 .. d+1] (trace), then a
// backtrack from (n, m). Returns false when more than `maxD` edits would be needed.
bool myers(const Lines& a, std::size_t a0, std::size_t a1, const Lines& b, std::size_t b0,
           std::size_t b1, std::size_t maxD, std::vector<DiffLine>& out) {
  const auto n = static_cast<std::int64_t>(a1 - a0);
  const auto m = static_cast<std::int64_t>(b1 - b0);
  const std::int64_t limit = std::min<std::int64_t>(n + m, static_cast<std::int64_t>(maxD));
  std::vector<std::vector<std::int64_t>> trace;
  std::vector<std::int64_t> v(static_cast<std::size_t>(2 * limit + 3), 0);
  const std::int64_t off = limit + 1;
  auto at = [&](std::vector<std::int64_t>& vec, std::int64_t k) -> std::int64_t& {
    return vec[static_cast<std::size_t>(k + off)];
  };
  auto same = [&](std::int64_t x, std::int64_t y) {
    return a[a0 + static_cast<std::size_t>(x)] == b[b0 + static_cast<std::size_t>(y)];
  };
  std::int64_t found = -1;
  for (std::int64_t d = 0; d <= limit && found < 0; ++d) {
    trace.emplace_back(v.begin() + (off - d - 1), v.begin() + (off + d + 2));
    for (std::int64_t k = -d; k <= d; k += 2) {
      std::int64_t x =
          (k == -d || (k != d && at(v, k - 1) < at(v, k + 1))) ? at(v, k + 1) : at(v, k - 1) + 1;
      std::int64_t y = x - k;
      while (x < n && y < m && same(x, y)) ++x, ++y;
      at(v, k) = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
  }
  if (found < 0) return false;
  std::vector<DiffLine> rev;
  std::int64_t x = n, y = m;
  for (std::int64_t d = found; d >= 0; --d) {
    const auto& band = trace[static_cast<std::size_t>(d)];  // v before step d, k in [-d-1, d+1]
    auto vb = [&](std::int64_t k) { return band[static_cast<std::size_t>(k + d + 1)]; };
    std::int64_t k = x - y;
    std::int64_t prevK = (k == -d || (k != d && vb(k - 1) < vb(k + 1))) ? k + 1 : k - 1;
    std::int64_t prevX = d == 0 ? 0 : vb(prevK);
    std::int64_t prevY = d == 0 ? 0 : prevX - prevK;
    while (x > prevX && y > prevY) {
      rev.push_back({DiffLine::Op::kKeep, a[a0 + static_cast<std::size_t>(x - 1)]});
      --x, --y;
    }
    if (d > 0) {
      if (x == prevX) {
        rev.push_back({DiffLine::Op::kInsert, b[b0 + static_cast<std::size_t>(y - 1)]});
      } else {
        rev.push_back({DiffLine::Op::kDelete, a[a0 + static_cast<std::size_t>(x - 1)]});
      }
    }
    x = prevX, y = prevY;
  }
  out.insert(out.end(), rev.rbegin(), rev.rend());
  return true;
}

std::string range(std::size_t start, std::size_t len) {
  // Unified format: an empty range names the line before it.
  std::size_t first = len == 0 ? start : start + 1;
  return std::to_string(first) + (len == 1 ? "" : "," + std::to_string(len));
}

}  // namespace

std::vector<DiffLine> diffLines(std::string_view before, std::string_view after,
                                std::size_t maxEdits) {
  Lines a = splitLines(before);
  Lines b = splitLines(after);
  std::size_t pre = 0;
  while (pre < a.size() && pre < b.size() && a[pre] == b[pre]) ++pre;
  std::size_t suf = 0;
  while (suf < a.size() - pre && suf < b.size() - pre &&
         a[a.size() - 1 - suf] == b[b.size() - 1 - suf]) {
    ++suf;
  }
  std::vector<DiffLine> out;
  for (std::size_t i = 0; i < pre; ++i) out.push_back({DiffLine::Op::kKeep, a[i]});
  if (!myers(a, pre, a.size() - suf, b, pre, b.size() - suf, maxEdits, out)) {
    for (std::size_t i = pre; i < a.size() - suf; ++i) out.push_back({DiffLine::Op::kDelete, a[i]});
    for (std::size_t i = pre; i < b.size() - suf; ++i) out.push_back({DiffLine::Op::kInsert, b[i]});
  }
  for (std::size_t i = a.size() - suf; i < a.size(); ++i)
    out.push_back({DiffLine::Op::kKeep, a[i]});
  return out;
}

std::string unifiedDiff(std::string_view before, std::string_view after,
                        std::string_view beforeName, std::string_view afterName,
                        std::size_t context) {
  auto lines = diffLines(before, after);
  std::vector<std::size_t> changes;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].op != DiffLine::Op::kKeep) changes.push_back(i);
  }
  if (changes.empty()) return {};
  std::string out = "--- " + std::string(beforeName) + "\n+++ " + std::string(afterName) + "\n";
  // Line numbers (0-based) in before/after at the start of each edit-script entry.
  std::vector<std::size_t> aPos(lines.size() + 1), bPos(lines.size() + 1);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    aPos[i + 1] = aPos[i] + (lines[i].op != DiffLine::Op::kInsert ? 1 : 0);
    bPos[i + 1] = bPos[i] + (lines[i].op != DiffLine::Op::kDelete ? 1 : 0);
  }
  std::size_t c = 0;
  while (c < changes.size()) {
    std::size_t last = c;
    while (last + 1 < changes.size() && changes[last + 1] - changes[last] <= 2 * context + 1) {
      ++last;
    }
    std::size_t from = changes[c] > context ? changes[c] - context : 0;
    std::size_t to = std::min(lines.size(), changes[last] + context + 1);
    out += "@@ -" + range(aPos[from], aPos[to] - aPos[from]) + " +" +
           range(bPos[from], bPos[to] - bPos[from]) + " @@\n";
    for (std::size_t i = from; i < to; ++i) {
      char mark = lines[i].op == DiffLine::Op::kKeep     ? ' '
                  : lines[i].op == DiffLine::Op::kDelete ? '-'
                                                         : '+';
      out += mark;
      out += lines[i].text;
      out += '\n';
    }
    c = last + 1;
  }
  return out;
}

}  // namespace sb::flow
