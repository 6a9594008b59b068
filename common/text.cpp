#include "common/text.h"

namespace sqlguard::common {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }
bool is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

template <typename Pred>
std::string_view trim_if(std::string_view s, Pred pred) {
  while (!s.empty() && pred(s.front())) s.remove_prefix(1);
  while (!s.empty() && pred(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string_view trim_blanks(std::string_view s) { return trim_if(s, is_blank); }

std::string_view trim_whitespace(std::string_view s) { return trim_if(s, is_space); }

std::string printable(std::string_view s, std::size_t max_bytes) {
  std::string out;
  for (char c : s.substr(0, max_bytes)) out += (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ? c : '?';
  if (s.size() > max_bytes) out += "...";
  return out;
}

}  // namespace sqlguard::common
