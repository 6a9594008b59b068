#include "policy/maskers.h"

#include <gtest/gtest.h>

#include "policy/value_detectors.h"

namespace sqlguard::policy {
namespace {

Masker make(MaskingMethod m, const KeyedHasher* h = nullptr) {
  MaskerOptions o;
  o.method = m;
  o.value = "n/a";
  return Masker(o, h);
}

TEST(MaskersTest, MethodNamesRoundTrip) {
  for (auto m : {MaskingMethod::kRedact, MaskingMethod::kPartial, MaskingMethod::kEmail, MaskingMethod::kHash,
                 MaskingMethod::kNull, MaskingMethod::kFixed}) {
    EXPECT_EQ(masking_method_from_string(to_string(m)), m);
  }
  EXPECT_FALSE(masking_method_from_string("obfuscate").has_value());
}

TEST(MaskersTest, NullStaysNullForEveryMethod) {
  auto h = KeyedHasher::create("k");
  ASSERT_TRUE(h);
  for (auto m : {MaskingMethod::kRedact, MaskingMethod::kPartial, MaskingMethod::kEmail, MaskingMethod::kHash,
                 MaskingMethod::kNull, MaskingMethod::kFixed}) {
    bool ok = true;
    EXPECT_FALSE(make(m, h->get()).mask(std::nullopt, false, &ok).has_value());
    EXPECT_TRUE(ok);
  }
}

TEST(MaskersTest, RedactFixedNull) {
  bool ok = true;
  EXPECT_EQ(make(MaskingMethod::kRedact).mask(std::string("900-11-2233"), false, &ok), "[REDACTED]");
  EXPECT_EQ(make(MaskingMethod::kFixed).mask(std::string("900-11-2233"), false, &ok), "n/a");
  EXPECT_FALSE(make(MaskingMethod::kNull).mask(std::string("x"), false, &ok).has_value());
}

TEST(MaskersTest, PartialKeepsFirstAndLast) {
  MaskerOptions o;
  o.method = MaskingMethod::kPartial;
  o.keep_first = 0;
  o.keep_last = 4;
  Masker m(o, nullptr);
  bool ok = true;
  EXPECT_EQ(m.mask(std::string("900-11-2233"), false, &ok), "*******2233");
  o.keep_first = 2;
  o.keep_last = 2;
  Masker m2(o, nullptr);
  EXPECT_EQ(m2.mask(std::string("abcdefg"), false, &ok), "ab***fg");
  // Too short to hide anything: everything hidden.
  EXPECT_EQ(m2.mask(std::string("abcd"), false, &ok), "****");
  EXPECT_EQ(m2.mask(std::string(""), false, &ok), "");
}

TEST(MaskersTest, PartialCountsUtf8CodePoints) {
  MaskerOptions o;
  o.method = MaskingMethod::kPartial;
  o.keep_first = 1;
  o.keep_last = 1;
  Masker m(o, nullptr);
  bool ok = true;
  EXPECT_EQ(m.mask(std::string("Jürgen"), false, &ok), "J****n");
  EXPECT_EQ(m.mask(std::string("Ärzte"), false, &ok), "Ä***e");
}

TEST(MaskersTest, PartialOnBinaryWorksOnHex) {
  MaskerOptions o;
  o.method = MaskingMethod::kPartial;
  o.keep_first = 0;
  o.keep_last = 2;
  Masker m(o, nullptr);
  bool ok = true;
  EXPECT_EQ(m.mask(std::string("\x00\xff", 2), true, &ok), "**ff");
}

TEST(MaskersTest, EmailKeepsDomain) {
  bool ok = true;
  auto m = make(MaskingMethod::kEmail);
  EXPECT_EQ(m.mask(std::string("jane.roe@example.com"), false, &ok), "j***@example.com");
  EXPECT_EQ(m.mask(std::string("not-an-email"), false, &ok), "***");
  EXPECT_EQ(m.mask(std::string("@x.org"), false, &ok), "***");
}

TEST(MaskersTest, HmacSha256Rfc4231Vector) {
  // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
  auto h = KeyedHasher::create("Jefe");
  ASSERT_TRUE(h);
  EXPECT_EQ((*h)->hex_digest("what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(MaskersTest, HashIsDeterministicAndTruncated) {
  auto h = KeyedHasher::create("secret-key");
  ASSERT_TRUE(h);
  MaskerOptions o;
  o.method = MaskingMethod::kHash;
  o.hash_length = 16;
  Masker m(o, h->get());
  bool ok = true;
  auto a = m.mask(std::string("900-11-2233"), false, &ok);
  auto b = m.mask(std::string("900-11-2233"), false, &ok);
  auto c = m.mask(std::string("900-11-2234"), false, &ok);
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(*a, *b);
  EXPECT_NE(*a, *c);
  EXPECT_EQ(a->size(), 16u);
  EXPECT_TRUE(ok);
}

TEST(MaskersTest, EmptyKeyRejected) { EXPECT_FALSE(KeyedHasher::create("").has_value()); }

TEST(MaskDetectorsTest, Luhn) {
  EXPECT_TRUE(luhn_valid("4111111111111111"));
  EXPECT_TRUE(luhn_valid("5500005555555559"));
  EXPECT_FALSE(luhn_valid("4111111111111112"));
  EXPECT_FALSE(luhn_valid(""));
  EXPECT_FALSE(luhn_valid("41111a1111111111"));
}

TEST(MaskDetectorsTest, Iban) {
  EXPECT_TRUE(iban_valid("DE89370400440532013000"));
  EXPECT_TRUE(iban_valid("GB82WEST12345698765432"));
  EXPECT_FALSE(iban_valid("DE89370400440532013001"));
  EXPECT_FALSE(iban_valid("de89370400440532013000"));
  EXPECT_FALSE(iban_valid("DE8937"));
}

std::string scrub(const std::string& kind, std::string text, std::size_t* hits = nullptr) {
  ValueDetector d;
  d.id = kind;
  d.kind = kind;
  d.pattern = kind == "pattern" ? "SECRET-[0-9]+" : "";
  auto c = CompiledDetector::create(d, nullptr);
  EXPECT_TRUE(c) << (c ? "" : c.error().message);
  bool null_cell = false, ok = true;
  const std::size_t n = (*c)->scrub(text, &null_cell, &ok);
  if (hits != nullptr) *hits = n;
  return text;
}

TEST(MaskDetectorsTest, Email) {
  EXPECT_EQ(scrub("email", "contact jane.roe@example.com now"), "contact [REDACTED] now");
  EXPECT_EQ(scrub("email", "no at sign"), "no at sign");
}

TEST(MaskDetectorsTest, CardNeedsLuhn) {
  EXPECT_EQ(scrub("card", "card 4111 1111 1111 1111 ok"), "card [REDACTED] ok");
  EXPECT_EQ(scrub("card", "4111-1111-1111-1111"), "[REDACTED]");
  EXPECT_EQ(scrub("card", "order 4111111111111112"), "order 4111111111111112");
  EXPECT_EQ(scrub("card", "12345"), "12345");
}

TEST(MaskDetectorsTest, IbanChecked) {
  EXPECT_EQ(scrub("iban", "pay to DE89370400440532013000."), "pay to [REDACTED].");
  EXPECT_EQ(scrub("iban", "GB82 WEST 1234 5698 7654 32"), "[REDACTED]");
  EXPECT_EQ(scrub("iban", "DE89370400440532013001"), "DE89370400440532013001");
}

TEST(MaskDetectorsTest, Phone) {
  EXPECT_EQ(scrub("phone", "call +44 20 7946 0958 today"), "call [REDACTED] today");
  EXPECT_EQ(scrub("phone", "call (415) 555-0199"), "call [REDACTED]");
  EXPECT_EQ(scrub("phone", "2024-01-15"), "2024-01-15");
  EXPECT_EQ(scrub("phone", "900-11-2233"), "900-11-2233");
}

TEST(MaskDetectorsTest, PatternAndErrors) {
  EXPECT_EQ(scrub("pattern", "x SECRET-42 y"), "x [REDACTED] y");
  ValueDetector bad;
  bad.id = "b";
  bad.kind = "credit";
  EXPECT_FALSE(CompiledDetector::create(bad, nullptr).has_value());
  bad.kind = "pattern";
  bad.pattern = "(";
  EXPECT_FALSE(CompiledDetector::create(bad, nullptr).has_value());
  bad.pattern = "x";
  bad.method = MaskingMethod::kHash;
  EXPECT_FALSE(CompiledDetector::create(bad, nullptr).has_value());
}

}  // namespace
}  // namespace sqlguard::policy
