#pragma once
// Line diff (Myers' O(ND) algorithm) rendered in unified format, for the flow change history
// (F2: every change recorded). Pure; any thread.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sb::flow {

/// One line of an edit script: kept, deleted from `before` or inserted from `after`.
struct DiffLine {
  enum class Op : std::uint8_t { kKeep, kDelete, kInsert };
  Op op = Op::kKeep;
  std::string_view text;  ///< points into the compared texts
};

/// The shortest edit script turning `before` into `after`, line by line. Beyond `maxEdits`
/// changed lines it falls back to "delete everything, insert everything" (bounded memory).
std::vector<DiffLine> diffLines(std::string_view before, std::string_view after,
                                std::size_t maxEdits = 2000);

/// Unified diff ("--- a", "+++ b", "@@ -1,3 +1,4 @@" hunks with `context` lines around each
/// change); empty when the texts have the same lines.
std::string unifiedDiff(std::string_view before, std::string_view after,
                        std::string_view beforeName, std::string_view afterName,
                        std::size_t context = 3);

}  // namespace sb::flow
