// Evaluation of policy rules: who may run which statement, with which limits.
#pragma once

#include "policy/decision.h"
#include "policy/policy_config.h"
#include "policy/principal.h"
#include "policy/statement_analysis.h"

namespace sqlguard::policy {

/// Decides on analysed statements. Immutable after construction; thread-safe.
class PolicyEngine {
 public:
  explicit PolicyEngine(PolicyConfig config);

  /// Deny overrides approve overrides allow; no matching rule is deny ("default-deny");
  /// an analysis with understood = false is deny ("builtin:not-understood"); built-in denials
  /// (UnsafeAllowances) apply before any rule. Never throws.
  Decision decide(const Principal& principal, const StatementAnalysis& analysis) const;

  /// True when some allow or approve rule could let `principal` read `schema.table` and no deny
  /// rule on reading, showing or describing it applies (used by list_tables, describe_table and
  /// the rows of SHOW TABLES / SHOW TABLE STATUS, to show only what the principal may read).
  bool may_read_table(const Principal& principal, std::string_view schema, std::string_view table) const;

  const PolicyConfig& config() const { return config_; }

 private:
  PolicyConfig config_;
};

}  // namespace sqlguard::policy
