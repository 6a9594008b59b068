#include "policy/masking_engine.h"

#include <re2/re2.h>

#include <algorithm>
#include <utility>

#include "policy/glob.h"
#include "policy/maskers.h"
#include "policy/sql_builtins.h"
#include "policy/sql_lexer.h"
#include "policy/value_detectors.h"

namespace sqlguard::policy {

namespace {

// MYSQL_TYPE_* values (enum_field_types, mysql_com.h); policy/ does not include libmariadb.
constexpr int kTypeBit = 16;
constexpr int kTypeVarchar = 15;
constexpr int kTypeTinyBlob = 249;
constexpr int kTypeMediumBlob = 250;
constexpr int kTypeLongBlob = 251;
constexpr int kTypeBlob = 252;
constexpr int kTypeVarString = 253;
constexpr int kTypeString = 254;
constexpr int kTypeGeometry = 255;
constexpr uint32_t kCharsetBinary = 63;
constexpr uint32_t kCharsetUtf8mb4 = 45;  // utf8mb4_general_ci, the pinned connection charset
// Column flags that no longer describe a masked (string) column.
constexpr uint32_t kFlagBlob = 16, kFlagUnsigned = 32, kFlagZerofill = 64, kFlagBinary = 128,
                   kFlagEnum = 256, kFlagTimestamp = 1024, kFlagSet = 2048, kFlagNum = 32768;

// Relaxations (MaskingRule::allow).
constexpr uint32_t kAllowWhereEquality = 1u << 0;
constexpr uint32_t kAllowJoinEquality = 1u << 1;
constexpr uint32_t kAllowCount = 1u << 2;

bool is_binary_column(const ResultColumn& c) {
  if (c.charset != kCharsetBinary) return false;
  switch (c.type) {
    case kTypeBit: case kTypeVarchar: case kTypeTinyBlob: case kTypeMediumBlob:
    case kTypeLongBlob: case kTypeBlob: case kTypeVarString: case kTypeString:
    case kTypeGeometry:
      return true;
    default:
      return false;
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
      if ((schema.empty() || glob_match(t.schema, schema)) &&
          (table.empty() || glob_match(t.table, table))) {
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

std::expected<std::shared_ptr<const MaskingEngine>, std::string> MaskingEngine::create(
    MaskingConfig config) {
  auto engine = std::make_shared<MaskingEngine>(std::move(config));
  if (!engine->compiled_->error.empty()) return std::unexpected(engine->compiled_->error);
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
    if (!hasher) return "masking: " + hasher.error();
    out.hasher = std::move(*hasher);
  }
  std::vector<std::string> ids;
  for (const auto& rule : config.rules) {
    const std::string where =
        "masking rule '" + rule.id + "'" + (rule.source.empty() ? "" : " (" + rule.source + ")");
    if (rule.id.empty()) return "masking rule without an id" + (rule.source.empty() ? "" : " at " + rule.source);
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
      if (a == "where_equality") c.allow |= kAllowWhereEquality;
      else if (a == "join_equality") c.allow |= kAllowJoinEquality;
      else if (a == "count") c.allow |= kAllowCount;
      else return where + ": unknown allow '" + a + "' (expected where_equality, join_equality or count)";
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
    if (!compiled) return compiled.error();
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
    case StatementKind::kPrepare: case StatementKind::kExecute:
    case StatementKind::kExecuteImmediate: case StatementKind::kCall:
    case StatementKind::kCreateRoutine: case StatementKind::kCreateTrigger:
    case StatementKind::kCreateEvent:
      return true;
    default:
      return false;
  }
}

// Statements that read whole rows of the tables they name without a column list.
bool is_raw_table_kind(StatementKind k) {
  return k == StatementKind::kHandler || k == StatementKind::kLoadData ||
         k == StatementKind::kLoadXml || k == StatementKind::kChecksumTable;
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
      "like", "regexp", "rlike", "is", "in", "between", "not", "and", "or", "xor", "div", "mod",
      "collate", "sounds", "member", "escape", "over", "then", "else", "end", "when", "case",
      "binary", "interval"};
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
  static constexpr std::string_view kWords[] = {"and", "or", "order", "group", "limit", "having",
                                                "window", "union", "for", "lock", "join", "inner",
                                                "left", "right", "cross", "straight_join",
                                                "natural", "where", "offset", "except",
                                                "intersect", "into"};
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
         d.lex.tokens[next].type == TokenType::kEnd ||
         (d.ident(next) && !is_operator_keyword(d, next)))) {
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
  std::string column;  // schema.table.column
};

class Planner {
 public:
  Planner(const CompiledMasking& c, const Principal& p, const StatementAnalysis& a,
          const Catalog& cat)
      : c_(c), a_(a), catalog_(cat), active_(c.rules.size()) {
    for (std::size_t i = 0; i < c.rules.size(); ++i) {
      active_[i] = !exempt_by(c.rules[i].rule->exempt_subjects, c.rules[i].rule->exempt_groups, p);
      any_active_ = any_active_ || active_[i];
    }
    table_state_.resize(a.tables.size());
  }

  bool any_active() const { return any_active_; }

  std::expected<MaskingPlan, std::string> run();

 private:
  struct TableState {
    bool computed = false;
    bool failed = false;
    std::vector<std::pair<std::string, int>> masked;  // (column, rule) active for the principal
    std::vector<int> per_column;                       // rule or -1, catalog order
  };

  const std::string& rule_id(int r) const { return c_.rules[static_cast<std::size_t>(r)].rule->id; }

  // First rule for the column; exemptions are recorded and yield -1.
  int rule_for(std::string_view schema, std::string_view table, std::string_view column) {
    const int r = c_.find_rule(schema, table, column);
    if (r < 0) return -1;
    if (!active_[static_cast<std::size_t>(r)]) {
      add_unique(plan_.exemptions_used, rule_id(r));
      return -1;
    }
    return r;
  }

  bool base_table(const TableRef& t) const { return !t.is_cte && !t.is_derived; }

  bool may_match_table(const TableRef& t) const {
    for (std::size_t i = 0; i < c_.rules.size(); ++i) {
      if (c_.rules[i].may_match_table(t.schema, t.table)) return true;  // exempt or not
    }
    return false;
  }

  // Masked columns of table `ti` for the principal, via the catalog when a rule could match.
  const TableState& table_state(uint32_t ti) {
    TableState& st = table_state_[ti];
    if (st.computed) return st;
    st.computed = true;
    const TableRef& t = a_.tables[ti];
    if (!base_table(t) || t.is_system_schema || !may_match_table(t)) return st;
    auto cols = catalog_.columns(t.schema, t.table);
    if (!cols) {
      st.failed = true;
      return st;
    }
    for (const auto& col : *cols) {
      const int r = rule_for(t.schema, t.table, col);
      st.per_column.push_back(r);
      if (r >= 0) st.masked.emplace_back(col, r);
    }
    return st;
  }

  std::vector<RefMatch> matches_for(const ColumnRef& ref) {
    std::vector<RefMatch> out;
    if (ref.candidates.empty()) {
      // Nothing in scope resolved it (outer reference, unknown table): match by name alone.
      const int r = rule_for("", "", ref.column);
      if (r >= 0) out.push_back({r, ref.column});
      return out;
    }
    for (uint32_t ti : ref.candidates) {
      if (ti >= a_.tables.size()) {
        const int r = rule_for("", "", ref.column);
        if (r >= 0) out.push_back({r, ref.column});
        continue;
      }
      const TableRef& t = a_.tables[ti];
      if (!base_table(t)) continue;  // columns of derived tables / CTEs are checked inside them
      const int r = rule_for(t.schema, t.table, ref.column);
      if (r >= 0) out.push_back({r, qualified(t.schema, t.table, ref.column)});
    }
    return out;
  }

  std::string refuse_column(const RefMatch& m, const std::string& how) const {
    return "statement refused: column " + m.column +
           " is masked for you and may only be selected directly; here it is " + how + " (rule " +
           rule_id(m.rule) + ")";
  }

  std::expected<void, std::string> check_tables();
  std::expected<void, std::string> check_references();
  std::expected<void, std::string> check_relaxed();
  std::expected<void, std::string> plan_outputs();

  const CompiledMasking& c_;
  const StatementAnalysis& a_;
  const Catalog& catalog_;
  std::vector<bool> active_;
  bool any_active_ = false;
  std::vector<TableState> table_state_;
  MaskingPlan plan_;
  // Masked references that a relaxation may allow, verified on the canonical text.
  std::vector<std::pair<const ColumnRef*, RefMatch>> relaxed_;
  // Masked references in assignment context: allowed only as write targets.
  std::vector<std::pair<const ColumnRef*, RefMatch>> assignments_;
  std::vector<bool> ref_is_output_column_;
};

std::expected<void, std::string> Planner::check_tables() {
  const StatementKind kind = a_.kind;
  // SHOW and DESCRIBE return definitions, never column values.
  if (kind == StatementKind::kShow || kind == StatementKind::kDescribe) return {};
  for (uint32_t ti = 0; ti < a_.tables.size(); ++ti) {
    const TableRef& t = a_.tables[ti];
    if (!base_table(t) || t.is_system_schema) continue;
    const TableState& st = table_state(ti);
    const std::string name = qualified(t.schema, "", t.table);
    // A write target may not exist yet (CREATE TABLE ... AS SELECT): its columns are the
    // statement's own; what is copied into it is checked on the column references.
    if (st.failed && t.written) continue;
    if (st.failed) {
      return std::unexpected("statement refused: the columns of " + name +
                             " could not be looked up, so masking cannot be checked");
    }
    if (!st.masked.empty()) plan_.sensitive = true;
    const auto view = catalog_.is_view(t.schema, t.table);
    if (!view.has_value()) {
      return std::unexpected("statement refused: could not check whether " + name +
                             " is a view, so masking cannot be checked");
    }
    if (*view) {
      return std::unexpected("statement refused: " + name +
                             " is a view; masking cannot trace a view's columns to the masked "
                             "base columns, so query the base tables instead");
    }
    if (is_raw_table_kind(kind) && !st.masked.empty()) {
      return std::unexpected("statement refused: " + std::string(to_string(kind)) + " on " + name +
                             " would read masked column " + st.masked.front().first + " (rule " +
                             rule_id(st.masked.front().second) + ")");
    }
  }
  return {};
}

std::expected<void, std::string> Planner::check_references() {
  const StatementKind kind = a_.kind;
  const bool query = is_query_kind(kind) || kind == StatementKind::kExplain;
  // Which column refs are the column of a top-level kColumn output.
  ref_is_output_column_.assign(a_.columns.size(), false);
  if (is_query_kind(kind) || kind == StatementKind::kExplain) {
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
        if (!st.masked.empty()) {
          const TableRef& t = a_.tables[ti];
          const RefMatch m{st.masked.front().second,
                           qualified(t.schema, t.table, st.masked.front().first)};
          return std::unexpected(refuse_column(
              m, "read through a `*` " + describe_context(ref.contexts & ~kCtxSelectList, kind)));
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
    for (const auto& m : matches) allow &= c_.rules[static_cast<std::size_t>(m.rule)].allow;
    const uint32_t permitted = relaxed_contexts(allow) | (query ? kCtxSelectList : 0u);
    if (allow != 0 && (bits & ~permitted) == 0 && (bits & ~kCtxSelectList) != 0) {
      relaxed_.emplace_back(&ref, matches.front());
      continue;
    }
    return std::unexpected(refuse_column(matches.front(), describe_context(bits, kind)));
  }
  return {};
}

std::expected<void, std::string> Planner::check_relaxed() {
  if (relaxed_.empty() && assignments_.empty()) return {};
  DigestTokens d;
  d.text = a_.digest_text;
  lex_sql(d.text, d.lex);
  for (const auto& [ref, m] : assignments_) {
    if (d.text.empty() || !d.lex.ok || !only_write_targets(d, ref->column)) {
      return std::unexpected(refuse_column(m, "read as the value of an assignment"));
    }
  }
  for (const auto& [ref, m] : relaxed_) {
    uint32_t allow = c_.rules[static_cast<std::size_t>(m.rule)].allow;
    if (d.text.empty() || !d.lex.ok || !occurrences_allowed(d, ref->column, allow)) {
      std::string allowed;
      for (const auto& a : c_.rules[static_cast<std::size_t>(m.rule)].rule->allow) {
        allowed += (allowed.empty() ? "" : ", ") + a;
      }
      return std::unexpected(refuse_column(
          m, describe_context(ref->contexts, a_.kind) + ", in a form that the rule's relaxations (" +
                 allowed + ") do not cover"));
    }
  }
  return {};
}

std::expected<void, std::string> Planner::plan_outputs() {
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
        if (ti < a_.tables.size() && (!table_state(ti).masked.empty() || table_state(ti).failed)) {
          star_over_masked = true;
        }
      }
    }
    if (!plan_.masked_references.empty() || star_over_masked) {
      return std::unexpected(
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
          const TableState& st = table_state(ti);
          if (st.failed) {
            return std::unexpected("statement refused: the columns of " +
                                   qualified(t.schema, "", t.table) +
                                   " could not be looked up to expand `*`, so masking cannot be "
                                   "checked");
          }
          if (!st.computed || (st.per_column.empty() && st.masked.empty())) {
            // No rule could match this table, and (maybe) the catalog was not asked.
            auto cols = catalog_.columns(t.schema, t.table);
            if (!cols) {
              exact = false;
              continue;
            }
            plan_.output_rules.insert(plan_.output_rules.end(), cols->size(), -1);
            continue;
          }
          for (std::size_t k = 0; k < st.per_column.size(); ++k) {
            plan_.output_rules.push_back(st.per_column[k]);
          }
          for (const auto& [col, r] : st.masked) {
            add_unique(plan_.masked_references,
                       qualified(t.schema, t.table, col) + " (" + rule_id(r) + ")");
            masked_aliases.push_back(col);
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
  // A masked output referenced by its alias (ORDER BY x, HAVING x LIKE ...) is an oracle the
  // column references alone do not show.
  for (const auto& ref : a_.columns) {
    if (!ref.qualifier.empty() || (ref.contexts & kCtxSelectList) || ref.column == "*") continue;
    for (const auto& alias : masked_aliases) {
      if (iequals(alias, ref.column) && matches_for(ref).empty()) {
        return std::unexpected("statement refused: " + ref.column +
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
      return std::unexpected("statement refused: masking could not read the canonical statement");
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
          if (item_start && (d.lex.tokens[k].type == TokenType::kParam ||
                             d.lex.tokens[k].type == TokenType::kNumber)) {
            return std::unexpected(
                "statement refused: ORDER BY / GROUP BY by position over a result with masked "
                "column " + masked_aliases.front() +
                " (order and grouping would reveal the masked values); order by an unmasked "
                "column instead");
          }
          if (depth == 0 && (d.word(k, "limit") || d.word(k, "having") || d.word(k, "window") ||
                             d.word(k, "order") || d.word(k, "union") || d.word(k, "for"))) {
            break;
          }
          ++k;
        }
      }
    }
  }
  return {};
}

std::expected<MaskingPlan, std::string> Planner::run() {
  if (!a_.understood) {
    return std::unexpected("statement refused: masking cannot check a statement that was not "
                           "understood (" + a_.reason + ")");
  }
  if (is_opaque_kind(a_.kind)) {
    return std::unexpected("statement refused: " + std::string(to_string(a_.kind)) +
                           " hides which columns it reads, and masking rules apply to you");
  }
  // A stored function or UDF can read any table and return a masked value as an expression
  // without origin (reference §4.3; bypass catalogue #69).
  for (const auto& f : a_.functions) {
    if (!is_builtin_function(f)) {
      return std::unexpected("statement refused: " + f +
                             " is not a built-in function; a stored function could return masked "
                             "values, and masking rules apply to you");
    }
  }
  if (auto r = check_tables(); !r) return std::unexpected(r.error());
  if (auto r = check_references(); !r) return std::unexpected(r.error());
  if (auto r = check_relaxed(); !r) return std::unexpected(r.error());
  if (auto r = plan_outputs(); !r) return std::unexpected(r.error());
  bool star_over_masked = false;
  for (int r : plan_.output_rules) star_over_masked = star_over_masked || r >= 0;
  const bool carries = !plan_.masked_references.empty() || star_over_masked;
  if (carries && (a_.into_outfile || a_.into_variable)) {
    return std::unexpected("statement refused: SELECT ... INTO would store masked column " +
                           (plan_.masked_references.empty() ? std::string("values")
                                                            : plan_.masked_references.front()) +
                           " unmasked");
  }
  if (carries && a_.user_variables) {
    return std::unexpected("statement refused: user variables in a statement that reads masked "
                           "column " +
                           (plan_.masked_references.empty() ? std::string("values")
                                                            : plan_.masked_references.front()) +
                           " could carry its values out unmasked");
  }
  if (plan_.sensitive && a_.executable_comment) {
    return std::unexpected("statement refused: executable comments (/*! ... */) in a statement "
                           "that reads a table with masked columns");
  }
  if (plan_.sensitive && a_.writes_data && !is_query_kind(a_.kind)) {
    // Copy-then-read: a write may only name masked columns as its targets (checked above);
    // CREATE TABLE ... AS SELECT / INSERT ... SELECT of a masked column were refused there.
  }
  return std::move(plan_);
}

}  // namespace

std::expected<MaskingPlan, std::string> MaskingEngine::plan(const Principal& principal,
                                                            const StatementAnalysis& analysis,
                                                            const Catalog& catalog) const {
  if (!compiled_->error.empty()) return std::unexpected("masking is misconfigured: " + compiled_->error);
  Planner planner(*compiled_, principal, analysis, catalog);
  if (!planner.any_active()) {
    MaskingPlan p;
    bool detectors = false;
    for (const auto& d : compiled_->detectors) {
      detectors = detectors ||
                  !exempt_by(d->config().exempt_subjects, d->config().exempt_groups, principal);
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
          if (auto cols = catalog.columns(t.schema, t.table)) {
            for (const auto& col : *cols) {
              const int r = compiled_->find_rule(t.schema, t.table, col);
              if (r >= 0) add_unique(p.exemptions_used, compiled_->rules[static_cast<std::size_t>(r)].rule->id);
            }
          }
        }
        continue;
      }
      std::vector<std::pair<std::string, std::string>> where;
      for (uint32_t ti : ref.candidates) {
        if (ti < analysis.tables.size()) where.emplace_back(analysis.tables[ti].schema, analysis.tables[ti].table);
      }
      if (where.empty()) where.emplace_back("", "");
      for (const auto& [s, t] : where) {
        const int r = compiled_->find_rule(s, t, ref.column);
        if (r >= 0) add_unique(p.exemptions_used, compiled_->rules[static_cast<std::size_t>(r)].rule->id);
      }
    }
    return p;
  }
  return planner.run();
}

// ---------------------------------------------------------------------------------------------
// apply()

std::expected<MaskingReport, std::string> MaskingEngine::apply(const Principal& principal,
                                                               const MaskingPlan& plan,
                                                               ResultSet& result) const {
  MaskingReport report;
  report.exemptions_used = plan.exemptions_used;
  if (!compiled_->error.empty()) return std::unexpected("masking is misconfigured");
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
  if (plan.outputs_exact && plan.sensitive && result.has_result_set &&
      plan.output_rules.size() != ncols) {
    return std::unexpected("masking could not confirm the result: it has " + std::to_string(ncols) +
                           " columns, but the statement analysis expected " +
                           std::to_string(plan.output_rules.size()) +
                           "; the result is withheld");
  }
  // Decide per column: metadata (as MaxScale: schema, org_table, org_name; empty table or schema
  // matches by column name) or the plan, whichever masks.
  std::vector<int> col_rule(ncols, -1);
  for (std::size_t i = 0; i < ncols; ++i) {
    const ResultColumn& col = result.columns[i];
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
    ResultColumn& col = result.columns[i];
    const bool binary = is_binary_column(col);
    for (auto& row : result.rows) {
      if (i >= row.size()) continue;
      if (row[i].has_value()) ++report.cells_masked;
      row[i] = cr.masker->mask(row[i], binary, &ok);
    }
    col.type = kTypeVarString;
    col.type_name = "VARCHAR (masked)";
    col.flags &= ~(kFlagBlob | kFlagUnsigned | kFlagZerofill | kFlagBinary | kFlagEnum |
                   kFlagTimestamp | kFlagSet | kFlagNum);
    col.charset = kCharsetUtf8mb4;
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
  if (!ok) return std::unexpected("masking failed (keyed hash error); the result is withheld");
  return report;
}

std::optional<MaskedColumn> MaskingEngine::rule_for(const Principal& principal,
                                                    std::string_view schema,
                                                    std::string_view table,
                                                    std::string_view column) const {
  if (!compiled_->error.empty()) return std::nullopt;
  const int r = compiled_->find_rule(schema, table, column);
  if (r < 0) return std::nullopt;
  const MaskingRule& rule = *compiled_->rules[static_cast<std::size_t>(r)].rule;
  if (exempt_by(rule.exempt_subjects, rule.exempt_groups, principal)) return std::nullopt;
  return MaskedColumn{qualified(schema, table, column), rule.id, std::string(to_string(rule.method))};
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

std::string MaskingEngine::sanitize_error_message(const Principal& principal,
                                                  const MaskingPlan& plan, uint32_t db_errno,
                                                  std::string_view sqlstate,
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
