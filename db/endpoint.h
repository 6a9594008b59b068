// Where and how the guard connects to MariaDB/MySQL.
#pragma once

#include <cstdint>
#include <string>

namespace sqlguard::db {

/// TLS options for TCP connections (MariaDB Connector/C MYSQL_OPT_SSL_*).
struct TlsOptions {
  bool enabled = false;
  bool verify_server_cert = true;
  std::string ca_file;    ///< PEM CA bundle
  std::string cert_file;  ///< client certificate (optional)
  std::string key_file;   ///< client key (optional)
};

/// The database endpoint and account. `password` is the credential from the vault
/// (credential_vault.h); it never appears in logs, errors, tool results or audit records.
struct DatabaseEndpoint {
  std::string host = "127.0.0.1";  ///< ignored when `socket` is set
  uint16_t port = 3306;
  std::string socket;  ///< unix socket path; preferred when set
  std::string user;
  std::string password;
  std::string database;  ///< default schema
  TlsOptions tls;
  uint32_t connect_timeout_ms = 3000;
  uint32_t read_timeout_ms = 0;  ///< 0 = derived from the statement timeout

  /// "user@host:port/db" or "user@unix:socket/db": for logs and audit; never the password.
  std::string describe() const;
};

}  // namespace sqlguard::db
