// Shell-style glob matching for policy and masking rules ("shop.*", "*@example.com", "?sn").
#pragma once

#include <string_view>

namespace sqlguard::policy {

/// Matches `text` against `pattern`, where `*` matches any run of bytes (including none) and `?`
/// matches exactly one byte; every other byte matches itself. There is no escape character and no
/// character classes. With `case_insensitive` (the default, as MySQL identifiers compare on
/// Linux for columns and for our schema/table matching), ASCII letters compare without case;
/// non-ASCII bytes always compare exactly. Runs in O(|pattern| * |text|) worst case, no
/// allocation, no recursion. Never throws. Thread-safe.
bool glob_match(std::string_view pattern, std::string_view text, bool case_insensitive = true);

}  // namespace sqlguard::policy
