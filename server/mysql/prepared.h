// Prepared statements on the MySQL front door (COM_STMT_PREPARE / EXECUTE / SEND_LONG_DATA /
// CLOSE / RESET, the binary protocol). sqlguard does not pass them through: at EXECUTE it binds
// the parameter values into the statement text as literals and sends that text through the guard
// like any COM_QUERY, so the guard analyses, decides, masks and records exactly the statement
// that runs. The result comes back in the binary row format (ProtocolBinary::ResultsetRow).
// References: MariaDB "COM_STMT_EXECUTE" and "Binary Protocol Result Set Row" pages.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/result_set.h"

namespace sqlguard::server::mysql {

/// A statement prepared on one connection.
struct PreparedStatement {
  std::string sql;
  /// Byte ranges [begin, end) of the `?` placeholders in `sql`, in order.
  std::vector<std::pair<uint32_t, uint32_t>> placeholders;
  /// Parameter types (type byte | 0x8000 when unsigned) from the last EXECUTE that sent them.
  std::vector<uint16_t> types;
  /// COM_STMT_SEND_LONG_DATA chunks by parameter index, until the next EXECUTE or RESET.
  std::map<uint16_t, std::string> long_data;
};

/// Finds the placeholders of `sql` with the guard's own lexer (policy/sql_lexer.h), so `?`
/// inside strings, identifiers and comments is not one. Errors (kInvalidInput): the lexer's
/// (invalid UTF-8, unterminated literal, ...), more than 65535 placeholders.
common::Result<PreparedStatement> prepare_statement(std::string_view sql);

/// COM_STMT_PREPARE_OK for `statement_id` with `params` parameters and no result columns
/// announced (they come with each EXECUTE's result), followed by a column definition per
/// parameter and an EOF when there are any; `sequence` advances. The bytes of the framed packets.
std::string prepare_ok(uint32_t statement_id, uint16_t params, uint8_t& sequence,
                       bool extended_metadata = false);

/// Decodes the body of COM_STMT_EXECUTE after the statement id (flags, iteration count, NULL
/// bitmap, new-params-bound flag, types, values) for `statement`, and returns its text with every
/// placeholder replaced by the value as a SQL literal: integers in decimal, floats with 17
/// significant digits, strings quoted (db::sql_quote) when valid UTF-8 and as X'hex' otherwise,
/// dates and times as quoted 'YYYY-MM-DD hh:mm:ss.ffffff', NULL as NULL. Errors
/// (kInvalidInput): a truncated body, an unknown parameter type, a cursor requested (flags
/// other than 0), types never sent.
common::Result<std::string> bind_parameters(PreparedStatement& statement, std::string_view body);

/// One binary-protocol row for `columns` from the text cells of `row`: integers and floats in
/// their fixed widths, DATE/DATETIME/TIMESTAMP/TIME in their length-prefixed forms, everything
/// else (DECIMAL, strings, masked columns, which are VAR_STRING) as length-encoded strings.
/// Errors (kInternal): a cell that does not parse as its column's type.
common::Result<std::string> binary_row(const std::vector<common::ResultColumn>& columns,
                                       const common::Row& row);

}  // namespace sqlguard::server::mysql
