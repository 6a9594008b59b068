#include "recorder/codec.h"

#include <cstring>

namespace sqlguard::recorder {

std::expected<Hash, std::string> hash_from_base64(std::string_view text) {
  auto bytes = base64_decode(text);
  if (!bytes) return std::unexpected(bytes.error());
  if (bytes->size() != 32) return std::unexpected("hash: expected 32 bytes");
  Hash h{};
  std::memcpy(h.data(), bytes->data(), 32);
  return h;
}

}  // namespace sqlguard::recorder
