// Word tables of MySQL 8 / MariaDB 10.11+: reserved words, built-in functions, charset
// introducers. Used by the statement analyzer.
#pragma once

#include <string_view>

namespace sqlguard::policy {

/// True when `word` (any case) is a reserved word in MySQL 8 or MariaDB 10.11 and so cannot be
/// an unquoted identifier or alias.
bool is_reserved_word(std::string_view word);

/// True when `name` (any case) is a built-in (native or loadable-by-default) function of MySQL 8
/// or MariaDB 10.11. Anything else called as a function is a stored function or UDF.
bool is_builtin_function(std::string_view name);

/// True when `word` (any case) is a character set introducer such as `_utf8mb4` or `_binary`.
bool is_charset_introducer(std::string_view word);

/// True for the sleep, benchmark, advisory-lock and replication-wait functions (any case).
bool is_sleep_or_lock_function(std::string_view name);

/// True for functions that read server files (LOAD_FILE) (any case).
bool is_file_function(std::string_view name);

}  // namespace sqlguard::policy
