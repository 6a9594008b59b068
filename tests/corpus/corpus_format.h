// The format both corpora share (tests/corpus/policy/*.yaml, tests/corpus/masking/*.yaml),
// checked strictly before any case runs: a key nobody reads (a typo like `reason_contain`) would
// silently turn a check off, and a duplicate id would make a failure ambiguous.
//
// Shared vocabulary, in every case: id (unique in its file), as (principal spec, e.g.
// "agent:analysts"), sql, expect, reason_contains. Each corpus adds its own keys below.
#pragma once

#include <yaml-cpp/yaml.h>

#include <set>
#include <string>
#include <vector>

namespace sqlguard::corpus {

struct Format {
  std::set<std::string> file_keys;
  std::set<std::string> case_keys;      ///< beyond the shared ones
  std::set<std::string> expect_values;  ///< what `expect` (and `alternatives`) may say
};

inline const std::set<std::string>& shared_case_keys() {
  static const std::set<std::string> keys = {"id", "as", "sql", "expect", "reason_contains"};
  return keys;
}

/// Policy corpus: the decision the policy engine must reach.
///   class: the attack or benign class the case belongs to (for reading the corpus; not checked)
///   rule: the id of the deciding rule
///   session: what the connection must do around the statement (policy/session_effects.h):
///     keep (no reset before or after), reset_after (may change session state), reset_before
///     (may read an earlier statement's residue), reset_both
inline const Format& policy_format() {
  static const Format f{{"config", "default_schema", "catalog", "cases"},
                        {"class", "rule", "session"},
                        {"allow", "deny", "approve"}};
  return f;
}

/// The values the policy corpus's `session` key may take.
inline const std::set<std::string>& session_values() {
  static const std::set<std::string> v = {"keep", "reset_after", "reset_before", "reset_both"};
  return v;
}

/// Masking corpus: what the agent receives through the guard (see masking_corpus_test.cpp).
inline const Format& masking_format() {
  static const Format f{
      {"config", "default_schema", "cases"},
      {"masked_columns", "by", "alternatives", "contains", "lacks", "visible", "exemptions", "type_name"},
      {"masked", "refused", "clear", "error"}};
  return f;
}

/// Every problem with `doc` (empty when it is well-formed): unknown file or case keys, missing
/// shared keys, non-string scalars where strings are required, unknown `expect` values,
/// duplicate ids.
inline std::vector<std::string> check_document(const YAML::Node& doc, const Format& format) {
  std::vector<std::string> problems;
  if (!doc.IsMap()) return {"the file is not a YAML mapping"};
  for (const auto& kv : doc) {
    const std::string key = kv.first.as<std::string>();
    if (!format.file_keys.contains(key)) problems.push_back("unknown file key '" + key + "'");
  }
  if (!doc["cases"] || !doc["cases"].IsSequence() || doc["cases"].size() == 0) {
    problems.push_back("'cases' must be a non-empty list");
    return problems;
  }
  std::set<std::string> ids;
  std::size_t index = 0;
  for (const auto& c : doc["cases"]) {
    const std::string where = "case " + std::to_string(index++);
    if (!c.IsMap()) {
      problems.push_back(where + ": not a mapping");
      continue;
    }
    for (const auto& kv : c) {
      const std::string key = kv.first.as<std::string>();
      if (!shared_case_keys().contains(key) && !format.case_keys.contains(key)) {
        problems.push_back(where + ": unknown key '" + key + "'");
      }
    }
    for (const char* required : {"id", "as", "sql", "expect"}) {
      if (!c[required] || !c[required].IsScalar())
        problems.push_back(where + ": '" + required + "' must be a string");
    }
    if (c["id"] && c["id"].IsScalar() && !ids.insert(c["id"].as<std::string>()).second) {
      problems.push_back(where + ": duplicate id '" + c["id"].as<std::string>() + "'");
    }
    auto check_expect = [&](const YAML::Node& n, const std::string& key) {
      if (n.IsScalar() && !format.expect_values.contains(n.as<std::string>())) {
        problems.push_back(where + ": " + key + " '" + n.as<std::string>() +
                           "' is not one of the known outcomes");
      }
    };
    if (c["expect"]) check_expect(c["expect"], "expect");
    if (c["alternatives"]) {
      for (const auto& a : c["alternatives"]) check_expect(a, "alternative");
    }
  }
  return problems;
}

}  // namespace sqlguard::corpus
