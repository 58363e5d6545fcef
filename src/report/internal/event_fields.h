#pragma once
// The fields of a stored event body the report engine reads. The event log writes call events
// as {"call":N,"leg":N,"detail":"...","other":N} and ACD/flow events as string fields
// (app/event_log.cpp); ids are read from either form. The only place nlohmann is seen.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sb::report::internal {

/// The fields of one body; absent fields are 0 / "".
struct EventFields {
  std::uint64_t call = 0;
  std::uint64_t leg = 0;
  std::uint64_t other = 0;
  std::string detail;
  std::string agent;
  std::string queue;
  std::string from;
  std::string to;
  std::string reason;
  std::string type;  ///< flow step: node type
  std::string by;    ///< leg_ended: "us" when the node hung the leg up, not the party
};

/// Parses `body`; nullopt when it is not a JSON object or a known field has the wrong type
/// (an id that is neither a number nor a decimal string, a text field that is not a string).
std::optional<EventFields> parseEventFields(std::string_view body);

/// "<path> <N>ms" (recording_stopped) split into path and N; false when it is not that shape.
bool parseRecordingStopped(std::string_view detail, std::string& path, std::int64_t& ms);

}  // namespace sb::report::internal
