#pragma once
// Whether a host or peer address is the machine itself: the one loopback test the listeners
// (HTTP, MySQL), the configuration, `init` and the JWKS fetcher share.
#include <string_view>

namespace sqlguard::common {

/// True for "localhost", an IPv4 address in 127.0.0.0/8 written as a dotted quad of decimal
/// digits, ::1 (with or without brackets) and the IPv4-mapped form ::ffff:127.x.y.z (with or
/// without brackets). Everything else, including names that merely resolve to loopback, is false.
bool is_loopback_address(std::string_view address);

}  // namespace sqlguard::common
