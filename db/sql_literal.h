// SQL literals for statements sqlguard itself composes (catalog lookups, the shared approval
// store, KILL QUERY), never for agent SQL, which is sent as the agent wrote it.
#pragma once

#include <string>
#include <string_view>

namespace sqlguard::db {

/// The MariaDB string literal for `s`: '...' with ', \, NUL, LF, CR and Ctrl-Z escaped by
/// backslash. Correct under the session settings db/ pins (sql_mode without
/// NO_BACKSLASH_ESCAPES, a utf8mb4 connection character set); `s` is bytes, passed through.
std::string sql_quote(std::string_view s);

}  // namespace sqlguard::db
