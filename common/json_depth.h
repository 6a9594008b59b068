// A bound on JSON nesting, checked on the raw text before any parser runs, so that a hostile
// document (an MCP message, a JWT header or payload, a JWK Set) cannot exhaust a recursive
// parser's stack. Pure; no allocation.
#pragma once

#include <cstddef>
#include <string_view>

namespace sqlguard::common {

/// True when JSON `text` nests arrays/objects at most `max_depth` deep (brackets inside strings
/// do not count). Does not validate the JSON otherwise: O(n), no recursion.
bool json_nesting_within(std::string_view text, std::size_t max_depth);

}  // namespace sqlguard::common
