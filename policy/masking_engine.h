// Masking: decides before execution whether a statement could carry a masked value out in an
// untraceable way, and masks result sets after execution.
#pragma once

#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/masking_config.h"
#include "policy/principal.h"
#include "policy/result_set.h"
#include "policy/statement_analysis.h"

namespace sqlguard::policy {

/// Column lists of tables, for expanding `*` and resolving unqualified columns. Implemented by
/// the guard with a cache over information_schema.COLUMNS; tests use a fixed map.
class Catalog {
 public:
  virtual ~Catalog() = default;
  /// Columns of schema.table in ordinal order; std::nullopt when the table is unknown or
  /// cannot be looked up (masking then fails closed if the answer matters).
  virtual std::optional<std::vector<std::string>> columns(std::string_view schema,
                                                          std::string_view table) const = 0;
};

/// A masked column as reported to the caller and recorded in the audit log.
struct MaskedColumn {
  std::string column;  ///< result column label, or "schema.table.column" in describe_table
  std::string rule;    ///< masking rule id
  std::string method;  ///< "redact", "partial", "email", "hash", "null", "fixed"
};

/// The masking decisions for one statement, made before execution.
struct MaskingPlan {
  bool bypass = false;  ///< no masking rule can apply to this principal/statement
  /// Per top-level output column (StatementAnalysis::outputs, stars expanded), the rule that
  /// masks it or -1. Confirmed against the result metadata in apply().
  std::vector<int> output_rules;
  std::vector<std::string> exemptions_used;  ///< rule ids whose exemption let values through
};

/// What apply() did.
struct MaskingReport {
  std::vector<MaskedColumn> masked_columns;
  uint64_t cells_masked = 0;
  uint64_t detector_hits = 0;               ///< cells masked by value detectors
  std::vector<std::string> exemptions_used; ///< rule ids
};

/// Immutable after create(); thread-safe.
class MaskingEngine {
 public:
  /// Compiles rules and detectors. Errors name the rule: "masking rule 'pii': bad pattern ...".
  static std::expected<std::shared_ptr<const MaskingEngine>, std::string> create(
      MaskingConfig config);

  /// Before execution. An error is a refusal with a reason naming the column and the rule, e.g.
  /// "column shop.customers.ssn is masked for you and may only be selected directly (rule pii)".
  std::expected<MaskingPlan, std::string> plan(const Principal& principal,
                                               const StatementAnalysis& analysis,
                                               const Catalog& catalog) const;

  /// After execution: masks `result` in place, matching rules on origin metadata and confirming
  /// the plan; runs value detectors over every text cell. An error means the result must not be
  /// returned (fail closed).
  std::expected<MaskingReport, std::string> apply(const Principal& principal,
                                                  const MaskingPlan& plan,
                                                  ResultSet& result) const;

  /// The masking rule that applies to schema.table.column for `principal`, if any (exemptions
  /// considered). Used by describe_table and list_tables.
  std::optional<MaskedColumn> rule_for(const Principal& principal, std::string_view schema,
                                       std::string_view table, std::string_view column) const;

  /// True when a database error message for a statement with this plan could echo a masked
  /// value (e.g. "Duplicate entry '...'", conversion warnings): the guard then withholds the
  /// message text and passes on only the error number.
  bool error_may_leak(const MaskingPlan& plan) const;

  explicit MaskingEngine(MaskingConfig config);  // use create()
  ~MaskingEngine();

 private:
  struct Compiled;
  MaskingConfig config_;
  std::unique_ptr<Compiled> compiled_;
};

}  // namespace sqlguard::policy
