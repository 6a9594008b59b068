// Random bytes and identifiers from the operating system's CSPRNG (OpenSSL RAND_bytes).
//
// Nothing here ever returns predictable output: when the CSPRNG fails the call fails, so an id
// can never silently become all zeros (and collide with every other id made the same way).
// Thread-safety: safe to call from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/error.h"

namespace sqlguard::common {

/// `n` random bytes. Errors: kInternal when RAND_bytes failed (message names it) or more than
/// INT_MAX bytes are requested.
Result<std::string> random_bytes(std::size_t n);

/// `prefix` + lowercase hex of `n` random bytes (2n characters), e.g. random_hex_id("apr_", 12)
/// → "apr_" + 24 hex characters. Errors: as random_bytes.
Result<std::string> random_hex_id(std::string_view prefix, std::size_t n);

}  // namespace sqlguard::common
