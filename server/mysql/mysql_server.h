// sqlguard's MySQL front door: a listener that speaks the MySQL client/server protocol to any
// client (the mariadb CLI, mysql2, Connector/C, another MCP server with a connection string) and
// sends every statement through the same Guard as an MCP run_sql call. docs/mysql.md.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/error.h"
#include "guard/guard.h"
#include "server/config/config.h"

namespace sqlguard::server {

class BearerAuthenticator;

/// How the front door listens and whom it lets in.
struct MySqlServerOptions {
  MySqlConfig config;
  /// What the handshake announces (Protocol::HandshakeV10 server_version), e.g.
  /// "5.5.5-10.11.0-MariaDB-sqlguard-0.1.0": the "5.5.5-" prefix is how MariaDB servers
  /// announce themselves to clients written for MySQL 5; "MariaDB" makes Connector/C read the
  /// extended capabilities (mariadb_capability).
  std::string server_version;
  std::string version_comment;  ///< SELECT @@version_comment
};

/// Listens on config.listen_host:config.port; one thread per connection (at most
/// config.max_connections; one more is answered ERR 1040 and closed). With config.tls_cert_file
/// the handshake offers TLS (SSLRequest, then OpenSSL on the socket, TLS 1.2+); a client whose
/// address is not loopback must use it, or is refused (ERR 1045, `auth.rejected` with reason
/// tls_required) before its credential is read.
///
/// Identity (per connection, at the handshake): a user named in config.accounts authenticates
/// with mysql_native_password against the account's verifier (a client offering another plugin
/// is switched to mysql_native_password); any other user is asked (auth switch) for
/// mysql_clear_password and the password is validated as a bearer credential (an OIDC access
/// token or an sgk_ API key) by `bearer`, exactly as for HTTP. Without `bearer` only accounts can
/// connect. A refusal is ERR 1045 (SQLSTATE 28000) and an `auth.rejected` record; after
/// config.max_auth_failures refusals from one address within a minute that address gets
/// ERR 1129 without its credential being checked.
///
/// Each connection is an audit session (transport "mysql", the remote address, client program
/// and version from the connect attributes). COM_QUERY goes through Guard::run_sql (tool
/// "run_sql") unless it is a probe (server/mysql/probes.h); COM_STMT_EXECUTE binds its
/// parameters into the text (server/mysql/prepared.h) and goes the same way, answered in the
/// binary row format. Errors are ERR packets whose message
/// ends with the audit call id: refused 1142/42000, held for approval 1644/45000 (the same
/// statement sent again by the same principal uses that approval), timeout 1969/70100, a
/// database error its own number and SQLSTATE, anything else 1105/HY000.
///
/// Thread-safety: start() and stop() from one thread; connections run on their own threads.
class MySqlServer {
 public:
  /// `guard` and `bearer` (may be nullptr) must outlive the server.
  MySqlServer(guard::Guard& guard, const BearerAuthenticator* bearer, MySqlServerOptions options);
  /// Stops (as stop()).
  ~MySqlServer();
  MySqlServer(const MySqlServer&) = delete;
  MySqlServer& operator=(const MySqlServer&) = delete;

  /// Binds and listens, then accepts on a background thread. Returns the bound port (the
  /// configured one, or the one the kernel chose for port 0). Errors: kUnavailable when the
  /// address cannot be bound (the message names it and errno) or the TLS certificate or key
  /// cannot be loaded (OpenSSL's reason), kInvalidInput for an account whose verifier does not
  /// parse.
  common::Result<uint16_t> start();

  /// Stops accepting, closes every connection (a statement in flight is cancelled through its
  /// stop token) and joins their threads. Idempotent.
  void stop();

  /// Connections open now.
  std::size_t connections() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace sqlguard::server
