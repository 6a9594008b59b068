// Byte-level helpers shared by the recorder: SHA-256 (OpenSSL 3 EVP), base64 (RFC 4648 §4, with
// padding) and lowercase hex.
//
// Thread-safety: all functions are pure and safe to call from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

namespace sqlguard::recorder {

/// A SHA-256 digest (32 bytes). Used for leaf hashes, node hashes and Merkle roots (RFC 6962).
using Hash = std::array<uint8_t, 32>;

/// SHA-256 of `data` (FIPS 180-4) via OpenSSL EVP.
Hash sha256(std::string_view data);

/// SHA-256 of the concatenation of `prefix` (one byte) and `data`; used for RFC 6962 domain
/// separation without copying the input.
Hash sha256_prefixed(uint8_t prefix, std::string_view data);

/// Views a hash as bytes.
std::string_view as_bytes(const Hash& hash);

/// Standard base64 with padding (RFC 4648 §4) of `data`.
std::string base64_encode(std::string_view data);
inline std::string base64_encode(const Hash& hash) { return base64_encode(as_bytes(hash)); }

/// Strict base64 decode (RFC 4648 §4, padding required, no whitespace, canonical encoding only).
/// Errors: a message naming the problem.
std::expected<std::string, std::string> base64_decode(std::string_view text);

/// Decodes a base64 SHA-256 digest. Errors: not base64 or not 32 bytes.
std::expected<Hash, std::string> hash_from_base64(std::string_view text);

/// Lowercase hex of `data`.
std::string hex_encode(std::string_view data);
inline std::string hex_encode(const Hash& hash) { return hex_encode(as_bytes(hash)); }

/// Decodes hex (either case). Errors: odd length or a non-hex character.
std::expected<std::string, std::string> hex_decode(std::string_view text);

}  // namespace sqlguard::recorder
