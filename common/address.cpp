#include "common/address.h"

#include <cctype>

namespace sqlguard::common {
namespace {

bool is_loopback_ipv4(std::string_view a) {
  if (!a.starts_with("127.")) return false;
  int dots = 0;
  std::size_t digits = 0;
  for (char c : a) {
    if (c == '.') {
      if (digits == 0) return false;
      ++dots;
      digits = 0;
    } else if (std::isdigit(static_cast<unsigned char>(c)) && ++digits <= 3) {
      continue;
    } else {
      return false;
    }
  }
  return dots == 3 && digits > 0;
}

}  // namespace

bool is_loopback_address(std::string_view address) {
  if (address.size() >= 2 && address.front() == '[' && address.back() == ']') {
    address = address.substr(1, address.size() - 2);
  }
  if (address == "localhost" || address == "::1") return true;
  if (address.starts_with("::ffff:")) address.remove_prefix(7);
  return is_loopback_ipv4(address);
}

}  // namespace sqlguard::common
