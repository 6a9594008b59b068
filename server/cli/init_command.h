// `sqlguard init`: writes a starter configuration from the user's own database. It connects once
// with an account the user gives, reads the catalogue of the chosen schemas, samples a bounded
// number of values per column (held in memory only: never written, logged or printed) through
// policy::ColumnClassifier, and writes, next to the config:
//   <config>                  a commented config: a read-only policy for the schemas, a masking
//                             rule per flagged column with its evidence, value detectors, the
//                             audit section
//   <config>.grants.sql       CREATE USER + least-privilege GRANTs for sqlguard's own account
//                             (its password as the mysql_native_password hash, never in clear)
//   sqlguard-db-password      that account's generated password (mode 0600)
//   masking.key               the HMAC key for method hash (mode 0600)
//   audit-ed25519.key/.pub    the checkpoint signing key (sqlguard keygen's format)
// then validates the config, runs `doctor` when the account exists (--apply-grants creates it
// with the connecting account), and prints what to review by hand.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace sqlguard::server {

/// What `sqlguard init` is asked to do.
struct InitOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 3306;
  std::string socket;                      ///< unix socket; preferred over host/port when set
  std::string user;                        ///< the account init connects with (reads the catalogue, samples)
  std::string password_env;                ///< environment variable holding that account's password
  std::string password_file;               ///< or a file (mode 0600) holding it
  std::vector<std::string> schemas;        ///< empty: every schema but the system ones
  std::size_t sample_rows = 40;            ///< values sampled per column, 1..1000
  std::filesystem::path out;               ///< the config file to write
  std::string account = "sqlguard_agent";  ///< sqlguard's own database account
  std::string account_host;                ///< its host part; "" = localhost for a socket/loopback, else '%'
  std::string origin = "sqlguard.local/audit";  ///< the audit log's origin
  bool apply_grants = false;                    ///< run the CREATE USER/GRANT statements with `user`
  bool force = false;                           ///< overwrite existing files
};

/// Runs init. Progress and the review list go to `out`, errors to `err`. Returns 0 when the
/// config was written and validates (and doctor, when run, found no warning), 1 when it was
/// written but needs attention (doctor warnings), 2 on an error (nothing or only part written;
/// the message says what).
int run_init(const InitOptions& options, std::ostream& out, std::ostream& err);

/// Adds `init` to `app`.
void register_init_command(CLI::App& app, int& exit_code);

}  // namespace sqlguard::server
