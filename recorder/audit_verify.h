// `sqlguard audit verify`: checks an audit log directory end to end (docs/audit.md §Verify).
//
// Checks, in record order: every segment present (audit-000001.jsonl, ... without gaps), every
// line complete, valid JSON, byte-identical to its RFC 8785 (JCS) re-canonicalization, `v` = 1,
// one `origin`, `seq` contiguous from 0, `prev` = RFC 6962 leaf hash of the previous record,
// "checkpoint" records stating the true size and root; then every checkpoint note (local
// `checkpoint`, `checkpoints/*.note`, and external ones given with --checkpoint): signature by a
// trusted Ed25519 key (C2SP signed-note), origin, size not beyond the log (truncation), RFC 6962
// root equal to the recomputed root at that size (edit / fork), no two checkpoints of one size
// with different roots (fork evidence).
//
// What it cannot prove without an external checkpoint: that the tail of the log was not deleted
// together with the checkpoints that covered it (or the directory rolled back to an old copy).
//
// Thread-safety: free functions without shared state.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace sqlguard::recorder {

/// Inputs of verify_log().
struct VerifyOptions {
  std::filesystem::path dir;                                ///< the log directory
  std::vector<std::filesystem::path> external_checkpoints;  ///< checkpoints kept elsewhere
  std::vector<std::filesystem::path> public_keys;           ///< pinned vkey files; empty: DIR/vkey
};

/// The first problem found.
struct VerifyFailure {
  std::optional<uint64_t> seq;  ///< the first bad record, when one can be named
  std::string segment;          ///< its segment file name (empty if none)
  uint64_t line = 0;            ///< 1-based line in that segment (0 if none)
  std::string message;          ///< what is wrong, in words
};

/// Result of verify_log().
struct VerifyReport {
  uint64_t records = 0;             ///< records read and checked
  size_t segments = 0;              ///< segment files
  size_t checkpoints_verified = 0;  ///< distinct checkpoint sizes whose notes matched the log
  uint64_t latest_checkpoint_size = 0;
  std::string latest_signer;  ///< "<name>+<hex id>" of the latest checkpoint's key
  std::string origin;
  std::vector<std::string> warnings;  ///< what was not or could not be proven
  std::optional<VerifyFailure> failure;

  bool ok() const { return !failure.has_value(); }
  /// The final line: "audit verify: OK: ..." or "audit verify: FAILED at seq N (file line L): ...".
  std::string summary() const;
};

/// Verifies the log in options.dir. Never throws; every problem is reported in the result.
VerifyReport verify_log(const VerifyOptions& options);

}  // namespace sqlguard::recorder
