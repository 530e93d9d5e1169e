// TempDir: a fresh directory under the test's temporary directory, removed with everything
// in it when the TempDir goes out of scope. Shared by the tests that touch the disk.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

#include "crypto/assert.h"

namespace hotbft::testing {

class TempDir {
 public:
  TempDir() {
    std::string pattern = ::testing::TempDir() + "hotbft-XXXXXX";
    const char* made = mkdtemp(pattern.data());
    HOTBFT_ASSERT(made != nullptr);
    path_ = made;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // A path inside the directory (not created).
  std::string Sub(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

}  // namespace hotbft::testing
