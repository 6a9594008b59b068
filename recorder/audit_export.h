// Reading an audit log for people and other systems: `sqlguard audit export` (JSON lines, CSV
// for auditors, OCSF 1.x Datastore Activity class 6005 for SIEMs) and `sqlguard audit show`
// (a readable timeline of one session). These read the records as stored; they do not verify
// them (run `sqlguard audit verify` for that).
//
// Thread-safety: free functions without shared state.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace sqlguard::recorder {

/// One stored record with its location.
struct StoredRecord {
  std::string segment;    ///< segment file name
  uint64_t line = 0;      ///< 1-based line number in the segment
  std::string text;       ///< the line as stored (without '\n')
  nlohmann::json record;  ///< parsed; discarded value if the line is not JSON
};

/// Reads every complete line of every segment of `dir`, in order. Errors: kUnavailable (unreadable
/// directory or segment).
common::Result<std::vector<StoredRecord>> read_records(const std::filesystem::path& dir);

/// Export formats.
enum class ExportFormat { jsonl, csv, ocsf };

/// Parses "jsonl" | "csv" | "ocsf". Errors: kInvalidInput for anything else.
common::Result<ExportFormat> parse_export_format(std::string_view name);

/// Record filters; empty fields match everything. Times are RFC 3339 UTC strings compared
/// lexically against `time` (the log's fixed format makes that chronological); a bare date
/// "2026-01-02" is accepted.
struct ExportFilter {
  std::string since;      ///< records with time >= since
  std::string until;      ///< records with time < until
  std::string principal;  ///< sessions/calls of this principal subject (matched on session.start,
                          ///< call.intent and auth.rejected, then by session id)
  std::string session;    ///< one session id
};

/// Writes the records of `dir` that pass `filter` to `out` in `format`. Returns the number of
/// records written. Errors: kUnavailable (unreadable log).
common::Result<uint64_t> export_records(const std::filesystem::path& dir, ExportFormat format,
                                        const ExportFilter& filter, std::ostream& out);

/// Maps one record to an OCSF Datastore Activity (class_uid 6005) event; exposed for tests.
nlohmann::json to_ocsf(const nlohmann::json& record);

/// Writes a readable timeline of session `session` to `out`. Returns the number of records
/// shown. Errors: kUnavailable for an unreadable log, kInvalidInput when no record is of that
/// session.
common::Result<uint64_t> show_session(const std::filesystem::path& dir, const std::string& session,
                                      std::ostream& out);

}  // namespace sqlguard::recorder
