#include "common/time.h"

#include <cstdio>
#include <ctime>

namespace sqlguard::common {
namespace {

/// `unit` sub-second units per second; `digits` fraction digits.
std::string format(int64_t ticks, int64_t unit, int digits) {
  int64_t secs = ticks / unit;
  int64_t frac = ticks % unit;
  if (frac < 0) {
    frac += unit;
    --secs;
  }
  const auto t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%0*lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, digits, static_cast<long long>(frac));
  return buf;
}

}  // namespace

std::string rfc3339_ms(int64_t unix_ms) { return format(unix_ms, 1000, 3); }

std::string rfc3339_us(std::chrono::system_clock::time_point tp) {
  return format(std::chrono::duration_cast<std::chrono::microseconds>(tp.time_since_epoch()).count(), 1000000,
                6);
}

int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace sqlguard::common
