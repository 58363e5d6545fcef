#include "store/records.h"

#include <array>

namespace sb::store {
namespace {

constexpr std::array<const char*, 8> kDispositionNames = {
    "answered", "abandoned", "callback", "left", "self_service", "unanswered", "outbound",
    "interrupted"};

}  // namespace

const char* dispositionName(Disposition d) {
  return kDispositionNames[static_cast<std::size_t>(d)];
}

bool dispositionFromName(std::string_view name, Disposition& out) {
  for (std::size_t i = 0; i < kDispositionNames.size(); ++i) {
    if (name == kDispositionNames[i]) {
      out = static_cast<Disposition>(i);
      return true;
    }
  }
  return false;
}

}  // namespace sb::store
