#pragma once
// Small ASCII text helpers shared by the configuration, policy and authentication code.
#include <cstddef>
#include <string>
#include <string_view>

namespace sqlguard::common {

/// `s` without leading and trailing spaces and tabs (HTTP header values, RFC 9110 OWS;
/// principal specs). Returns a view into `s`.
std::string_view trim_blanks(std::string_view s);

/// `s` without leading and trailing ASCII whitespace (space, \t, \n, \v, \f, \r), as
/// std::isspace in the "C" locale. Returns a view into `s`.
std::string_view trim_whitespace(std::string_view s);

/// A bounded, printable copy of an untrusted value for error messages and audit fields: at most
/// `max_bytes` bytes of `s`, every byte outside 0x20..0x7e and every `"` and `\` replaced by `?`,
/// and "..." appended when `s` was longer.
std::string printable(std::string_view s, std::size_t max_bytes = 64);

}  // namespace sqlguard::common
