// The digest of a (masked) result, as recorded in call.outcome records (`result_sha256`) and
// compared by `sqlguard audit replay`.
#pragma once

#include <string>

#include "policy/result_set.h"

namespace sqlguard::guard {

/// Base64 SHA-256 over the canonical JSON (RFC 8785 form for this shape: keys sorted, no
/// whitespace, integers only) of {"columns":[labels],"rows":[[cell|null,...],...]}, cells as
/// the text the server sent after masking (invalid UTF-8 replaced by U+FFFD).
std::string result_digest(const policy::ResultSet& result);

}  // namespace sqlguard::guard
