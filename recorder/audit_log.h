// The append-only, hash-chained, signed audit log (docs/audit.md, schemas/audit-record.schema.json).
//
// Format: JSON lines, each record canonicalised with RFC 8785 (JCS), integers only. Every record
// carries `v` (1), `seq` (0-based, gap-free across segments), `time` (RFC 3339 UTC with µs),
// `origin` (the log's name) and `prev` (base64 RFC 6962 leaf hash of the previous record;
// genesis: base64 SHA-256("")). Leaf hash = SHA-256(0x00 || line bytes without '\n')
// (RFC 6962 §2.1). Checkpoints: C2SP tlog-checkpoint in a C2SP signed note, Ed25519.
//
// The recorder knows nothing about SQL: callers hand it event objects. Event types written by
// the guard (field `type`): "session.start", "session.end", "call.intent" (before execution,
// also for refusals), "call.outcome", "approval.request", "approval.decision", "auth.rejected";
// written by the recorder itself: "checkpoint", "recovery".
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace sqlguard::recorder {

struct AuditLogOptions {
  std::filesystem::path dir;                    ///< created if missing (mode 0700)
  std::string origin = "sqlguard.local/audit";  ///< log identity, C2SP origin line
  uint64_t segment_bytes = 64ull << 20;         ///< rotate segments at this size (bytes)
  /// Zero-filled space kept ahead of the writer in the current segment (bytes; 0 = off, the
  /// default). With it, an append overwrites zeros instead of growing the file, so fdatasync
  /// flushes data without a file-size change for the journal to commit (about 30 µs less per
  /// sync on the project's ext4 VM, BENCHMARKS.md). The space is written in steps of this size
  /// by the recorder's background thread (or by the writer when a burst outruns it), never
  /// beyond segment_bytes, and cut off when the segment is sealed (rotation, clean shutdown).
  /// While the log is open, or after a crash, its last segment ends in NUL bytes: readers stop
  /// at the first NUL (recorder/log_files.h), and a tool that follows the file by its size
  /// (`tail -f`, a log shipper) sees it grow in steps instead (docs/audit.md).
  uint64_t preallocate_bytes = 0;
  uint64_t checkpoint_every_records = 1000;           ///< 0 = never by count
  std::chrono::milliseconds checkpoint_every{60000};  ///< 0 = never by time
  std::filesystem::path signing_key_file;             ///< Ed25519 private key (sqlguard keygen); empty =
                                                      ///< checkpoints are not signed (verify warns)
  std::filesystem::path witness_dir;                  ///< optional second directory for checkpoint copies
  /// Called once per failure, from the failing thread, when the log becomes unhealthy (write/sync
  /// failure), with the reason; the server logs it. Empty: the reason is printed to stderr.
  std::function<void(const std::string& reason)> on_failure;
  /// Called from the recorder's background thread when the log is writable again and the
  /// "recovery" record naming the failure window is durable. Empty: printed to stderr.
  std::function<void(const std::string& message)> on_recovery;
  /// How long an asynchronous record (append_async) may wait for a durable append to carry it
  /// before the background thread commits it alone (µs). Sequential calls under
  /// `audit.durability: intent` then share one fdatasync per call: the next call's intent
  /// commits the previous call's outcome. 0 = commit at once.
  std::chrono::microseconds async_commit_delay{2000};
  /// While unhealthy after a write/sync failure, how often the recorder tries to resume (ms):
  /// cut the segment back to the last durable record, then append a "recovery" record.
  std::chrono::milliseconds recovery_probe_every{1000};
  /// Test hook (fault injection): called before each file operation with its name ("open",
  /// "write", "fdatasync", "dirsync", "rename", "ftruncate", "preallocate"); a non-zero return is used as the
  /// errno of a failure of that operation. Empty in production.
  std::function<int(std::string_view operation)> fault_injector;
};

/// Proof that a record is durable.
struct AppendReceipt {
  uint64_t seq = 0;
  std::string leaf_hash;  ///< base64 RFC 6962 leaf hash
};

/// Thread-safe. append() may be called from many threads; concurrent appends share one
/// fdatasync (group commit). After a write or sync failure the log is unhealthy (fail closed:
/// every append fails) until a probe, every `recovery_probe_every`, manages to cut the segment
/// back to the last record that was durable, fsync it, and append a durable "recovery" record
/// naming the failure; records that were never durable were never acknowledged and are
/// discarded. The failed pages are never re-synced (PostgreSQL "fsyncgate" lesson). A
/// checkpoint signing failure is not retried: unhealthy until restart.
class AuditLog {
 public:
  /// Opens or creates the log in options.dir, recovering a torn last record (cut, then a
  /// "recovery" record is appended). Errors: kInvalidInput for bad options (no dir, an invalid
  /// origin or one that differs from the log's) or a bad signing key (e.g. readable by
  /// group/others); kUnavailable when a file or directory cannot be created, opened, read, cut
  /// or synced; kAuditFailure when the log on disk is damaged (missing segment, broken chain on
  /// the tail, records that no longer match the latest checkpoint); kUnavailable also when
  /// another AuditLog (in this or another process) has the directory open: one writer per log,
  /// held with flock(2) on the directory until the log is destroyed or the process ends.
  static common::Result<std::unique_ptr<AuditLog>> open(const AuditLogOptions& options);

  virtual ~AuditLog() = default;

  /// Appends `event` (an object with at least `type`; must not contain v/seq/time/origin/prev)
  /// and returns once it is on disk (write + fdatasync). Errors: kAuditFailure when the log is
  /// unhealthy (the message is reason()); kInvalidInput when the event is malformed or not
  /// representable (floats; invalid UTF-8 is replaced, never written raw).
  virtual common::Result<AppendReceipt> append(const nlohmann::json& event) = 0;

  /// Appends `event` like append(), but returns as soon as it has its place in the chain (seq,
  /// prev): it becomes durable with the next durable append (a later durable record is never on
  /// disk without the earlier ones), or at the latest when the background thread commits it,
  /// `async_commit_delay` after it was queued (then within one fdatasync). A crash before that commit loses
  /// it; `audit verify` then shows what is missing (e.g. an intent without its outcome). Used for
  /// `audit.durability: intent` outcomes and for session events. Errors as append(). Default: append() (fully
  /// durable).
  virtual common::Result<AppendReceipt> append_async(const nlohmann::json& event) { return append(event); }

  /// false from a write/sync failure until the log has resumed; reason() says why.
  virtual bool healthy() const = 0;
  virtual std::string reason() const = 0;

  /// Writes a checkpoint now (also done at shutdown by the destructor of the implementation).
  /// Errors: kAuditFailure (the log is or became unhealthy; the message is reason()).
  virtual common::Result<void> checkpoint() = 0;

  /// Counts a request refused because the log is unhealthy without trying to append (e.g. the
  /// guard's early refusal); reported with refused appends in the next "recovery" record.
  virtual void note_refusal() {}

  /// Number of records (next seq); while unhealthy, the number of durable records.
  virtual uint64_t size() const = 0;
};

}  // namespace sqlguard::recorder
