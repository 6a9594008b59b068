// The session state the guard pins on every pooled connection before each call.
#pragma once

#include <string_view>

namespace sqlguard::db {

/// sql_mode pinned on every connection. The statement analyzer (policy/) tokenises under exactly
/// these rules: no ANSI_QUOTES ("..." is a string), backslash escapes on (no
/// NO_BACKSLASH_ESCAPES), no PIPES_AS_CONCAT, no IGNORE_SPACE, no ORACLE/MSSQL compatibility.
inline constexpr std::string_view kPinnedSqlMode =
    "STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ZERO_IN_DATE,NO_ZERO_DATE,"
    "NO_ENGINE_SUBSTITUTION,ONLY_FULL_GROUP_BY";

/// Character set pinned on every connection (client, connection and results).
inline constexpr std::string_view kPinnedCharset = "utf8mb4";

}  // namespace sqlguard::db
