// The masking methods: how one value is replaced once a masking rule or value detector decided
// that it must not leave sqlguard.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"
#include "common/result_set.h"
#include "policy/masking_config.h"

namespace sqlguard::policy {

/// Stable lower-case name of a method: "redact", "partial", "email", "hash", "null", "fixed".
std::string_view to_string(MaskingMethod method);
/// Inverse of to_string(); std::nullopt for an unknown name.
std::optional<MaskingMethod> masking_method_from_string(std::string_view name);

/// A keyed hash: HMAC-SHA256 (RFC 2104 over FIPS 180-4 SHA-256) with a fixed key, computed with
/// OpenSSL 3's EVP_MAC. The key schedule is computed once in create(); each digest() duplicates
/// the prepared context, so one KeyedHasher is safe to use from many threads at once.
class KeyedHasher {
 public:
  /// Prepares HMAC-SHA256 with `key` (any bytes; must not be empty). Errors: kInvalidInput for
  /// an empty key; kInternal for OpenSSL without HMAC/SHA-256 (message names the failing step,
  /// never the key).
  static common::Result<std::unique_ptr<KeyedHasher>> create(std::string_view key);
  ~KeyedHasher();
  KeyedHasher(const KeyedHasher&) = delete;
  KeyedHasher& operator=(const KeyedHasher&) = delete;

  /// HMAC-SHA256(key, data) as 64 lower-case hex characters; "" only if OpenSSL fails (callers
  /// treat that as a masking error and fail closed).
  std::string hex_digest(std::string_view data) const;

 private:
  struct State;
  explicit KeyedHasher(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

/// The parameters of one masking method, taken from a MaskingRule or a ValueDetector.
struct MaskerOptions {
  MaskingMethod method = MaskingMethod::kRedact;
  std::string token = "[REDACTED]";  ///< kRedact
  uint32_t keep_first = 0;           ///< kPartial, in characters (UTF-8 code points)
  uint32_t keep_last = 4;            ///< kPartial, in characters (UTF-8 code points)
  uint32_t hash_length = 16;         ///< kHash: hex characters kept, 8..64
  std::string value;                 ///< kFixed
};

/// Applies one masking method to values. Immutable; thread-safe.
///
/// Semantics (docs/masking.md):
///  - NULL stays NULL for every method.
///  - kRedact: the token. kFixed: the configured value. kNull: NULL.
///  - kPartial: the first keep_first and last keep_last characters kept, every other character
///    replaced by '*'; a value with no more than keep_first + keep_last characters is replaced
///    entirely by '*' (one per character), so a short value is never shown whole. Length is kept
///    (documented limit: partial masking reveals the length).
///  - kEmail: "local@domain" -> first character of local, "***", "@domain"; a value without '@'
///    becomes "***".
///  - kHash: the first hash_length hex characters of HMAC-SHA256(key, value); equal inputs give
///    equal outputs, so masked values still join and group.
/// Binary values (binary charset or BLOB/BINARY columns) are hex-encoded before kPartial and
/// kEmail so the output is always valid UTF-8; kHash hashes the raw bytes.
class Masker {
 public:
  /// `hasher` is required for kHash (nullptr otherwise allowed) and must outlive the Masker.
  Masker(MaskerOptions options, const KeyedHasher* hasher);

  /// The masked form of `cell`. `binary` marks bytes that are not text. When hashing fails,
  /// `*ok` is set to false (and the token is returned); the caller must then fail closed. `ok`
  /// is left untouched on success.
  common::Cell mask(const common::Cell& cell, bool binary, bool* ok) const;

  /// The masked form of a non-NULL value (value detectors use it for a matched part of a cell).
  /// kNull yields "" here: a part of a string cannot be SQL NULL, so detectors with kNull null
  /// the whole cell instead. `*ok` as for mask().
  std::string mask_text(std::string_view text, bool binary, bool* ok) const;

  const MaskerOptions& options() const { return options_; }

 private:
  MaskerOptions options_;
  const KeyedHasher* hasher_;
};

}  // namespace sqlguard::policy
