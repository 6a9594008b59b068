// The credential vault: the only holder of the database password in the process.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "common/error.h"

namespace sqlguard::db {

/// Reads a secret from a file: the first line, without the line end. Refuses files readable or
/// writable by others (mode & 0006), and empty secrets. Errors name the file, never its content: kUnavailable
/// when it cannot be read, kInvalidInput when it is not a regular file, is accessible by others or is empty.
common::Result<std::string> read_secret_file(const std::filesystem::path& file, std::string_view what);

/// Holds the database password, read from a file or an environment variable at start-up and on
/// reload(). The password is handed only to Connection::open() and is never logged.
/// Thread-safe.
class CredentialVault {
 public:
  /// At most one of `file` and `env` is non-empty (neither: an account without a password).
  /// Errors: as read_secret_file() for the file; kInvalidInput when both are set or the
  /// environment variable is unset.
  static common::Result<CredentialVault> open(std::filesystem::path file, std::string env);

  /// The current password (re-read when the source changed, so a rotated file takes effect
  /// on the next connection). On a failed re-read the previous password is kept.
  std::string password() const;

  /// Every string that must never appear in output: the password itself.
  /// Used by the leak checks in tests and by the error scrubber.
  std::string scrub(std::string text) const;

 private:
  CredentialVault(std::filesystem::path file, std::string env, std::string password);
  std::filesystem::path file_;
  std::string env_;
  std::string password_;
};

}  // namespace sqlguard::db
