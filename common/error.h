// The one error type of the whole code base, as a value: a code for callers to branch on and a
// message that is safe to show the agent or the operator. Callers match the code, never the
// message text. Every fallible function returns common::Result<T>; the only other error types
// are protocol-mapped: JwsError (RFC 6750/JWS), AuthRejection and AuthFailure (HTTP 401/403),
// ApprovalError (the approvals API), ParseFailure (JSON-RPC parse errors).
//
// Which code to use (each function's doc comment names its codes in its "Errors:" line):
//   kInvalidInput  malformed or invalid input: parse errors, bad keys or signatures, bad config
//                  values, bad tool arguments
//   kUnavailable   I/O and resource failures: a file cannot be opened/read/written/fsynced, a
//                  network fetch failed, the database is unreachable
//   kAuditFailure  the audit log cannot record
//   kInternal      bugs, and CSPRNG failure
//   kRefused, kTimeout, kDatabase, kCancelled  the data path (policy, db/, the guard, tools)
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace sqlguard::common {

/// Coarse error classes, recorded in the audit log (`call.outcome.error_class`, the strings of
/// to_string) and counted in metrics.
enum class ErrorCode : uint8_t {
  kRefused,       ///< policy or masking refused the statement; nothing executed
  kInvalidInput,  ///< bad tool arguments
  kUnavailable,   ///< database unreachable, pool exhausted, reconnect failed
  kTimeout,       ///< statement exceeded its timeout and was killed server-side
  kDatabase,      ///< the database returned an error for the statement
  kAuditFailure,  ///< the audit log cannot record: nothing runs (fail closed)
  kCancelled,     ///< the client cancelled the call
  kInternal,      ///< a bug; the message says so without details
};
/// "refused", "invalid_input", "unavailable", "timeout", "database", "audit_failure",
/// "cancelled", "internal".
std::string_view to_string(ErrorCode code);

/// An error with its code and a message that is safe to show the agent: it never contains a
/// credential, and database errors are passed on only after masking checks. The database
/// fields are set by db/ for kDatabase (and kTimeout) errors.
struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  uint32_t db_errno = 0;  ///< MariaDB/MySQL error number when code is kDatabase
  std::string sqlstate;   ///< five characters when known
  /// The failure happened before the caller's statement was sent (session setup on a connection
  /// the server had dropped, e.g. after a restart): safe to retry once on a new connection.
  bool before_statement = false;
};

/// A value or an Error.
template <class T>
using Result = std::expected<T, Error>;

/// The failure of a Result: `return common::fail(ErrorCode::kInvalidInput, "...");`.
inline std::unexpected<Error> fail(ErrorCode code, std::string message) {
  return std::unexpected(Error{code, std::move(message)});
}

/// `error` with `prefix` put before its message, code and database fields kept:
/// `return std::unexpected(common::prefixed("vkey: ", key.error()));`.
inline Error prefixed(std::string_view prefix, Error error) {
  error.message.insert(0, prefix);
  return error;
}

}  // namespace sqlguard::common
