#include "server/mysql/mysql_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>
#include <unordered_map>
#include <utility>

#include "common/address.h"
#include "common/bytes.h"
#include "common/random.h"
#include "common/text.h"
#include "policy/sql_lexer.h"
#include "server/auth/bearer_authenticator.h"
#include "server/mysql/prepared.h"
#include "server/mysql/probes.h"
#include "server/mysql/protocol.h"

namespace sqlguard::server {

using namespace mysql;

namespace {

using Clock = std::chrono::steady_clock;

// Error numbers and SQLSTATEs the front door answers with (docs/mysql.md "Errors").
constexpr uint16_t kErAccessDenied = 1045;        // 28000
constexpr uint16_t kErHostBlocked = 1129;         // HY000
constexpr uint16_t kErTooManyConnections = 1040;  // 08004
constexpr uint16_t kErDbAccessDenied = 1044;      // 42000
constexpr uint16_t kErUnknownCommand = 1047;      // 08S01
constexpr uint16_t kErRefused = 1142;             // 42000
constexpr uint16_t kErHeld = 1644;                // 45000
constexpr uint16_t kErTimeout = 1969;             // 70100
constexpr uint16_t kErUnsupportedPs = 1295;       // HY000
constexpr uint16_t kErGeneral = 1105;             // HY000
constexpr uint16_t kErNetRead = 1158;             // 08S01
constexpr uint16_t kErMultiStatements = 1149;     // 42000 (ER_SYNTAX_ERROR)

/// An accepted socket: blocking I/O with receive and send timeouts, in clear or, after
/// start_tls(), over TLS (OpenSSL on the same descriptor; the timeouts still apply).
class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (ssl_ != nullptr) {
      (void)SSL_shutdown(ssl_);
      SSL_free(ssl_);
    }
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }
  bool tls() const { return ssl_ != nullptr; }

  void set_receive_timeout(std::chrono::seconds s) const {
    timeval tv{static_cast<time_t>(s.count()), 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  /// The server side of a TLS handshake on this socket. Errors: OpenSSL's first error, as text.
  common::Result<void> start_tls(SSL_CTX* ctx) {
    ssl_ = SSL_new(ctx);
    if (ssl_ == nullptr || SSL_set_fd(ssl_, fd_) != 1 || SSL_accept(ssl_) != 1) {
      char buf[256] = "TLS handshake failed";
      if (const unsigned long e = ERR_get_error(); e != 0) ERR_error_string_n(e, buf, sizeof buf);
      ERR_clear_error();
      return common::fail(common::ErrorCode::kInvalidInput, buf);
    }
    return {};
  }
  bool send_all(std::string_view data) const {
    while (!data.empty()) {
      ssize_t n = 0;
      if (ssl_ != nullptr) {
        n = SSL_write(ssl_, data.data(), static_cast<int>(std::min<std::size_t>(data.size(), 1 << 30)));
      } else {
        n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
      }
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }
  /// Received bytes, at most `max` (1..16384); "" at end of stream, on a timeout or an error.
  std::string receive(std::size_t max = 16384) const {
    char buf[16384];
    max = std::clamp<std::size_t>(max, 1, sizeof buf);
    while (true) {
      ssize_t n = 0;
      if (ssl_ != nullptr) {
        n = SSL_read(ssl_, buf, static_cast<int>(max));
      } else {
        n = ::recv(fd_, buf, max, 0);
        if (n < 0 && errno == EINTR) continue;
      }
      if (n <= 0) return {};
      return std::string(buf, static_cast<std::size_t>(n));
    }
  }

 private:
  int fd_;
  SSL* ssl_ = nullptr;
};

std::string peer_address(const sockaddr_storage& ss) {
  char host[INET6_ADDRSTRLEN] = {0};
  uint16_t port = 0;
  if (ss.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    ::inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
    port = ntohs(a->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    ::inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
    port = ntohs(a->sin6_port);
  }
  return std::string(host) + ":" + std::to_string(port);
}

std::string address_only(const std::string& remote) { return remote.substr(0, remote.rfind(':')); }

/// A scramble of kScrambleBytes random bytes in 1..127 (clients treat 0 as a terminator).
common::Result<std::string> new_scramble() {
  auto raw = common::random_bytes(kScrambleBytes);
  if (!raw) return std::unexpected(raw.error());
  for (auto& ch : *raw) ch = static_cast<char>((static_cast<unsigned char>(ch) % 127) + 1);
  return *raw;
}

}  // namespace

struct MySqlServer::Impl {
  struct Account {
    MySqlAccountConfig config;
    NativeVerifier verifier{};
  };
  struct Failures {
    uint32_t count = 0;
    Clock::time_point window_start;
  };
  struct Live {
    std::jthread thread;
    int fd = -1;
    std::atomic<bool> done{false};
  };

  guard::Guard& guard;
  const BearerAuthenticator* bearer;
  MySqlServerOptions options;
  SSL_CTX* tls = nullptr;  ///< set when options.config has a certificate
  std::vector<Account> accounts;
  Clock::time_point started = Clock::now();

  int listen_fd = -1;
  int wake[2] = {-1, -1};
  std::jthread acceptor;
  std::atomic<uint32_t> next_connection_id{1};
  std::atomic<uint64_t> questions{0};

  mutable std::mutex mu;  // guards live, failures
  std::list<Live> live;
  std::unordered_map<std::string, Failures> failures;

  Impl(guard::Guard& g, const BearerAuthenticator* b, MySqlServerOptions o)
      : guard(g), bearer(b), options(std::move(o)) {}
  ~Impl() {
    if (tls != nullptr) SSL_CTX_free(tls);
  }

  // ---- authentication rate limit -----------------------------------------------------------
  bool blocked(const std::string& address) {
    std::lock_guard lock(mu);
    auto it = failures.find(address);
    if (it == failures.end()) return false;
    if (Clock::now() - it->second.window_start > std::chrono::minutes(1)) {
      failures.erase(it);
      return false;
    }
    return it->second.count >= options.config.max_auth_failures;
  }
  void failed(const std::string& address) {
    std::lock_guard lock(mu);
    if (failures.size() > 100000) failures.clear();  // bounded memory under a spray of addresses
    auto& f = failures[address];
    if (f.count == 0 || Clock::now() - f.window_start > std::chrono::minutes(1)) {
      f.count = 0;
      f.window_start = Clock::now();
    }
    ++f.count;
  }

  void accept_loop(const std::stop_token& stop);
  void serve_connection(Live& self, const std::string& remote, const std::stop_token& stop);
  void reap();
};

namespace {

/// One client connection, from handshake to quit.
class Connection {
 public:
  Connection(MySqlServer::Impl& server, Socket& socket, std::string remote, const std::stop_token& stop)
      : s_(server),
        socket_(socket),
        remote_(std::move(remote)),
        stop_(stop),
        decoder_(server.options.config.max_packet_bytes),
        id_(server.next_connection_id++) {}

  void run() {
    // The whole handshake, not each read, must finish in time: a client trickling a byte per
    // few seconds would otherwise hold its thread for ever.
    socket_.set_receive_timeout(std::chrono::seconds(s_.options.config.handshake_timeout_s));
    deadline_ = Clock::now() + std::chrono::seconds(s_.options.config.handshake_timeout_s);
    const auto principal = handshake();
    if (!principal) return;
    deadline_.reset();
    socket_.set_receive_timeout(std::chrono::seconds(s_.options.config.idle_timeout_s));
    call_.principal = *principal;
    call_.session_id = session_id();
    call_.transport = "mysql";
    call_.remote_address = remote_;
    call_.tool = "run_sql";
    call_.cancel = stop_;
    // MySQL clients cannot pass an approval id: the same statement sent again uses its approval.
    call_.reuse_held_approval = true;
    s_.guard.session_started(call_);
    // The schema named in the handshake is checked like COM_INIT_DB, in the session, before
    // the client is told it is in.
    if (!initial_schema_.empty() && !use_schema(initial_schema_)) {
      s_.guard.session_ended(call_, "schema refused");
      return;
    }
    if (!send(ok_packet())) {
      s_.guard.session_ended(call_, "disconnected");
      return;
    }
    const std::string reason = command_loop();
    s_.guard.session_ended(call_, reason);
  }

  /// Answers ERR 1040 to a connection over the limit.
  static void refuse_too_many(const Socket& socket) {
    uint8_t seq = 0;
    socket.send_all(frame(err_packet(kErTooManyConnections, "08004", "Too many connections"), seq));
  }

 private:
  // ---- I/O ---------------------------------------------------------------------------------
  bool send(std::string_view payload) { return socket_.send_all(frame(payload, seq_)); }

  /// The next message; nullopt when the peer closed, timed out or sent a bad packet. `exact`:
  /// read no byte beyond it (before a TLS upgrade: the ClientHello that may follow an SSL
  /// request at once must reach OpenSSL, not this connection's buffer).
  std::optional<std::string> receive(bool exact = false) {
    while (!stop_.stop_requested()) {
      if (deadline_ && Clock::now() > *deadline_) {
        spdlog::info("mysql {}: closing: the handshake took longer than {} s", remote_,
                     s_.options.config.handshake_timeout_s);
        return std::nullopt;
      }
      auto m = decoder_.next(seq_);
      if (!m) {
        spdlog::info("mysql {}: closing: {}", remote_, m.error().message);
        if (m.error().message.find("larger than") != std::string::npos) {
          send(err_packet(kErNetRead, "08S01", "sqlguard: " + m.error().message));
        }
        return std::nullopt;
      }
      if (*m) return std::move(**m);
      std::string data = exact ? socket_.receive(decoder_.wanted()) : socket_.receive();
      if (data.empty()) return std::nullopt;
      decoder_.feed(data);
    }
    return std::nullopt;
  }

  static std::string session_id() {
    auto raw = common::random_bytes(8);
    return raw ? common::hex_encode(*raw) : std::string("mysql");
  }

  // ---- handshake ---------------------------------------------------------------------------
  std::optional<policy::Principal> handshake() {
    auto scramble = new_scramble();
    if (!scramble) return std::nullopt;
    scramble_ = *scramble;
    seq_ = 0;
    const uint32_t caps = kServerCapabilities | (s_.tls != nullptr ? capability::kSsl : 0);
    if (!send(handshake_v10(s_.options.server_version, id_, scramble_, caps))) return std::nullopt;
    auto msg = receive(/*exact=*/s_.tls != nullptr);
    if (!msg) return std::nullopt;  // stopped mid-handshake: no record
    auto response = parse_handshake_response(*msg);
    if (response && response->ssl_request) {
      if (s_.tls == nullptr) {
        send(err_packet(
            kErAccessDenied, "28000",
            "sqlguard: this port has no TLS certificate (mysql.tls); connect over loopback without "
            "TLS (--skip-ssl)"));
        return std::nullopt;
      }
      if (auto t = socket_.start_tls(s_.tls); !t) {
        spdlog::info("mysql {}: closing: TLS: {}", remote_, t.error().message);
        return std::nullopt;
      }
      msg = receive();
      if (!msg) return std::nullopt;
      response = parse_handshake_response(*msg);
      if (response && response->ssl_request) {
        send(err_packet(kErNetRead, "08S01", "sqlguard: a second SSL request"));
        return std::nullopt;
      }
    }
    if (!response) {
      send(err_packet(kErNetRead, "08S01", "sqlguard: " + response.error().message));
      return std::nullopt;
    }
    user_ = response->user;
    attributes_ = response->attributes;
    extended_metadata_ = (response->mariadb_capabilities & mariadb_capability::kExtendedMetadata) != 0;
    const std::string address = address_only(remote_);
    if (s_.blocked(address)) {
      reject(*response, "rate_limited", kErHostBlocked, "HY000",
             "Host '" + address + "' is blocked because of many authentication failures; wait a minute");
      return std::nullopt;
    }
    if (!socket_.tls() && !common::is_loopback_address(address)) {
      reject(*response, "tls_required", kErAccessDenied, "28000",
             "Access denied for user '" + common::printable(user_, 256) + "'@'" + address +
                 "': connections from outside this host must use TLS (--ssl)");
      return std::nullopt;
    }
    std::optional<policy::Principal> principal;
    const auto account = std::find_if(s_.accounts.begin(), s_.accounts.end(),
                                      [&](const auto& a) { return a.config.user == response->user; });
    if (account != s_.accounts.end()) {
      std::string data = response->auth_response;
      if (response->auth_plugin != kNativePasswordPlugin || data.size() != kScrambleBytes) {
        if (!send(auth_switch_request(kNativePasswordPlugin, scramble_ + std::string(1, '\0'))))
          return std::nullopt;
        auto again = receive();
        if (!again) return std::nullopt;
        data = *again;
      }
      if (!verify_native_password(account->verifier, scramble_, data)) {
        s_.failed(address);
        reject(*response, data.empty() ? "missing_credentials" : "bad_password", kErAccessDenied, "28000",
               access_denied(!data.empty()));
        return std::nullopt;
      }
      principal = account->config.principal;
    } else if (s_.bearer != nullptr) {
      std::string token;
      if (response->auth_plugin == kClearPasswordPlugin) {
        token = response->auth_response;
      } else {
        if (!send(auth_switch_request(kClearPasswordPlugin, ""))) return std::nullopt;
        auto again = receive();
        if (!again) return std::nullopt;
        token = *again;
      }
      while (!token.empty() && token.back() == '\0') token.pop_back();
      auto caller = s_.bearer->authenticate_token(token);
      if (!caller) {
        s_.failed(address);
        reject(*response, caller.error().reason, kErAccessDenied, "28000", access_denied(!token.empty()),
               &caller.error());
        return std::nullopt;
      }
      principal = caller->principal;
    } else {
      s_.failed(address);
      reject(*response, "unknown_user", kErAccessDenied, "28000",
             access_denied(!response->auth_response.empty()));
      return std::nullopt;
    }
    principal->client_name = attribute("program_name");
    principal->client_version = attribute("_client_version");
    initial_schema_ = response->database;  // checked by run(), which then sends OK
    return principal;
  }

  std::string access_denied(bool using_password) const {
    return "Access denied for user '" + common::printable(user_, 256) + "'@'" + address_only(remote_) +
           "' (using password: " + (using_password ? "YES" : "NO") + ")";
  }

  void reject(const HandshakeResponse& response, const std::string& reason, uint16_t code,
              std::string_view state, const std::string& message,
              const AuthRejection* token_rejection = nullptr) {
    nlohmann::json details = {{"status", code},       {"error", "access_denied"},
                              {"reason", reason},     {"message", message},
                              {"transport", "mysql"}, {"user", common::printable(response.user, 256)}};
    if (token_rejection != nullptr) {
      if (!token_rejection->token_alg.empty()) details["token_alg"] = token_rejection->token_alg;
      if (!token_rejection->token_kid.empty()) details["token_kid"] = token_rejection->token_kid;
      if (!token_rejection->subject.empty()) details["subject"] = token_rejection->subject;
      if (!token_rejection->issuer.empty()) details["issuer"] = token_rejection->issuer;
    }
    s_.guard.auth_rejected(std::move(details), remote_);
    send(err_packet(code, state, message));
  }

  std::string attribute(const std::string& key) const {
    const auto it = attributes_.find(key);
    return it == attributes_.end() ? std::string() : common::printable(it->second, 64);
  }

  /// COM_INIT_DB, `USE name` and the handshake's schema: the session's default schema becomes
  /// `schema` if the guard lets the principal use it (Guard::use_schema, recorded); otherwise
  /// ERR 1044 and the schema stays. Sends the ERR itself; false when refused or not sent.
  bool use_schema(std::string_view schema) {
    const std::string name(schema);
    if (policy::iequals(name, s_.guard.default_schema())) {
      call_.schema.clear();
      return true;
    }
    guard::CallInfo check = call_;
    check.tool = "use_schema";
    check.request_id = std::to_string(++requests_);
    if (auto r = s_.guard.use_schema(check, name); !r) {
      const guard::SqlFailure& f = r.error();
      const std::string suffix = f.call_id.empty() ? "" : " (sqlguard call " + f.call_id + ")";
      if (f.error.code == common::ErrorCode::kRefused || f.error.code == common::ErrorCode::kInvalidInput) {
        send(err_packet(
            kErDbAccessDenied, "42000",
            "Access denied to database '" + common::printable(name, 64) + "': " + f.error.message + suffix));
      } else {
        send(err_packet(kErGeneral, "HY000", f.error.message + suffix));
      }
      return false;
    }
    call_.schema = name;
    return true;
  }

  // ---- commands ----------------------------------------------------------------------------
  /// Serves commands until the client quits or the connection ends; returns the reason.
  std::string command_loop() {
    while (!stop_.stop_requested()) {
      seq_ = 0;
      auto msg = receive();
      if (!msg) return stop_.stop_requested() ? "server stopping" : "disconnected";
      if (msg->empty()) return "protocol error";
      const auto command = static_cast<Command>(static_cast<uint8_t>((*msg)[0]));
      const std::string_view body = std::string_view(*msg).substr(1);
      bool ok = true;
      switch (command) {
        case Command::kQuit: return "quit";
        case Command::kPing:
        case Command::kResetConnection: ok = send(ok_packet()); break;
        case Command::kInitDb: ok = !use_schema(body) || send(ok_packet()); break;
        case Command::kQuery: ok = query(std::string(body)); break;
        case Command::kFieldList: ok = send(eof_packet()); break;  // no columns disclosed this way
        case Command::kStatistics: ok = send(statistics()); break;
        case Command::kSetOption:
          ok = (body.size() >= 2 && body[0] == 1 && body[1] == 0)
                   ? send(eof_packet())
                   : send(err_packet(
                         kErMultiStatements, "42000",
                         "sqlguard: multiple statements per query are refused; send one at a time"));
          break;
        case Command::kStmtPrepare: ok = stmt_prepare(body); break;
        case Command::kStmtExecute: ok = stmt_execute(body); break;
        case Command::kStmtSendLongData: stmt_long_data(body); break;  // no response, by the protocol
        case Command::kStmtClose:
          if (body.size() >= 4) statements_.erase(PacketReader(body).u32().value_or(0));
          break;  // no response, by the protocol
        case Command::kStmtReset:
          if (auto* st = statement(body)) {
            st->long_data.clear();
            ok = send(ok_packet());
          } else {
            ok = send(unknown_statement());
          }
          break;
        case Command::kStmtFetch:
          ok = send(
              err_packet(kErUnsupportedPs, "HY000", "sqlguard: cursors (COM_STMT_FETCH) are not supported"));
          break;
        default:
          ok = send(err_packet(
              kErUnknownCommand, "08S01",
              "sqlguard: command " + std::to_string(static_cast<int>(command)) + " is not supported"));
      }
      if (!ok) return "disconnected";
    }
    return "server stopping";
  }

  std::string statistics() const {
    const auto uptime = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - s_.started).count();
    std::size_t threads = 0;
    {
      std::lock_guard lock(s_.mu);
      threads = s_.live.size();
    }
    return "Uptime: " + std::to_string(uptime) + "  Threads: " + std::to_string(threads) +
           "  Questions: " + std::to_string(s_.questions.load()) +
           "  (sqlguard front door; database not disclosed)";
  }

  // ---- prepared statements (server/mysql/prepared.h) ---------------------------------------
  static constexpr std::size_t kMaxStatements = 1024;

  PreparedStatement* statement(std::string_view body) {
    if (body.size() < 4) return nullptr;
    const auto it = statements_.find(*PacketReader(body).u32());
    return it == statements_.end() ? nullptr : &it->second;
  }
  static std::string unknown_statement() {
    return err_packet(1243, "HY000", "Unknown prepared statement handler given to sqlguard");
  }

  bool stmt_prepare(std::string_view sql) {
    if (statements_.size() >= kMaxStatements) {
      return send(
          err_packet(1461, "42000", "sqlguard: more than 1024 prepared statements on one connection"));
    }
    auto st = prepare_statement(sql);
    if (!st) return send(err_packet(kErRefused, "42000", "statement refused: " + st.error().message));
    const uint32_t id = next_statement_++;
    const auto params = static_cast<uint16_t>(st->placeholders.size());
    statements_.emplace(id, std::move(*st));
    return socket_.send_all(prepare_ok(id, params, seq_, extended_metadata_));
  }

  void stmt_long_data(std::string_view body) {
    PacketReader r(body);
    auto id = r.u32();
    auto param = r.u16();
    if (!id || !param) return;
    const auto it = statements_.find(*id);
    if (it == statements_.end() || *param >= it->second.placeholders.size()) return;
    std::string& data = it->second.long_data[*param];
    const std::string_view chunk = r.rest();
    if (data.size() + chunk.size() <= s_.options.config.max_packet_bytes) data.append(chunk);
  }

  bool stmt_execute(std::string_view body) {
    PreparedStatement* st = statement(body);
    if (st == nullptr) return send(unknown_statement());
    auto sql = bind_parameters(*st, body.substr(4));
    if (!sql) return send(err_packet(kErNetRead, "08S01", "sqlguard: " + sql.error().message));
    if (sql->size() > s_.options.config.max_packet_bytes) {
      return send(
          err_packet(kErNetRead, "08S01", "sqlguard: the bound statement is larger than max_packet_bytes"));
    }
    return query(*sql, /*binary=*/true);
  }

  bool query(const std::string& sql, bool binary = false) {
    ++s_.questions;
    if (auto schema = use_statement(sql)) {
      notes_.clear();
      return !use_schema(*schema) || send(ok_packet());
    }
    ProbeContext probe;
    probe.server_version = s_.options.server_version;
    probe.version_comment = s_.options.version_comment;
    probe.schema = call_.schema.empty() ? s_.guard.default_schema() : call_.schema;
    probe.connection_id = id_;
    probe.max_allowed_packet = s_.options.config.max_packet_bytes;
    probe.notes = &notes_;
    if (auto answer = answer_probe(sql, probe)) {
      const bool keeps_notes = normalize_probe(sql) == "show warnings";
      const bool sent = send_result(answer->result, 0, binary);
      if (!keeps_notes) notes_.clear();
      return sent;
    }
    notes_.clear();
    guard::CallInfo call = call_;
    call.request_id = std::to_string(++requests_);
    auto r = s_.guard.run_sql(call, sql, std::nullopt);
    if (r) {
      for (const auto& m : r->masked_columns) {
        notes_.push_back({"Note", kErGeneral,
                          "sqlguard masked column " + m.column + " (" + m.method + ", rule " + m.rule +
                              "); call " + r->call_id});
      }
      if (r->result.truncated) {
        notes_.push_back(
            {"Warning", kErGeneral,
             "sqlguard truncated the result at the policy's row or byte limit; call " + r->call_id});
      }
      return send_result(r->result, static_cast<uint16_t>(std::min<std::size_t>(notes_.size(), 0xffff)),
                         binary);
    }
    const guard::SqlFailure& f = r.error();
    const std::string suffix = " (sqlguard call " + f.call_id + ")";
    if (f.approval) {
      return send(err_packet(kErHeld, "45000", for_mysql_client(f.error.message) + suffix));
    }
    switch (f.error.code) {
      case common::ErrorCode::kRefused:
        return send(err_packet(kErRefused, "42000", f.error.message + suffix));
      case common::ErrorCode::kTimeout:
        return send(err_packet(kErTimeout, "70100", f.error.message + suffix));
      case common::ErrorCode::kDatabase:
        if (f.error.db_errno > 0 && f.error.db_errno < 0xffff) {
          return send(err_packet(static_cast<uint16_t>(f.error.db_errno),
                                 f.error.sqlstate.size() == 5 ? f.error.sqlstate : "HY000",
                                 f.error.message + suffix));
        }
        [[fallthrough]];
      default: return send(err_packet(kErGeneral, "HY000", f.error.message + suffix));
    }
  }

  /// The guard's approval message speaks of run_sql's approval_id argument, which MySQL clients
  /// do not have: here the same statement, sent again by the same principal, uses the approval.
  static std::string for_mysql_client(std::string message) {
    static constexpr std::string_view kMcp = "call run_sql again with the same sql and approval_id ";
    const auto at = message.find(kMcp);
    if (at == std::string::npos) return message;
    const auto end = message.find(' ', at + kMcp.size());
    message.replace(at, (end == std::string::npos ? message.size() : end) - at,
                    "send the same statement again (it uses this approval once)");
    return message;
  }

  /// A result set in the text protocol, or (`binary`, for COM_STMT_EXECUTE) the binary one.
  bool send_result(const common::ResultSet& result, uint16_t warnings, bool binary) {
    if (!result.has_result_set) return send(ok_packet(result.affected_rows, result.last_insert_id, warnings));
    std::vector<std::string> rows;
    if (binary) {
      rows.reserve(result.rows.size());
      for (const auto& row : result.rows) {
        auto b = binary_row(result.columns, row);
        if (!b) return send(err_packet(kErGeneral, "HY000", "sqlguard: " + b.error().message));
        rows.push_back(std::move(*b));
      }
    }
    std::string out;
    PacketWriter count;
    count.lenenc_int(result.columns.size());
    out += frame(count.payload(), seq_);
    for (std::size_t i = 0; i < result.columns.size(); ++i) {
      std::size_t width = std::max<std::size_t>(result.columns[i].name.size(), 1);
      for (const auto& row : result.rows) {
        if (i < row.size() && row[i]) width = std::max(width, row[i]->size());
      }
      out += frame(
          column_definition(result.columns[i], static_cast<uint32_t>(std::min<std::size_t>(width, 1u << 30)),
                            extended_metadata_),
          seq_);
    }
    out += frame(eof_packet(), seq_);
    for (std::size_t r = 0; r < result.rows.size(); ++r) {
      out += frame(binary ? rows[r] : text_row(result.rows[r]), seq_);
      if (out.size() > (1u << 20)) {
        if (!socket_.send_all(out)) return false;
        out.clear();
      }
    }
    out += frame(eof_packet(warnings), seq_);
    return socket_.send_all(out);
  }

  MySqlServer::Impl& s_;
  Socket& socket_;
  std::string remote_;
  std::stop_token stop_;
  PacketDecoder decoder_;
  uint32_t id_;
  uint8_t seq_ = 0;
  std::string scramble_;
  std::string user_;
  std::string initial_schema_;      ///< the schema the handshake asked for ("" = none)
  bool extended_metadata_ = false;  ///< MariaDB extended metadata negotiated (masked columns say so)
  std::map<std::string, std::string> attributes_;
  guard::CallInfo call_;
  uint64_t requests_ = 0;
  std::vector<Note> notes_;
  std::map<uint32_t, PreparedStatement> statements_;
  uint32_t next_statement_ = 1;
  std::optional<Clock::time_point> deadline_;  ///< of the handshake; none after it
};

}  // namespace

void MySqlServer::Impl::reap() {
  std::lock_guard lock(mu);
  live.remove_if([](Live& l) { return l.done.load(); });  // joins the finished threads
}

void MySqlServer::Impl::serve_connection(Live& self, const std::string& remote, const std::stop_token& stop) {
  Socket socket(self.fd);
  try {
    Connection(*this, socket, remote, stop).run();
  } catch (const std::exception& e) {
    spdlog::error("mysql {}: connection ended by an internal error: {}", remote, e.what());
  }
  {
    std::lock_guard lock(mu);
    self.fd = -1;
  }
  self.done = true;
}

void MySqlServer::Impl::accept_loop(const std::stop_token& stop) {
  while (!stop.stop_requested()) {
    pollfd fds[2] = {{listen_fd, POLLIN, 0}, {wake[0], POLLIN, 0}};
    const int n = ::poll(fds, 2, 1000);
    reap();
    if (n < 0 && errno != EINTR) break;
    if (n <= 0 || !(fds[0].revents & POLLIN)) continue;
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    const int fd = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_CLOEXEC);
    if (fd < 0) continue;
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    timeval send_timeout{30, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout);
    const std::string remote = peer_address(ss);
    std::lock_guard lock(mu);
    if (live.size() >= options.config.max_connections) {
      Socket s(fd);
      Connection::refuse_too_many(s);
      continue;
    }
    Live& l = live.emplace_back();
    l.fd = fd;
    l.thread =
        std::jthread([this, &l, remote](const std::stop_token& st) { serve_connection(l, remote, st); });
  }
}

MySqlServer::MySqlServer(guard::Guard& guard, const BearerAuthenticator* bearer, MySqlServerOptions options)
    : impl_(std::make_unique<Impl>(guard, bearer, std::move(options))) {}

MySqlServer::~MySqlServer() { stop(); }

common::Result<uint16_t> MySqlServer::start() {
  auto& s = *impl_;
  if (!s.options.config.tls_cert_file.empty() && s.tls == nullptr) {
    s.tls = SSL_CTX_new(TLS_server_method());
    if (s.tls == nullptr || SSL_CTX_set_min_proto_version(s.tls, TLS1_2_VERSION) != 1 ||
        SSL_CTX_use_certificate_chain_file(s.tls, s.options.config.tls_cert_file.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(s.tls, s.options.config.tls_key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(s.tls) != 1) {
      char buf[256] = "unknown error";
      if (const unsigned long e = ERR_get_error(); e != 0) ERR_error_string_n(e, buf, sizeof buf);
      ERR_clear_error();
      return common::fail(common::ErrorCode::kUnavailable,
                          "mysql.tls: cannot load " + s.options.config.tls_cert_file.string() + " / " +
                              s.options.config.tls_key_file.string() + ": " + buf);
    }
  }
  for (const auto& a : s.options.config.accounts) {
    auto v = parse_native_verifier(a.password_verifier);
    if (!v)
      return common::fail(common::ErrorCode::kInvalidInput,
                          "mysql account '" + a.user + "': bad password_verifier");
    s.accounts.push_back({a, *v});
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  const std::string where = s.options.config.listen_host + ":" + std::to_string(s.options.config.port);
  if (::getaddrinfo(s.options.config.listen_host.c_str(), std::to_string(s.options.config.port).c_str(),
                    &hints, &res) != 0 ||
      res == nullptr) {
    return common::fail(common::ErrorCode::kUnavailable, "mysql: cannot resolve " + where);
  }
  const int fd = ::socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, res->ai_protocol);
  const int one = 1;
  if (fd >= 0) ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (fd < 0 || ::bind(fd, res->ai_addr, res->ai_addrlen) != 0 || ::listen(fd, 128) != 0) {
    const std::string why = std::strerror(errno);
    if (fd >= 0) ::close(fd);
    ::freeaddrinfo(res);
    return common::fail(common::ErrorCode::kUnavailable, "mysql: cannot listen on " + where + ": " + why);
  }
  ::freeaddrinfo(res);
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  const uint16_t port = bound.ss_family == AF_INET6
                            ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                            : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  if (::pipe2(s.wake, O_CLOEXEC) != 0) {
    ::close(fd);
    return common::fail(common::ErrorCode::kUnavailable, "mysql: pipe2 failed");
  }
  s.listen_fd = fd;
  s.acceptor = std::jthread([&s](const std::stop_token& st) { s.accept_loop(st); });
  return port;
}

void MySqlServer::stop() {
  auto& s = *impl_;
  if (s.listen_fd < 0) return;
  s.acceptor.request_stop();
  if (s.wake[1] >= 0) (void)!::write(s.wake[1], "x", 1);
  if (s.acceptor.joinable()) s.acceptor.join();
  {
    std::lock_guard lock(s.mu);
    for (auto& l : s.live) {
      l.thread.request_stop();
      if (l.fd >= 0) ::shutdown(l.fd, SHUT_RDWR);
    }
  }
  std::list<Impl::Live> all;
  {
    std::lock_guard lock(s.mu);
    all.splice(all.end(), s.live);
  }
  all.clear();  // joins every connection thread
  ::close(s.listen_fd);
  s.listen_fd = -1;
  for (int& p : s.wake) {
    if (p >= 0) ::close(p);
    p = -1;
  }
}

std::size_t MySqlServer::connections() const {
  std::lock_guard lock(impl_->mu);
  return static_cast<std::size_t>(std::count_if(impl_->live.begin(), impl_->live.end(),
                                                [](const Impl::Live& l) { return !l.done.load(); }));
}

}  // namespace sqlguard::server
