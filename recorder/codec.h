// The recorder's byte vocabulary: RFC 6962 hashes are SHA-256 digests (common/bytes.h); this
// header names them `Hash` and adds the one recorder-specific parse, a base64 hash.
//
// Thread-safety: all functions are pure and safe to call from any thread.
#pragma once

#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/error.h"

namespace sqlguard::recorder {

/// A SHA-256 digest (32 bytes). Used for leaf hashes, node hashes and Merkle roots (RFC 6962).
using Hash = common::Sha256Digest;

using common::as_bytes;
using common::base64_decode;
using common::base64_encode;
using common::hex_decode;
using common::hex_encode;
using common::sha256;
using common::sha256_prefixed;

/// Decodes a base64 SHA-256 digest. Errors: kInvalidInput (not base64 or not 32 bytes).
common::Result<Hash> hash_from_base64(std::string_view text);

}  // namespace sqlguard::recorder
