// libFuzzer target for JSON request bodies: any input is rejected or parsed within the depth
// limit, what parses dumps and parses again, and error messages stay short (never the body).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "api/json_body.h"

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  for (std::size_t depth : {std::size_t{0}, std::size_t{3}, sb::api::kMaxJsonDepth}) {
    sb::Result<nlohmann::json> r = sb::api::parseJsonBody(body, depth);
    if (!r.ok()) {
      check(r.error().code == sb::Errc::kInvalidInput);
      check(r.error().message.size() < 256);
      check(sb::api::errorResponse(r.error()).status == 400);
      continue;
    }
    std::string text = r->dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
    check(sb::api::parseJsonBody(text, depth).ok());
  }
  sb::Result<nlohmann::json> object = sb::api::parseJsonObject(body);
  check(!object.ok() || object->is_object());
  return 0;
}
