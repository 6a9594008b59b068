#include "policy/sensitive_values.h"

#include <gtest/gtest.h>

namespace sqlguard::policy {
namespace {

TEST(SensitiveValues, NationalIdentifiersNeedTheirCheckDigit) {
  EXPECT_TRUE(us_ssn_valid("078-05-1120"));
  EXPECT_FALSE(us_ssn_valid("000-12-3456"));  // area 000 is never assigned
  EXPECT_FALSE(us_ssn_valid("666-12-3456"));
  EXPECT_FALSE(us_ssn_valid("912-12-3456"));
  EXPECT_FALSE(us_ssn_valid("123-00-4567"));
  EXPECT_FALSE(us_ssn_valid("123456789"));  // no dashes: too many other numbers look like this
  EXPECT_TRUE(nl_bsn_valid("111222333"));
  EXPECT_TRUE(nl_bsn_valid("123456782"));
  EXPECT_FALSE(nl_bsn_valid("123456789"));
  EXPECT_TRUE(es_dni_valid("12345678Z"));
  EXPECT_FALSE(es_dni_valid("12345678A"));
  EXPECT_TRUE(es_dni_valid("X1234567L"));  // NIE
  EXPECT_TRUE(fr_nir_valid("2 55 08 14 168 025 38"));
  EXPECT_FALSE(fr_nir_valid("2 55 08 14 168 025 39"));
  EXPECT_TRUE(se_personnummer_valid("811218-9876"));
  EXPECT_FALSE(se_personnummer_valid("811218-9875"));
}

TEST(SensitiveValues, SecretsAndPasswordHashesByTheirIssuersShapes) {
  EXPECT_TRUE(secret_shaped("AKIAIOSFODNN7EXAMPLE"));
  EXPECT_TRUE(secret_shaped("ghp_" + std::string(36, 'a')));
  EXPECT_TRUE(secret_shaped("-----BEGIN RSA PRIVATE KEY-----\nMIIB...\n-----END RSA PRIVATE KEY-----"));
  // A JWT whose header is {"alg":"HS256","typ":"JWT"}.
  EXPECT_TRUE(secret_shaped("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.c2ln"));
  EXPECT_FALSE(secret_shaped("eyJub3RqdXN0Ijp0cnVlfQ.eyJzdWIiOiIxIn0.c2ln"));  // header without alg
  EXPECT_FALSE(secret_shaped("AKIA-not-a-key"));
  EXPECT_TRUE(password_hash_shaped("$2b$12$" + std::string(53, 'x')));
  EXPECT_TRUE(password_hash_shaped("*6BB4837EB74329105EE4568DDA7DC67ED2CA2AD9"));
  EXPECT_FALSE(password_hash_shaped("$2b$12$short"));
}

TEST(SensitiveValues, WholeValuesOnly) {
  auto c = ColumnClassifier::create();
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ((*c)->value_kind(" ada@example.org "), SensitiveKind::kEmail);
  EXPECT_EQ((*c)->value_kind("write to ada@example.org"), std::nullopt);
  EXPECT_EQ((*c)->value_kind("4111 1111 1111 1111"), SensitiveKind::kCard);
  EXPECT_EQ((*c)->value_kind("4111111111111112"), std::nullopt);  // Luhn fails
  EXPECT_EQ((*c)->value_kind("GB82WEST12345698765432"), SensitiveKind::kIban);
  EXPECT_EQ((*c)->value_kind("GB82WEST12345698765433"), std::nullopt);  // mod 97 fails
  EXPECT_EQ((*c)->value_kind("+44 20 7946 0958"), SensitiveKind::kPhone);
  EXPECT_EQ((*c)->value_kind("078-05-1120"), SensitiveKind::kNationalId);
  EXPECT_EQ((*c)->value_kind("2024-01-31"), std::nullopt);
  EXPECT_EQ((*c)->value_kind(""), std::nullopt);
}

TEST(SensitiveValues, ValuesDecideWhereTheyCanAndNamesWhereTheyCannot) {
  auto c = ColumnClassifier::create();
  ASSERT_TRUE(c) << c.error().message;
  std::vector<std::string> ibans(37, "DE89370400440532013000");
  ibans.insert(ibans.end(), 3, "unknown");
  auto v = (*c)->classify("payout_ref", ibans);
  ASSERT_TRUE(v.mask);
  EXPECT_EQ(v.mask->kind, SensitiveKind::kIban);
  EXPECT_FALSE(v.mask->by_name);
  EXPECT_EQ(v.mask->evidence, "37 of 40 sampled values are valid IBANs");

  // Named like an e-mail column, but the values say otherwise: not masked, a review note.
  const std::vector<std::string> not_addresses(20, "n/a");
  v = (*c)->classify("email", not_addresses);
  EXPECT_FALSE(v.mask);
  EXPECT_NE(v.review.find("named like an e-mail column, but only 0 of 20"), std::string::npos) << v.review;

  // Luhn-failing 16-digit numbers in a column named like a card column: not masked.
  const std::vector<std::string> bad_cards(10, "4111111111111112");
  EXPECT_FALSE((*c)->classify("card_number", bad_cards).mask);

  // No values (an empty table): the name decides.
  v = (*c)->classify("CustomerEmail", {});
  ASSERT_TRUE(v.mask);
  EXPECT_TRUE(v.mask->by_name);
  EXPECT_EQ(v.mask->kind, SensitiveKind::kEmail);

  // Kinds no value check can refute are masked by name, whatever the values look like.
  v = (*c)->classify("password", std::vector<std::string>(10, "hunter2"));
  ASSERT_TRUE(v.mask);
  EXPECT_EQ(v.mask->kind, SensitiveKind::kPasswordHash);
  v = (*c)->classify("date_of_birth", {});
  ASSERT_TRUE(v.mask);
  EXPECT_EQ(v.mask->kind, SensitiveKind::kBirthDate);

  // A minority of matching values: a note, no rule; an ordinary column: nothing.
  std::vector<std::string> notes(9, "called back");
  notes.push_back("ada@example.org");
  v = (*c)->classify("notes", notes);
  EXPECT_FALSE(v.mask);
  EXPECT_NE(v.review.find("1 of 10"), std::string::npos);
  v = (*c)->classify("city", std::vector<std::string>(10, "London"));
  EXPECT_FALSE(v.mask);
  EXPECT_TRUE(v.review.empty());
}

TEST(SensitiveValues, EvidenceNeverQuotesAValue) {
  auto c = ColumnClassifier::create();
  ASSERT_TRUE(c) << c.error().message;
  const std::vector<std::string> sample = {"secret-value-1@example.org", "4111111111111111", "hunter2"};
  for (const char* name : {"email", "notes", "password", "card"}) {
    auto v = (*c)->classify(name, sample);
    const std::string text = (v.mask ? v.mask->evidence : "") + v.review;
    for (const auto& s : sample) EXPECT_EQ(text.find(s), std::string::npos) << name << ": " << text;
  }
}

}  // namespace
}  // namespace sqlguard::policy
