// The outcome of policy evaluation for one statement and one principal.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sqlguard::policy {

/// What a rule does with a matching statement. Deny overrides approve overrides allow; a
/// statement that matches no rule is denied.
enum class Action : uint8_t { kAllow, kDeny, kApprove };
std::string_view to_string(Action action);  ///< "allow", "deny", "approve"

/// Resource limits that apply to an allowed statement (the tightest of all matching rules and
/// the policy defaults).
struct Limits {
  uint64_t max_rows = 1000;             ///< rows returned to the caller; more are cut (truncated)
  uint64_t max_result_bytes = 1 << 20;  ///< bytes of cell data returned; more are cut
  uint32_t timeout_ms = 10000;          ///< server-side statement timeout (max_statement_time)
};

/// A decision with the rule that made it and a reason a human can act on.
struct Decision {
  Action action = Action::kDeny;
  std::string rule;    ///< id of the deciding rule, or "builtin:<name>" / "default-deny"
  std::string reason;  ///< e.g. "statement kind drop_table is not allowed for you (rule default-deny)"
  Limits limits;
  bool read_only = true;  ///< execute in a read-only transaction (true for every read kind)
  std::vector<std::string> approver_groups;  ///< for kApprove: who may approve
  uint32_t approvals_required = 0;           ///< for kApprove: distinct approvers needed
};

}  // namespace sqlguard::policy
