// The `type` of every audit record sqlguard writes (schemas/audit-record.schema.json), named
// once for writers (guard/audit_events.h, guard/approval_service.cpp, the recorder's own
// recovery and checkpoint records) and readers (export, verify, the console, metrics, replay).
#pragma once

#include <string_view>

namespace sqlguard::recorder::record_type {

inline constexpr std::string_view kSessionStart = "session.start";
inline constexpr std::string_view kSessionEnd = "session.end";
inline constexpr std::string_view kCallIntent = "call.intent";    ///< durable before execution
inline constexpr std::string_view kCallOutcome = "call.outcome";  ///< durable before the answer
inline constexpr std::string_view kAuthRejected = "auth.rejected";
inline constexpr std::string_view kApprovalRequest = "approval.request";
inline constexpr std::string_view kApprovalDecision = "approval.decision";

}  // namespace sqlguard::recorder::record_type
