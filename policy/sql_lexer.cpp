#include "policy/sql_lexer.h"

#include "common/utf8.h"
#include "policy/sql_builtins.h"

#include <cstddef>

namespace sqlguard::policy {

namespace {

// Bytes my_isspace() accepts for utf8mb4: SP, TAB, LF, VT, FF, CR.
inline bool is_space(unsigned char c) { return c == ' ' || (c >= 0x09 && c <= 0x0d); }
inline bool is_ctrl(unsigned char c) { return c < 0x20 || c == 0x7f; }
inline bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
inline bool is_hex(unsigned char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
// Identifier bytes: letters, digits, '_', '$' and every byte of a multi-byte character.
inline bool is_ident(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' || c == '$' || c >= 0x80;
}

std::string at(const char* what, std::size_t pos) {
  std::string s(what);
  s += " at byte ";
  s += std::to_string(pos);
  return s;
}

// Decodes the (already validated) UTF-8 character at s[i]; returns its length.
std::size_t decode(std::string_view s, std::size_t i, uint32_t& cp) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) {
    cp = c;
    return 1;
  }
  if (c < 0xE0) {
    cp = ((c & 0x1Fu) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3Fu);
    return 2;
  }
  if (c < 0xF0) {
    cp = ((c & 0x0Fu) << 12) | ((static_cast<unsigned char>(s[i + 1]) & 0x3Fu) << 6) |
         (static_cast<unsigned char>(s[i + 2]) & 0x3Fu);
    return 3;
  }
  cp = ((c & 0x07u) << 18) | ((static_cast<unsigned char>(s[i + 1]) & 0x3Fu) << 12) |
       ((static_cast<unsigned char>(s[i + 2]) & 0x3Fu) << 6) | (static_cast<unsigned char>(s[i + 3]) & 0x3Fu);
  return 4;
}

// Space-like, invisible or direction-changing code points: refused outside literals so that no
// identifier can hide a separator the reader (or another tool) would see differently.
bool suspicious_code_point(uint32_t cp) {
  return (cp >= 0x80 && cp <= 0xA0) || cp == 0xAD || cp == 0x034F || cp == 0x061C || cp == 0x1680 ||
         cp == 0x180E || (cp >= 0x2000 && cp <= 0x200F) || (cp >= 0x2028 && cp <= 0x202F) ||
         (cp >= 0x205F && cp <= 0x206F) || cp == 0x3000 || cp == 0xFEFF || (cp >= 0xFFF0 && cp <= 0xFFFF) ||
         (cp >= 0xE0000 && cp <= 0xE007F);
}

}  // namespace

void lex_sql(std::string_view sql, LexResult& out) {
  out.ok = false;
  out.error.clear();
  out.tokens.clear();
  out.executable_comment = false;
  out.optimizer_hint = false;
  out.comment_count = 0;

  const std::size_t n = sql.size();
  if (n > (1u << 20)) {
    out.error = "statement longer than 1 MiB";
    return;
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (sql[i] == '\0') {
      out.error = at("NUL byte", i);
      return;
    }
  }
  std::size_t bad = 0;
  if (!common::valid_utf8(sql, &bad)) {
    out.error = at("invalid UTF-8", bad);
    return;
  }

  auto fail = [&](const char* what, std::size_t pos) {
    out.error = at(what, pos);
    out.tokens.clear();
  };
  auto u = [&](std::size_t i) -> unsigned char { return i < n ? static_cast<unsigned char>(sql[i]) : 0; };

  bool in_exec = false;  // inside /*! ... */ or /*M! ... */
  std::size_t exec_start = 0;
  std::size_t i = 0;
  auto push = [&](TokenType t, std::size_t b, std::size_t e) {
    // Reserved or not is asked of a word many times while parsing: answer it once, here.
    const bool word = t == TokenType::kWord;
    const bool reserved = word && is_reserved_word(sql.substr(b, e - b));
    const uint64_t key = word || t == TokenType::kOp ? word_key(sql.substr(b, e - b)) : 0;
    out.tokens.push_back(
        Token{t, static_cast<uint32_t>(b), static_cast<uint32_t>(e), in_exec, reserved, key});
  };
  // Scans a quoted run starting at the quote at `b`; returns one past the closing quote or 0.
  auto scan_quoted = [&](std::size_t b, char q, bool backslash) -> std::size_t {
    std::size_t j = b + 1;
    while (j < n) {
      const char c = sql[j];
      if (backslash && c == '\\') {
        j += 2;
        continue;
      }
      if (c == q) {
        if (j + 1 < n && sql[j + 1] == q) {
          j += 2;
          continue;
        }
        return j + 1;
      }
      ++j;
    }
    return 0;
  };

  while (i < n) {
    const unsigned char c = u(i);
    if (is_space(c)) {
      ++i;
      continue;
    }
    // Comments.
    if (c == '#' ||
        (c == '-' && u(i + 1) == '-' && (i + 2 >= n || is_space(u(i + 2)) || is_ctrl(u(i + 2))))) {
      while (i < n && sql[i] != '\n') ++i;
      ++out.comment_count;
      continue;
    }
    if (c == '/' && u(i + 1) == '*') {
      const std::size_t start = i;
      if (u(i + 2) == '!' || (u(i + 2) == 'M' && u(i + 3) == '!')) {
        if (in_exec) return fail("executable comment inside an executable comment", i);
        out.executable_comment = true;
        in_exec = true;
        exec_start = i;
        const bool mariadb_only = u(i + 2) == 'M';
        i += mariadb_only ? 4 : 3;
        // Optional version number: MySQL reads 5 digits, MariaDB 5 or 6. Any other run of
        // digits is read differently by the two servers: refuse it.
        std::size_t d = 0;
        while (is_digit(u(i + d))) ++d;
        if (d != 0 && d != 5 && !(d == 6 && mariadb_only)) {
          return fail("ambiguous executable comment version", i);
        }
        i += d;
        continue;
      }
      if (in_exec) return fail("comment inside an executable comment", i);
      if (u(i + 2) == '+') out.optimizer_hint = true;
      std::size_t j = i + 2;
      bool closed = false;
      while (j + 1 < n) {
        if (sql[j] == '*' && sql[j + 1] == '/') {
          closed = true;
          break;
        }
        ++j;
      }
      if (!closed) return fail("unterminated comment", start);
      i = j + 2;
      ++out.comment_count;
      continue;
    }
    if (in_exec && c == '*' && u(i + 1) == '/') {
      in_exec = false;
      i += 2;
      continue;
    }
    // Strings and quoted identifiers.
    if (c == '\'' || c == '"') {
      const std::size_t e = scan_quoted(i, static_cast<char>(c), true);
      if (e == 0) return fail("unterminated string", i);
      push(TokenType::kString, i, e);
      i = e;
      continue;
    }
    if (c == '`') {
      const std::size_t e = scan_quoted(i, '`', false);
      if (e == 0) return fail("unterminated quoted identifier", i);
      if (e == i + 2) return fail("empty quoted identifier", i);
      push(TokenType::kQuotedIdent, i, e);
      i = e;
      continue;
    }
    // X'..', B'..', N'..'.
    if ((c == 'x' || c == 'X' || c == 'b' || c == 'B' || c == 'n' || c == 'N') && u(i + 1) == '\'') {
      const std::size_t e = scan_quoted(i + 1, '\'', c == 'n' || c == 'N');
      if (e == 0) return fail("unterminated string", i);
      if (c == 'x' || c == 'X') {
        std::size_t digits = 0;
        for (std::size_t k = i + 2; k + 1 < e; ++k) {
          if (!is_hex(u(k))) return fail("invalid hexadecimal literal", i);
          ++digits;
        }
        if (digits % 2 != 0) return fail("odd-length hexadecimal literal", i);
        push(TokenType::kHexString, i, e);
      } else if (c == 'b' || c == 'B') {
        for (std::size_t k = i + 2; k + 1 < e; ++k) {
          if (u(k) != '0' && u(k) != '1') return fail("invalid bit literal", i);
        }
        push(TokenType::kBitString, i, e);
      } else {
        push(TokenType::kNationalString, i, e);
      }
      i = e;
      continue;
    }
    // Words and numbers.
    const bool after_qualifier_dot = !out.tokens.empty() && out.tokens.back().type == TokenType::kOp &&
                                     out.tokens.back().end - out.tokens.back().begin == 1 &&
                                     sql[out.tokens.back().begin] == '.' && out.tokens.back().end == i &&
                                     out.tokens.size() >= 2 &&
                                     (out.tokens[out.tokens.size() - 2].type == TokenType::kWord ||
                                      out.tokens[out.tokens.size() - 2].type == TokenType::kQuotedIdent);
    const bool dot_after_name =
        c == '.' && !out.tokens.empty() && out.tokens.back().end == i &&
        (out.tokens.back().type == TokenType::kWord || out.tokens.back().type == TokenType::kQuotedIdent);
    if (is_ident(c) || (c == '.' && is_digit(u(i + 1)) && !after_qualifier_dot && !dot_after_name)) {
      const std::size_t b = i;
      if (is_digit(c) || c == '.') {
        if (c == '0' && (u(i + 1) == 'x') && is_hex(u(i + 2))) {
          std::size_t j = i + 2;
          while (is_hex(u(j))) ++j;
          if (!is_ident(u(j))) {
            push(TokenType::kHexNumber, b, j);
            i = j;
            continue;
          }
        } else if (c == '0' && u(i + 1) == 'b' && (u(i + 2) == '0' || u(i + 2) == '1')) {
          std::size_t j = i + 2;
          while (u(j) == '0' || u(j) == '1') ++j;
          if (!is_ident(u(j))) {
            push(TokenType::kBitNumber, b, j);
            i = j;
            continue;
          }
        }
        if (!after_qualifier_dot) {
          std::size_t j = i;
          while (is_digit(u(j))) ++j;
          bool fractional = false;
          if (u(j) == '.') {
            fractional = true;
            ++j;
            while (is_digit(u(j))) ++j;
          }
          bool exp = false;
          if ((u(j) == 'e' || u(j) == 'E') &&
              (is_digit(u(j + 1)) || ((u(j + 1) == '+' || u(j + 1) == '-') && is_digit(u(j + 2))))) {
            exp = true;
            j += 2;
            while (is_digit(u(j))) ++j;
          }
          if (!is_ident(u(j))) {
            push(TokenType::kNumber, b, j);
            i = j;
            continue;
          }
          if (fractional || exp) return fail("malformed number", b);
          // Digits followed by identifier bytes: an identifier such as 1abc (MySQL allows it).
        }
      }
      std::size_t j = i;
      while (j < n && is_ident(u(j))) {
        if (u(j) >= 0x80) {
          uint32_t cp = 0;
          const std::size_t len = decode(sql, j, cp);
          if (suspicious_code_point(cp)) return fail("invisible or space-like character", j);
          j += len;
        } else {
          ++j;
        }
      }
      push(TokenType::kWord, b, j);
      i = j;
      continue;
    }
    // Variables.
    if (c == '@') {
      const std::size_t b = i;
      if (u(i + 1) == '@') {
        std::size_t j = i + 2;
        if (u(j) == '`') return fail("quoted system variable name", i);
        while (j < n && (is_ident(u(j)) || (u(j) == '.' && is_ident(u(j + 1))))) ++j;
        if (j == i + 2) return fail("malformed system variable", i);
        push(TokenType::kSysVar, b, j);
        i = j;
        continue;
      }
      const unsigned char d = u(i + 1);
      if (d == '\'' || d == '"' || d == '`') {
        const std::size_t e = scan_quoted(i + 1, static_cast<char>(d), d != '`');
        if (e == 0) return fail("unterminated variable name", i);
        push(TokenType::kUserVar, b, e);
        i = e;
        continue;
      }
      std::size_t j = i + 1;
      while (j < n && (is_ident(u(j)) || u(j) == '.')) {
        if (u(j) >= 0x80) {
          uint32_t cp = 0;
          const std::size_t len = decode(sql, j, cp);
          if (suspicious_code_point(cp)) return fail("invisible or space-like character", j);
          j += len;
        } else {
          ++j;
        }
      }
      if (j == i + 1) return fail("malformed user variable", i);
      push(TokenType::kUserVar, b, j);
      i = j;
      continue;
    }
    // Operators.
    const std::size_t b = i;
    auto three = [&](const char* s) {
      return u(i) == static_cast<unsigned char>(s[0]) && u(i + 1) == static_cast<unsigned char>(s[1]) &&
             u(i + 2) == static_cast<unsigned char>(s[2]);
    };
    auto two = [&](const char* s) {
      return u(i) == static_cast<unsigned char>(s[0]) && u(i + 1) == static_cast<unsigned char>(s[1]);
    };
    if (three("<=>") || three("->>")) {
      push(TokenType::kOp, b, b + 3);
      i += 3;
      continue;
    }
    if (two("<=") || two(">=") || two("<>") || two("!=") || two("<<") || two(">>") || two("&&") ||
        two("||") || two(":=") || two("->")) {
      push(TokenType::kOp, b, b + 2);
      i += 2;
      continue;
    }
    switch (c) {
      case '(':
      case ')':
      case ',':
      case '.':
      case ';':
      case '+':
      case '-':
      case '*':
      case '/':
      case '%':
      case '=':
      case '<':
      case '>':
      case '!':
      case '~':
      case '^':
      case '&':
      case '|':
        push(TokenType::kOp, b, b + 1);
        ++i;
        continue;
      case '?':
        push(TokenType::kParam, b, b + 1);
        ++i;
        continue;
      default: break;
    }
    if (c == '\\') return fail("backslash outside a string", i);
    if (c == '{' || c == '}') {  // ODBC escapes {d '...'}, {fn f(x)}, {oj t LEFT OUTER JOIN u ON ...}
      push(TokenType::kOp, b, b + 1);
      ++i;
      continue;
    }
    if (is_ctrl(c)) return fail("control character outside a string", i);
    return fail("unexpected character", i);
  }
  if (in_exec) return fail("unterminated executable comment", exec_start);
  out.tokens.push_back(Token{TokenType::kEnd, static_cast<uint32_t>(n), static_cast<uint32_t>(n), false});
  out.ok = true;
}

std::string identifier_text(std::string_view sql, const Token& t) {
  std::string_view s = sql.substr(t.begin, t.end - t.begin);
  if (t.type != TokenType::kQuotedIdent) return std::string(s);
  std::string r;
  r.reserve(s.size());
  for (std::size_t i = 1; i + 1 < s.size(); ++i) {
    r.push_back(s[i]);
    if (s[i] == '`' && i + 2 < s.size() && s[i + 1] == '`') ++i;
  }
  return r;
}

std::string string_value(std::string_view sql, const Token& t) {
  std::string_view s = sql.substr(t.begin, t.end - t.begin);
  std::string r;
  if (s.size() < 2) return r;
  const char q = s[0];
  for (std::size_t i = 1; i + 1 < s.size(); ++i) {
    char c = s[i];
    if (c == '\\' && i + 2 < s.size()) {
      const char e = s[++i];
      switch (e) {
        case 'n': r.push_back('\n'); break;
        case 't': r.push_back('\t'); break;
        case 'r': r.push_back('\r'); break;
        case '0': r.push_back('\0'); break;
        case 'b': r.push_back('\b'); break;
        case 'Z': r.push_back('\x1a'); break;
        case '%': r += "\\%"; break;
        case '_': r += "\\_"; break;
        default: r.push_back(e); break;
      }
      continue;
    }
    if (c == q && i + 2 < s.size() && s[i + 1] == q) ++i;
    r.push_back(c);
  }
  return r;
}

}  // namespace sqlguard::policy
