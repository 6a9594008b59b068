#include "policy/glob.h"

#include <cstddef>

namespace sqlguard::policy {

namespace {

inline unsigned char fold(unsigned char c, bool ci) {
  if (ci && c >= 'A' && c <= 'Z') return static_cast<unsigned char>(c - 'A' + 'a');
  return c;
}

}  // namespace

bool glob_match(std::string_view pattern, std::string_view text, bool case_insensitive) {
  // Classic greedy matcher with single backtrack point: the last '*' seen. Linear-ish and
  // allocation-free; correct because '*' backtracking only ever needs the most recent star.
  std::size_t p = 0;
  std::size_t t = 0;
  std::size_t star_p = std::string_view::npos;
  std::size_t star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star_p = p++;
      star_t = t;
      continue;
    }
    if (p < pattern.size() &&
        (pattern[p] == '?' || fold(static_cast<unsigned char>(pattern[p]), case_insensitive) ==
                                  fold(static_cast<unsigned char>(text[t]), case_insensitive))) {
      ++p;
      ++t;
      continue;
    }
    if (star_p != std::string_view::npos) {
      p = star_p + 1;
      t = ++star_t;
      continue;
    }
    return false;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace sqlguard::policy
