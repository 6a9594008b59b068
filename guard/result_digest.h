// Digests the guard records: of statements (`statement.sha256`, the approval binding) and of
// (masked) results (`result_sha256`, compared by `sqlguard audit replay`).
#pragma once

#include <string>
#include <string_view>

#include "common/result_set.h"

namespace sqlguard::guard {

/// common::sha256_base64 over the canonical JSON (RFC 8785 form for this shape: keys sorted, no
/// whitespace, integers only) of {"columns":[labels],"rows":[[cell|null,...],...]}, cells as
/// the text the server sent after masking (invalid UTF-8 replaced by U+FFFD).
std::string result_digest(const common::ResultSet& result);

}  // namespace sqlguard::guard
