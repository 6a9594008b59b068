// Value detectors: a safety net that finds sensitive values (e-mail addresses, payment card
// numbers, IBANs, phone numbers, configured patterns) in any returned text, whatever its column.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "common/error.h"
#include "policy/maskers.h"
#include "policy/masking_config.h"

namespace re2 {
class RE2;
}

namespace sqlguard::policy {

/// True when `digits` (ASCII digits only, separators already removed) passes the Luhn mod-10
/// check (ISO/IEC 7812-1 Annex B). Empty or non-digit input: false.
bool luhn_valid(std::string_view digits);

/// True when `iban` (no spaces, upper-case letters and digits) passes the ISO 13616 check: two
/// letters, two check digits, 11..30 alphanumerics, and the ISO 7064 MOD 97-10 remainder 1.
bool iban_valid(std::string_view iban);

/// One compiled value detector. Immutable after create(); thread-safe (RE2 is).
///
/// Kinds and what they match (each a candidate regex followed by a check, so that e.g. a random
/// 16-digit id is only masked when it is a valid card number):
///  - "email": local@domain.tld (RFC 5321 shape, ASCII).
///  - "card":  13..19 digits, optionally grouped by single spaces or dashes, Luhn-valid.
///  - "iban":  ISO 13616, optionally in groups of four separated by spaces, mod-97 valid.
///  - "phone": international "+CC ..." numbers with 8..15 digits, and North-American
///             "(NNN) NNN-NNNN" / "NNN-NNN-NNNN" / "NNN.NNN.NNNN" shapes.
///  - "pattern": the configured RE2 pattern (whole match replaced).
class CompiledDetector {
 public:
  /// Compiles `detector`. `hasher` is needed for method hash and must outlive the detector.
  /// Errors: kInvalidInput, the message naming the detector: "masking detector 'cards': unknown
  /// kind 'credit'".
  static common::Result<std::unique_ptr<CompiledDetector>> create(const ValueDetector& detector,
                                                                  const KeyedHasher* hasher);
  ~CompiledDetector();
  CompiledDetector(const CompiledDetector&) = delete;
  CompiledDetector& operator=(const CompiledDetector&) = delete;

  /// Finds every value of this kind in `text` and replaces it with its masked form, in place.
  /// Returns the number of values replaced (0: `text` is untouched). With method null, a hit
  /// sets `*null_cell` (the caller turns the whole cell into NULL). `*ok` is set to false when
  /// masking failed (hash error); the caller must fail closed.
  std::size_t scrub(std::string& text, bool* null_cell, bool* ok) const;

  /// True when the whole of `text` (no surrounding white space) is one value of this kind,
  /// checks included (a Luhn-invalid 16-digit number is not a card). Masks nothing.
  bool matches_whole(std::string_view text) const;

  const ValueDetector& config() const { return config_; }

 private:
  enum class Kind { kEmail, kCard, kIban, kPhone, kPattern };
  CompiledDetector(ValueDetector config, Kind kind, std::unique_ptr<re2::RE2> re, const KeyedHasher* hasher);
  bool worth_scanning(std::string_view text) const;
  bool accept(std::string_view match) const;

  ValueDetector config_;
  Kind kind_;
  std::unique_ptr<re2::RE2> re_;
  Masker masker_;
};

}  // namespace sqlguard::policy
