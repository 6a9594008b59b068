// Temporary directories for tests: unique (mkdtemp), under the system temp directory.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

namespace sqlguard::test_support {

/// Creates a new empty directory "sqlguard-<name>-XXXXXX" (mode 0700) and returns its path. It
/// is left behind for inspection; use TempDir to remove it at scope exit.
inline std::filesystem::path make_temp_dir(std::string_view name) {
  std::string tmpl =
      (std::filesystem::temp_directory_path() / ("sqlguard-" + std::string(name) + "-XXXXXX")).string();
  if (::mkdtemp(tmpl.data()) == nullptr)
    throw std::system_error(errno, std::generic_category(), "mkdtemp " + tmpl);
  return tmpl;
}

/// A directory from make_temp_dir(), removed with its contents when this object goes away.
class TempDir {
 public:
  explicit TempDir(std::string_view name = "test") : path_(make_temp_dir(name)) {}
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace sqlguard::test_support
