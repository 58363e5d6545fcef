#pragma once
// For tests: a fresh directory under the system's temporary directory, removed afterwards.

#include <stdlib.h>

#include <filesystem>
#include <string>

namespace sb::webhook::internal {

/// A directory made by mkdtemp(3) for one test; removed with its contents on destruction.
class TestDir {
 public:
  TestDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "sb_webhook_XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~TestDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TestDir(const TestDir&) = delete;
  TestDir& operator=(const TestDir&) = delete;

  /// The directory; empty when it could not be made.
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace sb::webhook::internal
