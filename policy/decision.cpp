#include "policy/decision.h"

namespace sqlguard::policy {

std::string_view to_string(Action action) {
  switch (action) {
    case Action::kAllow: return "allow";
    case Action::kDeny: return "deny";
    case Action::kApprove: return "approve";
  }
  return "deny";
}

}  // namespace sqlguard::policy
