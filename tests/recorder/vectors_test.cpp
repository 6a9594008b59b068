// Known-answer tests from /work/shared/reference/audit-logs.md: RFC 6962 roots and proofs,
// C2SP signed-note vectors (C2SP example key, Go PeterNeumann key), the audit.example/mcp-sql
// checkpoint vector and the RFC 8785 JCS vectors.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/utf8.h"
#include "recorder/checkpoint.h"
#include "recorder/codec.h"
#include "recorder/jcs.h"
#include "recorder/merkle.h"
#include "recorder/signed_note.h"

namespace sqlguard::recorder {
namespace {

std::string unhex(std::string_view h) { return hex_decode(h).value(); }

std::vector<Hash> ct_leaves() {
  std::vector<std::string> data = {"",
                                   unhex("00"),
                                   unhex("10"),
                                   unhex("2021"),
                                   unhex("3031"),
                                   unhex("40414243"),
                                   unhex("5051525354555657"),
                                   unhex("606162636465666768696a6b6c6d6e6f")};
  std::vector<Hash> out;
  for (const auto& d : data) out.push_back(leaf_hash(d));
  return out;
}

TEST(MerkleVectors, Rfc6962RootsForSizes0To8) {
  const char* roots[] = {
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
      "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
      "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
      "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
      "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
  };
  auto leaves = ct_leaves();
  CompactRange range;
  for (size_t n = 0; n <= 8; ++n) {
    std::span<const Hash> prefix(leaves.data(), n);
    EXPECT_EQ(hex_encode(merkle_root(prefix)), roots[n]) << "size " << n;
    EXPECT_EQ(hex_encode(range.root()), roots[n]) << "compact range, size " << n;
    if (n < 8) range.append(leaves[n]);
  }
}

TEST(MerkleVectors, InclusionProofIndex0Size8) {
  auto leaves = ct_leaves();
  auto proof = inclusion_proof(0, leaves).value();
  ASSERT_EQ(proof.size(), 3u);
  EXPECT_EQ(hex_encode(proof[0]), "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7");
  EXPECT_EQ(hex_encode(proof[1]), "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e");
  EXPECT_EQ(hex_encode(proof[2]), "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4");
}

TEST(MerkleVectors, AllInclusionAndConsistencyProofsUpTo8Verify) {
  auto leaves = ct_leaves();
  for (uint64_t n = 1; n <= 8; ++n) {
    std::span<const Hash> tree(leaves.data(), n);
    Hash root = merkle_root(tree);
    for (uint64_t i = 0; i < n; ++i) {
      auto proof = inclusion_proof(i, tree).value();
      EXPECT_TRUE(verify_inclusion(i, n, leaves[i], proof, root).has_value()) << i << "/" << n;
      // A proof for another leaf or a flipped hash must fail.
      EXPECT_FALSE(verify_inclusion(i, n, leaves[(i + 1) % 8], proof, root).has_value());
      if (!proof.empty()) {
        proof[0][0] ^= 1;
        EXPECT_FALSE(verify_inclusion(i, n, leaves[i], proof, root).has_value());
      }
    }
    for (uint64_t m = 1; m < n; ++m) {
      auto proof = consistency_proof(m, tree).value();
      Hash old_root = merkle_root(tree.subspan(0, m));
      EXPECT_TRUE(verify_consistency(m, n, old_root, root, proof).has_value()) << m << "->" << n;
      Hash wrong = old_root;
      wrong[5] ^= 0x80;
      EXPECT_FALSE(verify_consistency(m, n, wrong, root, proof).has_value());
    }
  }
}

TEST(MerkleVectors, ConsistencyProof3To7MatchesReference) {
  // audit-vectors/merkle.py: subproof(3, D[0:7], true).
  auto leaves = ct_leaves();
  auto proof = consistency_proof(3, std::span<const Hash>(leaves.data(), 7)).value();
  std::vector<std::string> got;
  for (const auto& h : proof) got.push_back(hex_encode(h));
  EXPECT_EQ(got,
            (std::vector<std::string>{"0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
                                      "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
                                      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
                                      "837dbb152e9b079010717e84e865da4ebc0fa198a806d59d31bf15accef22d0e"}));
}

TEST(MerkleVectors, ForkIsNotConsistent) {
  auto leaves = ct_leaves();
  auto bad = leaves;
  bad[2] = leaf_hash(unhex("11"));
  Hash r4 = merkle_root(std::span<const Hash>(leaves.data(), 4));
  auto proof = consistency_proof(4, bad).value();
  EXPECT_FALSE(verify_consistency(4, 8, r4, merkle_root(bad), proof).has_value());
  EXPECT_FALSE(verify_consistency(8, 8, merkle_root(leaves), merkle_root(bad), {}).has_value());
}

TEST(SignedNoteVectors, C2spExample) {
  auto v =
      NoteVerifier::parse("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k").value();
  std::string note =
      "This is an example message.\n\n"
      "\xE2\x80\x94 example.com/foo "
      "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";
  auto opened = open_note(note, {v});
  ASSERT_TRUE(opened.has_value()) << opened.error().message;
  EXPECT_EQ(opened->text, "This is an example message.\n");
  EXPECT_EQ(opened->verified_by, std::vector<std::string>{"example.com/foo+530d903a"});
  std::string tampered = note;
  tampered[0] = 't';
  EXPECT_FALSE(open_note(tampered, {v}).has_value());
}

TEST(SignedNoteVectors, GoPeterNeumannKeyResignsByteForByte) {
  const std::string skey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
  const std::string vkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
  const std::string text =
      "If you think cryptography is the answer to your problem,\n"
      "then you don't know what your problem is.\n";
  const std::string expected =
      text + "\n\xE2\x80\x94 PeterNeumann " +
      "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
  auto signer = NoteSigner::parse(skey);
  ASSERT_TRUE(signer.has_value()) << signer.error().message;
  EXPECT_EQ(signer->key_id(), 0xc74f20a3u);
  EXPECT_EQ(signer->skey(), skey);
  EXPECT_EQ(signer->verifier().vkey(), vkey);
  auto note = sign_note(text, {&*signer});
  ASSERT_TRUE(note.has_value());
  EXPECT_EQ(*note, expected);
  auto v = NoteVerifier::parse(vkey).value();
  auto opened = open_note(expected, {v});
  ASSERT_TRUE(opened.has_value()) << opened.error().message;
  EXPECT_EQ(opened->text, text);
}

TEST(SignedNoteVectors, UnknownKeysIgnoredButNeeded) {
  auto peter =
      NoteSigner::parse("PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")
          .value();
  auto other = NoteSigner::generate("other.example/key").value();
  auto note = sign_note("hello\n", {&other, &peter}).value();
  auto opened = open_note(note, {peter.verifier()});
  ASSERT_TRUE(opened.has_value());
  EXPECT_EQ(opened->unknown_signatures, 1u);
  auto none = open_note(note, {NoteSigner::generate("third").value().verifier()});
  ASSERT_FALSE(none.has_value());
  EXPECT_NE(none.error().message.find("no signature by a trusted key"), std::string::npos);
}

TEST(SignedNoteVectors, KeyParsingRejectsBadInput) {
  EXPECT_FALSE(
      NoteVerifier::parse("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW").has_value());
  EXPECT_FALSE(
      NoteVerifier::parse("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW").has_value());
  EXPECT_FALSE(NoteVerifier::parse("PeterNeumann+c74f20a3").has_value());
  EXPECT_FALSE(NoteSigner::parse("PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr").has_value());
}

TEST(CheckpointVectors, AuditExampleMcpSql) {
  // The record of reference §6.2 (not our schema; it pins JCS + leaf hash + note signing).
  nlohmann::json rec = {
      {"v", 1},
      {"seq", 0},
      {"time", "2026-01-02T03:04:05.123456Z"},
      {"prev", "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="},
      {"event", "db.query"},
      {"tool", "run_sql"},
      {"mcp",
       {{"session", "7f1c2a9e-4b1d-4e5a-9c3e-2b6f0d8a1e77"},
        {"request_id", "17"},
        {"client", {{"name", "example-client"}, {"version", "1.2.3"}}}}},
      {"actor", {{"user", "alice@example.com"}, {"auth", "oauth2"}}},
      {"db",
       {{"system", "postgresql"}, {"host", "db1.internal:5432"}, {"name", "sales"}, {"user", "mcp_ro"}}},
      {"query",
       {{"text", "SELECT id, total FROM orders WHERE id = $1"},
        {"sha256", base64_encode(sha256("SELECT id, total FROM orders WHERE id = $1"))},
        {"params", "<redacted>"},
        {"class", "read"}}},
      {"outcome", {{"status", "success"}, {"code", "00000"}, {"rows", 1}, {"duration_us", 812}}}};
  auto line = canonicalize(rec).value();
  EXPECT_EQ(line.size(), 638u);
  EXPECT_EQ(base64_encode(sha256("")), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
  EXPECT_EQ(
      line,
      R"({"actor":{"auth":"oauth2","user":"alice@example.com"},"db":{"host":"db1.internal:5432","name":"sales","system":"postgresql","user":"mcp_ro"},"event":"db.query","mcp":{"client":{"name":"example-client","version":"1.2.3"},"request_id":"17","session":"7f1c2a9e-4b1d-4e5a-9c3e-2b6f0d8a1e77"},"outcome":{"code":"00000","duration_us":812,"rows":1,"status":"success"},"prev":"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=","query":{"class":"read","params":"<redacted>","sha256":"qcNbrSpmIQw5nZbakwbOgEpkLDKD7FlUegMh7hEE2gM=","text":"SELECT id, total FROM orders WHERE id = $1"},"seq":0,"time":"2026-01-02T03:04:05.123456Z","tool":"run_sql","v":1})");
  Hash leaf = leaf_hash(line);
  EXPECT_EQ(hex_encode(leaf), "ca9aa3012280fe116cf5ff3b7ae0678c4c43419ad4a9e38293be9b66e615b502");

  auto signer =
      NoteSigner::from_seed("audit.example/mcp-sql",
                            unhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"))
          .value();
  EXPECT_EQ(signer.verifier().vkey(),
            "audit.example/mcp-sql+f7a8d9af+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea");
  CompactRange range;
  range.append(leaf);
  std::string text = format_checkpoint({"audit.example/mcp-sql", 1, range.root()});
  auto note = sign_note(text, {&signer}).value();
  EXPECT_EQ(note,
            "audit.example/mcp-sql\n1\nypqjASKA/hFs9f87euBnjExDQZrUqeOCk76bZuYVtQI=\n\n"
            "\xE2\x80\x94 audit.example/mcp-sql "
            "96jZrwap+ugy2N2mZ3uUqo9lOrISOtee9TgwroAL1eHKSX7UBcbOYfyXChduiSy1WztcoT5CNhaamA0otMYrOHHrMQc=\n");
  auto cp = read_checkpoint_note(note, {signer.verifier()}, false);
  ASSERT_TRUE(cp.has_value()) << cp.error().message;
  EXPECT_EQ(cp->checkpoint.size, 1u);
  EXPECT_EQ(cp->checkpoint.root, leaf);
}

TEST(CheckpointVectors, ParseRejectsMalformed) {
  EXPECT_FALSE(parse_checkpoint("o\n01\nypqjASKA/hFs9f87euBnjExDQZrUqeOCk76bZuYVtQI=\n").has_value());
  EXPECT_FALSE(parse_checkpoint("o\n1\nnotbase64\n").has_value());
  EXPECT_FALSE(parse_checkpoint("o\n1\n").has_value());
  EXPECT_TRUE(parse_checkpoint("o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\next\n").has_value());
}

TEST(JcsVectors, Rfc8785Example) {
  auto input = nlohmann::json::parse(
      R"({"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001], "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/", "literals": [null, true, false]})");
  auto out = canonicalize(input, JcsNumbers::ecmascript).value();
  EXPECT_EQ(out,
            "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],"
            "\"string\":\"\xE2\x82\xAC$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
  EXPECT_EQ(
      hex_encode(out),
      "7b226c69746572616c73223a5b6e756c6c2c747275652c66616c73655d2c226e756d62657273223a5b333333333333333333"
      "2e333333333333332c31652b33302c342e352c302e3030322c31652d32375d2c22737472696e67223a22e282ac245c75303030"
      "66"
      "5c6e4127425c225c5c5c5c5c222f227d");
  // The integer-only profile used for audit records refuses the floats.
  EXPECT_FALSE(canonicalize(input).has_value());
}

TEST(JcsVectors, Utf16KeySort) {
  auto input = nlohmann::json::parse(
      R"({"\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh", "1": "One", "\ud83d\ude00": "Emoji: Grinning Face", "\u0080": "Control", "\u00f6": "Latin Small Letter O With Diaeresis"})");
  auto out = canonicalize(input).value();
  EXPECT_EQ(out,
            "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\xC2\x80\":\"Control\",\"\xC3\xB6\":\"Latin Small "
            "Letter O "
            "With Diaeresis\",\"\xE2\x82\xAC\":\"Euro Sign\",\"\xF0\x9F\x98\x80\":\"Emoji: Grinning "
            "Face\",\"\xEF\xAC\xB3\":\"Hebrew Letter Dalet With Dagesh\"}");
}

TEST(JcsVectors, EcmascriptNumbers) {
  struct Case {
    double in;
    const char* out;
  } cases[] = {{0.0, "0"},
               {-0.0, "0"},
               {5e-324, "5e-324"},
               {1.7976931348623157e308, "1.7976931348623157e+308"},
               {9007199254740992.0, "9007199254740992"},
               {295147905179352830000.0, "295147905179352830000"},
               {9.999999999999997e22, "9.999999999999997e+22"},
               {1e23, "1e+23"},
               {1e21, "1e+21"},
               {999999999999999900000.0, "999999999999999900000"},
               {9.999999999999997e-7, "9.999999999999997e-7"},
               {0.000001, "0.000001"},
               {333333333.3333333, "333333333.3333333"},
               {-0.0000033333333333333333, "-0.0000033333333333333333"},
               {1424953923781206.2, "1424953923781206.2"}};
  for (const auto& c : cases) EXPECT_EQ(format_ecmascript_number(c.in), c.out) << c.out;
  auto big = nlohmann::json::parse("9007199254740993");
  EXPECT_EQ(canonicalize(big, JcsNumbers::ecmascript).value(), "9007199254740992");
  EXPECT_FALSE(canonicalize(big).has_value());
}

TEST(JcsVectors, StringsAndUtf8) {
  EXPECT_EQ(canonicalize(nlohmann::json("\x01\x1f\x7f/")).value(), "\"\\u0001\\u001f\x7f/\"");
  nlohmann::json bad = std::string(
      "a\xff"
      "b");
  EXPECT_FALSE(canonicalize(bad).has_value());
  EXPECT_EQ(canonicalize(bad).error().code, common::ErrorCode::kInvalidInput);
  EXPECT_FALSE(valid_utf8_json(bad));
  EXPECT_FALSE(valid_utf8_json(nlohmann::json{{"k", {1, bad}}}));
  EXPECT_FALSE(valid_utf8_json(nlohmann::json{{std::string("k\xff"), 1}}));
  EXPECT_TRUE(valid_utf8_json(nlohmann::json{{"k", {1.5, "\xF0\x9F\x98\x80", nullptr}}}));
  bool replaced = false;
  auto clean = sanitize_utf8(nlohmann::json{{"k", bad}}, replaced);
  EXPECT_TRUE(replaced);
  EXPECT_EQ(canonicalize(clean).value(),
            "{\"k\":\"a\xEF\xBF\xBD"
            "b\"}");
  EXPECT_FALSE(common::valid_utf8("\xED\xA0\x80"));  // UTF-8 encoded surrogate
  EXPECT_FALSE(common::valid_utf8("\xC0\xAF"));      // overlong
  EXPECT_TRUE(common::valid_utf8("\xF0\x9F\x98\x80"));
  EXPECT_FALSE(canonicalize(nlohmann::json(1.5)).has_value());
  EXPECT_EQ(canonicalize(nlohmann::json(-kMaxJsonSafeInteger)).value(), "-9007199254740991");
}

}  // namespace
}  // namespace sqlguard::recorder
