// The records the guard writes to the audit log, typed: the one place that knows their field
// names (schemas/audit-record.schema.json; record types from recorder/record_types.h). The
// guard fills these structs; to_json() is what the recorder canonicalises (RFC 8785) and chains.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "policy/decision.h"
#include "policy/masking_engine.h"
#include "policy/principal.h"
#include "policy/statement_analysis.h"

namespace sqlguard::guard::audit {

/// `decision`: {action: "allow"|"deny"|"approve", rule, reason}.
nlohmann::json decision_json(const policy::Decision& decision);

/// Tables a statement names, "schema.table", deduplicated, CTEs and derived tables left out.
std::vector<std::string> statement_tables(const policy::StatementAnalysis& analysis);

/// call.intent: who asks for what, and the decision; durable before anything executes.
struct CallIntent {
  std::string session;
  std::string call;
  std::string request_id;  ///< JSON-RPC id as JSON text
  std::string tool;
  std::string transport;
  const policy::Principal* principal = nullptr;  ///< not owned; must outlive to_json()
  /// run_sql: `statement` {text, sha256 (base64 SHA-256 of text), kind, tables, digest, views?}.
  const policy::StatementAnalysis* analysis = nullptr;  ///< kind, tables, digest, views; not owned
  std::string_view statement_text;                      ///< not owned (the call's sql)
  std::string statement_sha256;
  /// run_sql: `statement.schema`, the session's schema when the transport changed it (MySQL USE);
  /// "" = the database's default schema (not written).
  std::string schema;
  /// describe_table / list_tables: the object or schema looked at.
  std::optional<std::string> target;
  std::optional<policy::Decision> decision;
  /// `approval`: {id, state} when held or refused on its approval; {id, approvers} when it runs.
  struct Approval {
    std::string id;
    std::optional<std::string> state;
    std::optional<std::vector<std::string>> approvers;
  };
  std::optional<Approval> approval;
  std::vector<std::string> masking_exemptions;  ///< rule ids whose exemption applies

  nlohmann::json to_json() const;
};

/// call.outcome: what happened; durable before the answer leaves (or appended `late`).
struct CallOutcome {
  std::string session;
  std::string call;
  std::string status;                      ///< "ok", "error", "refused"
  std::optional<std::string> error_class;  ///< common::to_string(ErrorCode), or "held_for_approval"
  std::optional<std::string> error;        ///< agent-safe message
  uint32_t db_errno = 0;                   ///< written when non-zero
  uint64_t duration_us = 0;                ///< µs from receipt to this record
  std::optional<std::string> approval;     ///< approval id
  std::optional<uint64_t> rows;
  /// run_sql results (status "ok"): set together.
  struct Result {
    uint64_t affected_rows = 0;
    bool truncated = false;
    std::vector<std::pair<std::string, std::string>> columns;  ///< (name, type name)
    std::vector<policy::MaskedColumn> masked_columns;
    std::string result_sha256;   ///< guard/result_digest.h
    uint64_t detector_hits = 0;  ///< written when non-zero
    uint64_t withheld_rows = 0;  ///< listing rows of tables the principal may not read; written when non-zero
    std::vector<std::string> masking_exemptions;
    std::optional<nlohmann::json> result_rows;  ///< audit.record_results: masked rows
  };
  std::optional<Result> result;
  /// Set when the record could not be written at first (its intent was durable): {reason}.
  std::optional<std::string> late_reason;

  nlohmann::json to_json() const;
};

/// session.start / session.end.
struct SessionEvent {
  bool start = true;
  std::string session;
  const policy::Principal* principal = nullptr;  ///< not owned
  std::string transport;
  std::string remote_address;  ///< start only
  std::string reason;          ///< end only

  nlohmann::json to_json() const;
};

}  // namespace sqlguard::guard::audit
