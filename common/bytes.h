// Byte-level helpers for every library: SHA-256 (FIPS 180-4, OpenSSL 3 EVP), base64 (RFC 4648
// §4, padded), base64url (RFC 4648 §5, unpadded as in RFC 7515 §2) and lowercase hex.
//
// Thread-safety: all functions are pure and safe to call from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"

namespace sqlguard::common {

/// A SHA-256 digest (32 bytes).
using Sha256Digest = std::array<uint8_t, 32>;

/// SHA-256 of `data`. Aborts only if OpenSSL cannot allocate a digest context (environment
/// failure, never input-dependent).
Sha256Digest sha256(std::string_view data);

/// SHA-256 of `prefix` (one byte) followed by `data`, without copying `data` (RFC 6962 domain
/// separation: 0x00 for leaves, 0x01 for nodes).
Sha256Digest sha256_prefixed(uint8_t prefix, std::string_view data);

/// Views a digest as bytes.
std::string_view as_bytes(const Sha256Digest& digest);

/// Standard base64 with padding (RFC 4648 §4).
std::string base64_encode(std::string_view data);
inline std::string base64_encode(const Sha256Digest& d) { return base64_encode(as_bytes(d)); }

/// Strict base64 decode (RFC 4648 §4: padding required, no whitespace, canonical encoding only).
/// Errors: kInvalidInput, the message naming the problem.
Result<std::string> base64_decode(std::string_view text);

/// base64url without padding (RFC 4648 §5, RFC 7515 §2).
std::string base64url_encode(std::string_view data);

/// Decodes base64url without padding; also accepts trailing "=" padding. Rejects characters
/// outside the base64url alphabet and non-canonical encodings (non-zero unused bits).
std::optional<std::string> base64url_decode(std::string_view text);

/// Lowercase hex of `data` (2 characters per byte).
std::string hex_encode(std::string_view data);
inline std::string hex_encode(const Sha256Digest& d) { return hex_encode(as_bytes(d)); }

/// Decodes hex (either case). Errors: kInvalidInput for odd length or a non-hex character.
Result<std::string> hex_decode(std::string_view text);

/// base64 (RFC 4648 §4) of SHA-256(data): 44 characters. The form of `statement.sha256` and
/// `result_sha256` in audit records.
inline std::string sha256_base64(std::string_view data) { return base64_encode(sha256(data)); }

/// Lowercase hex of SHA-256(data): 64 characters.
inline std::string sha256_hex(std::string_view data) { return hex_encode(sha256(data)); }

}  // namespace sqlguard::common
