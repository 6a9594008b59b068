// Errors of the guard's data path, as values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sqlguard::guard {

/// Coarse error classes, recorded in the audit log (`error_class`) and counted in metrics.
enum class ErrorClass : uint8_t {
  kRefused,        ///< policy or masking refused the statement; nothing executed
  kInvalidInput,   ///< bad tool arguments
  kUnavailable,    ///< database unreachable, pool exhausted, reconnect failed
  kTimeout,        ///< statement exceeded its timeout and was killed server-side
  kDatabase,       ///< the database returned an error for the statement
  kAuditFailure,   ///< the audit log cannot record: nothing runs (fail closed)
  kCancelled,      ///< the client cancelled the call
  kInternal,       ///< a bug; the message says so without details
};
std::string_view to_string(ErrorClass c);  ///< "refused", "invalid_input", ...

/// An error with its class and a message that is safe to show the agent: it never contains a
/// credential, and database errors are passed through only after masking checks.
struct GuardError {
  ErrorClass error_class = ErrorClass::kInternal;
  std::string message;
  uint32_t db_errno = 0;   ///< MariaDB error number when error_class is kDatabase
  std::string sqlstate;    ///< five characters when known
  /// The failure happened before the caller's statement was sent (session setup on a connection
  /// the server had dropped, e.g. after a restart): safe to retry once on a new connection.
  bool before_statement = false;
};

}  // namespace sqlguard::guard
