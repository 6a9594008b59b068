// Timestamps as text: RFC 3339 in UTC ("Z"), with a fixed number of fraction digits so that
// strings of one precision sort in time order.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace sqlguard::common {

/// Unix time in ms as RFC 3339 UTC with milliseconds, e.g. "2025-06-01T12:00:00.250Z".
/// Times before 1970 are formatted correctly (the fraction is never negative).
std::string rfc3339_ms(int64_t unix_ms);

/// `tp` as RFC 3339 UTC with microseconds, e.g. "2026-01-02T03:04:05.123456Z" (the audit record
/// `time` field).
std::string rfc3339_us(std::chrono::system_clock::time_point tp);

/// Milliseconds since the Unix epoch, now (system clock).
int64_t unix_ms_now();

}  // namespace sqlguard::common
