#include "db/credential_vault.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

namespace sqlguard::db {

common::Result<std::string> read_secret_file(const std::filesystem::path& file, std::string_view what) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) {
    return common::fail(common::ErrorCode::kUnavailable,
                        std::string(what) + " file " + file.string() + " cannot be read");
  }
  if (!S_ISREG(st.st_mode)) {
    return common::fail(common::ErrorCode::kInvalidInput,
                        std::string(what) + " file " + file.string() + " is not a regular file");
  }
  if ((st.st_mode & 0006) != 0) {
    return common::fail(common::ErrorCode::kInvalidInput, std::string(what) + " file " + file.string() +
                                                              " is accessible by others; run: chmod o-rwx " +
                                                              file.string());
  }
  std::ifstream in(file, std::ios::binary);
  if (!in)
    return common::fail(common::ErrorCode::kUnavailable,
                        std::string(what) + " file " + file.string() + " cannot be read");
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
  if (line.empty())
    return common::fail(common::ErrorCode::kInvalidInput,
                        std::string(what) + " file " + file.string() + " is empty");
  return line;
}

common::Result<CredentialVault> CredentialVault::open(std::filesystem::path file, std::string env) {
  if (!file.empty() && !env.empty()) {
    return common::fail(common::ErrorCode::kInvalidInput,
                        "database credential: set password_file or password_env, not both");
  }
  if (!file.empty()) {
    auto secret = read_secret_file(file, "database password");
    if (!secret) return std::unexpected(secret.error());
    return CredentialVault(std::move(file), "", std::move(*secret));
  }
  if (!env.empty()) {
    const char* v = std::getenv(env.c_str());
    if (v == nullptr || *v == '\0') {
      return common::fail(common::ErrorCode::kInvalidInput,
                          "database credential: environment variable " + env + " is not set");
    }
    return CredentialVault({}, env, v);
  }
  // An account without a password (e.g. unix_socket authentication) is allowed explicitly.
  return CredentialVault({}, "", "");
}

CredentialVault::CredentialVault(std::filesystem::path file, std::string env, std::string password)
    : file_(std::move(file)), env_(std::move(env)), password_(std::move(password)) {}

std::string CredentialVault::password() const {
  if (!file_.empty()) {
    auto secret = read_secret_file(file_, "database password");
    if (secret) return *secret;
  }
  return password_;
}

std::string CredentialVault::scrub(std::string text) const {
  if (password_.size() < 1) return text;
  for (size_t pos = text.find(password_); pos != std::string::npos; pos = text.find(password_, pos)) {
    text.replace(pos, password_.size(), "[credential]");
  }
  return text;
}

}  // namespace sqlguard::db
