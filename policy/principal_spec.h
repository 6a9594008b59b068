// Parsing of principal specs such as "alice:analysts,compliance" (corpus files and
// `sqlguard check --as`).
#pragma once

#include <string>
#include <string_view>

#include "common/error.h"
#include "policy/principal.h"

namespace sqlguard::policy {

/// Parses "SUBJECT[:GROUP[,GROUP...]]". The subject is everything before the first ':'; groups
/// are comma-separated and trimmed of spaces. The result has auth_method "config" and no client
/// name. Errors: kInvalidInput for an empty subject, an empty group name, or control characters.
/// Note: a subject that itself contains ':' cannot be written in this syntax.
common::Result<Principal> parse_principal_spec(std::string_view spec);

}  // namespace sqlguard::policy
