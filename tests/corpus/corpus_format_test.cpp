// The corpus format check refuses what would silently weaken a corpus.
#include "tests/corpus/corpus_format.h"

#include <gtest/gtest.h>

namespace sqlguard::corpus {
namespace {

std::vector<std::string> check(const std::string& yaml, const Format& f) {
  return check_document(YAML::Load(yaml), f);
}

TEST(CorpusFormat, AcceptsAWellFormedFile) {
  EXPECT_TRUE(
      check("config: c.yaml\ncases:\n  - {id: a, as: 'x:y', sql: 'SELECT 1', expect: allow, rule: r}\n",
            policy_format())
          .empty());
}

TEST(CorpusFormat, RefusesTyposDuplicatesAndUnknownOutcomes) {
  const auto p = check(
      "config: c.yaml\nconfg: typo\ncases:\n"
      "  - {id: a, as: 'x:y', sql: 'SELECT 1', expect: allow, reason_contain: oops}\n"
      "  - {id: a, as: 'x:y', sql: 'SELECT 2', expect: alow}\n"
      "  - {id: b, as: 'x:y', expect: deny}\n",
      policy_format());
  auto has = [&](const std::string& s) {
    for (const auto& x : p) {
      if (x.find(s) != std::string::npos) return true;
    }
    return false;
  };
  EXPECT_TRUE(has("unknown file key 'confg'"));
  EXPECT_TRUE(has("unknown key 'reason_contain'"));
  EXPECT_TRUE(has("duplicate id 'a'"));
  EXPECT_TRUE(has("expect 'alow'"));
  EXPECT_TRUE(has("'sql' must be a string"));
  // Keys of one corpus are not keys of the other.
  EXPECT_FALSE(
      check("cases:\n  - {id: a, as: 'x:y', sql: 'S', expect: masked, rule: r}\n", masking_format()).empty());
  EXPECT_FALSE(check("cases:\n  - {id: a, as: 'x:y', sql: 'S', expect: clear, alternatives: [maybe]}\n",
                     masking_format())
                   .empty());
}

}  // namespace
}  // namespace sqlguard::corpus
