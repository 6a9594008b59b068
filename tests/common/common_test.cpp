// The common base: bytes (RFC 4648 vectors, FIPS 180-4 SHA-256), random ids, UTF-8 (RFC 3629)
// and RFC 3339 time.
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>

#include "common/address.h"
#include "common/bytes.h"
#include "common/json_depth.h"
#include "common/random.h"
#include "common/time.h"
#include "common/utf8.h"

namespace sqlguard::common {
namespace {

TEST(Bytes, Sha256KnownAnswers) {
  // FIPS 180-4 examples.
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_base64(""), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
  // RFC 6962 leaf hash of the empty string: SHA-256(0x00).
  EXPECT_EQ(hex_encode(sha256_prefixed(0, "")),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
  EXPECT_EQ(sha256_prefixed(1, "x"), sha256(std::string("\x01x", 2)));
}

TEST(Bytes, Base64Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64_encode(plain), encoded);
    EXPECT_EQ(base64_decode(encoded).value(), plain);
  }
  EXPECT_FALSE(base64_decode("Zg="));   // length not a multiple of 4
  EXPECT_FALSE(base64_decode("Zh=="));  // non-zero unused bits: not canonical
  EXPECT_FALSE(base64_decode("Z g="));  // whitespace
  EXPECT_FALSE(base64_decode("Zm9$"));  // outside the alphabet
  EXPECT_EQ(base64_decode("Zg=").error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(base64_decode("Zg=").error().message, "base64: length is not a multiple of 4");
}

TEST(Bytes, Base64UrlRoundTripAndStrictness) {
  for (std::string bytes :
       {std::string(), std::string("\xfb\xff"), std::string(31, '\x01'), std::string("\0\0\0", 3)}) {
    const std::string enc = base64url_encode(bytes);
    EXPECT_EQ(enc.find_first_of("+/="), std::string::npos) << enc;
    EXPECT_EQ(base64url_decode(enc).value(), bytes);
  }
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_EQ(base64url_decode("-_8=").value(), "\xfb\xff");  // padding tolerated
  EXPECT_FALSE(base64url_decode("ab+c"));                   // standard alphabet
  EXPECT_FALSE(base64url_decode("abcde"));                  // impossible length
  EXPECT_FALSE(base64url_decode("-_9"));                    // non-zero unused bits
}

TEST(Bytes, Hex) {
  EXPECT_EQ(hex_encode(std::string("\x00\x7f\x80\xff", 4)), "007f80ff");
  EXPECT_EQ(hex_decode("007F80ff").value(), std::string("\x00\x7f\x80\xff", 4));
  EXPECT_FALSE(hex_decode("abc"));
  EXPECT_FALSE(hex_decode("zz"));
  EXPECT_EQ(hex_decode("abc").error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(hex_decode("zz").error().message, "hex: invalid character");
}

TEST(Random, BytesAndIdsHaveTheRequestedShapeAndDoNotRepeat) {
  EXPECT_EQ(random_bytes(0).value(), "");
  EXPECT_EQ(random_bytes(32).value().size(), 32u);
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = random_hex_id("apr_", 12).value();
    ASSERT_EQ(id.size(), 4u + 24u);
    ASSERT_EQ(id.rfind("apr_", 0), 0u);
    ASSERT_EQ(id.find_first_not_of("0123456789abcdef", 4), std::string::npos) << id;
    ASSERT_TRUE(seen.insert(id).second) << "repeated id " << id;
  }
  // Never a fixed value: 16 random bytes are not all zero (probability 2^-128).
  EXPECT_NE(random_bytes(16).value(), std::string(16, '\0'));
}

TEST(Utf8, ValidatesRfc3629) {
  EXPECT_TRUE(valid_utf8("plain ascii"));
  EXPECT_TRUE(valid_utf8("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(valid_utf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(valid_utf8("\xe0\x80\xaf"));      // overlong, 3 bytes
  EXPECT_FALSE(valid_utf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(valid_utf8("\xf4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_FALSE(valid_utf8("\xf5\x80\x80\x80"));  // lead byte never valid
  EXPECT_FALSE(valid_utf8("\xe2\x82"));          // truncated
  EXPECT_FALSE(valid_utf8("\x80"));              // lone continuation
  std::size_t bad = 99;
  EXPECT_FALSE(valid_utf8("ab\xf4\x90\x80\x80", &bad));
  EXPECT_EQ(bad, 2u);
}

TEST(Utf8, DecodesAndRepairs) {
  std::size_t i = 0;
  const std::string s = "a\xe2\x82\xac\xff";
  EXPECT_EQ(decode_utf8(s, i), 'a');
  EXPECT_EQ(decode_utf8(s, i), 0x20AC);
  EXPECT_EQ(i, 4u);
  EXPECT_EQ(decode_utf8(s, i), -1);
  EXPECT_EQ(i, 5u);
  EXPECT_EQ(replace_invalid_utf8("a\xff"
                                 "b\xe2\x82"),
            "a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(replace_invalid_utf8("ok \xe2\x82\xac"), "ok \xe2\x82\xac");
}

TEST(JsonDepth, CountsOnlyOutsideStrings) {
  EXPECT_TRUE(json_nesting_within(R"({"a":[1,{"b":2}]})", 3));
  EXPECT_FALSE(json_nesting_within(R"({"a":[1,{"b":2}]})", 2));
  EXPECT_TRUE(json_nesting_within(R"({"a":"[[[[[[\"[[[["})", 1));
  EXPECT_FALSE(json_nesting_within(std::string(1000, '['), 64));
}

TEST(Time, Rfc3339) {
  EXPECT_EQ(rfc3339_ms(1700000000123), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(rfc3339_ms(-1), "1969-12-31T23:59:59.999Z");
  const auto tp = std::chrono::system_clock::time_point(std::chrono::microseconds(1767323045123456));
  EXPECT_EQ(rfc3339_us(tp), "2026-01-02T03:04:05.123456Z");
  const int64_t now = unix_ms_now();
  EXPECT_GT(now, 1700000000000);
}

}  // namespace
}  // namespace sqlguard::common

namespace sqlguard::common {
namespace {

TEST(LoopbackAddress, OnlyTheMachineItself) {
  for (const char* yes :
       {"127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]", "::ffff:127.0.0.1", "[::ffff:127.0.0.2]"}) {
    EXPECT_TRUE(is_loopback_address(yes)) << yes;
  }
  for (const char* no :
       {"0.0.0.0", "10.0.0.1", "127.evil.com", "127.0.0.1.evil.com", "127..0.1", "127.0.0.", "127.0.0.1234",
        "1270.0.0.1", "::", "::ffff:10.0.0.1", "localhost.evil.com", "", "[", "[]", "::2", "128.0.0.1"}) {
    EXPECT_FALSE(is_loopback_address(no)) << no;
  }
}

}  // namespace
}  // namespace sqlguard::common
