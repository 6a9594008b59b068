// The server side of the MySQL/MariaDB client/server protocol, as far as sqlguard's front door
// speaks it: packet framing, the initial handshake (Protocol::HandshakeV10 and
// Protocol::HandshakeResponse41), authentication (mysql_native_password, mysql_clear_password,
// the auth switch), and the text-protocol answers (OK, ERR, EOF, column definitions, rows).
// References: MariaDB's "Client/Server Protocol" pages (mariadb.com/kb) and MySQL's
// "Client/Server Protocol" (dev.mysql.com/doc/dev/mysql-server/latest/PAGE_PROTOCOL.html).
// Pure functions over bytes: no sockets here (mysql_server.h owns them), so the decoder can be
// unit-tested and fuzzed (tests/fuzz/fuzz_mysql_packet.cpp).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/result_set.h"

namespace sqlguard::server::mysql {

/// Capability flags (CLIENT_* in mysql_com.h).
namespace capability {
inline constexpr uint32_t kLongPassword = 1;  ///< also CLIENT_MYSQL in MariaDB
inline constexpr uint32_t kFoundRows = 2;
inline constexpr uint32_t kLongFlag = 4;
inline constexpr uint32_t kConnectWithDb = 8;
inline constexpr uint32_t kProtocol41 = 512;
inline constexpr uint32_t kInteractive = 1024;
inline constexpr uint32_t kSsl = 2048;
inline constexpr uint32_t kTransactions = 8192;
inline constexpr uint32_t kSecureConnection = 32768;
inline constexpr uint32_t kMultiStatements = 1u << 16;
inline constexpr uint32_t kMultiResults = 1u << 17;
inline constexpr uint32_t kPluginAuth = 1u << 19;
inline constexpr uint32_t kConnectAttrs = 1u << 20;
inline constexpr uint32_t kPluginAuthLenencData = 1u << 21;
inline constexpr uint32_t kDeprecateEof = 1u << 24;
}  // namespace capability

/// What sqlguard's front door offers: protocol 4.1, plugin authentication, connect attributes.
/// Not offered: SSL unless the listener has a certificate (then kSsl is added), multi-statements
/// (refused by the guard anyway), CLIENT_DEPRECATE_EOF (EOF packets are always sent).
inline constexpr uint32_t kServerCapabilities =
    capability::kLongPassword | capability::kFoundRows | capability::kLongFlag | capability::kConnectWithDb |
    capability::kProtocol41 | capability::kInteractive | capability::kTransactions |
    capability::kSecureConnection | capability::kMultiResults | capability::kPluginAuth |
    capability::kConnectAttrs | capability::kPluginAuthLenencData;

/// MariaDB's extended capabilities (the upper 32 bits, MARIADB_CLIENT_* >> 32 in mariadb_com.h),
/// announced in the handshake's last 4 reserved bytes when CLIENT_MYSQL (bit 0) is clear, and
/// answered in the last 4 of the response's 23 filler bytes.
namespace mariadb_capability {
inline constexpr uint32_t kExtendedMetadata = 1u << 3;  ///< MARIADB_CLIENT_EXTENDED_METADATA (1 << 35)
}  // namespace mariadb_capability

/// What the front door offers MariaDB clients: extended metadata only, so a masked column can
/// say so (format "masked" in its column definition).
inline constexpr uint32_t kMariaDbServerCapabilities = mariadb_capability::kExtendedMetadata;

/// The format name (MARIADB_FIELD_ATTR_FORMAT_NAME) of a masked column's definition.
inline constexpr std::string_view kMaskedFormat = "masked";

/// Status flags (SERVER_STATUS_* in mysql_com.h).
inline constexpr uint16_t kStatusAutocommit = 2;

/// Commands (COM_* in mysql_com.h): the first byte of a command-phase packet.
enum class Command : uint8_t {
  kQuit = 0x01,
  kInitDb = 0x02,
  kQuery = 0x03,
  kFieldList = 0x04,
  kStatistics = 0x09,
  kPing = 0x0e,
  kStmtPrepare = 0x16,
  kStmtExecute = 0x17,
  kStmtSendLongData = 0x18,
  kStmtClose = 0x19,
  kStmtReset = 0x1a,
  kSetOption = 0x1b,
  kStmtFetch = 0x1c,
  kResetConnection = 0x1f,
};

inline constexpr std::string_view kNativePasswordPlugin = "mysql_native_password";
inline constexpr std::string_view kClearPasswordPlugin = "mysql_clear_password";
inline constexpr std::size_t kScrambleBytes = 20;
/// Largest payload of one physical packet; a longer message continues in the next packet.
inline constexpr std::size_t kMaxPacketPayload = 0xffffff;

/// Appends protocol integers and strings to a payload.
class PacketWriter {
 public:
  PacketWriter& u8(uint8_t v);
  PacketWriter& u16(uint16_t v);
  PacketWriter& u24(uint32_t v);
  PacketWriter& u32(uint32_t v);
  PacketWriter& lenenc_int(uint64_t v);  ///< length-encoded integer (1, 3, 4 or 9 bytes)
  PacketWriter& lenenc_str(std::string_view s);
  PacketWriter& nul_str(std::string_view s);  ///< the bytes, then 0x00
  PacketWriter& bytes(std::string_view s);
  PacketWriter& zeros(std::size_t n);
  const std::string& payload() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

/// Reads protocol integers and strings from a payload; every read is bounds-checked and a short
/// payload makes the reader fail (ok() false) instead of reading past the end.
class PacketReader {
 public:
  explicit PacketReader(std::string_view payload) : in_(payload) {}
  std::optional<uint8_t> u8();
  std::optional<uint16_t> u16();
  std::optional<uint32_t> u32();
  std::optional<uint64_t> lenenc_int();  ///< nullopt also for 0xfb (NULL) and 0xff
  std::optional<std::string_view> lenenc_str();
  std::optional<std::string_view> nul_str();  ///< up to the next 0x00, which is consumed
  std::optional<std::string_view> bytes(std::size_t n);
  std::string_view rest();  ///< everything left (string<EOF>)
  bool skip(std::size_t n);
  bool at_end() const { return pos_ >= in_.size(); }
  std::size_t remaining() const { return in_.size() - pos_; }

 private:
  std::string_view in_;
  std::size_t pos_ = 0;
};

/// Splits a message into physical packets with sequence ids from `sequence` (which advances
/// past them): 3-byte little-endian length, 1-byte sequence id, payload; a payload of exactly
/// kMaxPacketPayload bytes (or a multiple) is followed by an empty packet.
std::string frame(std::string_view payload, uint8_t& sequence);

/// Accumulates received bytes into messages, joining continued packets and checking sequence
/// ids. Refuses (kInvalidInput) a message longer than `max_message_bytes` as soon as its header
/// says so, and a sequence id other than the expected one.
class PacketDecoder {
 public:
  explicit PacketDecoder(std::size_t max_message_bytes) : max_(max_message_bytes) {}
  /// Appends received bytes.
  void feed(std::string_view data) { buffer_.append(data); }
  /// The next whole message, nullopt when more bytes are needed, or an error (the connection
  /// must then be closed). `sequence` is the id the next packet must carry; it advances.
  common::Result<std::optional<std::string>> next(uint8_t& sequence);
  std::size_t buffered() const { return buffer_.size(); }
  /// Bytes still missing before next() can return a whole message (0 when one is buffered).
  /// Reading no more than this before a TLS upgrade keeps the ClientHello out of this buffer.
  std::size_t wanted() const;

 private:
  std::size_t max_;
  std::string buffer_;
};

/// The server's first packet (Protocol::HandshakeV10) offering kServerCapabilities, the
/// utf8mb4_general_ci charset (45), autocommit status and mysql_native_password with
/// `scramble` (kScrambleBytes bytes, none of them 0x00). `capabilities` is kServerCapabilities,
/// plus capability::kSsl when the listener has a certificate.
/// With `mariadb_capabilities` non-zero, CLIENT_MYSQL is cleared and they are announced (MariaDB
/// 10.2+ handshake; Connector/C reads them only when `server_version` contains "MariaDB").
std::string handshake_v10(std::string_view server_version, uint32_t connection_id, std::string_view scramble,
                          uint32_t capabilities = kServerCapabilities,
                          uint32_t mariadb_capabilities = kMariaDbServerCapabilities);

/// A client's answer to the handshake (Protocol::HandshakeResponse41).
struct HandshakeResponse {
  uint32_t capabilities = 0;
  uint32_t max_packet = 0;
  uint8_t charset = 0;
  std::string user;
  std::string auth_response;                      ///< bytes, per the plugin
  std::string database;                           ///< with CLIENT_CONNECT_WITH_DB; "" otherwise
  std::string auth_plugin;                        ///< with CLIENT_PLUGIN_AUTH; "" otherwise
  std::map<std::string, std::string> attributes;  ///< connect attributes (program_name, _client_version, ...)
  bool ssl_request = false;                       ///< the client asked for TLS (a 32-byte SSLRequest packet)
  /// MariaDB extended capabilities the client asked for (0 unless it cleared CLIENT_MYSQL).
  uint32_t mariadb_capabilities = 0;
};

/// Decodes Protocol::HandshakeResponse41 (or the SSLRequest prefix). Errors (kInvalidInput):
/// pre-4.1 clients (no CLIENT_PROTOCOL_41), truncated or overlong fields, more than 64
/// connect attributes, a user name over 256 bytes.
common::Result<HandshakeResponse> parse_handshake_response(std::string_view payload);

/// Protocol::AuthSwitchRequest: 0xfe, the plugin name, its data.
std::string auth_switch_request(std::string_view plugin, std::string_view data);

/// OK_Packet (protocol 4.1): affected rows, last insert id, status, warnings, optional info.
std::string ok_packet(uint64_t affected_rows = 0, uint64_t last_insert_id = 0, uint16_t warnings = 0,
                      std::string_view info = {});
/// ERR_Packet (protocol 4.1): error number, '#', five-character SQLSTATE, message.
std::string err_packet(uint16_t error_number, std::string_view sqlstate, std::string_view message);
/// EOF_Packet: warnings and status.
std::string eof_packet(uint16_t warnings = 0);

/// Protocol::ColumnDefinition41 for `column`. A masked column is sent as VAR_STRING in
/// utf8mb4 with no flags (its values are masking output, not the column's type).
/// `display_length` is the column_length field (bytes). `extended_metadata` (negotiated
/// mariadb_capability::kExtendedMetadata): the MariaDB extended type info block is written, with
/// format name kMaskedFormat for a masked column and empty otherwise.
std::string column_definition(const common::ResultColumn& column, uint32_t display_length,
                              bool extended_metadata = false);
/// One text-protocol row (ProtocolText::ResultsetRow): each cell as a length-encoded string,
/// NULL as 0xfb.
std::string text_row(const common::Row& row);

/// A mysql_native_password verifier: SHA1(SHA1(password)), as MariaDB's PASSWORD() prints it
/// ("*" + 40 hex digits) and stores in mysql.user.
using NativeVerifier = std::array<uint8_t, 20>;
/// Parses "*" + 40 hex digits (either case). nullopt for anything else.
std::optional<NativeVerifier> parse_native_verifier(std::string_view text);
/// "*" + 40 upper-case hex digits of SHA1(SHA1(password)).
std::string native_verifier_text(std::string_view password);
/// Checks a mysql_native_password response: `response` must be
/// SHA1(pw) XOR SHA1(scramble + SHA1(SHA1(pw))) for the password behind `verifier`. Compares in
/// constant time. An empty or wrongly sized response is false.
bool verify_native_password(const NativeVerifier& verifier, std::string_view scramble,
                            std::string_view response);
/// The client side of the same computation (for tests and the bench client).
std::string native_password_response(std::string_view password, std::string_view scramble);

}  // namespace sqlguard::server::mysql
