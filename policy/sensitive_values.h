// Which columns of a database hold sensitive values, judged from a column's name and a sample of
// its values: the evidence `sqlguard init` writes next to each masking rule it proposes
// ("37 of 40 sampled values are valid IBANs").
//
// Every value check is a shape plus, where the standard has one, its checksum: payment cards
// (Luhn, ISO/IEC 7812-1), IBANs (ISO 13616 MOD 97-10), national identifiers with a check digit
// (Dutch BSN 11-test, Spanish DNI/NIE mod-23 letter, French NIR mod-97 key, Swedish personnummer
// Luhn) and the US SSN's assignment rules (it has no checksum). Secrets are recognised by the
// published prefixes of their issuers (JWT, AWS, GitHub, Slack, Stripe, PEM private keys,
// bcrypt/argon2/crypt password hashes).
//
// Thread-safety: ColumnClassifier is immutable after create() and safe to share.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace re2 {
class RE2;
}

namespace sqlguard::policy {

class CompiledDetector;

/// Kinds of sensitive value a column can hold.
enum class SensitiveKind {
  kEmail,         ///< e-mail addresses
  kCard,          ///< payment card numbers (Luhn-valid, 13..19 digits)
  kIban,          ///< IBANs (mod-97 valid)
  kPhone,         ///< phone numbers
  kNationalId,    ///< national identifiers (SSN, BSN, DNI/NIE, NIR, personnummer)
  kSecret,        ///< API keys, tokens, private keys
  kPasswordHash,  ///< bcrypt / argon2 / crypt(3) hashes, or a column named like a password
  kBirthDate,     ///< dates of birth (by name only)
};

/// "email", "card", "iban", "phone", "national_id", "secret", "password_hash", "birth_date".
std::string_view to_string(SensitiveKind kind);

/// US Social Security number "AAA-GG-SSSS" (dashes required): area not 000, 666 or 9xx, group
/// not 00, serial not 0000 (SSA assignment rules; there is no check digit).
bool us_ssn_valid(std::string_view text);
/// Dutch burgerservicenummer: 9 digits passing the 11-test (9a+8b+…+2h−i ≡ 0 mod 11).
bool nl_bsn_valid(std::string_view text);
/// Spanish DNI (8 digits + letter) or NIE (X/Y/Z + 7 digits + letter); the letter is
/// "TRWAGMYFPDXBNJZSQVHLCKE"[number mod 23].
bool es_dni_valid(std::string_view text);
/// French NIR: 13 characters (digits; 2A/2B for Corsica) + a 2-digit key = 97 − (number mod 97),
/// spaces allowed between groups.
bool fr_nir_valid(std::string_view text);
/// Swedish personnummer YYMMDD-NNNC or YYYYMMDDNNNC ('-' or '+' optional): Luhn over the last
/// ten digits, month 01..12, day 01..31 (or 61..91, samordningsnummer).
bool se_personnummer_valid(std::string_view text);
/// Any of the national identifiers above.
bool national_id_valid(std::string_view text);
/// A secret by its issuer's published shape: a JWT (three base64url parts, the first decoding
/// to a JSON object with "alg"), AWS access key ids (AKIA/ASIA + 16), GitHub tokens (ghp_, gho_,
/// ghu_, ghs_, ghr_, github_pat_), Slack (xox[abposr]-), Stripe secret keys (sk_live_, rk_live_),
/// Google API keys (AIza + 35), a PEM "-----BEGIN … PRIVATE KEY-----" block.
bool secret_shaped(std::string_view text);
/// A password hash: bcrypt ($2a$/$2b$/$2y$ + cost + 53), argon2 ($argon2id$…), crypt(3) SHA
/// ($5$/$6$), MySQL's native hash (* + 40 hex).
bool password_hash_shaped(std::string_view text);

/// What the classifier concluded about one column.
struct ColumnFinding {
  SensitiveKind kind;
  bool by_name = false;     ///< flagged by its name alone (no value evidence either way)
  std::size_t sampled = 0;  ///< non-empty values looked at
  std::size_t matched = 0;  ///< of those, values of `kind`
  /// One sentence for the config comment, e.g. "37 of 40 sampled values are valid IBANs" or
  /// "named like a password column (no values sampled)". Never contains a sampled value.
  std::string evidence;
};

/// The verdict on one column: a finding to mask, or a note for the reviewer (a name that
/// suggests a kind its values contradict, or a minority of matching values), or neither.
struct ColumnVerdict {
  std::optional<ColumnFinding> mask;
  std::string review;  ///< "" = nothing to review; never contains a sampled value
};

/// Classifies columns by name and sampled values.
///
/// Rules, in order (a kind with a value check is decided by its values whenever there are at
/// least 5 of them; a name alone never overrides the values):
///  1. values: the kind that most sampled values match, when at least half of them do → mask;
///  2. a name suggesting a kind with a value check (email, card, iban, phone, national id) with
///     fewer than 5 sampled values → mask by name; with 5 or more and < half matching → review
///     note, not masked;
///  3. a name suggesting a kind without a value check (password, secret/token/api key, date of
///     birth) → mask by name;
///  4. some values (at least one, under half) of a kind → review note ("value detectors mask
///     them in any column").
class ColumnClassifier {
 public:
  /// Errors: kInternal when a built-in pattern does not compile (a bug).
  static common::Result<std::unique_ptr<ColumnClassifier>> create();
  ~ColumnClassifier();
  ColumnClassifier(const ColumnClassifier&) = delete;
  ColumnClassifier& operator=(const ColumnClassifier&) = delete;

  /// The kind of one value, trimmed of surrounding white space; nullopt: none. A value is of a
  /// kind only when the whole value is one (an e-mail inside a sentence is not an e-mail value).
  std::optional<SensitiveKind> value_kind(std::string_view value) const;

  /// `column`: the bare column name; `sample`: its non-NULL values (any number, 0 allowed).
  ColumnVerdict classify(std::string_view column, const std::vector<std::string>& sample) const;

 private:
  ColumnClassifier();
  std::unique_ptr<CompiledDetector> email_, card_, iban_, phone_;
  std::vector<std::unique_ptr<re2::RE2>> names_;  ///< one per name rule, in order
};

}  // namespace sqlguard::policy
