// libFuzzer target: the SQL lexer and statement analyser on arbitrary bytes (the agent controls
// run_sql's `sql` argument completely). Checks the contracts of policy/sql_lexer.h and
// policy/statement_analyzer.h beyond "no crash": token ranges lie inside the input, a lexed
// input ends with kEnd, and the analyser never claims to understand input the lexer rejects.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "policy/sql_lexer.h"
#include "policy/statement_analyzer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sqlguard::policy;
  const std::string_view sql(reinterpret_cast<const char*>(data), size);

  LexResult lexed;
  lex_sql(sql, lexed);
  if (lexed.ok) {
    if (lexed.tokens.empty() || lexed.tokens.back().type != TokenType::kEnd) std::abort();
    for (const Token& t : lexed.tokens) {
      if (t.begin > t.end || t.end > size) std::abort();
      if (t.type == TokenType::kWord || t.type == TokenType::kQuotedIdent) {
        (void)identifier_text(sql, t);
      } else if (t.type == TokenType::kString || t.type == TokenType::kNationalString) {
        (void)string_value(sql, t);
      }
    }
  }

  static const StatementAnalyzer analyzer;
  const StatementAnalysis analysis = analyzer.analyze(sql, "shop");
  // Fail closed: what the lexer cannot tokenise can never be understood.
  if (!lexed.ok && analysis.understood && size <= (1u << 20)) std::abort();
  return 0;
}
