// AuditLog: record format, group commit under concurrency, rotation, reopen, torn-tail
// recovery (including kill -9 during load), checkpoints, witness copies, key file permissions,
// fail-closed behaviour on injected write/sync failures, and resuming once the fault is gone.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <future>
#include <latch>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "recorder/audit_export.h"
#include "recorder/audit_log.h"
#include "recorder/audit_verify.h"
#include "recorder/checkpoint.h"
#include "recorder/codec.h"
#include "recorder/jcs.h"
#include "recorder/key_file.h"
#include "recorder/log_files.h"
#include "recorder/merkle.h"
#include "tests/temp_dir.h"

namespace sqlguard::recorder {
namespace {

namespace fs = std::filesystem;

class TempDir : public test_support::TempDir {
 public:
  TempDir() : test_support::TempDir("audit") {}
};

// The records of a segment, as every reader sees them: up to the first NUL (a preallocated
// segment's zero-filled tail), one per line.
std::vector<std::string> read_lines(const fs::path& p) {
  const std::string content = read_file(p).value();
  std::istringstream in(content.substr(0, segment_layout(content).records_end));
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

bool has_nul(const fs::path& p) { return read_file(p).value().find('\0') != std::string::npos; }

std::vector<std::string> all_lines(const fs::path& dir) {
  std::vector<std::string> out;
  auto segs = list_segments(dir).value();
  for (const auto& seg : segs)
    for (auto& l : read_lines(seg.path)) out.push_back(std::move(l));
  return out;
}

// Polls (up to 5 s) until the log's segments hold `n` records.
bool wait_lines(const fs::path& dir, size_t n) {
  for (int i = 0; i < 500; ++i) {
    if (all_lines(dir).size() == n) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

nlohmann::json intent(int i) {
  return {{"type", "call.intent"},
          {"session", "s-1"},
          {"call", "c-" + std::to_string(i)},
          {"tool", "run_sql"},
          {"principal",
           {{"subject", "alice@example.com"}, {"client", {{"name", "inspector"}, {"version", "1.0"}}}}},
          {"statement",
           {{"text", "SELECT " + std::to_string(i)}, {"kind", "select"}, {"tables", {"shop.orders"}}}},
          {"decision", {{"action", "allow"}, {"rule", "read-orders"}, {"reason", "reads are allowed"}}}};
}

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    keys_ = write_key_pair("test.example/audit", tmp_.path() / "signing").value();
    options_.dir = tmp_.path() / "log";
    options_.origin = "test.example/audit";
    options_.signing_key_file = keys_.private_key;
    options_.checkpoint_every = std::chrono::milliseconds(0);
    options_.checkpoint_every_records = 0;
  }
  VerifyReport verify(std::vector<fs::path> external = {}) {
    return verify_log({options_.dir, std::move(external), {keys_.public_key}});
  }
  TempDir tmp_;
  KeyPairFiles keys_;
  AuditLogOptions options_;
};

// The same claims for both segment layouts: appended (the default) and preallocated
// (audit.preallocate_bytes). A zero-filled tail must never change what is recorded, recovered
// or verified.
class AuditLogLayoutTest : public AuditLogTest, public ::testing::WithParamInterface<uint64_t> {
 protected:
  void SetUp() override {
    AuditLogTest::SetUp();
    options_.preallocate_bytes = GetParam();
  }
};
INSTANTIATE_TEST_SUITE_P(Segments, AuditLogLayoutTest, ::testing::Values(uint64_t{0}, uint64_t{8192}),
                         [](const ::testing::TestParamInfo<uint64_t>& layout) {
                           return layout.param == 0 ? std::string("Appended") : std::string("Preallocated");
                         });

TEST_F(AuditLogTest, WritesChainedCanonicalRecords) {
  {
    auto log = AuditLog::open(options_).value();
    for (int i = 0; i < 5; ++i) {
      auto r = log->append(intent(i));
      ASSERT_TRUE(r.has_value()) << r.error().message;
      EXPECT_EQ(r->seq, static_cast<uint64_t>(i));
    }
    EXPECT_EQ(log->size(), 5u);
    EXPECT_TRUE(log->healthy());
  }
  auto lines = all_lines(options_.dir);
  ASSERT_EQ(lines.size(), 6u);  // 5 + the shutdown "checkpoint" record
  Hash prev = empty_root();
  for (size_t i = 0; i < lines.size(); ++i) {
    auto rec = nlohmann::json::parse(lines[i]);
    EXPECT_EQ(canonicalize(rec).value(), lines[i]);
    EXPECT_EQ(rec["v"], 1);
    EXPECT_EQ(rec["seq"], i);
    EXPECT_EQ(rec["origin"], "test.example/audit");
    EXPECT_EQ(rec["prev"], base64_encode(prev));
    EXPECT_EQ(rec["time"].get<std::string>().size(), 27u);
    prev = leaf_hash(lines[i]);
  }
  EXPECT_EQ(nlohmann::json::parse(lines[5])["type"], "checkpoint");
  auto report = verify();
  EXPECT_TRUE(report.ok()) << report.summary();
  EXPECT_EQ(report.records, 6u);
  EXPECT_EQ(report.latest_checkpoint_size, 6u);
  EXPECT_NE(report.summary().find("audit verify: OK: 6 records in 1 segment, chain intact, "),
            std::string::npos)
      << report.summary();
  EXPECT_NE(report.summary().find("signed by test.example/audit+"), std::string::npos);
}

// Two writers on one directory would interleave records and break the chain (found when an
// e2e test ran `serve --mysql` and `serve --stdio` on one config): the second open is refused
// while the first log is open, and allowed once it is closed.
TEST_F(AuditLogTest, OneWriterPerDirectory) {
  auto first = AuditLog::open(options_);
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_TRUE((*first)->append(intent(0)));
  auto second = AuditLog::open(options_);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, common::ErrorCode::kUnavailable);
  EXPECT_NE(second.error().message.find("in use by another sqlguard process"), std::string::npos)
      << second.error().message;
  first->reset();
  auto third = AuditLog::open(options_);
  ASSERT_TRUE(third) << third.error().message;
  ASSERT_TRUE((*third)->append(intent(1)));
  third->reset();
  EXPECT_TRUE(verify().ok()) << verify().summary();
}

TEST_F(AuditLogTest, RejectsUnrepresentableEvents) {
  auto log = AuditLog::open(options_).value();
  auto ratio = log->append({{"type", "x"}, {"ratio", 0.5}});
  ASSERT_FALSE(ratio.has_value());
  EXPECT_EQ(ratio.error().code, common::ErrorCode::kInvalidInput);
  EXPECT_EQ(ratio.error().message,
            "audit event is not representable: JCS: $.ratio: floating-point numbers are not allowed in "
            "audit records");
  // A float under a member named "UTF-8" is refused like any float, the message unchanged.
  auto named = log->append({{"type", "x"}, {"UTF-8", 0.5}});
  ASSERT_FALSE(named.has_value());
  EXPECT_EQ(named.error().message,
            "audit event is not representable: JCS: $.UTF-8: floating-point numbers are not allowed in "
            "audit records");
  EXPECT_FALSE(log->append({{"type", "x"}, {"seq", 3}}).has_value());
  EXPECT_FALSE(log->append({{"no_type", 1}}).has_value());
  EXPECT_FALSE(log->append(nlohmann::json::array()).has_value());
  EXPECT_FALSE(log->append({{"type", "x"}, {"big", uint64_t{1} << 60}}).has_value());
  auto r = log->append({{"type", "x"}, {"text", std::string("bad \xff byte")}});
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(log->healthy());
  EXPECT_EQ(log->size(), 1u);
  auto line = all_lines(options_.dir).at(0);
  EXPECT_NE(line.find("bad \xEF\xBF\xBD byte"), std::string::npos);
  EXPECT_NE(line.find("\"utf8_replaced\":true"), std::string::npos);
  // Invalid UTF-8 in a member name is replaced too; a float next to it still fails.
  ASSERT_TRUE(log->append({{"type", "x"}, {std::string("k\xff"), 1}}).has_value());
  EXPECT_NE(all_lines(options_.dir).at(1).find("\"k\xEF\xBF\xBD\":1"), std::string::npos);
  EXPECT_FALSE(log->append({{"type", "x"}, {"text", std::string("\xff")}, {"ratio", 0.5}}).has_value());
  EXPECT_EQ(log->size(), 2u);
}

TEST_F(AuditLogTest, GroupCommitSharesSyncsAcrossConcurrentWriters) {
  std::atomic<int> syncs{0};
  options_.fault_injector = [&](std::string_view op) {
    if (op == "fdatasync") ++syncs;
    return 0;
  };
  constexpr int kThreads = 16, kPerThread = 200;
  {
    auto log = AuditLog::open(options_).value();
    std::vector<std::thread> threads;
    std::mutex mu;
    std::set<uint64_t> seqs;
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          auto r = log->append(intent(t * 1000 + i));
          ASSERT_TRUE(r.has_value());
          std::lock_guard lock(mu);
          EXPECT_TRUE(seqs.insert(r->seq).second);
        }
      });
    for (auto& th : threads) th.join();
    EXPECT_EQ(seqs.size(), static_cast<size_t>(kThreads * kPerThread));
    EXPECT_EQ(*seqs.rbegin(), static_cast<uint64_t>(kThreads * kPerThread - 1));
  }
  EXPECT_LT(syncs.load(), kThreads * kPerThread) << "no batching happened";
  auto report = verify();
  EXPECT_TRUE(report.ok()) << report.summary();
  EXPECT_EQ(report.records, static_cast<uint64_t>(kThreads * kPerThread + 1));
}

TEST_F(AuditLogTest, AsyncAppendsReturnBeforeTheSyncAndAreGroupCommitted) {
  std::atomic<bool> block{false};
  std::latch release(1);
  options_.fault_injector = [&](std::string_view op) {
    if (op == "fdatasync" && block) release.wait();
    return 0;
  };
  auto log = AuditLog::open(options_).value();
  block = true;
  // The background thread's commit is held in fdatasync: async appends still return.
  auto appended = std::async(std::launch::async, [&] {
    std::vector<uint64_t> seqs;
    for (int i = 0; i < 20; ++i) seqs.push_back(log->append_async(intent(i)).value().seq);
    return seqs;
  });
  ASSERT_EQ(appended.wait_for(std::chrono::seconds(10)), std::future_status::ready)
      << "append_async waited for the sync";
  const auto seqs = appended.get();
  for (size_t i = 0; i < seqs.size(); ++i) EXPECT_EQ(seqs[i], i);
  // A durable append waits for the sync, and makes every earlier async record durable with it.
  auto durable = std::async(std::launch::async, [&] { return log->append(intent(99)); });
  EXPECT_EQ(durable.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout);
  block = false;
  release.count_down();
  ASSERT_TRUE(durable.get().has_value());
  EXPECT_EQ(all_lines(options_.dir).size(), 21u);
  // With no durable append after it, an async record still reaches the disk on its own.
  ASSERT_TRUE(log->append_async(intent(100)).has_value());
  EXPECT_TRUE(wait_lines(options_.dir, 22)) << "on disk within 5 s";
  log.reset();
  auto report = verify();
  EXPECT_TRUE(report.ok()) << report.summary();
}

bool wait_healthy(AuditLog& log, std::chrono::milliseconds limit);

TEST_F(AuditLogTest, TheNextDurableAppendCarriesAnAsyncRecordInItsOwnSync) {
  // Sequential calls under audit.durability: intent: call N's outcome (async), then call N+1's
  // intent (durable) within the commit delay: one fdatasync per call, not two.
  std::atomic<int> syncs{0};
  options_.async_commit_delay = std::chrono::milliseconds(500);
  options_.fault_injector = [&](std::string_view op) {
    if (op == "fdatasync") ++syncs;
    return 0;
  };
  auto log = AuditLog::open(options_).value();
  ASSERT_TRUE(log->append(intent(0)).has_value());
  const int before = syncs.load();
  for (int i = 1; i <= 10; ++i) {
    ASSERT_TRUE(log->append_async(intent(1000 + i)).has_value());  // outcome of call i - 1
    ASSERT_TRUE(log->append(intent(i)).has_value());               // intent of call i
  }
  EXPECT_EQ(syncs.load() - before, 10) << "each intent's sync carried the outcome before it";
  EXPECT_EQ(all_lines(options_.dir).size(), 21u);
  // Alone, an async record is committed once the delay has passed.
  ASSERT_TRUE(log->append_async(intent(2000)).has_value());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(all_lines(options_.dir).size(), 21u) << "still waiting for a durable append to carry it";
  EXPECT_TRUE(wait_lines(options_.dir, 22)) << "on disk within 5 s";
  log.reset();
  auto report = verify();
  EXPECT_TRUE(report.ok()) << report.summary();
}

TEST_F(AuditLogTest, AnAsyncRecordLostToASyncFailureIsCountedInTheRecoveryRecord) {
  std::atomic<bool> broken{false};
  options_.recovery_probe_every = std::chrono::milliseconds(20);
  options_.fault_injector = [&](std::string_view op) { return broken && op == "fdatasync" ? EIO : 0; };
  auto log = AuditLog::open(options_).value();
  ASSERT_TRUE(log->append(intent(0)).has_value());
  broken = true;
  ASSERT_TRUE(log->append_async(intent(1)).has_value());  // acknowledged
  // Fail closed: the failed commit makes the log unhealthy; nothing else is accepted.
  for (int i = 0; i < 500 && log->healthy(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_FALSE(log->healthy());
  EXPECT_FALSE(log->append(intent(2)).has_value());
  broken = false;
  ASSERT_TRUE(wait_healthy(*log, std::chrono::milliseconds(10000))) << log->reason();
  log.reset();
  auto lines = all_lines(options_.dir);
  bool found = false;
  for (const auto& line : lines) {
    auto j = nlohmann::json::parse(line);
    EXPECT_NE(j.value("call", ""), "c-1") << "the lost record was cut";
    if (j["type"] == "recovery" && j.contains("lost_async_records")) {
      found = true;
      EXPECT_EQ(j["discarded_records"], 1);
      EXPECT_EQ(j["lost_async_records"], 1);
    }
  }
  EXPECT_TRUE(found);
  auto report = verify();
  EXPECT_TRUE(report.ok()) << report.summary();
}

TEST_P(AuditLogLayoutTest, RotatesSegmentsAndContinuesTheChainAcrossReopen) {
  options_.segment_bytes = 2000;
  for (int round = 0; round < 2; ++round) {
    auto log = AuditLog::open(options_).value();
    for (int i = 0; i < 30; ++i) ASSERT_TRUE(log->append(intent(i)).has_value());
  }
  auto segs = list_segments(options_.dir).value();
  EXPECT_GT(segs.size(), 5u);
  for (const auto& seg : segs) {
    EXPECT_LE(fs::file_size(seg.path), 2000u + 600u);
    EXPECT_FALSE(has_nul(seg.path)) << seg.name << " is sealed";
  }
  auto report = verify();
  EXPECT_TRUE(report.ok()) << report.summary();
  EXPECT_EQ(report.records, 62u);
  EXPECT_EQ(report.segments, segs.size());
  EXPECT_EQ(report.checkpoints_verified, 2u);  // sizes 31 and 62 (62 also as `checkpoint`)
}

TEST_P(AuditLogLayoutTest, TornLastRecordIsCutAndRecorded) {
  {
    auto log = AuditLog::open(options_).value();
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(log->append(intent(i)).has_value());
  }
  fs::path seg = options_.dir / segment_file_name(1);
  const std::string torn = R"({"call":"c-9","origin":"test.example/audit","prev":"abc)";
  {
    std::ofstream out(seg, std::ios::app | std::ios::binary);
    out << torn;
  }
  EXPECT_FALSE(verify().ok());
  {
    auto log = AuditLog::open(options_);
    ASSERT_TRUE(log.has_value()) << log.error().message;
    EXPECT_EQ((*log)->size(), 5u);  // 3 + checkpoint + recovery
  }
  auto lines = all_lines(options_.dir);
  auto recovery = nlohmann::json::parse(lines.at(4));
  EXPECT_EQ(recovery["type"], "recovery");
  EXPECT_EQ(recovery["cut_bytes"], torn.size());
  auto report = verify();
  EXPECT_TRUE(report.ok()) << report.summary();
}

TEST_P(AuditLogLayoutTest, KillDashNineDuringLoadLeavesAVerifiableLog) {
  options_.segment_bytes = 64 * 1024;
  options_.checkpoint_every_records = 200;
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto log = AuditLog::open(options_);
    if (!log) ::_exit(2);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&, t] {
        for (int i = 0;; ++i) (void)(*log)->append(intent(t * 1000000 + i));
      });
    for (auto& th : threads) th.join();
    ::_exit(0);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  // A crash mid-write may leave a torn tail: reopening cuts it and records the recovery.
  {
    auto log = AuditLog::open(options_);
    ASSERT_TRUE(log.has_value()) << log.error().message;
    EXPECT_GT((*log)->size(), 10u);
    ASSERT_TRUE((*log)->append(intent(1)).has_value());
  }
  auto report = verify();
  EXPECT_TRUE(report.ok()) << report.summary();
  EXPECT_GT(report.segments, 1u);
}

TEST_F(AuditLogTest, SyncFailureFailsClosed) {
  std::atomic<int> syncs{0};
  std::atomic<int> reported{0};
  std::string reason_seen;
  std::atomic<bool> armed{false};
  options_.fault_injector = [&](std::string_view op) {
    return armed && op == "fdatasync" && ++syncs > 3 ? EIO : 0;
  };
  options_.on_failure = [&](const std::string& reason) {
    ++reported;
    reason_seen = reason;
  };
  auto log = AuditLog::open(options_).value();
  armed = true;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(log->append(intent(i)).has_value());
  auto r = log->append(intent(3));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, common::ErrorCode::kAuditFailure);
  EXPECT_NE(r.error().message.find("fdatasync"), std::string::npos) << r.error().message;
  EXPECT_FALSE(log->healthy());
  EXPECT_NE(log->reason().find("Input/output error"), std::string::npos) << log->reason();
  EXPECT_EQ(reported.load(), 1);
  EXPECT_NE(reason_seen.find("refusing to serve SQL"), std::string::npos);
  // The failed pages are not synced again: until a probe has cut and rewritten, appends fail.
  EXPECT_FALSE(log->append(intent(4)).has_value());
  EXPECT_FALSE(log->checkpoint().has_value());
}

TEST_F(AuditLogTest, WriteFailureFailsClosedForAllConcurrentWaiters) {
  std::atomic<bool> broken{false};
  options_.fault_injector = [&](std::string_view op) { return op == "write" && broken ? ENOSPC : 0; };
  auto log = AuditLog::open(options_).value();
  ASSERT_TRUE(log->append(intent(0)).has_value());
  broken = true;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      if (!log->append(intent(1)).has_value()) ++failures;
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 8);
  EXPECT_FALSE(log->healthy());
  EXPECT_NE(log->reason().find("No space left"), std::string::npos) << log->reason();
}

TEST_F(AuditLogTest, CheckpointFailureFailsClosed) {
  std::atomic<bool> armed{false};
  options_.fault_injector = [&](std::string_view op) { return armed && op == "rename" ? EROFS : 0; };
  auto log = AuditLog::open(options_).value();
  armed = true;
  ASSERT_TRUE(log->append(intent(0)).has_value());
  EXPECT_FALSE(log->checkpoint().has_value());
  EXPECT_FALSE(log->healthy());
}

/// Polls `log` until healthy (true) or `limit` passes (false).
bool wait_healthy(AuditLog& log, std::chrono::milliseconds limit = std::chrono::milliseconds(10000)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (log.healthy()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return log.healthy();
}

std::vector<nlohmann::json> records_of_type(const fs::path& dir, std::string_view type) {
  std::vector<nlohmann::json> out;
  for (const auto& line : all_lines(dir)) {
    auto rec = nlohmann::json::parse(line);
    if (rec["type"] == type) out.push_back(std::move(rec));
  }
  return out;
}

uint64_t segment_bytes_on_disk(const fs::path& dir) {
  uint64_t total = 0;
  const auto segments = list_segments(dir).value();
  for (const auto& seg : segments) total += fs::file_size(seg.path);
  return total;
}

TEST_F(AuditLogTest, ResumesAfterASyncFailureWithTheChainIntact) {
  std::atomic<bool> broken{false};
  std::atomic<int> recovered{0};
  std::string recovery_message;
  options_.recovery_probe_every = std::chrono::milliseconds(20);
  options_.fault_injector = [&](std::string_view op) { return broken && op == "fdatasync" ? EIO : 0; };
  options_.on_recovery = [&](const std::string& message) {
    recovery_message = message;
    ++recovered;
  };
  auto log = AuditLog::open(options_).value();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(log->append(intent(i)).has_value());
  const uint64_t durable_bytes = segment_bytes_on_disk(options_.dir);
  broken = true;
  ASSERT_FALSE(log->append(intent(3)).has_value());  // written, not synced: never acknowledged
  EXPECT_GT(segment_bytes_on_disk(options_.dir), durable_bytes);
  EXPECT_NE(log->reason().find("until it can write again"), std::string::npos) << log->reason();
  EXPECT_FALSE(log->append(intent(4)).has_value());
  // While the fault lasts, probes cut the file back and fail again; nothing new is acknowledged.
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  EXPECT_FALSE(log->healthy());
  EXPECT_FALSE(log->append(intent(5)).has_value());
  EXPECT_EQ(recovered.load(), 0);

  broken = false;
  ASSERT_TRUE(wait_healthy(*log)) << log->reason();
  EXPECT_EQ(recovered.load(), 1);
  EXPECT_NE(recovery_message.find("resumed at seq 3"), std::string::npos) << recovery_message;
  EXPECT_TRUE(log->reason().empty());
  auto r = log->append(intent(6));
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->seq, 4u);  // 0-2, the recovery record, then this one
  ASSERT_TRUE(log->checkpoint().has_value());
  log.reset();

  auto lines = all_lines(options_.dir);
  ASSERT_EQ(lines.size(), 6u);  // 3 intents, recovery, intent 6, checkpoint (destructor: none new)
  for (const auto& line : lines) {
    EXPECT_EQ(line.find("\"call\":\"c-3\""), std::string::npos) << "the unacknowledged record is gone";
    EXPECT_EQ(line.find("\"call\":\"c-5\""), std::string::npos);
  }
  auto recovery = nlohmann::json::parse(lines[3]);
  EXPECT_EQ(recovery["type"], "recovery");
  EXPECT_EQ(recovery["seq"], 3);
  EXPECT_EQ(recovery["offset"], durable_bytes);
  EXPECT_GT(recovery["cut_bytes"].get<int64_t>(), 0);  // the last probe's cut: its own record
  EXPECT_EQ(recovery["discarded_records"], 1);
  EXPECT_GE(recovery["refused_requests"].get<int64_t>(), 2);
  EXPECT_GE(recovery["probes"].get<int64_t>(), 2);
  EXPECT_NE(recovery["reason"].get<std::string>().find("fdatasync: Input/output error"), std::string::npos);
  EXPECT_EQ(recovery["failed_at"].get<std::string>().size(), 27u);
  auto report = verify();
  EXPECT_TRUE(report.ok()) << report.summary();
  EXPECT_EQ(report.records, 6u);
  // And the resumed log reopens (tail check) and continues.
  auto reopened = AuditLog::open(options_);
  ASSERT_TRUE(reopened.has_value()) << reopened.error().message;
  EXPECT_EQ((*reopened)->size(), 6u);
}

TEST_P(AuditLogLayoutTest, StaysRefusedWhileTheDiskIsFullAndLeavesTheFileAsItWas) {
  std::atomic<bool> full{false};
  options_.recovery_probe_every = std::chrono::milliseconds(10);
  options_.fault_injector = [&](std::string_view op) { return full && op == "write" ? ENOSPC : 0; };
  auto log = AuditLog::open(options_).value();
  ASSERT_TRUE(log->append(intent(0)).has_value());
  full = true;
  ASSERT_FALSE(log->append(intent(1)).has_value());
  const auto before = all_lines(options_.dir);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(log->healthy());
  EXPECT_NE(log->reason().find("No space left on device"), std::string::npos) << log->reason();
  EXPECT_EQ(all_lines(options_.dir), before);
  EXPECT_EQ(log->size(), 1u);  // discarded records do not count
  full = false;
  ASSERT_TRUE(wait_healthy(*log)) << log->reason();
  ASSERT_TRUE(log->append(intent(2)).has_value());
  EXPECT_EQ(records_of_type(options_.dir, "recovery").size(), 1u);
  log.reset();
  auto report = verify();
  EXPECT_TRUE(report.ok()) << report.summary();
}

TEST_P(AuditLogLayoutTest, AFailedRotationIsUndoneOnResume) {
  std::atomic<bool> broken{false};
  options_.segment_bytes = 1200;
  options_.recovery_probe_every = std::chrono::milliseconds(10);
  // The new segment is created, then persisting its directory entry fails.
  options_.fault_injector = [&](std::string_view op) { return broken && op == "dirsync" ? EIO : 0; };
  auto log = AuditLog::open(options_).value();
  int i = 0;
  while (list_segments(options_.dir).value().size() < 2) ASSERT_TRUE(log->append(intent(i++)).has_value());
  broken = true;
  std::optional<uint64_t> failed_at;
  for (int k = 0; k < 50 && !failed_at; ++k, ++i)
    if (!log->append(intent(i)).has_value()) failed_at = i;
  ASSERT_TRUE(failed_at.has_value()) << "a rotation failed";
  const size_t segments_after_failure = list_segments(options_.dir).value().size();
  EXPECT_EQ(segments_after_failure, 3u);  // the half-made segment is on disk
  broken = false;
  ASSERT_TRUE(wait_healthy(*log)) << log->reason();
  for (int k = 0; k < 10; ++k) ASSERT_TRUE(log->append(intent(1000 + k)).has_value());
  log.reset();
  auto report = verify();
  EXPECT_TRUE(report.ok()) << report.summary();
  EXPECT_EQ(records_of_type(options_.dir, "recovery").size(), 1u);
}

TEST_P(AuditLogLayoutTest, EveryAcknowledgedRecordSurvivesRepeatedFailuresUnderConcurrency) {
  // Fault kinds by round: 1 = the disk is full (nothing written), 2 = fdatasync fails after the
  // bytes were written, 3 = as 2 and cutting the file fails too (probes fail until it clears).
  std::atomic<int> fault{0};
  options_.recovery_probe_every = std::chrono::milliseconds(5);
  options_.segment_bytes = 16 << 10;
  options_.fault_injector = [&](std::string_view op) {
    switch (fault.load()) {
      case 1: return op == "write" ? ENOSPC : 0;
      case 2: return op == "fdatasync" ? EIO : 0;
      case 3: return op == "fdatasync" || op == "ftruncate" ? EIO : 0;
      default: return 0;
    }
  };
  auto log = AuditLog::open(options_).value();
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::vector<AppendReceipt> acknowledged;
  std::atomic<int> refused{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < 8; ++t)
    writers.emplace_back([&, t] {
      for (int n = 0; !stop; ++n) {
        auto r = log->append(intent(t * 1000000 + n));
        if (r) {
          std::lock_guard lock(mu);
          acknowledged.push_back(*r);
        } else {
          ++refused;
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
      }
    });
  uint64_t cut_bytes = 0;
  for (int round = 0; round < 6; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(40));
    fault = 1 + round % 3;
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    for (int k = 0; k < 1000 && log->healthy(); ++k)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ASSERT_FALSE(log->healthy()) << "round " << round << ": the fault was hit";
    fault = 0;
    ASSERT_TRUE(wait_healthy(*log)) << log->reason();
  }
  stop = true;
  for (auto& th : writers) th.join();
  log.reset();
  EXPECT_GT(refused.load(), 0);
  auto report = verify();
  ASSERT_TRUE(report.ok()) << report.summary();
  auto lines = all_lines(options_.dir);
  for (const auto& receipt : acknowledged) {
    ASSERT_LT(receipt.seq, lines.size());
    EXPECT_EQ(base64_encode(leaf_hash(lines[receipt.seq])), receipt.leaf_hash) << "record " << receipt.seq;
  }
  auto recoveries = records_of_type(options_.dir, "recovery");
  EXPECT_GE(recoveries.size(), 6u);  // one per failure (the destructor's checkpoint may add none)
  for (const auto& r : recoveries) cut_bytes += r["cut_bytes"].get<uint64_t>();
  EXPECT_GT(cut_bytes, 0u) << "the fdatasync rounds left unacknowledged bytes that were cut";
}

TEST_F(AuditLogTest, ResumesAfterACheckpointWriteFailure) {
  std::atomic<bool> broken{false};
  options_.recovery_probe_every = std::chrono::milliseconds(10);
  options_.fault_injector = [&](std::string_view op) { return broken && op == "rename" ? ENOSPC : 0; };
  auto log = AuditLog::open(options_).value();
  ASSERT_TRUE(log->append(intent(0)).has_value());
  broken = true;
  EXPECT_FALSE(log->checkpoint().has_value());
  EXPECT_FALSE(log->healthy());
  broken = false;
  ASSERT_TRUE(wait_healthy(*log)) << log->reason();
  ASSERT_TRUE(log->checkpoint().has_value());
  log.reset();
  auto report = verify();
  EXPECT_TRUE(report.ok()) << report.summary();
  auto recovery = records_of_type(options_.dir, "recovery");
  ASSERT_EQ(recovery.size(), 1u);
  EXPECT_EQ(recovery[0]["discarded_records"], 0);  // the checkpoint record itself was durable
  EXPECT_EQ(recovery[0]["cut_bytes"], 0);
}

TEST_F(AuditLogTest, CheckpointsByCountAndTimeAndWitnessCopy) {
  options_.checkpoint_every_records = 10;
  options_.checkpoint_every = std::chrono::milliseconds(100);
  options_.witness_dir = tmp_.path() / "witness";
  auto log = AuditLog::open(options_).value();
  for (int i = 0; i < 25; ++i) ASSERT_TRUE(log->append(intent(i)).has_value());
  // The time trigger covers the tail within ~100 ms; poll generously for loaded machines.
  auto latest_size = [&]() -> uint64_t {
    auto note = read_file(options_.dir / kCheckpointFile);
    if (!note) return 0;
    auto cp = read_checkpoint_note(*note, {}, true);
    return cp ? cp->checkpoint.size : 0;
  };
  // The witness copy is written after the local checkpoint file: wait for both.
  auto witness_current = [&] {
    auto w = read_file(options_.witness_dir / kCheckpointFile);
    auto l = read_file(options_.dir / kCheckpointFile);
    return w && l && *w == *l;
  };
  for (int i = 0; i < 100 && (latest_size() != log->size() || !witness_current()); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_GE(list_checkpoint_history(options_.dir).size(), 2u);
  auto witness = read_file(options_.witness_dir / kCheckpointFile);
  ASSERT_TRUE(witness.has_value());
  auto local = read_file(options_.dir / kCheckpointFile).value();
  EXPECT_EQ(*witness, local);
  auto cp = read_checkpoint_note(local, {load_verifier_file(keys_.public_key).value()}, false);
  ASSERT_TRUE(cp.has_value()) << cp.error().message;
  EXPECT_EQ(cp->checkpoint.size, log->size());  // the time trigger covered the tail
  auto report = verify({options_.witness_dir / kCheckpointFile});
  EXPECT_TRUE(report.ok()) << report.summary();
}

TEST_F(AuditLogTest, UnsignedLogWarns) {
  options_.signing_key_file.clear();
  { ASSERT_TRUE(AuditLog::open(options_).value()->append(intent(0)).has_value()); }
  auto report = verify_log({options_.dir, {}, {}});
  EXPECT_TRUE(report.ok()) << report.summary();
  EXPECT_NE(report.summary().find("unsigned"), std::string::npos) << report.summary();
}

TEST_F(AuditLogTest, RefusesPrivateKeyReadableByOthers) {
  ::chmod(keys_.private_key.c_str(), 0644);
  auto log = AuditLog::open(options_);
  ASSERT_FALSE(log.has_value());
  EXPECT_EQ(log.error().code, common::ErrorCode::kInvalidInput);
  EXPECT_NE(log.error().message.find("chmod 600"), std::string::npos) << log.error().message;
  struct stat st {};
  ::stat(keys_.public_key.c_str(), &st);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
}

TEST_F(AuditLogTest, KeygenWritesPrivateKeyMode0600AndRefusesOverwrite) {
  struct stat st {};
  ASSERT_EQ(::stat(keys_.private_key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(write_key_pair("test.example/audit", tmp_.path() / "signing").has_value());
  auto signer = load_signer_file(keys_.private_key).value();
  EXPECT_EQ(signer.verifier().vkey(), load_verifier_file(keys_.public_key).value().vkey());
}

TEST_F(AuditLogTest, OpenRefusesALogShorterThanItsCheckpoint) {
  {
    auto log = AuditLog::open(options_).value();
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(log->append(intent(i)).has_value());
  }
  fs::path seg = options_.dir / segment_file_name(1);
  auto lines = read_lines(seg);
  {
    std::ofstream out(seg, std::ios::trunc);
    for (size_t i = 0; i + 2 < lines.size(); ++i) out << lines[i] << "\n";
  }
  auto log = AuditLog::open(options_);
  ASSERT_FALSE(log.has_value());
  EXPECT_EQ(log.error().code, common::ErrorCode::kAuditFailure);
  EXPECT_NE(log.error().message.find("records were deleted"), std::string::npos) << log.error().message;
}

TEST_F(AuditLogTest, OpenRefusesAnotherOrigin) {
  { ASSERT_TRUE(AuditLog::open(options_).value()->append(intent(0)).has_value()); }
  options_.origin = "other.example/audit";
  auto other = AuditLog::open(options_);
  ASSERT_FALSE(other.has_value());
  EXPECT_EQ(other.error().code, common::ErrorCode::kInvalidInput);
}

// ---- preallocated segments (audit.preallocate_bytes) ----------------------------------------

// Polls until the background thread has filled the segment ahead: a zero tail of at least
// `bytes` whose size has stopped changing (the file grows page by page while zeros are written).
bool wait_filled(const fs::path& p, uint64_t bytes = 64 << 10) {
  uint64_t seen = 0;
  for (int i = 0; i < 400; ++i) {
    std::error_code ec;
    const uint64_t size = fs::file_size(p, ec);
    if (!ec && size >= bytes && size == seen && has_nul(p)) return true;
    seen = ec ? 0 : size;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return false;
}

// Copies the log's files as they are now (what a machine that lost power would have on disk,
// the page cache being written out), for opening as a second log.
fs::path copy_as_crashed(const fs::path& dir, const fs::path& to) {
  fs::copy(dir, to, fs::copy_options::recursive);
  return to;
}

TEST_F(AuditLogTest, APreallocatedSegmentEndsInZerosWhileOpenAndIsSealedAtShutdown) {
  options_.preallocate_bytes = 64 << 10;
  const fs::path seg = options_.dir / segment_file_name(1);
  auto log = AuditLog::open(options_).value();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(log->append(intent(i)).has_value());
  ASSERT_TRUE(wait_filled(seg));
  const uint64_t filled = fs::file_size(seg);
  EXPECT_GE(filled, 64u << 10);
  // Appends overwrite the zeros (less than half a step here): the file does not grow.
  for (int i = 5; i < 10; ++i) ASSERT_TRUE(log->append(intent(i)).has_value());
  EXPECT_EQ(fs::file_size(seg), filled);
  // Every reader stops at the first NUL, while the log is open.
  auto report = verify();
  EXPECT_TRUE(report.ok()) << report.summary();
  EXPECT_EQ(report.records, 10u);
  EXPECT_EQ(read_records(options_.dir).value().size(), 10u);
  log.reset();
  // Sealed: exactly its records (10 and the shutdown checkpoint), no zero tail.
  EXPECT_FALSE(has_nul(seg));
  uint64_t bytes = 0;
  for (const auto& line : read_lines(seg)) bytes += line.size() + 1;
  EXPECT_EQ(fs::file_size(seg), bytes);
  EXPECT_EQ(read_lines(seg).size(), 11u);
  report = verify();
  EXPECT_TRUE(report.ok()) << report.summary();
}

TEST_F(AuditLogTest, AZeroTailLeftByACrashIsCutSilentlyOnOpen) {
  options_.preallocate_bytes = 64 << 10;
  auto log = AuditLog::open(options_).value();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(log->append(intent(i)).has_value());
  ASSERT_TRUE(wait_filled(options_.dir / segment_file_name(1)));
  const fs::path crashed = copy_as_crashed(options_.dir, tmp_.path() / "crashed");
  log.reset();
  options_.dir = crashed;
  {
    auto reopened = AuditLog::open(options_);
    ASSERT_TRUE(reopened.has_value()) << reopened.error().message;
    EXPECT_EQ((*reopened)->size(), 5u) << "zeros are not a torn record: no recovery record";
    ASSERT_TRUE((*reopened)->append(intent(5)).has_value());
  }
  EXPECT_TRUE(records_of_type(crashed, "recovery").empty());
  EXPECT_FALSE(has_nul(crashed / segment_file_name(1)));
  auto report = verify();
  EXPECT_TRUE(report.ok()) << report.summary();
  EXPECT_EQ(report.records, 7u);  // 6 intents and the shutdown checkpoint
}

TEST_F(AuditLogTest, ABatchTornAfterAZeroGapIsCutAndRecorded) {
  // A crash while the disk wrote a batch's pages out of order: a later page is on disk, an
  // earlier one is still zeros. None of it was acknowledged.
  options_.preallocate_bytes = 64 << 10;
  auto log = AuditLog::open(options_).value();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(log->append(intent(i)).has_value());
  ASSERT_TRUE(wait_filled(options_.dir / segment_file_name(1)));
  const fs::path crashed = copy_as_crashed(options_.dir, tmp_.path() / "crashed");
  log.reset();
  const fs::path seg = crashed / segment_file_name(1);
  const std::string content = read_file(seg).value();
  const uint64_t records_end = segment_layout(content).records_end;
  const std::string stray = R"({"call":"c-7","origin":"test.example/audit","seq":5})"
                            "\n";
  {
    std::fstream out(seg, std::ios::in | std::ios::out | std::ios::binary);
    out.seekp(static_cast<std::streamoff>(records_end + 600));
    out << stray;
  }
  options_.dir = crashed;
  auto before = verify();
  EXPECT_FALSE(before.ok());
  EXPECT_NE(before.summary().find("zero-filled gap"), std::string::npos) << before.summary();
  {
    auto reopened = AuditLog::open(options_);
    ASSERT_TRUE(reopened.has_value()) << reopened.error().message;
    EXPECT_EQ((*reopened)->size(), 4u);  // 3 + recovery
  }
  auto recovery = records_of_type(crashed, "recovery");
  ASSERT_EQ(recovery.size(), 1u);
  EXPECT_EQ(recovery[0]["offset"], records_end);
  EXPECT_EQ(recovery[0]["cut_bytes"], 600 + stray.size());
  EXPECT_NE(recovery[0]["reason"].get<std::string>().find("zero-filled gap"), std::string::npos);
  auto report = verify();
  EXPECT_TRUE(report.ok()) << report.summary();
}

TEST_F(AuditLogTest, AFailedPreallocationNeverFailsTheLog) {
  options_.preallocate_bytes = 64 << 10;
  std::atomic<int> refused_fills{0};
  options_.fault_injector = [&](std::string_view op) {
    if (op != "preallocate") return 0;
    ++refused_fills;
    return ENOSPC;
  };
  auto log = AuditLog::open(options_).value();
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(log->append(intent(i)).has_value());
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_TRUE(log->healthy());
  EXPECT_EQ(refused_fills.load(), 1) << "one failed step, then the segment goes on without";
  EXPECT_FALSE(has_nul(options_.dir / segment_file_name(1)));
  log.reset();
  auto report = verify();
  EXPECT_TRUE(report.ok()) << report.summary();
  EXPECT_EQ(report.records, 21u);
}

TEST_F(AuditLogTest, VerifyRefusesZerosInASealedSegment) {
  options_.segment_bytes = 1200;
  {
    auto log = AuditLog::open(options_).value();
    for (int i = 0; i < 8; ++i) ASSERT_TRUE(log->append(intent(i)).has_value());
  }
  ASSERT_GT(list_segments(options_.dir).value().size(), 2u);
  const size_t records_before = read_records(options_.dir).value().size();
  // Zeros written over the start of a sealed segment's second record's line.
  const fs::path first = options_.dir / segment_file_name(1);
  std::string content = read_file(first).value();
  const size_t second = content.find('\n') + 1;
  ASSERT_LT(second, content.size());
  content.insert(second, std::string(100, '\0') + "\n");
  { std::ofstream(first, std::ios::binary | std::ios::trunc) << content; }
  // Readers do not stop at a NUL in a sealed segment: the records after it stay visible.
  EXPECT_EQ(read_records(options_.dir).value().size(), records_before + 1);
  auto report = verify();
  EXPECT_FALSE(report.ok());
  EXPECT_NE(report.summary().find("NUL bytes in a segment that is not the last"), std::string::npos)
      << report.summary();
  auto log = AuditLog::open(options_);
  ASSERT_FALSE(log.has_value());
  EXPECT_EQ(log.error().code, common::ErrorCode::kAuditFailure);
}

}  // namespace
}  // namespace sqlguard::recorder
