#include "common/random.h"

#include <openssl/rand.h>

#include <climits>

#include "common/bytes.h"

namespace sqlguard::common {

Result<std::string> random_bytes(std::size_t n) {
  if (n > static_cast<std::size_t>(INT_MAX))
    return fail(ErrorCode::kInternal, "random_bytes: too many bytes requested");
  std::string out(n, '\0');
  if (n > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    return fail(ErrorCode::kInternal, "the CSPRNG (OpenSSL RAND_bytes) failed");
  }
  return out;
}

Result<std::string> random_hex_id(std::string_view prefix, std::size_t n) {
  auto bytes = random_bytes(n);
  if (!bytes) return std::unexpected(bytes.error());
  return std::string(prefix) + hex_encode(*bytes);
}

}  // namespace sqlguard::common
