#include "common/error.h"

namespace sqlguard::common {

std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::kRefused: return "refused";
    case ErrorCode::kInvalidInput: return "invalid_input";
    case ErrorCode::kUnavailable: return "unavailable";
    case ErrorCode::kTimeout: return "timeout";
    case ErrorCode::kDatabase: return "database";
    case ErrorCode::kAuditFailure: return "audit_failure";
    case ErrorCode::kCancelled: return "cancelled";
    case ErrorCode::kInternal: return "internal";
  }
  return "internal";
}

}  // namespace sqlguard::common
