// Tokeniser for MySQL 8 / MariaDB 10.11+ SQL under the sql_mode the guard pins
// (db/session_settings.h): no ANSI_QUOTES ("..." is a string), backslash escapes on, no
// PIPES_AS_CONCAT (|| is OR), no IGNORE_SPACE. Mirrors the server lexers (sql/sql_lex.cc) for
// comments, executable comments, optimizer hints, quoting, literals and whitespace.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sqlguard::policy {

/// Kinds of tokens. Comments and whitespace produce no tokens.
enum class TokenType : uint8_t {
  kEnd,             ///< end of input (always the last token)
  kWord,            ///< unquoted identifier or keyword: [A-Za-z0-9_$] and non-ASCII letters
  kQuotedIdent,     ///< `back-quoted` identifier (text includes the back quotes)
  kString,          ///< '...' or "..." (text includes the quotes)
  kNumber,          ///< 12, 1.5, .5, 1e-3
  kHexNumber,       ///< 0x1F
  kBitNumber,       ///< 0b101
  kHexString,       ///< X'1F'
  kBitString,       ///< B'101'
  kNationalString,  ///< N'...'
  kUserVar,         ///< @name, @'name', @"name", @`name`
  kSysVar,          ///< @@name, @@session.name, @@global.name
  kParam,           ///< ? placeholder
  kOp,              ///< operator or punctuation: ( ) , . ; + - * / % = <=> -> ->> := etc.
};

/// One token: a byte range of the input. Cheap to copy; valid while the input lives.
struct Token {
  TokenType type = TokenType::kEnd;
  uint32_t begin = 0;                  ///< byte offset of the first byte
  uint32_t end = 0;                    ///< byte offset one past the last byte
  bool in_executable_comment = false;  ///< came from inside /*! */ or /*M! */
  bool reserved = false;               ///< a kWord that is a MariaDB reserved word (sql_builtins.h)
  uint64_t key = 0;                    ///< kWord of at most 8 bytes, or kOp: word_key(); else 0
};

/// A word of 1 to 8 bytes packed into one integer, ASCII letters lower-cased (byte i in bits
/// 8i..8i+7): two such words are equal ignoring ASCII case exactly when their keys are equal (a
/// word has no NUL byte, so the key also encodes the length). 0 for an empty or longer word.
constexpr uint64_t word_key(std::string_view w) {
  if (w.empty() || w.size() > 8) return 0;
  uint64_t key = 0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(w[i]);
    if (c >= 'A' && c <= 'Z') c = static_cast<unsigned char>(c + 32);
    key |= static_cast<uint64_t>(c) << (8 * i);
  }
  return key;
}

/// A keyword or operator the parser tries, as written in its source: a string literal, packed
/// at compile time (consteval), so trying it on a token is one integer comparison.
struct TokenText {
  std::string_view text;
  uint64_t key;
  consteval TokenText(const char* s) : text(s), key(word_key(s)) {}  // NOLINT: implicit on purpose
};

/// Result of tokenising one input.
struct LexResult {
  bool ok = false;
  std::string error;                ///< when !ok: what and where, e.g. "unterminated string at byte 7"
  std::vector<Token> tokens;        ///< ends with a kEnd token when ok
  bool executable_comment = false;  ///< saw /*! */, /*!NNNNN */ or /*M! */
  bool optimizer_hint = false;      ///< saw /*+ */
  uint32_t comment_count = 0;       ///< plain comments seen (for digests / diagnostics)
};

/// Tokenises `sql` (utf8mb4 bytes). Fails (ok = false) on NUL bytes, invalid UTF-8, Unicode
/// space-like or invisible characters outside literals, unterminated strings, identifiers or
/// comments, nested comment openers inside executable comments, a backslash or '{' outside
/// literals, and anything else the server would not lex the same way. The content of executable
/// comments is tokenised as code (the server runs it), with their tokens marked. Optimizer
/// hints are skipped like comments but flagged. Never throws; no recursion. Thread-safe.
/// `out` is reused to avoid allocations; it is cleared first.
void lex_sql(std::string_view sql, LexResult& out);

/// ASCII case-insensitive equality (inline: the parser asks it for every keyword it tries, and
/// most tries fail on the length).
inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    unsigned char x = static_cast<unsigned char>(a[i]);
    unsigned char y = static_cast<unsigned char>(b[i]);
    if (x >= 'A' && x <= 'Z') x = static_cast<unsigned char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<unsigned char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

/// The identifier text of a kWord or kQuotedIdent token (back quotes removed, `` unescaped).
std::string identifier_text(std::string_view sql, const Token& t);

/// The value of a kString token (quotes removed, escapes and doubled quotes resolved).
std::string string_value(std::string_view sql, const Token& t);

}  // namespace sqlguard::policy
