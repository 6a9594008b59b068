// FileAuditLog: the AuditLog implementation (recorder/audit_log.h, docs/audit.md).
//
// Write path (group commit, no artificial delay): append() canonicalizes the payload outside
// the lock, then under `mu_` assigns seq/time/prev, hashes the line, extends the compact range
// and queues the line. The first waiter that finds no flush in progress becomes the leader: it
// takes every queued line, writes them with one write() per segment and one fdatasync(), and
// wakes the followers whose records it made durable. Records that arrive meanwhile form the
// next batch. Any failed write or sync marks the log unhealthy (fail closed): every append fails.
//
// Resuming after a failure (e.g. the disk was full): the leader that makes a batch durable also
// saves the writer state at that point (`durable_state_`: next seq, prev hash, compact range,
// segment and offset). While unhealthy, the background thread probes every
// `recovery_probe_every`: it discards every record that was never durable (none was
// acknowledged), restores the saved state, deletes segments created after it, cuts the segment
// back to the durable offset and fsyncs it, re-reads the last durable record and checks its leaf
// hash, then appends a "recovery" record naming the failure; only when that record is durable
// does the log accept appends again. Pages whose fsync failed are never synced again: they are
// cut, and the records rewritten from memory.
//
// Preallocation (options.preallocate_bytes > 0): the current segment keeps zero-filled space
// ahead of the writer, so a batch overwrites zeros (pwrite at the writer's offset) and its
// fdatasync has no file-size change to commit. The background thread fills the next step when
// less than half a step is left; a batch that outruns it (a burst, a new segment) simply grows
// the file, as without preallocation. A segment is sealed (cut to its
// records) before the next one is created and at a clean shutdown; opening the log cuts the
// zero tail a crash left. A failed fill never fails the log: it is cut off again and the segment
// continues without preallocation.
//
// Checkpoints run on a background thread (every N records / T ms) and at shutdown: a
// "checkpoint" record carrying the current size and root is appended, then the tree including
// that record is signed as a C2SP checkpoint and written to checkpoints/, `checkpoint` and the
// witness directory (temp file + fsync + rename + directory fsync).
#include "recorder/audit_log.h"

#include "common/time.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include "recorder/checkpoint.h"
#include "recorder/codec.h"
#include "recorder/jcs.h"
#include "recorder/key_file.h"
#include "recorder/log_files.h"
#include "recorder/merkle.h"
#include "recorder/signed_note.h"

namespace sqlguard::recorder {
namespace {

namespace fs = std::filesystem;

constexpr int kRecordVersion = 1;

bool is_envelope_key(std::string_view key) {
  return key == "v" || key == "seq" || key == "time" || key == "origin" || key == "prev";
}

struct Chunk {
  uint32_t segment = 0;
  std::string data;
};

/// Where a record's line is: segment, byte offset, length without the '\n'.
struct LinePosition {
  uint32_t segment = 0;
  uint64_t offset = 0;
  uint64_t length = 0;
};

/// The writer's state after some record: what a resumed log continues from.
struct WriterState {
  uint64_t next_seq = 0;
  Hash last_leaf{};
  CompactRange tree;
  uint32_t segment = 1;    ///< segment the next record goes to
  uint64_t bytes = 0;      ///< bytes in that segment
  LinePosition last_line;  ///< the last record (length 0: none)
};

/// What a failure left after the last durable record: where it starts, and the bytes (the rest
/// of that segment, then any later segments) that resuming removes.
struct CutReport {
  std::string segment;
  uint64_t offset = 0;
  std::string cut;
};

using Members = std::vector<std::pair<std::string, std::string>>;

/// The canonical (RFC 8785) members of an event. Invalid UTF-8 (e.g. bytes from a database error
/// or a path) is replaced by U+FFFD and flagged `utf8_replaced`, never written raw.
/// Errors: kInvalidInput when not representable (e.g. a float).
common::Result<Members> payload_members(const nlohmann::json& event) {
  auto members = canonical_members(event, JcsNumbers::integers_only);
  // Checked only after a failure, so a valid event is walked once.
  if (!members && !valid_utf8_json(event)) {
    bool replaced = false;
    nlohmann::json clean = sanitize_utf8(event, replaced);
    clean["utf8_replaced"] = true;
    members = canonical_members(clean, JcsNumbers::integers_only);
  }
  if (!members)
    return std::unexpected(common::prefixed("audit event is not representable: ", members.error()));
  return members;
}

class FileAuditLog final : public AuditLog {
 public:
  explicit FileAuditLog(AuditLogOptions options) : options_(std::move(options)) {}

  ~FileAuditLog() override {
    {
      std::lock_guard lock(bg_mu_);
      stop_ = true;
    }
    bg_cv_.notify_all();
    if (bg_.joinable()) bg_.join();
    if (started_ && healthy() && size() > last_checkpoint_size_.load()) (void)checkpoint();
    if (started_ && healthy()) (void)seal_current_segment();
    if (fd_ >= 0) ::close(fd_);
    if (dir_fd_ >= 0) ::close(dir_fd_);
  }

  common::Result<void> init();

  common::Result<AppendReceipt> append(const nlohmann::json& event) override;
  common::Result<AppendReceipt> append_async(const nlohmann::json& event) override;
  bool healthy() const override {
    std::lock_guard lock(mu_);
    return healthy_;
  }
  std::string reason() const override {
    std::lock_guard lock(mu_);
    if (healthy_ || last_probe_error_.empty()) return reason_;
    return reason_ + "; retry " + std::to_string(probes_) + " failed: " + last_probe_error_;
  }
  common::Result<void> checkpoint() override;
  void note_refusal() override {
    std::lock_guard lock(mu_);
    if (!healthy_) ++refused_requests_;
  }
  uint64_t size() const override {
    std::lock_guard lock(mu_);
    return healthy_ ? next_seq_ : durable_;  // unhealthy: records past durable_ will be discarded
  }

 private:
  // File operations with the fault-injection hook; return 0 or an errno value.
  int inject(std::string_view op) const { return options_.fault_injector ? options_.fault_injector(op) : 0; }
  // Writes all of `data` at `offset` (pwrite; the files are not opened with O_APPEND).
  int write_at(int fd, std::string_view data, uint64_t offset) const;
  int datasync(int fd) const;
  int sync_dir(int dir_fd) const;
  common::Result<void> write_file_atomically(const fs::path& path, const std::string& data);

  common::Result<AppendReceipt> append_with(const nlohmann::json& event, bool durable);
  // Background thread: makes every queued record durable (asynchronous appends).
  void flush_async();
  // Must hold mu_. Builds the line for `members` (payload, canonical order), queues it.
  AppendReceipt enqueue_locked(const Members& members);
  // Must hold mu_ (via `lock`). Waits until record `seq` is durable, leading a flush if none runs.
  common::Result<void> wait_durable(std::unique_lock<std::mutex>& lock, uint64_t seq);
  // Leader: writes and syncs everything queued. Called with mu_ held; releases it during I/O.
  // Returns the error ("" on success); the first error also marks the log unhealthy.
  std::string flush(std::unique_lock<std::mutex>& lock);
  // Must hold mu_. Marks the log unhealthy (first failure wins) and reports it. `recoverable`:
  // the background thread will try to resume (I/O failures); else unhealthy until restart.
  void fail_locked(const std::string& reason, bool recoverable = true);
  void fail(const std::string& reason, bool recoverable = true) {
    std::lock_guard lock(mu_);
    fail_locked(reason, recoverable);
  }
  // Must hold mu_. The writer state after the last assigned record.
  WriterState capture_locked() const {
    return {next_seq_, last_leaf_, tree_, assign_segment_, assign_bytes_, last_line_};
  }
  // Background thread, while unhealthy after an I/O failure: one attempt to resume.
  void try_recover();
  // Owner of the files (flushing_ set by the caller): records what the failure left in
  // failure_cut_ (first call), deletes segments after `state`, cuts its segment to
  // `state.bytes`, syncs, checks the last durable record, reopens fd_.
  common::Result<void> rewind_files(const WriterState& state);
  void background_loop();

  // ---- preallocation; all but request_fill_locked by the owner of the files ----
  // Where zero-filled space for the current segment should end (0: preallocation is off).
  uint64_t fill_target() const;
  // Less than half a step of zero-filled space is left (and the segment may still grow).
  bool fill_wanted() const;
  // Writes zeros from fd_size_ up to fill_target(). Returns 0 or an errno value; on failure the
  // zeros are cut off again and the segment continues without preallocation (never a log failure).
  int fill_ahead();
  // Must hold mu_ and own the files. Asks the background thread for the next step when less
  // than half a step is left.
  void request_fill_locked();
  // Background thread: fill_ahead() + fdatasync while owning the files.
  void fill_in_background();
  // Cuts the current segment to its records (ftruncate + fdatasync) when it has a zero tail.
  int seal_current_segment();

  AuditLogOptions options_;
  std::optional<NoteSigner> signer_;
  std::string origin_jcs_;

  mutable std::mutex mu_;
  std::condition_variable durable_cv_;
  uint64_t next_seq_ = 0;          // guarded by mu_
  Hash last_leaf_ = empty_root();  // guarded by mu_ (genesis prev = SHA-256(""))
  CompactRange tree_;              // guarded by mu_
  uint32_t assign_segment_ = 1;    // guarded by mu_: segment the next record goes to
  uint64_t assign_bytes_ = 0;      // guarded by mu_: bytes assigned to that segment
  std::deque<Chunk> pending_;      // guarded by mu_
  bool flushing_ = false;          // guarded by mu_
  uint64_t waiters_ = 0;           // guarded by mu_: threads inside wait_durable
  uint64_t durable_ = 0;           // guarded by mu_: records [0, durable_) are on disk
  LinePosition last_line_;         // guarded by mu_: the last assigned record
  WriterState durable_state_;      // guarded by mu_: writer state after record durable_ - 1
  bool healthy_ = true;            // guarded by mu_
  bool recoverable_ = false;       // guarded by mu_: unhealthy from an I/O failure (probe resumes)
  std::string reason_;             // guarded by mu_
  std::string failure_;            // guarded by mu_: the first error of the current failure
  std::string last_probe_error_;   // guarded by mu_: why the last resume attempt failed
  std::chrono::system_clock::time_point failed_at_;  // guarded by mu_
  uint64_t refused_requests_ = 0;         // guarded by mu_: appends and calls refused since the failure
  uint64_t probes_ = 0;                   // guarded by mu_: resume attempts since the failure
  uint64_t discarded_records_ = 0;        // guarded by mu_: records dropped (not probes')
  uint64_t lost_async_records_ = 0;       // guarded by mu_: of those, appended with append_async
  std::deque<uint64_t> async_undurable_;  // guarded by mu_: seqs of async records not yet durable
  bool probe_record_pending_ = false;     // guarded by mu_: the last probe's record was not durable
  // What the failure left after the durable offset, read by the first rewind of this failure
  // (later rewinds only cut earlier probes' records). Written by the rewinding thread while it
  // owns the files; reset by fail_locked.
  std::optional<CutReport> failure_cut_;
  std::atomic<bool> recovery_wanted_{false};  // set with the failure, read by the background thread

  // Owned by the current flush leader (flushing_ == true), or by init()/destructor.
  int fd_ = -1;
  uint32_t fd_segment_ = 0;
  uint64_t fd_offset_ = 0;    // where the next record goes in fd_segment_ (bytes)
  uint64_t fd_size_ = 0;      // size of fd_segment_: records plus zero-filled space (bytes)
  bool fill_failed_ = false;  // a fill failed in this segment: no more preallocation in it
  int dir_fd_ = -1;

  std::mutex checkpoint_mu_;  // serializes checkpoints so sizes on disk only grow
  std::atomic<uint64_t> last_checkpoint_size_{0};

  std::mutex bg_mu_;
  std::condition_variable bg_cv_;
  bool stop_ = false;                  // guarded by bg_mu_
  bool checkpoint_requested_ = false;  // guarded by bg_mu_
  bool flush_requested_ = false;       // guarded by bg_mu_: asynchronous records wait for a flush
  bool fill_requested_ = false;        // guarded by bg_mu_: the segment wants its next zero step
  std::thread bg_;
  bool started_ = false;  // init() completed; only then is a shutdown checkpoint written
};

int FileAuditLog::write_at(int fd, std::string_view data, uint64_t offset) const {
  if (int e = inject("write")) return e;
  while (!data.empty()) {
    ssize_t n = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    data.remove_prefix(static_cast<size_t>(n));
    offset += static_cast<uint64_t>(n);
  }
  return 0;
}

int FileAuditLog::datasync(int fd) const {
  if (int e = inject("fdatasync")) return e;
  return ::fdatasync(fd) == 0 ? 0 : errno;
}

int FileAuditLog::sync_dir(int dir_fd) const {
  if (int e = inject("dirsync")) return e;
  return ::fsync(dir_fd) == 0 ? 0 : errno;
}

common::Result<void> FileAuditLog::write_file_atomically(const fs::path& path, const std::string& data) {
  fs::path tmp = path;
  tmp += ".tmp";
  if (int e = inject("open"))
    return common::fail(common::ErrorCode::kUnavailable, tmp.string() + ": open: " + std::strerror(e));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return common::fail(common::ErrorCode::kUnavailable, tmp.string() + ": open: " + std::strerror(errno));
  int e = write_at(fd, data, 0);
  if (e == 0) e = ::fsync(fd) == 0 ? inject("fdatasync") : errno;
  ::close(fd);
  if (e != 0)
    return common::fail(common::ErrorCode::kUnavailable, tmp.string() + ": write/fsync: " + std::strerror(e));
  if (int re = inject("rename"))
    return common::fail(common::ErrorCode::kUnavailable, path.string() + ": rename: " + std::strerror(re));
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    return common::fail(common::ErrorCode::kUnavailable, path.string() + ": rename: " + std::strerror(errno));
  int dfd = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return common::fail(common::ErrorCode::kUnavailable,
                        path.parent_path().string() + ": open: " + std::strerror(errno));
  e = sync_dir(dfd);
  ::close(dfd);
  if (e != 0)
    return common::fail(common::ErrorCode::kUnavailable,
                        path.parent_path().string() + ": fsync: " + std::strerror(e));
  return {};
}

void FileAuditLog::fail_locked(const std::string& reason, bool recoverable) {
  if (!healthy_) return;
  healthy_ = false;
  recoverable_ = recoverable;
  failure_ = reason;
  last_probe_error_.clear();
  failed_at_ = std::chrono::system_clock::now();
  refused_requests_ = 0;
  probes_ = 0;
  discarded_records_ = 0;
  lost_async_records_ = 0;
  probe_record_pending_ = false;
  failure_cut_.reset();
  reason_ = recoverable
                ? "audit log failed, refusing to serve SQL until it can write again (retrying every " +
                      std::to_string(options_.recovery_probe_every.count()) + " ms): " + reason
                : "audit log failed, refusing to serve SQL until restart: " + reason;
  durable_cv_.notify_all();
  if (options_.on_failure) {
    options_.on_failure(reason_);
  } else {
    std::fprintf(stderr, "sqlguard: %s\n", reason_.c_str());
  }
  if (recoverable) {
    recovery_wanted_ = true;
    { std::lock_guard bg(bg_mu_); }  // lock order mu_ -> bg_mu_; the loop reads only the atomic
    bg_cv_.notify_all();
  }
}

common::Result<void> FileAuditLog::init() {
  const fs::path& dir = options_.dir;
  if (dir.empty())
    return common::fail(common::ErrorCode::kInvalidInput, "audit log: no directory configured");
  if (!is_valid_key_name(options_.origin))
    return common::fail(common::ErrorCode::kInvalidInput,
                        "audit log: origin must be non-empty, without spaces or '+'");
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    fs::create_directories(dir, ec);
    if (ec)
      return common::fail(common::ErrorCode::kUnavailable, dir.string() + ": cannot create: " + ec.message());
    ::chmod(dir.c_str(), 0700);
  }
  fs::create_directories(dir / kCheckpointDir, ec);
  if (ec)
    return common::fail(common::ErrorCode::kUnavailable,
                        (dir / kCheckpointDir).string() + ": cannot create: " + ec.message());
  if (!options_.witness_dir.empty()) {
    fs::create_directories(options_.witness_dir, ec);
    if (ec)
      return common::fail(common::ErrorCode::kUnavailable,
                          options_.witness_dir.string() + ": cannot create: " + ec.message());
  }
  dir_fd_ = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd_ < 0)
    return common::fail(common::ErrorCode::kUnavailable, dir.string() + ": " + std::strerror(errno));
  // One writer per log: a second process appending to the same directory would interleave its
  // records with ours and break the chain. The lock goes with the descriptor (and the process).
  if (::flock(dir_fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(dir_fd_);
    dir_fd_ = -1;
    return common::fail(
        common::ErrorCode::kUnavailable,
        dir.string() + ": " +
            (err == EWOULDBLOCK ? std::string("the audit log is in use by another sqlguard process (one "
                                              "writer per audit directory: give each instance its own "
                                              "audit.dir)")
                                : std::string("cannot lock: ") + std::strerror(err)));
  }

  if (!options_.signing_key_file.empty()) {
    auto signer = load_signer_file(options_.signing_key_file);
    if (!signer) return std::unexpected(common::prefixed("audit signing key: ", signer.error()));
    signer_ = std::move(*signer);
    std::string vkey = signer_->verifier().vkey() + "\n";
    auto existing = read_file(dir / kVkeyFile);
    if (!existing || *existing != vkey) {
      if (auto r = write_file_atomically(dir / kVkeyFile, vkey); !r) return std::unexpected(r.error());
    }
  }
  append_jcs_string(origin_jcs_, options_.origin);

  // The latest checkpoint, if any: the log must still contain it (else it was truncated).
  std::optional<Checkpoint> latest;
  if (auto note = read_file(dir / kCheckpointFile)) {
    auto cp = read_checkpoint_note(*note, {}, true);
    if (!cp) return std::unexpected(common::prefixed((dir / kCheckpointFile).string() + ": ", cp.error()));
    latest = cp->checkpoint;
  }

  auto segments = list_segments(dir);
  if (!segments) return std::unexpected(segments.error());
  std::optional<nlohmann::json> recovery;
  std::optional<Hash> root_at_latest;
  if (latest && latest->size == 0) root_at_latest = empty_root();
  std::string last_line, prev_line;
  uint64_t last_segment_bytes = 0;
  for (size_t i = 0; i < segments->size(); ++i) {
    const SegmentFile& seg = (*segments)[i];
    if (seg.index != i + 1)
      return common::fail(common::ErrorCode::kAuditFailure,
                          dir.string() + ": segment " + segment_file_name(static_cast<uint32_t>(i + 1)) +
                              " is missing (found " + seg.name + "); run `sqlguard audit verify`");
    auto content = read_file(seg.path);
    if (!content) return std::unexpected(content.error());
    // The records end at the first NUL (a preallocated segment's zero tail) or at the end.
    const SegmentLayout layout = segment_layout(*content);
    size_t good = std::string_view(*content).substr(0, layout.records_end).rfind('\n');
    good = good == std::string::npos ? 0 : good + 1;
    if (good != content->size()) {
      if (i + 1 != segments->size())
        return common::fail(common::ErrorCode::kAuditFailure,
                            seg.path.string() +
                                (layout.records_end != content->size()
                                     ? ": has NUL bytes but is not the last segment (a sealed segment has "
                                       "no zero-filled tail); "
                                     : ": ends in the middle of a record but is not the last segment; ") +
                                "run `sqlguard audit verify`");
      // What follows the last complete record: the zero-filled space of a preallocated segment
      // (cut silently: it holds nothing), and/or the remains of a batch a crash tore (never
      // acknowledged: cut and recorded).
      std::string cut = content->substr(good, std::max<size_t>(layout.data_end, good) - good);
      int fd = ::open(seg.path.c_str(), O_WRONLY | O_CLOEXEC);
      if (fd < 0 || ::ftruncate(fd, static_cast<off_t>(good)) != 0 || ::fsync(fd) != 0) {
        int e = errno;
        if (fd >= 0) ::close(fd);
        return common::fail(common::ErrorCode::kUnavailable,
                            seg.path.string() + ": cannot cut torn record: " + std::strerror(e));
      }
      ::close(fd);
      if (!cut.empty()) {
        recovery =
            nlohmann::json{{"type", "recovery"},
                           {"segment", seg.name},
                           {"offset", static_cast<int64_t>(good)},
                           {"cut_bytes", static_cast<int64_t>(cut.size())},
                           {"cut_sha256", base64_encode(sha256(cut))},
                           {"reason", layout.torn_after_gap()
                                          ? "torn last batch (bytes after a zero-filled gap) cut at start"
                                          : "torn last record (no terminating newline) cut at start"}};
      }
      content->resize(good);
    }
    std::string_view rest(*content);
    while (!rest.empty()) {
      size_t nl = rest.find('\n');
      std::string_view line = rest.substr(0, nl);
      last_line_ = {seg.index, static_cast<uint64_t>(line.data() - content->data()), line.size()};
      rest.remove_prefix(nl + 1);
      Hash leaf = leaf_hash(line);
      tree_.append(leaf);
      ++next_seq_;
      if (latest && tree_.size() == latest->size) root_at_latest = tree_.root();
      if (next_seq_ == 1) {
        auto first = nlohmann::json::parse(line, nullptr, false);
        if (!first.is_object() || !first.contains("origin") || first["origin"] != options_.origin)
          return common::fail(common::ErrorCode::kInvalidInput,
                              seg.path.string() + ": the log's origin is not \"" + options_.origin +
                                  "\" (configured); use a new directory for a new origin");
      }
      prev_line.swap(last_line);
      last_line.assign(line);
      last_leaf_ = leaf;
    }
    last_segment_bytes = content->size();
  }
  // Light tail check (the full check is `sqlguard audit verify`): the last record's seq and prev.
  if (next_seq_ > 0) {
    auto last = nlohmann::json::parse(last_line, nullptr, false);
    std::string expect_prev = base64_encode(next_seq_ > 1 ? leaf_hash(prev_line) : empty_root());
    if (!last.is_object() || !last.contains("seq") || last["seq"] != next_seq_ - 1 ||
        !last.contains("prev") || last["prev"] != expect_prev)
      return common::fail(common::ErrorCode::kAuditFailure,
                          dir.string() + ": the last record does not continue the chain (seq " +
                              std::to_string(next_seq_ - 1) + "); run `sqlguard audit verify`");
  }
  if (latest) {
    if (latest->origin != options_.origin)
      return common::fail(common::ErrorCode::kInvalidInput,
                          (dir / kCheckpointFile).string() + ": checkpoint origin \"" + latest->origin +
                              "\" differs from the configured origin \"" + options_.origin + "\"");
    if (latest->size > next_seq_)
      return common::fail(common::ErrorCode::kAuditFailure,
                          dir.string() + ": the log has " + std::to_string(next_seq_) +
                              " records but its latest checkpoint covers " + std::to_string(latest->size) +
                              " (records were deleted); run `sqlguard audit verify`");
    if (!root_at_latest || *root_at_latest != latest->root)
      return common::fail(common::ErrorCode::kAuditFailure,
                          dir.string() + ": the first " + std::to_string(latest->size) +
                              " records do not match the latest checkpoint root (the log was modified); "
                              "run `sqlguard audit verify`");
    last_checkpoint_size_ = latest->size;
  }

  assign_segment_ = segments->empty() ? 1 : segments->back().index;
  assign_bytes_ = segments->empty() ? 0 : last_segment_bytes;
  durable_ = next_seq_;
  fs::path path = dir / segment_file_name(assign_segment_);
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0640);
  if (fd_ < 0)
    return common::fail(common::ErrorCode::kUnavailable, path.string() + ": " + std::strerror(errno));
  fd_segment_ = assign_segment_;
  fd_offset_ = fd_size_ = assign_bytes_;
  if (options_.preallocate_bytes > 0) fill_requested_ = true;  // the first step, before any call
  if (segments->empty() && sync_dir(dir_fd_) != 0)
    return common::fail(common::ErrorCode::kUnavailable, dir.string() + ": fsync failed");
  durable_state_ = capture_locked();

  if (recovery) {
    auto r = append(*recovery);
    if (!r)
      return std::unexpected(common::prefixed("audit log: cannot write the recovery record: ", r.error()));
  }
  bg_ = std::thread([this] { background_loop(); });
  started_ = true;
  return {};
}

AppendReceipt FileAuditLog::enqueue_locked(const Members& members) {
  const uint64_t seq = next_seq_++;
  std::string line;
  line.reserve(256 + members.size() * 32);
  // Envelope members spliced into canonical order (all names ASCII, so byte order = UTF-16).
  struct Env {
    std::string_view key;
    std::string value;
  };
  Env env[] = {{"origin", origin_jcs_},
               {"prev", "\"" + base64_encode(last_leaf_) + "\""},
               {"seq", std::to_string(seq)},
               {"time", "\"" + common::rfc3339_us(std::chrono::system_clock::now()) + "\""},
               {"v", std::to_string(kRecordVersion)}};
  line.push_back('{');
  size_t e = 0;
  bool first = true;
  auto put = [&](std::string_view key, std::string_view value) {
    if (!first) line.push_back(',');
    first = false;
    line.push_back('"');
    line.append(key);  // envelope keys need no escaping; payload keys arrive escaped below
    line += "\":";
    line.append(value);
  };
  for (const auto& [key, value] : members) {
    while (e < std::size(env) && compare_utf16(env[e].key, key) < 0) {
      put(env[e].key, env[e].value);
      ++e;
    }
    if (!first) line.push_back(',');
    first = false;
    append_jcs_string(line, key);
    line.push_back(':');
    line += value;
  }
  for (; e < std::size(env); ++e) put(env[e].key, env[e].value);
  line.push_back('}');

  Hash leaf = leaf_hash(line);
  last_leaf_ = leaf;
  tree_.append(leaf);
  line.push_back('\n');
  if (assign_bytes_ > 0 && assign_bytes_ + line.size() > options_.segment_bytes) {
    ++assign_segment_;
    assign_bytes_ = 0;
  }
  last_line_ = {assign_segment_, assign_bytes_, line.size() - 1};
  assign_bytes_ += line.size();
  if (pending_.empty() || pending_.back().segment != assign_segment_)
    pending_.push_back({assign_segment_, {}});
  pending_.back().data += line;
  return {seq, base64_encode(leaf)};
}

std::string FileAuditLog::flush(std::unique_lock<std::mutex>& lock) {
  flushing_ = true;
  std::deque<Chunk> batch;
  batch.swap(pending_);
  const uint64_t upto = next_seq_;
  WriterState after = capture_locked();
  lock.unlock();

  std::string error;
  bool dirty = false;
  for (const Chunk& chunk : batch) {
    if (chunk.segment != fd_segment_) {
      // Rotation: seal the old segment (cut its zero tail) and make it durable, create the next
      // one, persist its directory entry.
      if (fd_size_ > fd_offset_) {
        if (int e = seal_current_segment()) {
          error = segment_file_name(fd_segment_) + ": seal: " + std::strerror(e);
          break;
        }
        dirty = false;
      }
      if (dirty) {
        if (int e = datasync(fd_)) {
          error = segment_file_name(fd_segment_) + ": fdatasync: " + std::strerror(e);
          break;
        }
        dirty = false;
      }
      fs::path path = options_.dir / segment_file_name(chunk.segment);
      int e = inject("open");
      int fd = e != 0 ? -1 : ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
      if (fd < 0) {
        error = path.string() + ": create: " + std::strerror(e != 0 ? e : errno);
        break;
      }
      ::close(fd_);
      fd_ = fd;
      fd_segment_ = chunk.segment;
      fd_offset_ = fd_size_ = 0;
      fill_failed_ = false;
      if (int se = sync_dir(dir_fd_)) {
        error = options_.dir.string() + ": fsync: " + std::strerror(se);
        break;
      }
    }
    if (int e = write_at(fd_, chunk.data, fd_offset_)) {
      error = segment_file_name(fd_segment_) + ": write: " + std::strerror(e);
      break;
    }
    fd_offset_ += chunk.data.size();
    fd_size_ = std::max(fd_size_, fd_offset_);
    dirty = true;
  }
  if (error.empty() && dirty) {
    if (int e = datasync(fd_)) error = segment_file_name(fd_segment_) + ": fdatasync: " + std::strerror(e);
  }

  lock.lock();
  if (error.empty()) request_fill_locked();  // still the owner of the files
  flushing_ = false;
  if (error.empty()) {
    durable_ = upto;
    durable_state_ = std::move(after);
    while (!async_undurable_.empty() && async_undurable_.front() < durable_) async_undurable_.pop_front();
  } else {
    fail_locked(error);
  }
  durable_cv_.notify_all();
  return error;
}

common::Result<void> FileAuditLog::wait_durable(std::unique_lock<std::mutex>& lock, uint64_t seq) {
  // Resuming reuses the seq numbers of discarded records, so it waits until every waiter from
  // before the failure has left (each sees !healthy_ or its record durable first).
  ++waiters_;
  struct Leave {
    FileAuditLog& log;
    ~Leave() {
      if (--log.waiters_ == 0 && !log.healthy_) log.durable_cv_.notify_all();
    }
  } leave{*this};
  while (true) {
    if (durable_ > seq) return {};
    if (!healthy_) return common::fail(common::ErrorCode::kAuditFailure, reason_);
    if (!flushing_) {
      flush(lock);
      continue;
    }
    durable_cv_.wait(lock);
  }
}

common::Result<AppendReceipt> FileAuditLog::append(const nlohmann::json& event) {
  return append_with(event, true);
}

common::Result<AppendReceipt> FileAuditLog::append_async(const nlohmann::json& event) {
  return append_with(event, false);
}

common::Result<AppendReceipt> FileAuditLog::append_with(const nlohmann::json& event, bool durable) {
  if (!event.is_object())
    return common::fail(common::ErrorCode::kInvalidInput, "audit event must be a JSON object");
  auto type = event.find("type");
  if (type == event.end() || !type->is_string() || type->get_ref<const std::string&>().empty())
    return common::fail(common::ErrorCode::kInvalidInput, "audit event needs a non-empty string \"type\"");
  for (auto it = event.begin(); it != event.end(); ++it)
    if (is_envelope_key(it.key()))
      return common::fail(common::ErrorCode::kInvalidInput,
                          "audit event must not set the envelope field \"" + it.key() + "\"");
  auto members = payload_members(event);
  if (!members) return std::unexpected(members.error());

  std::unique_lock lock(mu_);
  if (!healthy_) {
    ++refused_requests_;
    return common::fail(common::ErrorCode::kAuditFailure, reason_);
  }
  AppendReceipt receipt = enqueue_locked(*members);
  if (durable) {
    if (auto r = wait_durable(lock, receipt.seq); !r) return std::unexpected(r.error());
  } else {
    async_undurable_.push_back(receipt.seq);
  }
  const uint64_t size_now = next_seq_;
  lock.unlock();
  const bool checkpoint_due = options_.checkpoint_every_records > 0 &&
                              size_now >= last_checkpoint_size_.load() + options_.checkpoint_every_records;
  if (checkpoint_due || !durable) {
    std::lock_guard bg(bg_mu_);
    // One wake-up per commit window: while a commit is already requested, the background
    // thread will take this record too (a wake-up per record costs a context switch per call).
    const bool wake = checkpoint_due || !flush_requested_;
    if (checkpoint_due) checkpoint_requested_ = true;
    if (!durable) flush_requested_ = true;
    if (wake) bg_cv_.notify_one();
  }
  return receipt;
}

void FileAuditLog::flush_async() {
  // Group commit for asynchronous records: every record queued so far becomes durable, sharing one
  // fdatasync with whatever else is queued (a durable append's leader may take them first).
  std::unique_lock lock(mu_);
  while (healthy_ && !pending_.empty()) {
    if (flushing_) {
      durable_cv_.wait(lock);
    } else {
      flush(lock);
    }
  }
}

common::Result<void> FileAuditLog::checkpoint() {
  std::lock_guard cp_lock(checkpoint_mu_);
  Checkpoint cp;
  cp.origin = options_.origin;
  {
    std::unique_lock lock(mu_);
    if (!healthy_) return common::fail(common::ErrorCode::kAuditFailure, reason_);
    // The "checkpoint" record states the tree head before it; the signed checkpoint covers it.
    nlohmann::json record = {{"type", "checkpoint"},
                             {"size", static_cast<int64_t>(next_seq_)},
                             {"root", base64_encode(tree_.root())}};
    if (signer_) record["key"] = signer_->verifier().display();
    auto members = canonical_members(record);
    if (!members) return std::unexpected(members.error());
    AppendReceipt receipt = enqueue_locked(*members);
    cp.size = next_seq_;
    cp.root = tree_.root();
    if (auto r = wait_durable(lock, receipt.seq); !r) return std::unexpected(r.error());
  }
  std::string text = format_checkpoint(cp);
  std::string note = text;
  if (signer_) {
    auto signed_note = sign_note(text, {&*signer_});
    if (!signed_note) {
      fail("checkpoint signing: " + signed_note.error().message, false);
      return common::fail(common::ErrorCode::kAuditFailure, reason());
    }
    note = *signed_note;
  }
  const fs::path history = checkpoint_history_path(options_.dir, cp.size);
  for (const fs::path& path : {history, options_.dir / kCheckpointFile}) {
    if (auto r = write_file_atomically(path, note); !r) {
      fail("checkpoint: " + r.error().message);
      return common::fail(common::ErrorCode::kAuditFailure, reason());
    }
  }
  if (!options_.witness_dir.empty()) {
    if (auto r = write_file_atomically(options_.witness_dir / kCheckpointFile, note); !r) {
      fail("witness checkpoint: " + r.error().message);
      return common::fail(common::ErrorCode::kAuditFailure, reason());
    }
  }
  last_checkpoint_size_ = cp.size;
  return {};
}

common::Result<void> FileAuditLog::rewind_files(const WriterState& state) {
  const fs::path& dir = options_.dir;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  const std::string name = segment_file_name(state.segment);
  const fs::path path = dir / name;
  // The segment must exist unless nothing was ever durable in it.
  const int flags = O_RDWR | O_CLOEXEC | (state.bytes == 0 ? O_CREAT : 0);
  if (int e = inject("open"))
    return common::fail(common::ErrorCode::kUnavailable, path.string() + ": open: " + std::strerror(e));
  int fd = ::open(path.c_str(), flags, 0640);
  if (fd < 0)
    return common::fail(common::ErrorCode::kUnavailable, path.string() + ": open: " + std::strerror(errno));
  auto fail_with = [&](std::string message) -> common::Result<void> {
    ::close(fd);
    return common::fail(common::ErrorCode::kUnavailable, std::move(message));
  };
  struct stat st {};
  if (::fstat(fd, &st) != 0) return fail_with(path.string() + ": fstat: " + std::strerror(errno));
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size < state.bytes)
    return fail_with(path.string() + ": " + std::to_string(size) + " bytes, shorter than its " +
                     std::to_string(state.bytes) + " durable bytes (changed outside sqlguard?)");
  auto segments = list_segments(dir);
  if (!segments) return fail_with(segments.error().message);
  std::vector<fs::path> later;  // segments created after the durable one
  for (const SegmentFile& seg : *segments)
    if (seg.index > state.segment) later.push_back(seg.path);

  // What the failure left is read (and reported once) before anything is removed.
  if (!failure_cut_) {
    std::string cut(size - state.bytes, '\0');
    ssize_t n = ::pread(fd, cut.data(), cut.size(), static_cast<off_t>(state.bytes));
    if (n < 0) return fail_with(path.string() + ": read: " + std::strerror(errno));
    cut.resize(static_cast<size_t>(n));
    cut.resize(segment_layout(cut).data_end);  // zero-filled space is not what the failure left
    for (const fs::path& p : later) {
      auto content = read_file(p);
      if (!content) return fail_with(content.error().message);
      content->resize(segment_layout(*content).data_end);
      cut += *content;
    }
    failure_cut_ = CutReport{name, state.bytes, std::move(cut)};
  }

  for (const fs::path& p : later)
    if (::unlink(p.c_str()) != 0) return fail_with(p.string() + ": unlink: " + std::strerror(errno));
  if (!later.empty()) {
    if (int e = sync_dir(dir_fd_)) return fail_with(dir.string() + ": fsync: " + std::strerror(e));
  }
  if (size > state.bytes) {
    if (int e = inject("ftruncate")) return fail_with(path.string() + ": ftruncate: " + std::strerror(e));
    if (::ftruncate(fd, static_cast<off_t>(state.bytes)) != 0)
      return fail_with(path.string() + ": ftruncate: " + std::strerror(errno));
  }
  if (int e = datasync(fd)) return fail_with(path.string() + ": fdatasync: " + std::strerror(e));
  // The record the chain continues from must read back as the writer remembers it.
  if (state.last_line.length > 0) {
    const fs::path line_path = dir / segment_file_name(state.last_line.segment);
    int rfd = state.last_line.segment == state.segment ? fd : ::open(line_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (rfd < 0) return fail_with(line_path.string() + ": open: " + std::strerror(errno));
    std::string line(state.last_line.length, '\0');
    ssize_t n = ::pread(rfd, line.data(), line.size(), static_cast<off_t>(state.last_line.offset));
    if (rfd != fd) ::close(rfd);
    if (n != static_cast<ssize_t>(line.size()) || leaf_hash(line) != state.last_leaf)
      return fail_with(line_path.string() + ": record " + std::to_string(state.next_seq - 1) + " at offset " +
                       std::to_string(state.last_line.offset) +
                       " does not read back as written; run `sqlguard audit verify`");
  }
  fd_ = fd;
  fd_segment_ = state.segment;
  fd_offset_ = fd_size_ = state.bytes;
  fill_failed_ = false;
  return {};
}

uint64_t FileAuditLog::fill_target() const {
  if (options_.preallocate_bytes == 0 || fill_failed_ || fd_ < 0) return 0;
  // Never beyond the segment size: rotation starts a new segment before a record would cross it.
  const uint64_t cap = std::max(options_.segment_bytes, fd_offset_);
  return std::min(fd_offset_ + options_.preallocate_bytes, cap);
}

int FileAuditLog::fill_ahead() {
  const uint64_t target = fill_target();
  if (target <= fd_size_) return 0;
  static const std::string zeros(64 << 10, '\0');
  int e = inject("preallocate");
  for (uint64_t at = fd_size_; e == 0 && at < target;) {
    const uint64_t n = std::min<uint64_t>(zeros.size(), target - at);
    e = write_at(fd_, std::string_view(zeros).substr(0, n), at);
    at += n;
  }
  if (e == 0) e = datasync(fd_);
  if (e == 0) {
    fd_size_ = target;
    return 0;
  }
  // E.g. the disk is nearly full: the records still fit without preallocation. Cut what was
  // written (readers stop at the first NUL either way) and carry on with plain appends.
  fill_failed_ = true;
  struct stat st {};
  if (::ftruncate(fd_, static_cast<off_t>(fd_offset_)) == 0) {
    fd_size_ = fd_offset_;
  } else if (::fstat(fd_, &st) == 0) {
    fd_size_ = std::max(fd_offset_, static_cast<uint64_t>(st.st_size));  // sealed later
  }
  return e;
}

bool FileAuditLog::fill_wanted() const {
  if (options_.preallocate_bytes == 0 || fill_failed_ || fd_ < 0) return false;
  return fd_size_ < fill_target() && fd_size_ - fd_offset_ < options_.preallocate_bytes / 2;
}

void FileAuditLog::request_fill_locked() {
  if (!fill_wanted()) return;
  {
    std::lock_guard bg(bg_mu_);  // lock order mu_ -> bg_mu_
    fill_requested_ = true;
  }
  bg_cv_.notify_all();
}

void FileAuditLog::fill_in_background() {
  std::unique_lock lock(mu_);
  durable_cv_.wait(lock, [&] { return !flushing_; });
  // Asked again by a flush that ran before an earlier request was served: already done.
  if (!healthy_ || !fill_wanted()) return;
  flushing_ = true;  // owns the files while it writes zeros ahead of the records
  lock.unlock();
  const uint32_t segment = fd_segment_;
  const int e = fill_ahead();
  lock.lock();
  flushing_ = false;
  durable_cv_.notify_all();
  lock.unlock();
  if (e != 0)
    std::fprintf(stderr, "sqlguard: audit log: preallocating %s failed (%s); it continues without\n",
                 segment_file_name(segment).c_str(), std::strerror(e));
}

int FileAuditLog::seal_current_segment() {
  if (fd_ < 0 || fd_size_ <= fd_offset_) return 0;
  if (int e = inject("ftruncate")) return e;
  if (::ftruncate(fd_, static_cast<off_t>(fd_offset_)) != 0) return errno;
  if (int e = datasync(fd_)) return e;
  fd_size_ = fd_offset_;
  return 0;
}

void FileAuditLog::try_recover() {
  std::unique_lock lock(mu_);
  if (healthy_ || !recoverable_) return;
  durable_cv_.wait(lock, [&] { return !flushing_ && waiters_ == 0; });
  ++probes_;
  // Everything after the last durable record was never acknowledged: discard it.
  discarded_records_ += next_seq_ - durable_ - (probe_record_pending_ ? 1 : 0);
  lost_async_records_ += async_undurable_.size();  // acknowledged, but never durable
  async_undurable_.clear();
  probe_record_pending_ = false;
  pending_.clear();
  const WriterState& state = durable_state_;
  next_seq_ = state.next_seq;
  last_leaf_ = state.last_leaf;
  tree_ = state.tree;
  assign_segment_ = state.segment;
  assign_bytes_ = state.bytes;
  last_line_ = state.last_line;
  flushing_ = true;  // owns the files while they are cut
  lock.unlock();
  auto rewound = rewind_files(durable_state_);  // durable_state_ only changes under flushing_
  lock.lock();
  flushing_ = false;
  durable_cv_.notify_all();
  if (!rewound) {
    last_probe_error_ = rewound.error().message;
    return;
  }
  const auto now = std::chrono::system_clock::now();
  const auto down_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - failed_at_).count();
  const CutReport& failure_cut = *failure_cut_;  // set by a successful rewind
  nlohmann::json record = {{"type", "recovery"},
                           {"segment", failure_cut.segment},
                           {"offset", static_cast<int64_t>(failure_cut.offset)},
                           {"cut_bytes", static_cast<int64_t>(failure_cut.cut.size())},
                           {"cut_sha256", base64_encode(sha256(failure_cut.cut))},
                           {"reason", "resumed after an audit write failure: " + failure_},
                           {"failed_at", common::rfc3339_us(failed_at_)},
                           {"unavailable_ms", static_cast<int64_t>(down_ms)},
                           {"discarded_records", static_cast<int64_t>(discarded_records_)},
                           {"lost_async_records", static_cast<int64_t>(lost_async_records_)},
                           {"refused_requests", static_cast<int64_t>(refused_requests_)},
                           {"probes", static_cast<int64_t>(probes_)}};
  auto members = payload_members(record);
  if (!members) {
    last_probe_error_ = members.error().message;
    return;
  }
  AppendReceipt receipt = enqueue_locked(*members);
  probe_record_pending_ = true;
  if (std::string error = flush(lock); !error.empty() || durable_ <= receipt.seq) {
    last_probe_error_ = error;
    return;
  }
  probe_record_pending_ = false;
  healthy_ = true;
  recoverable_ = false;
  recovery_wanted_ = false;
  const std::string message =
      "audit log writable again after " + std::to_string(down_ms) + " ms; resumed at seq " +
      std::to_string(receipt.seq) + " with a recovery record (" + std::to_string(discarded_records_) +
      " unacknowledged records discarded, " + std::to_string(failure_cut.cut.size()) + " bytes cut)";
  reason_.clear();
  lock.unlock();
  if (options_.on_recovery) {
    options_.on_recovery(message);
  } else {
    std::fprintf(stderr, "sqlguard: %s\n", message.c_str());
  }
}

void FileAuditLog::background_loop() {
  std::unique_lock lock(bg_mu_);
  // Timed checkpoints keep their cadence however often asynchronous flushes wake the thread.
  auto next_checkpoint = std::chrono::steady_clock::now() + options_.checkpoint_every;
  while (!stop_) {
    if (recovery_wanted_) {
      // The first probe waits one interval too: the failed pages get no immediate retry.
      bg_cv_.wait_for(lock, options_.recovery_probe_every, [&] { return stop_; });
      if (stop_) break;
      lock.unlock();
      try_recover();
      lock.lock();
      continue;
    }
    auto wake = [&] {
      return stop_ || checkpoint_requested_ || flush_requested_ || fill_requested_ || recovery_wanted_.load();
    };
    bool timed_out = false;
    if (options_.checkpoint_every.count() > 0) {
      timed_out = !bg_cv_.wait_until(lock, next_checkpoint, wake);
    } else {
      bg_cv_.wait(lock, wake);
    }
    if (stop_) break;
    if (recovery_wanted_) continue;
    if (flush_requested_) {
      // Give a durable append (the next call's intent) the chance to carry the asynchronous
      // records in its own fdatasync; commit them alone only if none comes in time.
      // Sleeps through the window (flushes do not wake it); the commit below is a no-op when a
      // durable append already carried the records.
      if (options_.async_commit_delay.count() > 0) {
        const auto deadline = std::chrono::steady_clock::now() + options_.async_commit_delay;
        bg_cv_.wait_until(lock, deadline, [&] { return stop_ || recovery_wanted_.load(); });
      }
      flush_requested_ = false;
      lock.unlock();
      flush_async();
      lock.lock();
    }
    if (fill_requested_) {
      fill_requested_ = false;
      lock.unlock();
      fill_in_background();
      lock.lock();
    }
    if (!timed_out && !checkpoint_requested_) continue;
    checkpoint_requested_ = false;
    next_checkpoint = std::chrono::steady_clock::now() + options_.checkpoint_every;
    lock.unlock();
    if (healthy() && size() > last_checkpoint_size_.load()) (void)checkpoint();
    lock.lock();
  }
}

}  // namespace

common::Result<std::unique_ptr<AuditLog>> AuditLog::open(const AuditLogOptions& options) {
  auto log = std::make_unique<FileAuditLog>(options);
  if (auto r = log->init(); !r) return std::unexpected(r.error());
  return std::unique_ptr<AuditLog>(std::move(log));
}

}  // namespace sqlguard::recorder
