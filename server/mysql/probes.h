// What MySQL drivers and the command-line client send on their own (on connect, or to learn
// the session's settings) and sqlguard answers itself, from an allow-list with fixed values,
// without reaching the database: `SET NAMES utf8mb4`, `SET autocommit=1`,
// `SELECT @@version_comment LIMIT 1`, `SELECT DATABASE()`, `SHOW WARNINGS`, `SHOW VARIABLES LIKE`.
// Everything else goes to the guard. docs/mysql.md lists the allow-list.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result_set.h"

namespace sqlguard::server::mysql {

/// A note SHOW WARNINGS reports for the previous statement (e.g. which columns were masked).
struct Note {
  std::string level = "Note";  ///< "Note" or "Warning"
  uint16_t code = 1105;
  std::string message;
};

/// What a probe may read: the connection's own state, never the database's.
struct ProbeContext {
  std::string server_version;  ///< what the handshake announced
  std::string version_comment;
  std::string schema;  ///< the connection's default schema
  uint32_t connection_id = 0;
  uint64_t max_allowed_packet = 0;
  const std::vector<Note>* notes = nullptr;  ///< of the previous statement
};

/// A probe's answer: a result set (has_result_set) or OK.
struct ProbeAnswer {
  common::ResultSet result;
};

/// The answer to `sql` when it is on the allow-list (compared after trimming, dropping one
/// trailing ';', collapsing blanks and ignoring case), else nullopt. `SET NAMES` accepts only
/// utf8 and utf8mb4 (results are always sent as utf8mb4); `SET autocommit` only 1/ON (every
/// statement commits on its own); other SET statements are not probes and reach the guard,
/// which refuses session changes. `SHOW VARIABLES LIKE 'x'` knows only the settings the front
/// door itself fixes (character sets, autocommit, max_allowed_packet, version*) and otherwise
/// answers an empty result: nothing of the database's configuration is disclosed.
std::optional<ProbeAnswer> answer_probe(std::string_view sql, const ProbeContext& context);

/// `USE name` or ``USE `name` `` (a plain identifier of letters, digits, '_' and '$', or a
/// backquoted one with `` `` `` for a backquote; one trailing ';'): the schema name, case kept.
/// nullopt for anything else (which then reaches the guard). The front door answers it like
/// COM_INIT_DB.
std::optional<std::string> use_statement(std::string_view sql);

/// `sql` in the form probes are compared in: trimmed, one trailing ';' dropped, runs of blanks
/// as one space, ASCII lower case.
std::string normalize_probe(std::string_view sql);

}  // namespace sqlguard::server::mysql
