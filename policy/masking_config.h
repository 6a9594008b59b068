// Masking rules as configured in the `masking:` section of the config file
// (schemas/config.schema.json, docs/masking.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sqlguard::policy {

enum class MaskingMethod : uint8_t {
  kRedact,   ///< fixed token, e.g. "[REDACTED]"
  kPartial,  ///< keep the first `keep_first` and last `keep_last` characters, the rest '*'
  kEmail,    ///< keep the domain: "j***@example.com"
  kHash,     ///< HMAC-SHA256 with the masking key, hex, truncated to `hash_length` characters;
             ///< deterministic, so masked values still join and group
  kNull,     ///< SQL NULL
  kFixed,    ///< the configured `value`
};

/// One masking rule. A column is masked by the first rule (in file order) whose target matches.
struct MaskingRule {
  std::string id;
  std::string source;                ///< "config.yaml:31", for messages
  std::vector<std::string> columns;  ///< globs "schema.table.column" ("shop.*.email")
  std::string column_pattern;        ///< RE2 over bare column names, case-insensitive ("(?i)ssn")
  MaskingMethod method = MaskingMethod::kRedact;
  std::string token = "[REDACTED]";          ///< kRedact
  uint32_t keep_first = 0;                   ///< kPartial
  uint32_t keep_last = 4;                    ///< kPartial
  uint32_t hash_length = 16;                 ///< kHash: hex characters kept (8..64)
  std::string value;                         ///< kFixed
  std::vector<std::string> exempt_subjects;  ///< globs over Principal::subject
  std::vector<std::string> exempt_groups;    ///< exempt when the principal is in any of these
  /// Relaxations of the "selected directly only" rule, by name: "where_equality" (col = literal /
  /// col IN (literals) in WHERE), "join_equality" (col = other_col in JOIN ON; meaningful for
  /// kHash), "count" (COUNT(col), COUNT(DISTINCT col)).
  std::vector<std::string> allow;
};

/// A value detector: a safety net over every returned text cell, whatever its column.
struct ValueDetector {
  std::string id;
  std::string kind;     ///< "email", "card" (Luhn-checked), "iban" (mod-97), "phone", "pattern"
  std::string pattern;  ///< RE2, for kind "pattern"
  MaskingMethod method = MaskingMethod::kRedact;
  std::string token = "[REDACTED]";
  std::vector<std::string> exempt_subjects;
  std::vector<std::string> exempt_groups;
};

/// The whole `masking:` section.
struct MaskingConfig {
  std::vector<MaskingRule> rules;
  std::vector<ValueDetector> detectors;
  std::string hash_key;  ///< bytes of the key file named by `masking.hash_key_file`; never logged
};

}  // namespace sqlguard::policy
