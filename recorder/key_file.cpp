#include "recorder/key_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace sqlguard::recorder {
namespace {

common::Result<void> write_new_file(const std::filesystem::path& path, const std::string& data, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0)
    return common::fail(common::ErrorCode::kUnavailable, path.string() + ": " + std::strerror(errno));
  ::fchmod(fd, mode);  // umask may have narrowed it; the private key must stay exactly 0600
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      return common::fail(common::ErrorCode::kUnavailable, path.string() + ": " + std::strerror(e));
    }
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    int e = errno;
    ::close(fd);
    return common::fail(common::ErrorCode::kUnavailable, path.string() + ": fsync: " + std::strerror(e));
  }
  ::close(fd);
  return {};
}

}  // namespace

common::Result<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return common::fail(common::ErrorCode::kUnavailable,
                        path.string() + ": cannot open: " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return common::fail(common::ErrorCode::kUnavailable, path.string() + ": read error");
  return ss.str();
}

common::Result<KeyPairFiles> write_key_pair(std::string_view name, const std::filesystem::path& prefix) {
  auto signer = NoteSigner::generate(name);
  if (!signer) return std::unexpected(signer.error());
  KeyPairFiles files{prefix, prefix};
  files.private_key += ".key";
  files.public_key += ".pub";
  std::error_code ec;
  if (std::filesystem::exists(files.private_key, ec) || std::filesystem::exists(files.public_key, ec))
    return common::fail(
        common::ErrorCode::kInvalidInput,
        "refusing to overwrite " + files.private_key.string() + " or " + files.public_key.string());
  if (auto r = write_new_file(files.private_key, signer->skey() + "\n", 0600); !r)
    return std::unexpected(r.error());
  if (auto r = write_new_file(files.public_key, signer->verifier().vkey() + "\n", 0644); !r)
    return std::unexpected(r.error());
  return files;
}

common::Result<NoteSigner> load_signer_file(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return common::fail(common::ErrorCode::kUnavailable, path.string() + ": " + std::strerror(errno));
  if ((st.st_mode & 077) != 0)
    return common::fail(
        common::ErrorCode::kInvalidInput,
        path.string() + ": private key is accessible by group or others (mode " +
            [&] {
              char buf[8];
              std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(st.st_mode & 07777));
              return std::string(buf);
            }() +
            "); run: chmod 600 " + path.string());
  auto text = read_file(path);
  if (!text) return std::unexpected(text.error());
  auto signer = NoteSigner::parse(*text);
  if (!signer) return std::unexpected(common::prefixed(path.string() + ": ", signer.error()));
  return signer;
}

common::Result<NoteVerifier> load_verifier_file(const std::filesystem::path& path) {
  auto text = read_file(path);
  if (!text) return std::unexpected(text.error());
  auto v = NoteVerifier::parse(*text);
  if (!v) return std::unexpected(common::prefixed(path.string() + ": ", v.error()));
  return v;
}

}  // namespace sqlguard::recorder
