#include "policy/masking_engine.h"

#include <re2/re2.h>

#include <algorithm>
#include <utility>

#include "policy/catalog_resolution.h"
#include "policy/glob.h"
#include "policy/maskers.h"
#include "policy/sql_builtins.h"
#include "policy/sql_lexer.h"
#include "policy/statement_analyzer.h"
#include "policy/value_detectors.h"

namespace sqlguard::policy {

namespace {

using common::ColumnType;
namespace flag = common::column_flag;

// Relaxations (MaskingRule::allow).
constexpr uint32_t kAllowWhereEquality = 1u << 0;
constexpr uint32_t kAllowJoinEquality = 1u << 1;
constexpr uint32_t kAllowCount = 1u << 2;

bool is_binary_column(const common::ResultColumn& c) {
  if (c.charset != common::kCharsetBinary) return false;
  switch (c.type) {
    case ColumnType::kBit:
    case ColumnType::kVarchar:
    case ColumnType::kTinyBlob:
    case ColumnType::kMediumBlob:
    case ColumnType::kLongBlob:
    case ColumnType::kBlob:
    case ColumnType::kVarString:
    case ColumnType::kString:
    case ColumnType::kGeometry: return true;
    default: return false;
  }
}

std::string qualified(std::string_view schema, std::string_view table, std::string_view column) {
  std::string out;
  if (!schema.empty()) {
    out += schema;
    out += '.';
  }
  if (!table.empty()) {
    out += table;
    out += '.';
  }
  out += column;
  return out;
}

void add_unique(std::vector<std::string>& v, const std::string& s) {
  if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
}

bool exempt_by(const std::vector<std::string>& subjects, const std::vector<std::string>& groups,
               const Principal& principal) {
  for (const auto& s : subjects) {
    // Subjects compare with case: an exemption must not widen by accident.
    if (glob_match(s, principal.subject, /*case_insensitive=*/false)) return true;
  }
  for (const auto& g : groups) {
    if (principal.in_group(g)) return true;
  }
  return false;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Compiled rules

struct CompiledTarget {
  std::string schema, table, column;  // glob parts of "schema.table.column"
};

struct CompiledRule {
  const MaskingRule* rule = nullptr;
  std::vector<CompiledTarget> targets;
  std::unique_ptr<RE2> column_re;
  std::unique_ptr<Masker> masker;
  uint32_t allow = 0;

  // True when the rule's target matches; an empty schema or table (result metadata of UNIONs
  // and expressions, unknown default schema) matches any, as in MaxScale's masking filter.
  bool matches(std::string_view schema, std::string_view table, std::string_view column) const {
    for (const auto& t : targets) {
      if (!glob_match(t.column, column)) continue;
      if (!schema.empty() && !glob_match(t.schema, schema)) continue;
      if (!table.empty() && !glob_match(t.table, table)) continue;
      return true;
    }
    return column_re != nullptr && RE2::PartialMatch(column, *column_re);
  }
  // True when some column of schema.table could match (for deciding whether the catalog must be
  // asked about the table at all).
  bool may_match_table(std::string_view schema, std::string_view table) const {
    if (column_re != nullptr) return true;
    for (const auto& t : targets) {
      if ((schema.empty() || glob_match(t.schema, schema)) && (table.empty() || glob_match(t.table, table))) {
        return true;
      }
    }
    return false;
  }
};

// The compiled configuration. Named outside MaskingEngine so the planner (an implementation
// detail in this file) can use it; MaskingEngine::Compiled is this type.
struct CompiledMasking {
  std::string error;  // non-empty: the config is invalid and the engine refuses everything
  std::unique_ptr<KeyedHasher> hasher;
  std::vector<CompiledRule> rules;
  std::vector<std::unique_ptr<CompiledDetector>> detectors;

  int find_rule(std::string_view schema, std::string_view table, std::string_view column) const {
    for (std::size_t i = 0; i < rules.size(); ++i) {
      if (rules[i].matches(schema, table, column)) return static_cast<int>(i);
    }
    return -1;
  }
};

struct MaskingEngine::Compiled : CompiledMasking {};

namespace {

std::string compile(const MaskingConfig& config, CompiledMasking& out);

}  // namespace

MaskingEngine::MaskingEngine(MaskingConfig config)
    : config_(std::move(config)), compiled_(std::make_unique<Compiled>()) {
  compiled_->error = compile(config_, *compiled_);
}

MaskingEngine::~MaskingEngine() = default;

common::Result<std::shared_ptr<const MaskingEngine>> MaskingEngine::create(MaskingConfig config) {
  auto engine = std::make_shared<MaskingEngine>(std::move(config));
  if (!engine->compiled_->error.empty())
    return common::fail(common::ErrorCode::kInvalidInput, engine->compiled_->error);
  return std::shared_ptr<const MaskingEngine>(std::move(engine));
}

namespace {

std::string split_target(const std::string& glob, CompiledTarget& t) {
  const std::size_t a = glob.find('.');
  const std::size_t b = a == std::string::npos ? a : glob.find('.', a + 1);
  if (a == std::string::npos || b == std::string::npos || glob.find('.', b + 1) != std::string::npos) {
    return "expected schema.table.column (globs allowed), got '" + glob + "'";
  }
  t.schema = glob.substr(0, a);
  t.table = glob.substr(a + 1, b - a - 1);
  t.column = glob.substr(b + 1);
  if (t.schema.empty() || t.table.empty() || t.column.empty()) {
    return "expected schema.table.column (globs allowed), got '" + glob + "'";
  }
  return {};
}

std::string compile(const MaskingConfig& config, CompiledMasking& out) {
  bool needs_key = false;
  for (const auto& r : config.rules) needs_key = needs_key || r.method == MaskingMethod::kHash;
  for (const auto& d : config.detectors) needs_key = needs_key || d.method == MaskingMethod::kHash;
  if (needs_key) {
    if (config.hash_key.empty()) {
      return "masking: method hash needs a key, but masking.hash_key_file is missing or empty";
    }
    auto hasher = KeyedHasher::create(config.hash_key);
    if (!hasher) return "masking: " + hasher.error().message;
    out.hasher = std::move(*hasher);
  }
  std::vector<std::string> ids;
  for (const auto& rule : config.rules) {
    const std::string where =
        "masking rule '" + rule.id + "'" + (rule.source.empty() ? "" : " (" + rule.source + ")");
    if (rule.id.empty())
      return "masking rule without an id" + (rule.source.empty() ? "" : " at " + rule.source);
    if (std::find(ids.begin(), ids.end(), rule.id) != ids.end()) return where + ": duplicate id";
    ids.push_back(rule.id);
    CompiledRule c;
    c.rule = &rule;
    for (const auto& glob : rule.columns) {
      CompiledTarget t;
      if (auto err = split_target(glob, t); !err.empty()) return where + ": " + err;
      c.targets.push_back(std::move(t));
    }
    if (!rule.column_pattern.empty()) {
      RE2::Options options;
      options.set_log_errors(false);
      options.set_case_sensitive(false);
      c.column_re = std::make_unique<RE2>(rule.column_pattern, options);
      if (!c.column_re->ok()) return where + ": bad column_pattern: " + c.column_re->error();
    }
    if (c.targets.empty() && c.column_re == nullptr) {
      return where + ": needs columns or column_pattern";
    }
    if (rule.method == MaskingMethod::kHash && (rule.hash_length < 8 || rule.hash_length > 64)) {
      return where + ": hash_length must be 8..64, got " + std::to_string(rule.hash_length);
    }
    for (const auto& a : rule.allow) {
      if (a == "where_equality")
        c.allow |= kAllowWhereEquality;
      else if (a == "join_equality")
        c.allow |= kAllowJoinEquality;
      else if (a == "count")
        c.allow |= kAllowCount;
      else
        return where + ": unknown allow '" + a + "' (expected where_equality, join_equality or count)";
    }
    MaskerOptions options{.method = rule.method,
                          .token = rule.token,
                          .keep_first = rule.keep_first,
                          .keep_last = rule.keep_last,
                          .hash_length = rule.hash_length,
                          .value = rule.value};
    c.masker = std::make_unique<Masker>(std::move(options), out.hasher.get());
    out.rules.push_back(std::move(c));
  }
  for (const auto& d : config.detectors) {
    auto compiled = CompiledDetector::create(d, out.hasher.get());
    if (!compiled) return compiled.error().message;
    out.detectors.push_back(std::move(*compiled));
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// Statement side

bool is_query_kind(StatementKind k) {
  return k == StatementKind::kSelect || k == StatementKind::kTable || k == StatementKind::kValues;
}

// Statements whose data flow the analysis cannot see (dynamic SQL, routines, raw table access).
bool is_opaque_kind(StatementKind k) {
  switch (k) {
    case StatementKind::kPrepare:
    case StatementKind::kExecute:
    case StatementKind::kExecuteImmediate:
    case StatementKind::kCall:
    case StatementKind::kCreateRoutine:
    case StatementKind::kCreateTrigger:
    case StatementKind::kCreateEvent: return true;
    default: return false;
  }
}

// Statements that read whole rows of the tables they name without a column list.
bool is_raw_table_kind(StatementKind k) {
  return k == StatementKind::kHandler || k == StatementKind::kLoadData || k == StatementKind::kLoadXml ||
         k == StatementKind::kChecksumTable;
}

std::string describe_context(uint32_t bits, StatementKind kind) {
  if (bits & kCtxInto) return "selected INTO a variable or file";
  if (bits & kCtxVariable) return "assigned to a user variable";
  if (bits & kCtxUnion) return "in a UNION/INTERSECT/EXCEPT";
  if (bits & kCtxCte) return "in a WITH common table expression";
  if (bits & kCtxDerivedTable) return "in a derived table";
  if (bits & kCtxSubquery) return "in a subquery";
  if (bits & kCtxWhere) return "in WHERE";
  if (bits & kCtxJoin) return "in a JOIN condition";
  if (bits & kCtxGroupBy) return "in GROUP BY";
  if (bits & kCtxHaving) return "in HAVING";
  if (bits & kCtxOrderBy) return "in ORDER BY";
  if (bits & kCtxWindow) return "in a window specification";
  if (bits & kCtxExpression) return "inside a function or expression";
  if (bits & kCtxAssignment) return "in an assignment";
  if (!is_query_kind(kind)) return "in a " + std::string(to_string(kind)) + " statement";
  return "in a position other than a plain select-list column";
}

// Where each relaxation lets a masked column appear (besides a plain select-list column).
uint32_t relaxed_contexts(uint32_t allow) {
  uint32_t bits = 0;
  if (allow & kAllowWhereEquality) bits |= kCtxWhere | kCtxExpression;
  if (allow & kAllowJoinEquality) bits |= kCtxJoin | kCtxExpression;
  if (allow & kAllowCount) bits |= kCtxSelectList | kCtxExpression;
  return bits;
}

// ---- Verifying relaxations on the canonical statement text ----------------------------------

struct DigestTokens {
  std::string text;
  LexResult lex;
  bool word(std::size_t i, std::string_view w) const {
    const Token& t = lex.tokens[i];
    return t.type == TokenType::kWord && iequals(std::string_view(text).substr(t.begin, t.end - t.begin), w);
  }
  bool op(std::size_t i, std::string_view o) const {
    const Token& t = lex.tokens[i];
    return t.type == TokenType::kOp && std::string_view(text).substr(t.begin, t.end - t.begin) == o;
  }
  bool ident(std::size_t i) const {
    const auto ty = lex.tokens[i].type;
    return ty == TokenType::kWord || ty == TokenType::kQuotedIdent;
  }
  bool literal(std::size_t i) const {
    const auto ty = lex.tokens[i].type;
    return ty == TokenType::kParam || ty == TokenType::kString || ty == TokenType::kNationalString;
  }
  std::size_t size() const { return lex.tokens.size(); }
};

bool is_operator_keyword(const DigestTokens& d, std::size_t i) {
  static constexpr std::string_view kWords[] = {
      "like", "regexp", "rlike", "is",  "in",      "between", "not",    "and",
      "or",   "xor",    "div",   "mod", "collate", "sounds",  "member", "escape",
      "over", "then",   "else",  "end", "when",    "case",    "binary", "interval"};
  for (auto w : kWords) {
    if (d.word(i, w)) return true;
  }
  return false;
}

// A token that may end a simple predicate: AND/OR, a closing parenthesis, a clause keyword, the
// end of the statement.
bool predicate_end(const DigestTokens& d, std::size_t i) {
  if (i >= d.size() || d.lex.tokens[i].type == TokenType::kEnd) return true;
  if (d.op(i, ")") || d.op(i, ";")) return true;
  static constexpr std::string_view kWords[] = {
      "and",     "or",    "order",  "group",  "limit",     "having", "window", "union",
      "for",     "lock",  "join",   "inner",  "left",      "right",  "cross",  "straight_join",
      "natural", "where", "offset", "except", "intersect", "into"};
  for (auto w : kWords) {
    if (d.word(i, w)) return true;
  }
  return false;
}

bool predicate_start(const DigestTokens& d, std::size_t i, bool join) {
  if (join) return d.word(i, "on") || d.word(i, "and") || d.op(i, "(");
  return d.word(i, "where") || d.word(i, "and") || d.word(i, "or") || d.op(i, "(");
}

// Start index of the identifier chain (a.b.c) ending at `end`.
std::size_t chain_start(const DigestTokens& d, std::size_t end) {
  std::size_t s = end;
  while (s >= 2 && d.op(s - 1, ".") && d.ident(s - 2)) s -= 2;
  return s;
}

// End index of the identifier chain starting at `start`.
std::size_t chain_end(const DigestTokens& d, std::size_t start) {
  std::size_t e = start;
  while (e + 2 < d.size() && d.op(e + 1, ".") && d.ident(e + 2)) e += 2;
  return e;
}

// True when every occurrence of column `name` in the canonical text is a plain select-list
// item or one of the shapes the relaxations in `allow` permit. Over-approximates occurrences
// (any column of that name, in any table): extra strictness only.
bool occurrences_allowed(const DigestTokens& d, std::string_view name, uint32_t allow) {
  // Paren stack: true for a function-call or expression group, false for a subquery.
  std::vector<bool> call_stack;
  for (std::size_t i = 0; i + 1 < d.size(); ++i) {
    if (d.op(i, "(")) {
      const bool subquery = d.word(i + 1, "select") || d.word(i + 1, "with");
      call_stack.push_back(!subquery);
      continue;
    }
    if (d.op(i, ")")) {
      if (!call_stack.empty()) call_stack.pop_back();
      continue;
    }
    if (!d.ident(i)) continue;
    const Token& t = d.lex.tokens[i];
    if (!iequals(identifier_text(d.text, t), name)) continue;
    if (d.op(i + 1, ".") || d.op(i + 1, "(")) continue;  // a qualifier or a function name
    const std::size_t s = chain_start(d, i);
    if (s > 0 && d.word(s - 1, "as")) continue;  // an alias definition
    const bool has_prev = s > 0;
    const std::size_t prev = has_prev ? s - 1 : 0;
    const std::size_t next = i + 1;
    const bool in_call = !call_stack.empty() && call_stack.back();
    // Plain select-list item: SELECT|,|DISTINCT  col  ,|FROM|AS|alias|end.
    if (has_prev && !in_call && (d.word(prev, "select") || d.op(prev, ",") || d.word(prev, "distinct")) &&
        (d.op(next, ",") || d.word(next, "from") || d.word(next, "as") ||
         d.lex.tokens[next].type == TokenType::kEnd || (d.ident(next) && !is_operator_keyword(d, next)))) {
      continue;
    }
    if (allow & kAllowCount) {
      if (has_prev && d.op(prev, "(") && prev >= 1 && d.word(prev - 1, "count") && d.op(next, ")")) continue;
      if (has_prev && d.word(prev, "distinct") && prev >= 2 && d.op(prev - 1, "(") &&
          d.word(prev - 2, "count") && d.op(next, ")")) {
        continue;
      }
    }
    if (allow & kAllowWhereEquality) {
      // col = ? | col <=> ? | col IN (?, ...), then the end of the predicate.
      if (has_prev && predicate_start(d, prev, false)) {
        if ((d.op(next, "=") || d.op(next, "<=>")) && next + 2 < d.size() && d.literal(next + 1) &&
            predicate_end(d, next + 2)) {
          continue;
        }
        if (d.word(next, "in") && next + 1 < d.size() && d.op(next + 1, "(")) {
          std::size_t k = next + 2;
          bool ok = k < d.size() && d.literal(k);
          while (ok && k + 1 < d.size() && d.op(k + 1, ",")) {
            k += 2;
            ok = k < d.size() && d.literal(k);
          }
          if (ok && k + 2 < d.size() && d.op(k + 1, ")") && predicate_end(d, k + 2)) continue;
        }
      }
      // ? = col
      if (has_prev && (d.op(prev, "=") || d.op(prev, "<=>")) && prev >= 2 && d.literal(prev - 1) &&
          predicate_start(d, prev - 2, false) && predicate_end(d, next)) {
        continue;
      }
    }
    if (allow & kAllowJoinEquality) {
      // ON|AND|( col = other.col [AND ...]  or  ON other.col = col
      if (has_prev && predicate_start(d, prev, true) && d.op(next, "=") && next + 1 < d.size() &&
          d.ident(next + 1)) {
        const std::size_t e = chain_end(d, next + 1);
        if (e + 1 < d.size() && predicate_end(d, e + 1)) continue;
      }
      if (has_prev && d.op(prev, "=") && prev >= 1 && d.ident(prev - 1)) {
        const std::size_t os = chain_start(d, prev - 1);
        if (os >= 1 && predicate_start(d, os - 1, true) && predicate_end(d, next)) continue;
      }
      // USING (a, col, b)
      {
        std::size_t k = prev;
        bool ok = has_prev;
        while (ok && !d.op(k, "(")) {
          ok = (d.op(k, ",") || d.ident(k)) && k > 0;
          if (ok) --k;
        }
        if (ok && k >= 1 && d.word(k - 1, "using") && (d.op(next, ",") || d.op(next, ")"))) continue;
      }
    }
    return false;
  }
  return true;
}

// True when every occurrence of column `name` is a write target: `SET name =` /
// `, name =` (UPDATE, ON DUPLICATE KEY UPDATE) or an item of an INSERT/REPLACE column list
// `INTO t (a, name, b)`.
bool only_write_targets(const DigestTokens& d, std::string_view name) {
  for (std::size_t i = 0; i + 1 < d.size(); ++i) {
    if (!d.ident(i)) continue;
    if (!iequals(identifier_text(d.text, d.lex.tokens[i]), name)) continue;
    if (d.op(i + 1, ".") || d.op(i + 1, "(")) continue;  // a qualifier or a function name
    const std::size_t s = chain_start(d, i);
    if (s == 0) return false;
    const std::size_t prev = s - 1;
    if ((d.word(prev, "set") || d.op(prev, ",") || d.word(prev, "update")) && d.op(i + 1, "=")) continue;
    // Column list: walk back over identifiers and commas to '(' preceded by INTO t / INSERT t.
    std::size_t k = prev;
    bool ok = d.op(i + 1, ",") || d.op(i + 1, ")");
    while (ok && !d.op(k, "(")) {
      ok = (d.op(k, ",") || d.ident(k)) && k > 0;
      if (ok) --k;
    }
    if (ok && k >= 1 && d.ident(k - 1)) {
      const std::size_t ts = chain_start(d, k - 1);
      if (ts >= 1 && (d.word(ts - 1, "into") || d.word(ts - 1, "insert") || d.word(ts - 1, "replace"))) {
        continue;
      }
    }
    return false;
  }
  return true;
}
}  // namespace

// ---------------------------------------------------------------------------------------------
// plan()

namespace {

// A matched (rule, column) for one reference.
struct RefMatch {
  int rule = -1;
  std::string column;     // schema.table.column, or "schema.view.column (from schema.table.column)"
  bool computed = false;  // a view column computed from the masked column by an expression
};

// What a view exposes of masked columns to one principal (from its definition).
struct ViewColumnLineage {
  int rule = -1;          // the masking rule of the masked base column it shows, or -1
  std::string source;     // that base column, schema.table.column
  bool computed = false;  // computed from it (expression, aggregate), not the column itself
};
struct ViewLineage {
  std::string refusal;                     // non-empty: reading the view at all is refused, for this reason
  std::vector<ViewColumnLineage> columns;  // aligned with ViewExpansion::columns when refusal is empty
  bool references_masked = false;          // the definition names a masked column (or one it cannot check)
};

// information_schema tables that carry names, types and counters only, and the columns of the
// others that carry schema text (defaults, expressions, bodies) or value statistics.
bool information_schema_table_is_plain(std::string_view t) {
  static constexpr std::string_view kPlain[] = {"ALL_PLUGINS",
                                                "APPLICABLE_ROLES",
                                                "CHARACTER_SETS",
                                                "CLIENT_STATISTICS",
                                                "COLLATIONS",
                                                "COLLATION_CHARACTER_SET_APPLICABILITY",
                                                "COLUMN_PRIVILEGES",
                                                "ENABLED_ROLES",
                                                "ENGINES",
                                                "FILES",
                                                "GEOMETRY_COLUMNS",
                                                "GLOBAL_STATUS",
                                                "GLOBAL_VARIABLES",
                                                "INDEX_STATISTICS",
                                                "KEYWORDS",
                                                "KEY_CACHES",
                                                "KEY_COLUMN_USAGE",
                                                "KEY_PERIOD_USAGE",
                                                "OPTIMIZER_COSTS",
                                                "PARAMETERS",
                                                "PERIODS",
                                                "PLUGINS",
                                                "REFERENTIAL_CONSTRAINTS",
                                                "SCHEMATA",
                                                "SCHEMA_PRIVILEGES",
                                                "SESSION_STATUS",
                                                "SESSION_VARIABLES",
                                                "SPATIAL_REF_SYS",
                                                "SQL_FUNCTIONS",
                                                "SYSTEM_VARIABLES",
                                                "TABLES",
                                                "TABLESPACES",
                                                "TABLE_CONSTRAINTS",
                                                "TABLE_PRIVILEGES",
                                                "TABLE_STATISTICS",
                                                "USER_PRIVILEGES",
                                                "USER_STATISTICS"};
  for (auto p : kPlain) {
    if (iequals(p, t)) return true;
  }
  return false;
}
const std::vector<std::string_view>* information_schema_text_columns(std::string_view t) {
  static const std::vector<std::pair<std::string_view, std::vector<std::string_view>>> kText = {
      {"COLUMNS", {"COLUMN_DEFAULT", "GENERATION_EXPRESSION", "COLUMN_COMMENT"}},
      {"CHECK_CONSTRAINTS", {"CHECK_CLAUSE"}},
      {"VIEWS", {"VIEW_DEFINITION"}},
      {"TRIGGERS", {"ACTION_STATEMENT", "ACTION_CONDITION"}},
      {"ROUTINES", {"ROUTINE_DEFINITION"}},
      {"EVENTS", {"EVENT_DEFINITION"}},
      {"STATISTICS", {"CARDINALITY"}},
  };
  for (const auto& [name, cols] : kText) {
    if (iequals(name, t)) return &cols;
  }
  return nullptr;
}

// SHOW forms that show names, types, counters or server settings, never schema text or values.
bool show_form_is_plain(std::string_view f) {
  static constexpr std::string_view kPlain[] = {
      "TABLES",           "TABLE STATUS",     "DATABASES",       "SCHEMAS",   "CREATE DATABASE",
      "CREATE SCHEMA",    "ENGINES",          "CHARACTER",       "CHARSET",   "COLLATION",
      "STATUS",           "SESSION STATUS",   "GLOBAL STATUS",   "VARIABLES", "SESSION VARIABLES",
      "GLOBAL VARIABLES", "PRIVILEGES",       "PLUGINS",         "WARNINGS",  "ERRORS",
      "GRANTS",           "PROCEDURE STATUS", "FUNCTION STATUS", "OPEN",      "AUTHORS",
      "CONTRIBUTORS"};
  for (auto p : kPlain) {
    if (iequals(p, f)) return true;
  }
  return false;
}

// State shared by the planner of a statement and the planners of the view definitions it reads.
struct PlanShared {
  const CompiledMasking& c;
  const Catalog& catalog;
  std::vector<bool> active;  // per rule: applies to the principal (not exempt)
  bool any_active = false;
  MaskingPlan plan;
};

class Planner {
 public:
  Planner(PlanShared& s, const StatementAnalysis& a, std::size_t depth) : s_(s), a_(a), depth_(depth) {
    table_state_.resize(a.tables.size());
  }

  common::Result<MaskingPlan> run();
  // For the planner of a view definition: what the view exposes through `columns`.
  ViewLineage lineage(const std::vector<std::string>& columns);

 private:
  struct TableState {
    bool computed = false;
    bool failed = false;
    std::string failed_reason;
    std::shared_ptr<const CatalogTable> entry;        // base tables whose catalog entry was read
    std::vector<std::pair<std::string, int>> masked;  // (column, rule) active for the principal
    std::vector<int> per_column;                      // `*` columns: rule or -1
    std::vector<bool> computed_column;                // `*` columns: computed from a masked one
    std::vector<std::string> star_names;              // `*` column names
    // Generated columns computed from a masked column: (generated column, masked column).
    std::vector<std::pair<std::string, std::string>> generated;
    bool is_view = false;
    ViewLineage lineage;
  };

  const std::string& rule_id(int r) const { return s_.c.rules[static_cast<std::size_t>(r)].rule->id; }

  // First rule for the column; exemptions are recorded and yield -1.
  int rule_for(std::string_view schema, std::string_view table, std::string_view column) {
    const int r = s_.c.find_rule(schema, table, column);
    if (r < 0) return -1;
    if (!s_.active[static_cast<std::size_t>(r)]) {
      add_unique(s_.plan.exemptions_used, rule_id(r));
      return -1;
    }
    return r;
  }

  bool base_table(const TableRef& t) const { return !t.is_cte && !t.is_derived; }

  bool may_match_table(const TableRef& t) const {
    for (const auto& r : s_.c.rules) {
      if (r.may_match_table(t.schema, t.table)) return true;  // exempt or not
    }
    return false;
  }

  const ViewExpansion* view_of(uint32_t ti) const {
    for (const auto& v : a_.views) {
      if (v.table == ti) return &v;
    }
    return nullptr;
  }

  // Masked columns of table `ti` for the principal: via the catalog when a rule could match a
  // base table, via the definition's lineage for a view.
  TableState& table_state(uint32_t ti) {
    TableState& st = table_state_[ti];
    if (st.computed) return st;
    st.computed = true;
    const TableRef& t = a_.tables[ti];
    if (!base_table(t) || t.is_system_schema) return st;
    if (t.is_view) {
      st.is_view = true;
      const ViewExpansion* v = view_of(ti);
      if (v == nullptr || !v->definition) {
        st.failed = true;
        st.failed_reason = "view " + qualified(t.schema, "", t.table) + " was not expanded";
        return st;
      }
      Planner sub(s_, *v->definition, depth_ + 1);
      st.lineage = sub.lineage(v->columns);
      for (std::size_t k = 0; k < v->columns.size(); ++k) {
        const ViewColumnLineage l =
            k < st.lineage.columns.size() ? st.lineage.columns[k] : ViewColumnLineage{};
        st.per_column.push_back(l.rule);
        st.computed_column.push_back(l.computed);
        st.star_names.push_back(v->columns[k]);
        if (l.rule >= 0) st.masked.emplace_back(v->columns[k], l.rule);
      }
      return st;
    }
    if (!may_match_table(t)) return st;
    auto e = s_.catalog.table(t.schema, t.table);
    if (!e || *e == nullptr) {
      st.failed = true;
      st.failed_reason = e ? "unknown table" : e.error().message;
      return st;
    }
    st.entry = *e;
    std::vector<int> rules;
    for (const auto& col : st.entry->columns) {
      const int r = rule_for(t.schema, t.table, col.name);
      rules.push_back(r);
      if (r >= 0) st.masked.emplace_back(col.name, r);
    }
    // A generated column whose expression reads a masked column is computed from it
    // (`flag AS (ssn = '900-11-2233')`): masked by that rule, refused like a computed view column.
    std::vector<bool> computed(rules.size(), false);
    const std::size_t direct = st.masked.size();
    for (std::size_t k = 0; k < st.entry->columns.size(); ++k) {
      const auto& col = st.entry->columns[k];
      if (rules[k] >= 0 || !col.generation_expression || col.generation_expression->empty()) continue;
      const std::string& expr = *col.generation_expression;
      LexResult lex;
      lex_sql(expr, lex);
      for (std::size_t i = 0; i < direct && rules[k] < 0; ++i) {
        bool hit = !lex.ok;  // an expression we cannot read could read anything
        for (const auto& tok : lex.tokens) {
          if ((tok.type == TokenType::kWord || tok.type == TokenType::kQuotedIdent) &&
              iequals(identifier_text(expr, tok), st.masked[i].first)) {
            hit = true;
          }
        }
        if (hit) {
          rules[k] = st.masked[i].second;
          computed[k] = true;
          st.masked.emplace_back(col.name, rules[k]);
          st.generated.emplace_back(col.name, st.masked[i].first);
        }
      }
    }
    for (std::size_t k = 0; k < st.entry->columns.size(); ++k) {
      if (st.entry->columns[k].invisible) continue;  // not part of `*`
      st.per_column.push_back(rules[k]);
      st.computed_column.push_back(computed[k]);
      st.star_names.push_back(st.entry->columns[k].name);
    }
    return st;
  }

  // How many columns `*` yields for a table no masking rule can match (so table_state() did not
  // ask the catalog); std::nullopt when the catalog cannot tell.
  std::optional<std::size_t> unmasked_star_width(const TableRef& t) const {
    auto e = s_.catalog.table(t.schema, t.table);
    if (!e || *e == nullptr) return std::nullopt;
    return (**e).star_columns().size();
  }

  bool star_has_masked(const TableState& st) const {
    for (int r : st.per_column) {
      if (r >= 0) return true;
    }
    return false;
  }

  std::vector<RefMatch> matches_for(const ColumnRef& ref) {
    std::vector<RefMatch> out;
    if (ref.candidates.empty()) {
      // Nothing in scope resolved it (outer reference, unknown table): match by name alone.
      const int r = rule_for("", "", ref.column);
      if (r >= 0) out.push_back({r, ref.column, false});
      return out;
    }
    for (uint32_t ti : ref.candidates) {
      if (ti >= a_.tables.size()) {
        const int r = rule_for("", "", ref.column);
        if (r >= 0) out.push_back({r, ref.column, false});
        continue;
      }
      const TableRef& t = a_.tables[ti];
      if (!base_table(t)) continue;  // columns of derived tables / CTEs are checked inside them
      if (t.is_view) {
        const TableState& st = table_state(ti);
        for (std::size_t k = 0; k < st.star_names.size() && k < st.lineage.columns.size(); ++k) {
          if (!iequals(st.star_names[k], ref.column)) continue;
          const ViewColumnLineage& l = st.lineage.columns[k];
          if (l.rule >= 0) {
            out.push_back({l.rule,
                           qualified(t.schema, t.table, st.star_names[k]) + " (from " + l.source + ")",
                           l.computed});
          }
        }
        // A view's column may also be matched by name (column_pattern, schema.view.column).
      }
      const int r = rule_for(t.schema, t.table, ref.column);
      if (r >= 0) {
        out.push_back({r, qualified(t.schema, t.table, ref.column), false});
        continue;
      }
      if (t.is_view) continue;
      const TableState& st = table_state(ti);
      for (const auto& [gen, from] : st.generated) {
        if (!iequals(gen, ref.column)) continue;
        for (const auto& [m, mr] : st.masked) {
          if (iequals(m, gen)) {
            out.push_back({mr, qualified(t.schema, t.table, gen) + " (generated from " + from + ")", true});
            break;
          }
        }
      }
    }
    return out;
  }

  std::string refuse_column(const RefMatch& m, const std::string& how) const {
    if (m.computed) {
      return "statement refused: " +
             std::string(m.column.find("(generated from") != std::string::npos ? "column " : "view column ") +
             m.column +
             " is computed from a masked column, so it cannot be masked by its origin; here it is " + how +
             " (rule " + rule_id(m.rule) + ")";
    }
    return "statement refused: column " + m.column +
           " is masked for you and may only be selected directly; here it is " + how + " (rule " +
           rule_id(m.rule) + ")";
  }

  common::Result<void> check_tables();
  common::Result<void> check_system_table(uint32_t ti);
  common::Result<void> check_physical(uint32_t ti);
  common::Result<void> check_metadata();
  common::Result<void> check_references();
  common::Result<void> check_relaxed();
  common::Result<void> plan_outputs();

  PlanShared& s_;
  MaskingPlan& plan_ = s_.plan;
  const StatementAnalysis& a_;
  std::size_t depth_;
  std::vector<TableState> table_state_;
  // Masked references that a relaxation may allow, verified on the canonical text.
  std::vector<std::pair<const ColumnRef*, RefMatch>> relaxed_;
  // Masked references in assignment context: allowed only as write targets.
  std::vector<std::pair<const ColumnRef*, RefMatch>> assignments_;
  std::vector<bool> ref_is_output_column_;
};

common::Result<void> Planner::check_system_table(uint32_t ti) {
  if (!s_.any_active) return {};
  const TableRef& t = a_.tables[ti];
  const std::string name = qualified(t.schema, "", t.table);
  const std::string why =
      " while masking rules apply to you: it can show schema text (column defaults, check constraints, "
      "generated columns, view, trigger and routine bodies, comments), statement texts or value statistics "
      "that carry masked values";
  if (!iequals(t.schema, "information_schema")) {
    return common::fail(common::ErrorCode::kRefused,
                        "statement refused: reading " + name + " is not allowed" + why);
  }
  if (information_schema_table_is_plain(t.table)) return {};
  const auto* text = information_schema_text_columns(t.table);
  if (text == nullptr) {
    return common::fail(common::ErrorCode::kRefused,
                        "statement refused: reading " + name + " is not allowed" + why);
  }
  for (const auto& ref : a_.columns) {
    if (std::find(ref.candidates.begin(), ref.candidates.end(), ti) == ref.candidates.end()) continue;
    bool hit = ref.column == "*";
    for (auto c : *text) hit = hit || iequals(c, ref.column);
    if (hit) {
      std::string cols;
      for (auto c : *text) cols += (cols.empty() ? "" : ", ") + std::string(c);
      return common::fail(common::ErrorCode::kRefused,
                          "statement refused: " + name + "." +
                              (ref.column == "*" ? std::string("*") : ref.column) + " is not allowed" + why +
                              "; select other columns than " + cols);
    }
  }
  return {};
}

// Physical-design oracles: index hints and partition selection that make the server order or
// filter rows by a masked column without the statement naming it.
common::Result<void> Planner::check_physical(uint32_t ti) {
  const TableRef& t = a_.tables[ti];
  if (t.index_hints.empty() && t.partitions.empty()) return {};
  TableState& st = table_state(ti);
  if (st.masked.empty()) return {};
  const std::string name = qualified(t.schema, "", t.table);
  if (!st.entry) {
    return common::fail(common::ErrorCode::kRefused,
                        "statement refused: index hints and partition selection on " + name +
                            " cannot be checked against its masked columns");
  }
  auto masked_in = [&](const std::vector<std::string>& cols) -> std::string {
    for (const auto& c : cols) {
      for (const auto& [m, r] : st.masked) {
        if (iequals(c, m)) return m;
      }
    }
    return "";
  };
  for (const auto& h : t.index_hints) {
    if (h.kind == TableRef::IndexHint::Kind::kIgnore) {
      // Ignoring the other indexes can leave the server an index over a masked column.
      for (const auto& ix : st.entry->indexes) {
        const std::string m = masked_in(ix.columns);
        if (m.empty()) continue;
        bool ignored = false;
        for (const auto& n : h.indexes) ignored = ignored || iequals(n, ix.name);
        if (!ignored) {
          return common::fail(common::ErrorCode::kRefused,
                              "statement refused: IGNORE INDEX on " + name +
                                  " can make the server read "
                                  "rows through index " +
                                  ix.name + " over masked column " + m +
                                  ", in that column's order; remove the index hint");
        }
      }
      continue;
    }
    for (const auto& n : h.indexes) {
      for (const auto& ix : st.entry->indexes) {
        if (!iequals(n, ix.name)) continue;
        const std::string m = masked_in(ix.columns);
        if (!m.empty()) {
          return common::fail(common::ErrorCode::kRefused,
                              "statement refused: the index hint on " + name + " names index " + ix.name +
                                  " over masked column " + m +
                                  "; rows would come back in that column's order; remove the index hint");
        }
      }
    }
  }
  if (!t.partitions.empty()) {
    for (const auto& expr : st.entry->partition_expressions) {
      std::vector<std::string> cols;
      if (expr.empty()) {  // PARTITION BY KEY(): the primary key
        for (const auto& ix : st.entry->indexes) {
          if (iequals(ix.name, "PRIMARY")) cols = ix.columns;
        }
        if (cols.empty()) {
          return common::fail(common::ErrorCode::kRefused,
                              "statement refused: partition selection on " + name +
                                  ": its partitioning columns cannot be determined");
        }
      } else {
        LexResult lex;
        lex_sql(expr, lex);
        if (!lex.ok) {
          return common::fail(common::ErrorCode::kRefused,
                              "statement refused: partition selection on " + name +
                                  ": its partitioning expression cannot be read");
        }
        for (const auto& tok : lex.tokens) {
          if (tok.type == TokenType::kWord || tok.type == TokenType::kQuotedIdent) {
            cols.push_back(identifier_text(expr, tok));
          }
        }
      }
      const std::string m = masked_in(cols);
      if (!m.empty()) {
        return common::fail(common::ErrorCode::kRefused,
                            "statement refused: " + name + " is partitioned by masked column " + m +
                                "; selecting partitions would reveal which rows fall in which value range");
      }
    }
  }
  return {};
}

common::Result<void> Planner::check_tables() {
  const StatementKind kind = a_.kind;
  const bool metadata = kind == StatementKind::kShow || kind == StatementKind::kDescribe;
  for (uint32_t ti = 0; ti < a_.tables.size(); ++ti) {
    const TableRef& t = a_.tables[ti];
    if (!base_table(t)) continue;
    if (t.is_system_schema) {
      if (metadata) continue;  // SHOW ... is modelled as a system table; check_metadata() decides
      if (auto r = check_system_table(ti); !r) return r;
      continue;
    }
    if (metadata) continue;
    TableState& st = table_state(ti);
    const std::string name = qualified(t.schema, "", t.table);
    // A write target may not exist yet (CREATE TABLE ... AS SELECT): its columns are the
    // statement's own; what is copied into it is checked on the column references.
    if (st.failed && t.written) continue;
    if (st.failed) {
      return common::fail(common::ErrorCode::kRefused,
                          "statement refused: the columns of " + name +
                              " could not be looked up, so masking cannot be checked (" + st.failed_reason +
                              ")");
    }
    if (!st.masked.empty()) plan_.sensitive = true;
    if (st.is_view) {
      if (st.lineage.references_masked) plan_.sensitive = true;
      if (!st.lineage.refusal.empty()) {
        return common::fail(common::ErrorCode::kRefused, "statement refused: view " + name + " " +
                                                             st.lineage.refusal +
                                                             ", so reading it could reveal masked values");
      }
    }
    if (is_raw_table_kind(kind) && !st.masked.empty()) {
      return common::fail(common::ErrorCode::kRefused, "statement refused: " + std::string(to_string(kind)) +
                                                           " on " + name + " would read masked column " +
                                                           st.masked.front().first + " (rule " +
                                                           rule_id(st.masked.front().second) + ")");
    }
    if (auto r = check_physical(ti); !r) return r;
  }
  return {};
}

// SHOW and DESCRIBE: no column values, but schema text can carry them (a masked column's
// default, comment, check constraint, generated expression, partition bounds, a view's literal,
// trigger and routine bodies) and index statistics count distinct values.
common::Result<void> Planner::check_metadata() {
  const StatementKind kind = a_.kind;
  if (kind != StatementKind::kShow && kind != StatementKind::kDescribe) return {};
  if (!s_.any_active) return {};
  const std::string form = kind == StatementKind::kDescribe ? std::string("COLUMNS") : a_.show_form;
  const bool per_table =
      form == "COLUMNS" || form == "INDEX" || form == "CREATE TABLE" || form == "CREATE VIEW";
  if (!per_table) {
    if (show_form_is_plain(form)) return {};
    return common::fail(common::ErrorCode::kRefused,
                        "statement refused: SHOW " + (form.empty() ? std::string("...") : form) +
                            " can show object bodies or statement texts that contain masked values, and "
                            "masking rules apply to you");
  }
  for (uint32_t ti = 0; ti < a_.tables.size(); ++ti) {
    const TableRef& t = a_.tables[ti];
    if (!base_table(t) || t.is_system_schema) continue;
    TableState& st = table_state(ti);
    const std::string name = qualified(t.schema, "", t.table);
    if (st.failed) {
      return common::fail(common::ErrorCode::kRefused,
                          "statement refused: the columns of " + name +
                              " could not be looked up, so masking cannot be checked (" + st.failed_reason +
                              ")");
    }
    const bool touches = !st.masked.empty() || (st.is_view && st.lineage.references_masked);
    if (!touches) continue;
    if (form == "CREATE TABLE" || form == "CREATE VIEW") {
      return common::fail(common::ErrorCode::kRefused,
                          "statement refused: SHOW " + form + " " + name +
                              " would show its definition, and " +
                              (st.masked.empty() ? std::string("it reads masked columns")
                                                 : "masked column " + st.masked.front().first + " (rule " +
                                                       rule_id(st.masked.front().second) + ")") +
                              " whose defaults, checks, expressions or literals can hold masked values; use "
                              "DESCRIBE or the describe_table tool, which mask them");
    }
    if (a_.show_filtered) {
      return common::fail(common::ErrorCode::kRefused,
                          "statement refused: a WHERE filter over SHOW " + form + " of " + name +
                              " can test what the listing says about masked column " +
                              (st.masked.empty() ? std::string("values") : st.masked.front().first) +
                              " (its default, comment or index statistics); filter with LIKE 'name' only");
    }
    if (form == "INDEX") {
      if (!st.entry) continue;  // views have no indexes
      for (const auto& ix : st.entry->indexes) {
        for (const auto& c : ix.columns) {
          for (const auto& [m, r] : st.masked) {
            if (iequals(c, m)) {
              return common::fail(common::ErrorCode::kRefused, "statement refused: SHOW INDEX on " + name +
                                                                   " would show the cardinality "
                                                                   "of index " +
                                                                   ix.name + " over masked column " + m +
                                                                   " (rule " + rule_id(r) +
                                                                   "), an estimate of its distinct values");
            }
          }
        }
      }
      continue;
    }
    // COLUMNS / DESCRIBE: masked after execution (Default, Comment, ENUM/SET value lists).
    if (st.is_view && !st.lineage.refusal.empty()) {
      plan_.metadata_all_rows = true;
    }
    for (const auto& [m, r] : st.masked) {
      plan_.metadata_rows.emplace_back(m, rule_id(r));
    }
    if (plan_.metadata_all_rows && plan_.metadata_rows.empty()) {
      plan_.metadata_rows.emplace_back("*", "view-lineage");
    }
  }
  return {};
}

common::Result<void> Planner::check_references() {
  const StatementKind kind = a_.kind;
  const bool query = is_query_kind(kind) || kind == StatementKind::kExplain;
  // Which column refs are the column of a top-level kColumn output.
  ref_is_output_column_.assign(a_.columns.size(), false);
  if (query) {
    for (const auto& o : a_.outputs) {
      if (o.shape == OutputColumn::Shape::kColumn && o.column && *o.column < a_.columns.size()) {
        ref_is_output_column_[*o.column] = true;
      }
    }
  }
  for (std::size_t ci = 0; ci < a_.columns.size(); ++ci) {
    const ColumnRef& ref = a_.columns[ci];
    if (ref.column == "*") {
      const bool top_level = query && ref.contexts == kCtxSelectList;
      if (top_level) continue;  // expanded in plan_outputs()
      if (ref.contexts == kCtxExpression || ref.contexts == (kCtxExpression | kCtxSelectList)) {
        continue;  // COUNT(*): no column value
      }
      // A star anywhere else hides which columns flow where.
      std::vector<uint32_t> tables = ref.candidates;
      if (tables.empty()) {
        for (uint32_t ti = 0; ti < a_.tables.size(); ++ti) tables.push_back(ti);
      }
      for (uint32_t ti : tables) {
        if (ti >= a_.tables.size()) continue;
        const TableState& st = table_state(ti);
        for (std::size_t k = 0; k < st.per_column.size(); ++k) {
          if (st.per_column[k] < 0) continue;
          const TableRef& t = a_.tables[ti];
          const RefMatch m{st.per_column[k], qualified(t.schema, t.table, st.star_names[k]), false};
          return common::fail(common::ErrorCode::kRefused,
                              refuse_column(m, "read through a `*` " +
                                                   describe_context(ref.contexts & ~kCtxSelectList, kind)));
        }
      }
      continue;
    }
    const auto matches = matches_for(ref);
    if (matches.empty()) continue;
    for (const auto& m : matches) {
      add_unique(plan_.masked_references, m.column + " (" + rule_id(m.rule) + ")");
    }
    plan_.sensitive = true;
    const uint32_t bits = ref.contexts;
    for (const auto& m : matches) {
      if (m.computed && !(kind == StatementKind::kExplain && bits == kCtxSelectList)) {
        return common::fail(common::ErrorCode::kRefused, refuse_column(m, describe_context(bits, kind)));
      }
    }
    if (query && bits == kCtxSelectList && ref_is_output_column_[ci]) continue;  // plain
    // EXPLAIN shows the plan, not the values; its predicates are still checked (ANALYZE runs).
    if (kind == StatementKind::kExplain && bits == kCtxSelectList) continue;
    if (a_.writes_data && bits == kCtxAssignment) {
      // Written, not read, if every occurrence is a write target (verified on the digest).
      assignments_.emplace_back(&ref, matches.front());
      continue;
    }
    // Relaxations: every matched rule must allow every context the reference has.
    uint32_t allow = ~0u;
    for (const auto& m : matches) allow &= s_.c.rules[static_cast<std::size_t>(m.rule)].allow;
    const uint32_t permitted = relaxed_contexts(allow) | (query ? kCtxSelectList : 0u);
    if (allow != 0 && (bits & ~permitted) == 0 && (bits & ~kCtxSelectList) != 0) {
      relaxed_.emplace_back(&ref, matches.front());
      continue;
    }
    return common::fail(common::ErrorCode::kRefused,
                        refuse_column(matches.front(), describe_context(bits, kind)));
  }
  return {};
}

common::Result<void> Planner::check_relaxed() {
  if (relaxed_.empty() && assignments_.empty()) return {};
  DigestTokens d;
  d.text = a_.digest_text;
  lex_sql(d.text, d.lex);
  for (const auto& [ref, m] : assignments_) {
    if (d.text.empty() || !d.lex.ok || !only_write_targets(d, ref->column)) {
      return common::fail(common::ErrorCode::kRefused,
                          refuse_column(m, "read as the value of an assignment"));
    }
  }
  for (const auto& [ref, m] : relaxed_) {
    uint32_t allow = s_.c.rules[static_cast<std::size_t>(m.rule)].allow;
    if (d.text.empty() || !d.lex.ok || !occurrences_allowed(d, ref->column, allow)) {
      std::string allowed;
      for (const auto& a : s_.c.rules[static_cast<std::size_t>(m.rule)].rule->allow) {
        allowed += (allowed.empty() ? "" : ", ") + a;
      }
      return common::fail(
          common::ErrorCode::kRefused,
          refuse_column(m, describe_context(ref->contexts, a_.kind) +
                               ", in a form that the rule's relaxations (" + allowed + ") do not cover"));
    }
  }
  return {};
}

common::Result<void> Planner::plan_outputs() {
  const StatementKind kind = a_.kind;
  if (!is_query_kind(kind)) {
    plan_.outputs_exact = false;  // no data columns (or none we plan for): metadata decides
    return {};
  }
  if (!a_.outputs_known) {
    // Masked references that passed the checks above, or a top-level `*` over a table with
    // masked columns, would reach the result in a way we cannot confirm.
    bool star_over_masked = false;
    for (const auto& ref : a_.columns) {
      if (ref.column != "*" || ref.contexts != kCtxSelectList) continue;
      for (uint32_t ti : ref.candidates) {
        if (ti < a_.tables.size() && (star_has_masked(table_state(ti)) || table_state(ti).failed)) {
          star_over_masked = true;
        }
      }
    }
    if (!plan_.masked_references.empty() || star_over_masked) {
      return common::fail(
          common::ErrorCode::kRefused,
          "statement refused: the result columns of this statement could not be determined, and "
          "it reads masked columns (" +
              (plan_.masked_references.empty() ? std::string("of a table it names")
                                               : plan_.masked_references.front()) +
              ")");
    }
    return {};
  }
  bool exact = true;
  std::vector<std::string> masked_aliases;
  for (const auto& o : a_.outputs) {
    switch (o.shape) {
      case OutputColumn::Shape::kColumn: {
        int rule = -1;
        if (o.column && *o.column < a_.columns.size()) {
          const auto ms = matches_for(a_.columns[*o.column]);
          if (!ms.empty()) rule = ms.front().rule;
          if (rule >= 0) {
            masked_aliases.push_back(o.alias.empty() ? a_.columns[*o.column].column : o.alias);
          }
        }
        plan_.output_rules.push_back(rule);
        break;
      }
      case OutputColumn::Shape::kStar: {
        for (uint32_t ti : o.star_tables) {
          if (ti >= a_.tables.size() || !base_table(a_.tables[ti])) {
            exact = false;
            continue;
          }
          const TableRef& t = a_.tables[ti];
          TableState& st = table_state(ti);
          if (st.failed) {
            return common::fail(common::ErrorCode::kRefused,
                                "statement refused: the columns of " + qualified(t.schema, "", t.table) +
                                    " could not be looked up to expand `*`, so masking cannot be "
                                    "checked");
          }
          if (!st.entry && !st.is_view) {
            const auto width = unmasked_star_width(t);
            if (!width) {
              exact = false;
              continue;
            }
            plan_.output_rules.insert(plan_.output_rules.end(), *width, -1);
            continue;
          }
          for (std::size_t k = 0; k < st.per_column.size(); ++k) {
            if (st.per_column[k] >= 0 && st.computed_column[k]) {
              return common::fail(common::ErrorCode::kRefused,
                                  "statement refused: `*` over " + std::string(st.is_view ? "view " : "") +
                                      qualified(t.schema, "", t.table) + " includes column " +
                                      st.star_names[k] + ", computed from a masked column (rule " +
                                      rule_id(st.per_column[k]) + "); select the other columns by name");
            }
            plan_.output_rules.push_back(st.per_column[k]);
            if (st.per_column[k] >= 0) {
              add_unique(plan_.masked_references, qualified(t.schema, t.table, st.star_names[k]) + " (" +
                                                      rule_id(st.per_column[k]) + ")");
              masked_aliases.push_back(st.star_names[k]);
            }
          }
        }
        break;
      }
      case OutputColumn::Shape::kExpression: {
        // Masked inputs were refused in check_references() unless a relaxation (COUNT) allowed
        // them, which yields no column value.
        plan_.output_rules.push_back(-1);
        break;
      }
    }
  }
  plan_.outputs_exact = exact;
  // DISTINCT over a masked output: the number of rows reveals which clear values are equal.
  if (a_.distinct && !masked_aliases.empty()) {
    return common::fail(common::ErrorCode::kRefused,
                        "statement refused: SELECT DISTINCT over masked column " + masked_aliases.front() +
                            " would reveal which of its values are equal (the number of rows that remain); "
                            "select it without DISTINCT, or DISTINCT over unmasked columns only");
  }
  // A masked output referenced by its alias (ORDER BY x, HAVING x LIKE ...) is an oracle the
  // column references alone do not show.
  for (const auto& ref : a_.columns) {
    if (!ref.qualifier.empty() || (ref.contexts & kCtxSelectList) || ref.column == "*") continue;
    for (const auto& alias : masked_aliases) {
      if (iequals(alias, ref.column) && matches_for(ref).empty()) {
        return common::fail(common::ErrorCode::kRefused,
                            "statement refused: " + ref.column +
                                " names a masked result column; it may only be selected directly, "
                                "here it is " +
                                describe_context(ref.contexts, kind));
      }
    }
  }
  // Positional ORDER BY / GROUP BY (ORDER BY 1) over a result with a masked column.
  if (!masked_aliases.empty()) {
    DigestTokens d;
    d.text = a_.digest_text;
    lex_sql(d.text, d.lex);
    if (!d.lex.ok) {
      return common::fail(common::ErrorCode::kRefused,
                          "statement refused: masking could not read the canonical statement");
    }
    for (std::size_t i = 0; i + 2 < d.size(); ++i) {
      if ((d.word(i, "order") || d.word(i, "group")) && d.word(i + 1, "by")) {
        // Any literal right after BY or after a comma in the list is positional.
        std::size_t k = i + 2;
        int depth = 0;
        while (k < d.size() && d.lex.tokens[k].type != TokenType::kEnd) {
          if (d.op(k, "(")) ++depth;
          if (d.op(k, ")")) {
            if (depth == 0) break;
            --depth;
          }
          const bool item_start = k == i + 2 || (depth == 0 && d.op(k - 1, ","));
          if (item_start &&
              (d.lex.tokens[k].type == TokenType::kParam || d.lex.tokens[k].type == TokenType::kNumber)) {
            return common::fail(
                common::ErrorCode::kRefused,
                "statement refused: ORDER BY / GROUP BY by position over a result with masked "
                "column " +
                    masked_aliases.front() +
                    " (order and grouping would reveal the masked values); order by an unmasked "
                    "column instead");
          }
          if (depth == 0 &&
              (d.word(k, "limit") || d.word(k, "having") || d.word(k, "window") || d.word(k, "order") ||
               d.word(k, "union") || d.word(k, "for") || d.word(k, "offset") || d.word(k, "fetch"))) {
            break;
          }
          ++k;
        }
      }
    }
  }
  return {};
}

// The planner of a view's definition: which masked columns each view column shows, and whether
// the definition itself uses a masked column in a way that makes every read of the view an
// oracle (WHERE, JOIN, GROUP BY, DISTINCT, UNION, subqueries, physical-design hints, ...).
ViewLineage Planner::lineage(const std::vector<std::string>& columns) {
  ViewLineage out;
  auto taint = [&](std::string why) {
    if (out.refusal.empty()) out.refusal = std::move(why);
    out.references_masked = true;
  };
  if (!a_.understood) {
    taint("has a definition sqlguard cannot analyse (" + a_.reason + ")");
    return out;
  }
  for (const auto& f : a_.functions) {
    if (!is_builtin_function(f)) {
      taint("calls " + f +
            ", which is not a built-in function (a stored function could return masked values)");
    }
  }
  for (uint32_t ti = 0; ti < a_.tables.size(); ++ti) {
    const TableRef& t = a_.tables[ti];
    if (!base_table(t)) continue;
    if (t.is_system_schema) {
      if (auto r = check_system_table(ti); !r)
        taint("reads " + qualified(t.schema, "", t.table) + ": " + r.error().message);
      continue;
    }
    TableState& st = table_state(ti);
    if (st.failed) {
      taint("reads " + qualified(t.schema, "", t.table) + ", whose columns could not be looked up (" +
            st.failed_reason + ")");
      continue;
    }
    if (!st.masked.empty()) out.references_masked = true;
    if (st.is_view && st.lineage.references_masked) out.references_masked = true;
    if (st.is_view && !st.lineage.refusal.empty())
      taint("reads view " + qualified(t.schema, "", t.table) + ", which " + st.lineage.refusal);
    if (auto r = check_physical(ti); !r)
      taint("uses " + r.error().message.substr(std::string("statement refused: ").size()));
  }
  // Where each masked reference sits in the definition.
  std::vector<ViewColumnLineage> computed(a_.outputs.size());
  std::vector<bool> is_output(a_.columns.size(), false);
  for (const auto& o : a_.outputs) {
    if (o.shape == OutputColumn::Shape::kColumn && o.column && *o.column < a_.columns.size())
      is_output[*o.column] = true;
  }
  for (std::size_t ci = 0; ci < a_.columns.size(); ++ci) {
    const ColumnRef& ref = a_.columns[ci];
    if (ref.column == "*") {
      if (ref.contexts == kCtxSelectList) continue;  // expanded below
      if (ref.contexts == kCtxExpression || ref.contexts == (kCtxExpression | kCtxSelectList)) continue;
      for (uint32_t ti : ref.candidates) {
        if (ti < a_.tables.size() && star_has_masked(table_state(ti))) {
          taint("reads a `*` over masked columns " +
                describe_context(ref.contexts & ~kCtxSelectList, a_.kind));
        }
      }
      continue;
    }
    const auto matches = matches_for(ref);
    if (matches.empty()) continue;
    out.references_masked = true;
    const RefMatch& m = matches.front();
    if (ref.contexts == kCtxSelectList && is_output[ci]) continue;  // the column itself, below
    if (ref.contexts == (kCtxSelectList | kCtxExpression)) {
      bool placed = false;
      for (std::size_t k = 0; k < a_.outputs.size(); ++k) {
        const auto& in = a_.outputs[k].inputs;
        if (std::find(in.begin(), in.end(), static_cast<uint32_t>(ci)) != in.end()) {
          if (computed[k].rule < 0) computed[k] = ViewColumnLineage{m.rule, m.column, true};
          placed = true;
        }
      }
      if (placed) continue;
    }
    taint("uses masked column " + m.column + " " + describe_context(ref.contexts, a_.kind) + " (rule " +
          rule_id(m.rule) + ")");
  }
  if (!out.refusal.empty()) return out;
  if (!a_.outputs_known || !is_query_kind(a_.kind)) {
    if (out.references_masked) taint("has result columns that cannot be traced to masked columns");
    return out;
  }
  std::vector<ViewColumnLineage> flat;
  for (std::size_t k = 0; k < a_.outputs.size(); ++k) {
    const auto& o = a_.outputs[k];
    switch (o.shape) {
      case OutputColumn::Shape::kColumn: {
        ViewColumnLineage l;
        if (o.column && *o.column < a_.columns.size()) {
          const auto ms = matches_for(a_.columns[*o.column]);
          if (!ms.empty()) l = ViewColumnLineage{ms.front().rule, ms.front().column, ms.front().computed};
        }
        flat.push_back(l);
        break;
      }
      case OutputColumn::Shape::kStar:
        for (uint32_t ti : o.star_tables) {
          if (ti >= a_.tables.size() || !base_table(a_.tables[ti])) {
            if (out.references_masked) taint("has result columns that cannot be traced to masked columns");
            return out;
          }
          const TableRef& t = a_.tables[ti];
          TableState& st = table_state(ti);
          if (!st.entry && !st.is_view) {
            const auto width = unmasked_star_width(t);
            if (!width) {
              taint("reads " + qualified(t.schema, "", t.table) + ", whose columns could not be looked up");
              return out;
            }
            flat.insert(flat.end(), *width, ViewColumnLineage{});
            continue;
          }
          for (std::size_t j = 0; j < st.per_column.size(); ++j) {
            ViewColumnLineage l;
            if (st.per_column[j] >= 0) {
              l = ViewColumnLineage{st.per_column[j], qualified(t.schema, t.table, st.star_names[j]),
                                    st.computed_column[j]};
            }
            flat.push_back(l);
          }
        }
        break;
      case OutputColumn::Shape::kExpression: flat.push_back(computed[k]); break;
    }
  }
  bool any_masked = false;
  for (const auto& l : flat) any_masked = any_masked || l.rule >= 0;
  if (a_.distinct && any_masked) {
    taint("selects DISTINCT over a masked column");
    return out;
  }
  if (flat.size() != columns.size()) {
    if (out.references_masked) {
      taint("has " + std::to_string(flat.size()) + " result columns in its definition but " +
            std::to_string(columns.size()) + " in the catalog, so they cannot be traced");
    }
    out.columns.assign(columns.size(), ViewColumnLineage{});
    return out;
  }
  out.columns = std::move(flat);
  return out;
}

common::Result<MaskingPlan> Planner::run() {
  if (!a_.understood) {
    return common::fail(common::ErrorCode::kRefused,
                        "statement refused: masking cannot check a statement that was not "
                        "understood (" +
                            a_.reason + ")");
  }
  if (is_opaque_kind(a_.kind)) {
    return common::fail(common::ErrorCode::kRefused,
                        "statement refused: " + std::string(to_string(a_.kind)) +
                            " hides which columns it reads, and masking rules apply to you");
  }
  // A stored function or UDF can read any table and return a masked value as an expression
  // without origin (reference §4.3; bypass catalogue #69).
  for (const auto& f : a_.functions) {
    if (!is_builtin_function(f)) {
      return common::fail(common::ErrorCode::kRefused,
                          "statement refused: " + f +
                              " is not a built-in function; a stored function could return masked "
                              "values, and masking rules apply to you");
    }
  }
  if (auto r = check_tables(); !r) return std::unexpected(r.error());
  if (auto r = check_metadata(); !r) return std::unexpected(r.error());
  if (auto r = check_references(); !r) return std::unexpected(r.error());
  if (auto r = check_relaxed(); !r) return std::unexpected(r.error());
  if (auto r = plan_outputs(); !r) return std::unexpected(r.error());
  bool star_over_masked = false;
  for (int r : plan_.output_rules) star_over_masked = star_over_masked || r >= 0;
  const bool carries = !plan_.masked_references.empty() || star_over_masked;
  if (carries && (a_.into_outfile || a_.into_variable)) {
    return common::fail(
        common::ErrorCode::kRefused,
        "statement refused: SELECT ... INTO would store masked column " +
            (plan_.masked_references.empty() ? std::string("values") : plan_.masked_references.front()) +
            " unmasked");
  }
  if (carries && a_.user_variables) {
    return common::fail(
        common::ErrorCode::kRefused,
        "statement refused: user variables in a statement that reads masked "
        "column " +
            (plan_.masked_references.empty() ? std::string("values") : plan_.masked_references.front()) +
            " could carry its values out unmasked");
  }
  if (plan_.sensitive && a_.executable_comment) {
    return common::fail(common::ErrorCode::kRefused,
                        "statement refused: executable comments (/*! ... */) in a statement "
                        "that reads a table with masked columns");
  }
  // Copy-then-read: a write may only name masked columns as its targets (checked above);
  // CREATE TABLE ... AS SELECT / INSERT ... SELECT of a masked column were refused there.
  return std::move(plan_);
}

}  // namespace

common::Result<MaskingPlan> MaskingEngine::plan(const Principal& principal, const StatementAnalysis& analysis,
                                                const Catalog& catalog) const {
  if (!compiled_->error.empty())
    return common::fail(common::ErrorCode::kInternal, "masking is misconfigured: " + compiled_->error);
  PlanShared shared{*compiled_, catalog, std::vector<bool>(compiled_->rules.size()), false, {}};
  for (std::size_t i = 0; i < compiled_->rules.size(); ++i) {
    shared.active[i] = !exempt_by(compiled_->rules[i].rule->exempt_subjects,
                                  compiled_->rules[i].rule->exempt_groups, principal);
    shared.any_active = shared.any_active || shared.active[i];
  }
  if (!shared.any_active) {
    MaskingPlan p;
    bool detectors = false;
    for (const auto& d : compiled_->detectors) {
      detectors = detectors || !exempt_by(d->config().exempt_subjects, d->config().exempt_groups, principal);
    }
    p.bypass = !detectors;
    // Record which exemptions this statement used (rules that would have masked a column).
    for (const auto& ref : analysis.columns) {
      if (ref.column == "*") {
        for (uint32_t ti : ref.candidates) {
          if (ti >= analysis.tables.size()) continue;
          const TableRef& t = analysis.tables[ti];
          if (t.is_cte || t.is_derived || t.is_system_schema) continue;
          bool may = false;
          for (const auto& r : compiled_->rules) may = may || r.may_match_table(t.schema, t.table);
          if (!may) continue;
          if (auto e = catalog.table(t.schema, t.table); e && *e != nullptr) {
            for (const auto& col : (**e).columns) {
              const int r = compiled_->find_rule(t.schema, t.table, col.name);
              if (r >= 0)
                add_unique(p.exemptions_used, compiled_->rules[static_cast<std::size_t>(r)].rule->id);
            }
          }
        }
        continue;
      }
      std::vector<std::pair<std::string, std::string>> where;
      for (uint32_t ti : ref.candidates) {
        if (ti < analysis.tables.size())
          where.emplace_back(analysis.tables[ti].schema, analysis.tables[ti].table);
      }
      if (where.empty()) where.emplace_back("", "");
      for (const auto& [s, t] : where) {
        const int r = compiled_->find_rule(s, t, ref.column);
        if (r >= 0) add_unique(p.exemptions_used, compiled_->rules[static_cast<std::size_t>(r)].rule->id);
      }
    }
    return p;
  }
  // Views must be expanded before masking can trace them; a caller that did not resolve the
  // analysis (tests, `sqlguard check`) gets it resolved here on a copy.
  if (analysis.understood && !analysis.catalog_resolved) {
    StatementAnalysis resolved = analysis;
    if (auto r = resolve_with_catalog(resolved, catalog, StatementAnalyzer{}); !r) {
      return common::fail(common::ErrorCode::kRefused, "statement refused: " + r.error().message);
    }
    Planner planner(shared, resolved, 0);
    return planner.run();
  }
  Planner planner(shared, analysis, 0);
  return planner.run();
}

// ---------------------------------------------------------------------------------------------
// apply()

namespace {

// DESCRIBE / SHOW COLUMNS rows of masked columns: what the schema says about their values.
common::Result<void> mask_metadata_rows(const MaskingPlan& plan, common::ResultSet& result,
                                        MaskingReport& report) {
  auto index_of = [&](std::string_view name) -> int {
    for (std::size_t i = 0; i < result.columns.size(); ++i) {
      if (iequals(result.columns[i].name, name)) return static_cast<int>(i);
    }
    return -1;
  };
  const int field = index_of("Field");
  if (field < 0) {
    return common::fail(
        common::ErrorCode::kRefused,
        "masking could not find the Field column of the column listing; the result is withheld");
  }
  const int type = index_of("Type"), deflt = index_of("Default"), comment = index_of("Comment");
  for (auto& row : result.rows) {
    if (static_cast<std::size_t>(field) >= row.size() || !row[static_cast<std::size_t>(field)]) continue;
    const std::string& name = *row[static_cast<std::size_t>(field)];
    const std::string* rule = nullptr;
    for (const auto& [col, id] : plan.metadata_rows) {
      if (iequals(col, name) || (plan.metadata_all_rows && col == "*")) rule = &id;
    }
    if (rule == nullptr && plan.metadata_all_rows && !plan.metadata_rows.empty())
      rule = &plan.metadata_rows.front().second;
    if (rule == nullptr) continue;
    std::optional<std::string> none;
    auto cell = [&](int i) -> std::optional<std::string>& {
      return i >= 0 && static_cast<std::size_t>(i) < row.size() ? row[static_cast<std::size_t>(i)] : none;
    };
    mask_column_description(cell(type), cell(deflt), cell(comment));
    none.reset();
    report.masked_columns.push_back(MaskedColumn{name, *rule, "metadata"});
  }
  return {};
}

}  // namespace

common::Result<MaskingReport> MaskingEngine::apply(const Principal& principal, const MaskingPlan& plan,
                                                   common::ResultSet& result) const {
  MaskingReport report;
  report.exemptions_used = plan.exemptions_used;
  if (!compiled_->error.empty())
    return common::fail(common::ErrorCode::kInternal, "masking is misconfigured");
  if (plan.bypass) {
    // Nothing applies to this principal; still record exemptions seen in the metadata.
    for (const auto& col : result.columns) {
      if (col.org_name.empty()) continue;
      const int r = compiled_->find_rule(col.schema, col.org_table, col.org_name);
      if (r >= 0) add_unique(report.exemptions_used, compiled_->rules[static_cast<std::size_t>(r)].rule->id);
    }
    return report;
  }
  const std::size_t ncols = result.columns.size();
  if (!plan.metadata_rows.empty() && result.has_result_set) {
    if (auto r = mask_metadata_rows(plan, result, report); !r) return std::unexpected(r.error());
  }
  if (plan.outputs_exact && plan.sensitive && result.has_result_set && plan.output_rules.size() != ncols) {
    return common::fail(common::ErrorCode::kRefused,
                        "masking could not confirm the result: it has " + std::to_string(ncols) +
                            " columns, but the statement analysis expected " +
                            std::to_string(plan.output_rules.size()) + "; the result is withheld");
  }
  // Decide per column: metadata (as MaxScale: schema, org_table, org_name; empty table or schema
  // matches by column name) or the plan, whichever masks.
  std::vector<int> col_rule(ncols, -1);
  for (std::size_t i = 0; i < ncols; ++i) {
    const common::ResultColumn& col = result.columns[i];
    if (!col.org_name.empty()) {
      const int r = compiled_->find_rule(col.schema, col.org_table, col.org_name);
      if (r >= 0) {
        const MaskingRule& rule = *compiled_->rules[static_cast<std::size_t>(r)].rule;
        if (exempt_by(rule.exempt_subjects, rule.exempt_groups, principal)) {
          add_unique(report.exemptions_used, rule.id);
        } else {
          col_rule[i] = r;
        }
      }
    }
    if (col_rule[i] < 0 && i < plan.output_rules.size() && plan.output_rules[i] >= 0 &&
        (plan.outputs_exact || col.org_name.empty())) {
      col_rule[i] = plan.output_rules[i];
    }
  }
  bool ok = true;
  for (std::size_t i = 0; i < ncols; ++i) {
    if (col_rule[i] < 0) continue;
    const CompiledRule& cr = compiled_->rules[static_cast<std::size_t>(col_rule[i])];
    common::ResultColumn& col = result.columns[i];
    const bool binary = is_binary_column(col);
    for (auto& row : result.rows) {
      if (i >= row.size()) continue;
      if (row[i].has_value()) ++report.cells_masked;
      row[i] = cr.masker->mask(row[i], binary, &ok);
    }
    col.type = ColumnType::kVarString;
    col.type_name = "VARCHAR (masked)";
    col.flags &= ~(flag::kBlob | flag::kUnsigned | flag::kZerofill | flag::kBinary | flag::kEnum |
                   flag::kTimestamp | flag::kSet | flag::kNum);
    col.charset = common::kCharsetUtf8mb4;
    col.masked = true;
    col.masking_rule = cr.rule->id;
    report.masked_columns.push_back(
        MaskedColumn{col.name, cr.rule->id, std::string(to_string(cr.rule->method))});
  }
  // Value detectors over every other cell.
  std::vector<const CompiledDetector*> detectors;
  for (const auto& d : compiled_->detectors) {
    if (!exempt_by(d->config().exempt_subjects, d->config().exempt_groups, principal)) {
      detectors.push_back(d.get());
    }
  }
  if (!detectors.empty()) {
    for (auto& row : result.rows) {
      for (std::size_t i = 0; i < row.size(); ++i) {
        if (i < ncols && col_rule[i] >= 0) continue;
        if (!row[i].has_value()) continue;
        bool null_cell = false;
        for (const auto* d : detectors) {
          report.detector_hits += d->scrub(*row[i], &null_cell, &ok);
          if (null_cell) break;
        }
        if (null_cell) row[i].reset();
      }
    }
  }
  if (!ok)
    return common::fail(common::ErrorCode::kInternal,
                        "masking failed (keyed hash error); the result is withheld");
  return report;
}

std::optional<MaskedColumn> MaskingEngine::rule_for(const Principal& principal, std::string_view schema,
                                                    std::string_view table, std::string_view column) const {
  if (!compiled_->error.empty()) return std::nullopt;
  const int r = compiled_->find_rule(schema, table, column);
  if (r < 0) return std::nullopt;
  const MaskingRule& rule = *compiled_->rules[static_cast<std::size_t>(r)].rule;
  if (exempt_by(rule.exempt_subjects, rule.exempt_groups, principal)) return std::nullopt;
  return MaskedColumn{qualified(schema, table, column), rule.id, std::string(to_string(rule.method))};
}

void mask_column_description(std::optional<std::string>& type, std::optional<std::string>& default_value,
                             std::optional<std::string>& comment) {
  if (default_value) default_value = "(masked)";
  if (comment && !comment->empty()) comment = "(masked)";
  if (type) {
    auto starts = [&](std::string_view p) {
      return type->size() >= p.size() && iequals(type->substr(0, p.size()), p);
    };
    if (starts("enum(")) type = "enum(masked)";
    if (starts("set(")) type = "set(masked)";
  }
}

std::optional<MaskedColumn> MaskingEngine::rule_info(int rule) const {
  if (rule < 0 || static_cast<std::size_t>(rule) >= compiled_->rules.size()) return std::nullopt;
  const MaskingRule& r = *compiled_->rules[static_cast<std::size_t>(rule)].rule;
  return MaskedColumn{"", r.id, std::string(to_string(r.method))};
}

bool error_may_leak(const MaskingPlan& plan) {
  return !plan.bypass && (plan.sensitive || !plan.masked_references.empty());
}

bool MaskingEngine::error_may_leak(const MaskingPlan& plan) const {
  return !compiled_->error.empty() || ::sqlguard::policy::error_may_leak(plan);
}

std::size_t MaskingEngine::scrub_text(const Principal& principal, std::string& text, bool* ok) const {
  std::size_t hits = 0;
  for (const auto& d : compiled_->detectors) {
    if (exempt_by(d->config().exempt_subjects, d->config().exempt_groups, principal)) continue;
    bool null_cell = false;
    hits += d->scrub(text, &null_cell, ok);
    if (null_cell) {
      text = d->config().token;
      break;
    }
  }
  return hits;
}

std::string MaskingEngine::sanitize_error_message(const Principal& principal, const MaskingPlan& plan,
                                                  uint32_t db_errno, std::string_view sqlstate,
                                                  std::string_view message) const {
  if (error_may_leak(plan) || !compiled_->error.empty()) {
    std::string out = "database error " + std::to_string(db_errno);
    if (!sqlstate.empty()) out += " (SQLSTATE " + std::string(sqlstate) + ")";
    out += "; the message is withheld because the statement touches masked columns";
    return out;
  }
  std::string text(message);
  bool ok = true;
  scrub_text(principal, text, &ok);
  if (!ok) return "database error " + std::to_string(db_errno) + "; the message is withheld";
  return text;
}

}  // namespace sqlguard::policy
