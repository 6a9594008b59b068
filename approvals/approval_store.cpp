#include "approvals/approval_store.h"

#include <cstdio>
#include <ctime>

#include "policy/principal_json.h"

namespace sqlguard::approvals {
namespace {

using nlohmann::json;

json vote_json(const ApprovalVote& v) {
  return {{"reviewer", v.reviewer},
          {"groups", v.groups},
          {"auth", v.auth},
          {"comment", v.comment},
          {"at_ms", v.at_ms}};
}

ApprovalVote vote_from(const json& j) {
  ApprovalVote v;
  v.reviewer = j.value("reviewer", "");
  v.groups = j.value("groups", std::vector<std::string>{});
  v.auth = j.value("auth", "");
  v.comment = j.value("comment", "");
  v.at_ms = j.value("at_ms", int64_t{0});
  return v;
}

}  // namespace

std::string_view to_string(ApprovalState state) {
  switch (state) {
    case ApprovalState::kPending: return "pending";
    case ApprovalState::kApproved: return "approved";
    case ApprovalState::kDenied: return "denied";
    case ApprovalState::kExpired: return "expired";
    case ApprovalState::kUsed: return "used";
  }
  return "pending";
}

std::optional<ApprovalState> approval_state_from_string(std::string_view s) {
  if (s == "pending") return ApprovalState::kPending;
  if (s == "approved") return ApprovalState::kApproved;
  if (s == "denied") return ApprovalState::kDenied;
  if (s == "expired") return ApprovalState::kExpired;
  if (s == "used") return ApprovalState::kUsed;
  return std::nullopt;
}

uint32_t ApprovalRequest::decision_count() const {
  return static_cast<uint32_t>(approvals.size()) + (denial ? 1u : 0u) +
         (state == ApprovalState::kExpired ? 1u : 0u);
}

ApprovalState ApprovalRequest::effective_state(int64_t now_ms) const {
  if ((state == ApprovalState::kPending || state == ApprovalState::kApproved) && now_ms >= expires_ms) {
    return ApprovalState::kExpired;
  }
  return state;
}

json ApprovalRequest::to_doc() const {
  json approvals_json = json::array();
  for (const auto& v : approvals) approvals_json.push_back(vote_json(v));
  return {{"id", id},
          {"principal", policy::principal_to_json(principal)},
          {"session", session_id},
          {"call", call_id},
          {"statement", statement},
          {"sha256", sha256},
          {"kind", kind},
          {"tables", tables},
          {"schema", schema},
          {"rule", rule},
          {"reason", reason},
          {"approver_groups", approver_groups},
          {"approvals_required", approvals_required},
          {"created_ms", created_ms},
          {"expires_ms", expires_ms},
          {"approvals", std::move(approvals_json)},
          {"denial", denial ? vote_json(*denial) : json(nullptr)},
          {"used_ms", used_ms},
          {"recorded", recorded}};
}

common::Result<ApprovalRequest> ApprovalRequest::from_doc(const json& doc) {
  if (!doc.is_object())
    return common::fail(common::ErrorCode::kInvalidInput, "approval document is not an object");
  try {
    ApprovalRequest r;
    r.id = doc.at("id").get<std::string>();
    r.principal = policy::principal_from_json(doc.at("principal"));
    r.session_id = doc.value("session", "");
    r.call_id = doc.value("call", "");
    r.statement = doc.at("statement").get<std::string>();
    r.sha256 = doc.at("sha256").get<std::string>();
    r.kind = doc.value("kind", "");
    r.tables = doc.value("tables", std::vector<std::string>{});
    r.schema = doc.value("schema", "");
    r.rule = doc.value("rule", "");
    r.reason = doc.value("reason", "");
    r.approver_groups = doc.value("approver_groups", std::vector<std::string>{});
    r.approvals_required = doc.value("approvals_required", uint32_t{1});
    r.created_ms = doc.at("created_ms").get<int64_t>();
    r.expires_ms = doc.at("expires_ms").get<int64_t>();
    for (const auto& v : doc.value("approvals", json::array())) r.approvals.push_back(vote_from(v));
    if (doc.contains("denial") && doc["denial"].is_object()) r.denial = vote_from(doc["denial"]);
    r.used_ms = doc.value("used_ms", int64_t{0});
    r.recorded = doc.value("recorded", uint32_t{0});
    return r;
  } catch (const json::exception& e) {
    return common::fail(common::ErrorCode::kInvalidInput,
                        std::string("approval document is malformed: ") + e.what());
  }
}

}  // namespace sqlguard::approvals
