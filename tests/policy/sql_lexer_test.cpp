#include "policy/sql_lexer.h"

#include <gtest/gtest.h>

#include <string>

namespace sqlguard::policy {
namespace {

LexResult lex(std::string_view s) {
  LexResult r;
  lex_sql(s, r);
  return r;
}

std::size_t count(std::string_view s) { return lex(s).tokens.size() - 1; }

TEST(SqlLexerTest, CommentsProduceNoTokens) {
  EXPECT_EQ(count("SELECT 1 # x ; y"), 2u);
  EXPECT_EQ(count("SELECT 1 -- x ; y"), 2u);
  EXPECT_EQ(count("SELECT 1 /* ; */"), 2u);
  EXPECT_EQ(count("SELECT 1 --"), 2u);        // '--' at end of input is a comment
  EXPECT_EQ(count("SELECT 1 --\x01;x"), 2u);  // control character after '--'
  EXPECT_EQ(count("SELECT 1--1"), 5u);        // no space: minus minus one
}

TEST(SqlLexerTest, BlockCommentsDoNotNest) {
  const auto r = lex("SELECT 1 /* /* */ ; DROP TABLE t");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.tokens.size() - 1, 6u);  // SELECT 1 ; DROP TABLE t
}

TEST(SqlLexerTest, ExecutableCommentsAreCodeAndFlagged) {
  auto r = lex("SELECT 1 /*!50000 , 2 */");
  ASSERT_TRUE(r.ok);
  EXPECT_TRUE(r.executable_comment);
  EXPECT_EQ(r.tokens.size() - 1, 4u);
  EXPECT_TRUE(r.tokens[2].in_executable_comment);
  r = lex("/*M!100500 DROP TABLE t */");
  ASSERT_TRUE(r.ok);
  EXPECT_TRUE(r.executable_comment);
  EXPECT_FALSE(lex("SELECT 1 /*!5000001 x */").ok);  // ambiguous version digits
  EXPECT_FALSE(lex("SELECT 1 /*! 1").ok);            // unterminated
  EXPECT_FALSE(lex("/*! /* x */ 1 */").ok);          // comment inside executable comment
}

TEST(SqlLexerTest, OptimizerHintFlagged) {
  const auto r = lex("SELECT /*+ MAX_EXECUTION_TIME(0) */ 1");
  ASSERT_TRUE(r.ok);
  EXPECT_TRUE(r.optimizer_hint);
  EXPECT_EQ(r.tokens.size() - 1, 2u);
}

TEST(SqlLexerTest, StringsUnderPinnedMode) {
  auto r = lex("SELECT '\\' , ' ; x");  // backslash escapes the quote: one string
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.tokens.size() - 1, 4u);  // SELECT 'string' ; x
  r = lex("SELECT 'a''b', \"c\"\"d\", 'e\\'f'");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.tokens[1].type, TokenType::kString);
  EXPECT_EQ(r.tokens[3].type, TokenType::kString);  // "..." is a string, not an identifier
  EXPECT_EQ(string_value("SELECT 'a''b'", r.tokens[1]), "a'b");
  r = lex("SELECT `a``b`");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(identifier_text("SELECT `a``b`", r.tokens[1]), "a`b");
}

TEST(SqlLexerTest, Literals) {
  auto r = lex("SELECT X'4142', 0x41, B'01', 0b1, N'x', 1.5e3, .5");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.tokens[1].type, TokenType::kHexString);
  EXPECT_EQ(r.tokens[3].type, TokenType::kHexNumber);
  EXPECT_EQ(r.tokens[5].type, TokenType::kBitString);
  EXPECT_EQ(r.tokens[7].type, TokenType::kBitNumber);
  EXPECT_EQ(r.tokens[9].type, TokenType::kNationalString);
  EXPECT_EQ(r.tokens[11].type, TokenType::kNumber);
  EXPECT_EQ(r.tokens[13].type, TokenType::kNumber);
  EXPECT_FALSE(lex("SELECT X'414'").ok);
  EXPECT_FALSE(lex("SELECT B'2'").ok);
  r = lex("SELECT 1abc, t.1e5");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.tokens[1].type, TokenType::kWord);  // identifiers may start with digits
  EXPECT_EQ(r.tokens[5].type, TokenType::kWord);  // after a qualifier dot
}

TEST(SqlLexerTest, Variables) {
  auto r = lex("SELECT @a, @'b c', @@session.sql_mode, @`x`");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.tokens[1].type, TokenType::kUserVar);
  EXPECT_EQ(r.tokens[3].type, TokenType::kUserVar);
  EXPECT_EQ(r.tokens[5].type, TokenType::kSysVar);
  EXPECT_EQ(r.tokens[7].type, TokenType::kUserVar);
  EXPECT_FALSE(lex("SELECT @ a").ok);
}

TEST(SqlLexerTest, RejectsHostileBytes) {
  EXPECT_FALSE(lex(std::string("SELECT 1\0", 9)).ok);
  EXPECT_FALSE(lex("SELECT \xff").ok);
  EXPECT_FALSE(lex("SELECT '\xc0\xaf'").ok);      // overlong
  EXPECT_FALSE(lex("SELECT '\xed\xa0\x80'").ok);  // surrogate
  EXPECT_FALSE(lex("SELECT\xc2\xa0"
                   "1")
                   .ok);                                // NBSP outside a literal
  EXPECT_FALSE(lex("SELECT a\xe2\x80\x8b").ok);         // zero-width space
  EXPECT_TRUE(lex("SELECT 'caf\xc3\xa9\xc2\xa0'").ok);  // fine inside a string
  EXPECT_TRUE(lex("SELECT caf\xc3\xa9").ok);            // non-ASCII identifier
  EXPECT_FALSE(lex("SELECT \\N").ok);
  EXPECT_TRUE(lex("SELECT {d '2020-01-01'}").ok);  // ODBC escapes are operators for the parser
  EXPECT_FALSE(lex("SELECT 1 \x01").ok);
  EXPECT_FALSE(lex(std::string(2u << 20, ' ')).ok);
}

TEST(SqlLexerTest, Whitespace) {
  EXPECT_EQ(count("SELECT\x0b"
                  "1\x0c,\r2"),
            4u);
}

}  // namespace
}  // namespace sqlguard::policy

namespace sqlguard::policy {
namespace {

// The parser tries keywords and operators by key (TokenText): a key match must be exactly an
// ASCII-case-insensitive text match, for every word and operator the lexer produces.
TEST(SqlLexerTest, TokenKeysMatchExactlyWhatTheTextMatches) {
  static_assert(word_key("SELECT") == word_key("select"));
  static_assert(word_key("SeLeCt") == TokenText("SELECT").key);
  static_assert(word_key("selects") != word_key("select"));
  static_assert(word_key("sel") != word_key("select"));
  static_assert(word_key("12345678") != 0 && word_key("123456789") == 0 && word_key("") == 0);
  static_assert(word_key("<=>") == TokenText("<=>").key && word_key("<=") != word_key("<=>"));
  const std::string sql(
      "SELECT a, `b` FROM t WHERE x <=> 1 AND y->>'$.a' AND z := 2 OR DISTINCTROW Straight_Join "
      "sElEcT dïstinct _utf8mb4 ABCDEFGH ABCDEFGHI @v");
  const LexResult lexed = lex(sql);
  ASSERT_TRUE(lexed.ok) << lexed.error;
  for (const Token& a : lexed.tokens) {
    const std::string_view at = std::string_view(sql).substr(a.begin, a.end - a.begin);
    if (a.type == TokenType::kWord || a.type == TokenType::kOp) {
      EXPECT_EQ(a.key, word_key(at)) << at;
    } else {
      EXPECT_EQ(a.key, 0u) << at;
    }
    for (const Token& b : lexed.tokens) {
      if (a.key == 0 || b.key == 0) continue;
      const std::string_view bt = std::string_view(sql).substr(b.begin, b.end - b.begin);
      EXPECT_EQ(a.key == b.key, iequals(at, bt)) << at << " / " << bt;
    }
  }
}

}  // namespace
}  // namespace sqlguard::policy
