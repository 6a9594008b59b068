#include "recorder/codec.h"

#include <cstring>

namespace sqlguard::recorder {

common::Result<Hash> hash_from_base64(std::string_view text) {
  auto bytes = base64_decode(text);
  if (!bytes) return std::unexpected(bytes.error());
  if (bytes->size() != 32) return common::fail(common::ErrorCode::kInvalidInput, "hash: expected 32 bytes");
  Hash h{};
  std::memcpy(h.data(), bytes->data(), 32);
  return h;
}

}  // namespace sqlguard::recorder
