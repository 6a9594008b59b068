// export (jsonl, csv, OCSF 6005), show, and inclusion proofs (prove / verify-proof).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "recorder/audit_export.h"
#include "recorder/audit_log.h"
#include "recorder/audit_prove.h"
#include "recorder/audit_verify.h"
#include "recorder/key_file.h"
#include "recorder/log_files.h"

namespace sqlguard::recorder {
namespace {

namespace fs = std::filesystem;

class AuditToolsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "sqlguard-tools-XXXXXX").string();
    root_ = ::mkdtemp(tmpl.data());
    keys_ = write_key_pair("tools.example/audit", root_ / "key").value();
    AuditLogOptions o;
    o.dir = root_ / "log";
    o.origin = "tools.example/audit";
    o.signing_key_file = keys_.private_key;
    o.checkpoint_every = std::chrono::milliseconds(0);
    o.checkpoint_every_records = 0;
    auto log = AuditLog::open(o).value();
    for (const auto& [session, subject] :
         {std::pair{"s-1", "alice@example.com"}, std::pair{"s-2", "bob@example.com"}}) {
      ASSERT_TRUE(log->append({{"type", "session.start"},
                               {"session", session},
                               {"principal",
                                {{"subject", subject},
                                 {"issuer", "https://idp.example"},
                                 {"auth", "oidc"},
                                 {"client", {{"name", "inspector"}, {"version", "0.9"}}}}},
                               {"transport", "http"},
                               {"remote_address", "10.0.0.7"}})
                      .has_value());
      ASSERT_TRUE(
          log->append({{"type", "call.intent"},
                       {"session", session},
                       {"call", std::string(session) + "-c1"},
                       {"tool", "run_sql"},
                       {"principal", {{"subject", subject}}},
                       {"statement",
                        {{"text", "=SELECT id, ssn FROM shop.customers"},
                         {"kind", "select"},
                         {"tables", {"shop.customers"}}}},
                       {"decision", {{"action", "allow"}, {"rule", "read"}, {"reason", "reads, \"ok\""}}}})
              .has_value());
      ASSERT_TRUE(log->append({{"type", "call.outcome"},
                               {"session", session},
                               {"call", std::string(session) + "-c1"},
                               {"status", "ok"},
                               {"rows", 2},
                               {"masked_columns",
                                {{{"column", "shop.customers.ssn"}, {"rule", "pii"}, {"method", "hash"}}}},
                               {"duration_us", 812}})
                      .has_value());
    }
    ASSERT_TRUE(log->checkpoint().has_value());
  }
  void TearDown() override { fs::remove_all(root_); }

  fs::path root_;
  KeyPairFiles keys_;
};

TEST_F(AuditToolsTest, ExportJsonlFiltersByPrincipalAndSession) {
  std::ostringstream out;
  auto n = export_records(root_ / "log", ExportFormat::jsonl, {.principal = "bob@example.com"}, out);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(*n, 3u);  // start, intent and the outcome attributed through the session
  EXPECT_EQ(out.str().find("alice"), std::string::npos);
  std::ostringstream one;
  EXPECT_EQ(export_records(root_ / "log", ExportFormat::jsonl, {.session = "s-1"}, one).value(), 3u);
  std::ostringstream none;
  EXPECT_EQ(export_records(root_ / "log", ExportFormat::jsonl, {.since = "2999-01-01"}, none).value(), 0u);
  std::ostringstream all;
  EXPECT_EQ(export_records(root_ / "log", ExportFormat::jsonl, {.until = "2999-01-01"}, all).value(), 7u);
}

TEST_F(AuditToolsTest, ExportCsvEscapesAndDefusesFormulas) {
  std::ostringstream out;
  ASSERT_TRUE(export_records(root_ / "log", ExportFormat::csv, {.session = "s-1"}, out).has_value());
  std::string csv = out.str();
  EXPECT_EQ(csv.rfind("seq,time,type,session,call,principal", 0), 0u);
  EXPECT_NE(csv.find("'=SELECT id, ssn FROM shop.customers"), std::string::npos) << csv;
  EXPECT_NE(csv.find("\"reads, \"\"ok\"\"\""), std::string::npos) << csv;
  EXPECT_NE(csv.find("shop.customers.ssn(pii/hash)"), std::string::npos);
}

TEST_F(AuditToolsTest, ExportOcsfDatastoreActivity) {
  std::ostringstream out;
  ASSERT_TRUE(export_records(root_ / "log", ExportFormat::ocsf, {.session = "s-2"}, out).has_value());
  std::istringstream in(out.str());
  std::string line;
  std::vector<nlohmann::json> events;
  while (std::getline(in, line)) events.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(events.size(), 3u);
  for (const auto& ev : events) {
    EXPECT_EQ(ev["class_uid"], 6005);
    EXPECT_EQ(ev["category_uid"], 6);
    EXPECT_EQ(ev["type_uid"], 600500 + ev["activity_id"].get<int>());
    EXPECT_GT(ev["time"].get<int64_t>(), 1700000000000);
    EXPECT_EQ(ev["actor"]["user"]["name"], "bob@example.com");
    EXPECT_TRUE(ev["metadata"].contains("product"));
  }
  EXPECT_EQ(events[0]["activity_id"], 3);  // Connect
  EXPECT_EQ(events[0]["src_endpoint"]["ip"], "10.0.0.7");
  EXPECT_EQ(events[1]["activity_id"], 4);  // Query
  EXPECT_EQ(events[1]["query_info"]["query_string"], "=SELECT id, ssn FROM shop.customers");
  EXPECT_EQ(events[2]["query_info"]["query_string"], "=SELECT id, ssn FROM shop.customers");
}

TEST_F(AuditToolsTest, ShowSessionTimeline) {
  std::ostringstream out;
  auto n = show_session(root_ / "log", "s-1", out);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(*n, 3u);
  std::string text = out.str();
  EXPECT_NE(
      text.find(
          "session start: alice@example.com (issuer https://idp.example), auth oidc, client inspector 0.9"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("-> allow (rule read)"), std::string::npos) << text;
  EXPECT_NE(text.find("ok: 2 rows, masked shop.customers.ssn(pii/hash), 812 us"), std::string::npos) << text;
  std::ostringstream none;
  EXPECT_FALSE(show_session(root_ / "log", "nope", none).has_value());
}

TEST_F(AuditToolsTest, ProveAndVerifyProofForEveryRecord) {
  auto pub = load_verifier_file(keys_.public_key).value();
  for (uint64_t seq = 0; seq < 7; ++seq) {
    auto proof = make_inclusion_proof(root_ / "log", seq);
    ASSERT_TRUE(proof.has_value()) << proof.error().message;
    EXPECT_EQ((*proof)["tree_size"], 7);
    // Round-trip through text, as the CLI does.
    auto doc = nlohmann::json::parse(proof->dump(2));
    auto ok = verify_inclusion_proof(doc, {pub});
    ASSERT_TRUE(ok.has_value()) << ok.error().message;
    EXPECT_NE(ok->find("signed by tools.example/audit+"), std::string::npos);
  }
  EXPECT_FALSE(make_inclusion_proof(root_ / "log", 7).has_value());  // not covered (the checkpoint record)
}

TEST_F(AuditToolsTest, VerifyProofRejectsTampering) {
  auto pub = load_verifier_file(keys_.public_key).value();
  auto proof = make_inclusion_proof(root_ / "log", 3).value();
  auto edited = proof;
  edited["record"] = edited["record"].get<std::string>().replace(10, 1, "X");
  EXPECT_FALSE(verify_inclusion_proof(edited, {pub}).has_value());
  auto wrong_seq = proof;
  wrong_seq["seq"] = 4;
  EXPECT_FALSE(verify_inclusion_proof(wrong_seq, {pub}).has_value());
  auto bad_path = proof;
  bad_path["proof"][0] = bad_path["proof"][1];
  EXPECT_FALSE(verify_inclusion_proof(bad_path, {pub}).has_value());
  auto other = write_key_pair("tools.example/audit", root_ / "other").value();
  auto r = verify_inclusion_proof(proof, {load_verifier_file(other.public_key).value()});
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("no signature by a trusted key"), std::string::npos);
}

TEST_F(AuditToolsTest, ProveRefusesALogThatDoesNotMatchItsCheckpoint) {
  auto segs = list_segments(root_ / "log").value();
  auto text = read_file(segs[0].path).value();
  text[text.find("bob")] = 'B';
  std::ofstream(segs[0].path, std::ios::trunc) << text;
  auto proof = make_inclusion_proof(root_ / "log", 1);
  ASSERT_FALSE(proof.has_value());
  EXPECT_NE(proof.error().message.find("does not match the checkpoint root"), std::string::npos);
}

}  // namespace
}  // namespace sqlguard::recorder
