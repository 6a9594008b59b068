// The JSON form of a Principal, as audit records (`principal`, schemas/audit-record.schema.json)
// and stored approval requests (docs/approvals.md) carry it.
#pragma once

#include <nlohmann/json.hpp>

#include "policy/principal.h"

namespace sqlguard::policy {

/// {"subject", "issuer", "groups": [...], "auth", "client": {"name", "version"}}.
nlohmann::json principal_to_json(const Principal& principal);

/// The inverse of principal_to_json. "subject" is required; the other members default to empty.
/// Errors: throws nlohmann::json::exception when "subject" is missing or a member has the wrong
/// type (callers parsing stored documents catch it and report the document as unreadable).
Principal principal_from_json(const nlohmann::json& doc);

}  // namespace sqlguard::policy
