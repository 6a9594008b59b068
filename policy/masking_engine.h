// Masking: decides before execution whether a statement could carry a masked value out in an
// untraceable way, and masks result sets after execution.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/result_set.h"
#include "policy/catalog.h"
#include "policy/masking_config.h"
#include "policy/principal.h"
#include "policy/statement_analysis.h"

namespace sqlguard::policy {

/// What the schema says about a masked column's values, made safe in place: a default and a
/// non-empty comment become "(masked)", an ENUM/SET column type loses its value list
/// ("enum(masked)", "set(masked)"). Used for DESCRIBE / SHOW COLUMNS rows and describe_table.
void mask_column_description(std::optional<std::string>& type, std::optional<std::string>& default_value,
                             std::optional<std::string>& comment);

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
  /// output_rules has exactly one entry per result column (every `*` could be expanded). When
  /// false, apply() relies on origin metadata alone, which plan() made safe by refusing every
  /// shape in which a masked value could reach a column without its origin.
  bool outputs_exact = false;
  /// The statement reads a table that has masked columns for this principal (or one whose
  /// columns could not be checked). Database error messages may then echo masked values.
  bool sensitive = false;
  /// Masked columns the statement references anywhere, "schema.table.column (rule id)".
  std::vector<std::string> masked_references;
  /// DESCRIBE / SHOW [FULL] COLUMNS of a table (or view) with masked columns: (column, rule id)
  /// pairs whose rows apply() rewrites: `Default` and `Comment` become "(masked)" and an ENUM/SET
  /// `Type` loses its value list ("enum(masked)"). Column "*" (with metadata_all_rows) stands for
  /// every row of a view whose columns cannot be traced.
  std::vector<std::pair<std::string, std::string>> metadata_rows;
  bool metadata_all_rows = false;
};

/// True when a database error message for a statement planned as `plan` could contain a masked
/// value (e.g. "Duplicate entry '900-11-2233-5' for key ..." or "Truncated incorrect DOUBLE
/// value: '900-11-2233'"): the statement referenced a masked column or read a table that has
/// one. The guard must then not show the server's message; use
/// MaskingEngine::sanitize_error_message(). A plan that refused is not a plan: nothing ran.
bool error_may_leak(const MaskingPlan& plan);

/// What apply() did.
struct MaskingReport {
  std::vector<MaskedColumn> masked_columns;
  uint64_t cells_masked = 0;
  uint64_t detector_hits = 0;                ///< cells masked by value detectors
  std::vector<std::string> exemptions_used;  ///< rule ids
};

/// Immutable after create(); thread-safe.
class MaskingEngine {
 public:
  /// Compiles rules and detectors. Errors: kInvalidInput, the message naming the rule: "masking
  /// rule 'pii': bad pattern ..." (also for the unlikely OpenSSL failure preparing the hash key,
  /// which KeyedHasher::create reports as kInternal).
  static common::Result<std::shared_ptr<const MaskingEngine>> create(MaskingConfig config);

  /// Before execution. An error is a refusal with a reason naming the column and the rule, e.g.
  /// "column shop.customers.ssn is masked for you and may only be selected directly (rule pii)".
  /// Errors: kRefused; kInternal for an engine whose configuration did not compile.
  common::Result<MaskingPlan> plan(const Principal& principal, const StatementAnalysis& analysis,
                                   const Catalog& catalog) const;

  /// After execution: masks `result` in place, matching rules on origin metadata and confirming
  /// the plan; runs value detectors over every text cell. An error means the result must not be
  /// returned (fail closed). Errors: kRefused when the result cannot be confirmed against the
  /// plan; kInternal when a keyed hash fails or the configuration did not compile.
  common::Result<MaskingReport> apply(const Principal& principal, const MaskingPlan& plan,
                                      common::ResultSet& result) const;

  /// The masking rule that applies to schema.table.column for `principal`, if any (exemptions
  /// considered). Used by describe_table and list_tables.
  std::optional<MaskedColumn> rule_for(const Principal& principal, std::string_view schema,
                                       std::string_view table, std::string_view column) const;

  /// The rule with index `rule` (as in MaskingPlan::output_rules) as {"" , id, method};
  /// std::nullopt for an index that names no rule.
  std::optional<MaskedColumn> rule_info(int rule) const;

  /// The text the guard may show (and log, and record) for a database error of a statement
  /// planned as `plan`. When error_may_leak(plan), the server's message is withheld and replaced
  /// by "database error <errno> (SQLSTATE <state>); the message is withheld because the
  /// statement touches masked columns"; otherwise the message passes through the value
  /// detectors the principal is not exempt from. Never fails.
  std::string sanitize_error_message(const Principal& principal, const MaskingPlan& plan, uint32_t db_errno,
                                     std::string_view sqlstate, std::string_view message) const;

  /// Runs the value detectors that apply to `principal` over `text` (any text about to leave
  /// sqlguard that is not a result cell, e.g. a message). Returns the number of values masked;
  /// false in `ok` when masking failed (fail closed: do not show `text`).
  std::size_t scrub_text(const Principal& principal, std::string& text, bool* ok) const;

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
