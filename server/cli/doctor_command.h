// `sqlguard doctor --config F`: connects with the configured account and warns about database
// grants wider than the policy needs (defence in depth: the database's grants are the second
// line behind sqlguard's policy).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "server/config/config.h"

namespace sqlguard::server {

/// One finding about the account's grants.
struct DoctorFinding {
  std::string severity;  ///< "warning" or "info"
  std::string message;   ///< what is wrong and what to do, e.g. "... run: REVOKE FILE ON *.* FROM ..."
};

/// Compares `grants` (the rows of SHOW GRANTS FOR CURRENT_USER(), e.g.
/// "GRANT SELECT ON `shop`.* TO `agent`@`localhost`") with `policy`: flags ALL PRIVILEGES,
/// administrative privileges (FILE, SUPER, PROCESS, SHUTDOWN, RELOAD, CREATE USER, replication,
/// BINLOG/CONNECTION ADMIN, ...), WITH GRANT OPTION, and write privileges that no allow or
/// approve rule can use. Pure function; never touches the database.
std::vector<DoctorFinding> review_grants(const std::vector<std::string>& grants,
                                         const policy::PolicyConfig& policy);

/// Connects with `config`'s database account, prints its grants (password hashes hidden) and
/// the findings of review_grants() plus views whose definition the account cannot see, to `out`.
/// Returns 0 (no warnings), 1 (warnings) or 2 (cannot read the credential or connect; the reason
/// on `err`, scrubbed of the password).
int run_doctor(const Config& config, std::ostream& out, std::ostream& err);

/// Adds `doctor --config F` to `app`. Exit code: 0 no warnings, 1 warnings, 2 cannot connect.
void register_doctor_command(CLI::App& app, int& exit_code);

}  // namespace sqlguard::server
