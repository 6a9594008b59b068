// File layout of an audit log directory (docs/audit.md):
//
//   audit-000001.jsonl, audit-000002.jsonl, ...  segments of JCS records, one per line
//   checkpoint                                   latest checkpoint (signed note)
//   checkpoints/000000001234.note                every checkpoint issued, by tree size
//   vkey                                         public key of the signer (convenience copy;
//                                                verifiers should pin their own)
//
// Thread-safety: free functions without shared state.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace sqlguard::recorder {

inline constexpr const char* kCheckpointFile = "checkpoint";
inline constexpr const char* kCheckpointDir = "checkpoints";
inline constexpr const char* kVkeyFile = "vkey";

/// One segment file of the log.
struct SegmentFile {
  uint32_t index = 0;  ///< 1-based number in the file name
  std::filesystem::path path;
  std::string name;  ///< file name, e.g. "audit-000001.jsonl"
};

/// "audit-%06u.jsonl".
std::string segment_file_name(uint32_t index);

/// "checkpoints/%012llu.note" relative path for a checkpoint of `size` records.
std::filesystem::path checkpoint_history_path(const std::filesystem::path& dir, uint64_t size);

/// Lists the segment files of `dir` in index order. Other files are ignored.
/// Errors: kUnavailable (`dir` unreadable).
common::Result<std::vector<SegmentFile>> list_segments(const std::filesystem::path& dir);

/// Where a segment's content splits into written records and what follows them (bytes).
/// A segment the writer preallocated (`AuditLogOptions::preallocate_bytes`) ends in zero-filled
/// space while the log is open, or after a crash; a sealed segment (rotated away from, or the
/// last one after a clean shutdown) has none. Records never contain a raw NUL byte (RFC 8785
/// writes U+0000 as \u0000), so the records end at the first NUL.
struct SegmentLayout {
  uint64_t records_end = 0;  ///< offset of the first NUL byte (content size when there is none)
  uint64_t data_end = 0;     ///< offset after the last non-NUL byte (0 when all NUL)
  /// true when non-NUL bytes follow the first NUL: the remains of a batch a crash tore while the
  /// disk wrote its pages out of order (never acknowledged; the writer cuts them when it opens)
  bool torn_after_gap() const { return data_end > records_end; }
};
SegmentLayout segment_layout(std::string_view content);

/// Lists checkpoints/*.note under `dir` in size order (empty if the folder is missing).
std::vector<std::filesystem::path> list_checkpoint_history(const std::filesystem::path& dir);

}  // namespace sqlguard::recorder
