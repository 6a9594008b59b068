#include "server/mysql/protocol.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <string>

#include "server/mysql/prepared.h"
#include "server/mysql/probes.h"

namespace sqlguard::server::mysql {
namespace {

using namespace std::string_literals;

/// A HandshakeResponse41 as libmariadb builds it.
std::string client_response(uint32_t caps, const std::string& user, const std::string& auth,
                            const std::string& db, const std::string& plugin, const std::string& attrs = {}) {
  PacketWriter w;
  w.u32(caps).u32(1 << 24).u8(45).zeros(23).nul_str(user);
  if (caps & capability::kPluginAuthLenencData) {
    w.lenenc_str(auth);
  } else {
    w.u8(static_cast<uint8_t>(auth.size())).bytes(auth);
  }
  if (caps & capability::kConnectWithDb) w.nul_str(db);
  if (caps & capability::kPluginAuth) w.nul_str(plugin);
  if (caps & capability::kConnectAttrs) w.lenenc_str(attrs);
  return w.take();
}

constexpr uint32_t kClientCaps = capability::kProtocol41 | capability::kSecureConnection |
                                 capability::kPluginAuth | capability::kPluginAuthLenencData |
                                 capability::kConnectWithDb | capability::kConnectAttrs;

TEST(MySqlProtocol, LengthEncodedIntegersRoundTripAtEveryWidth) {
  for (uint64_t v : {0ull, 250ull, 251ull, 65535ull, 65536ull, 16777215ull, 16777216ull, 1ull << 40}) {
    PacketWriter w;
    w.lenenc_int(v);
    PacketReader r(w.payload());
    EXPECT_EQ(r.lenenc_int(), v);
    EXPECT_TRUE(r.at_end());
  }
  // A reader views its payload: each payload outlives its reader.
  const std::string null_payload = "\xfb"s, truncated_payload = "\xfd\x01"s,
                    short_payload =
                        "\x05"
                        "abc"s;
  PacketReader null_marker(null_payload);
  EXPECT_FALSE(null_marker.lenenc_int());
  PacketReader truncated(truncated_payload);
  EXPECT_FALSE(truncated.lenenc_int());
  PacketReader too_long_string(short_payload);
  EXPECT_FALSE(too_long_string.lenenc_str());
}

TEST(MySqlProtocol, FramesAndDecodesIncludingContinuedPackets) {
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, kMaxPacketPayload, kMaxPacketPayload + 5}) {
    const std::string payload(n, 'x');
    uint8_t seq = 3;
    const std::string wire = frame(payload, seq);
    EXPECT_EQ(seq, n >= kMaxPacketPayload ? 5 : 4) << n;
    PacketDecoder d(32u << 20);
    uint8_t expect = 3;
    EXPECT_EQ(d.wanted(), 4u) << "a header first";
    d.feed(wire.substr(0, wire.size() - 1));  // one byte short: not a message yet
    EXPECT_EQ(d.wanted(), 1u) << n << ": exactly what completes the message, no byte beyond it";
    auto partial = d.next(expect);
    ASSERT_TRUE(partial);
    EXPECT_FALSE(*partial);
    EXPECT_EQ(expect, 3);
    d.feed(wire.substr(wire.size() - 1));
    auto whole = d.next(expect);
    ASSERT_TRUE(whole);
    ASSERT_TRUE(*whole);
    EXPECT_EQ((*whole)->size(), n);
    EXPECT_EQ(expect, seq);
    EXPECT_EQ(d.buffered(), 0u);
  }
}

TEST(MySqlProtocol, DecoderRefusesOversizeAndOutOfOrderPackets) {
  PacketDecoder small(1024);
  uint8_t seq = 0;
  small.feed("\x01\x10\x00\x00"s);  // announces 4097 bytes: refused before they arrive
  auto big = small.next(seq);
  ASSERT_FALSE(big);
  EXPECT_NE(big.error().message.find("larger than"), std::string::npos);

  PacketDecoder d(1024);
  uint8_t one = 1;
  d.feed("\x01\x00\x00\x07x"s);
  auto wrong = d.next(one);
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message.find("out of order"), std::string::npos);
}

TEST(MySqlProtocol, HandshakeOffersNativePasswordWithTheScramble) {
  const std::string scramble = "abcdefghijklmnopqrst";
  const std::string h = handshake_v10("5.5.5-10.11.0-sqlguard", 42, scramble);
  PacketReader r(h);
  EXPECT_EQ(r.u8(), 10);
  EXPECT_EQ(r.nul_str(), "5.5.5-10.11.0-sqlguard");
  EXPECT_EQ(r.u32(), 42u);
  EXPECT_EQ(r.bytes(8), "abcdefgh");
  r.skip(1);
  const uint32_t low = *r.u16();
  r.skip(3);
  const uint32_t caps = low | (static_cast<uint32_t>(*r.u16()) << 16);
  EXPECT_EQ(caps, kServerCapabilities & ~capability::kLongPassword)
      << "CLIENT_MYSQL clear: MariaDB's extended capabilities follow";
  EXPECT_FALSE(caps & capability::kSsl) << "TLS is not offered until it is supported";
  EXPECT_FALSE(caps & capability::kMultiStatements);
  EXPECT_EQ(r.u8(), 21);
  r.skip(6);
  EXPECT_EQ(r.u32(), mariadb_capability::kExtendedMetadata);
  EXPECT_EQ(r.bytes(12), "ijklmnopqrst");
  r.skip(1);
  EXPECT_EQ(r.nul_str(), kNativePasswordPlugin);
  EXPECT_TRUE(r.at_end());
}

TEST(MySqlProtocol, MaskedColumnsSayFromTheirExtendedMetadata) {
  // A MariaDB client answers the extended capabilities in the filler's last 4 bytes.
  PacketWriter w;
  w.u32(kClientCaps & ~capability::kLongPassword)
      .u32(1 << 24)
      .u8(45)
      .zeros(19)
      .u32(mariadb_capability::kExtendedMetadata);
  w.nul_str("alice").lenenc_str(std::string(20, '\x01'));
  auto h = parse_handshake_response(w.payload());
  ASSERT_TRUE(h) << h.error().message;
  EXPECT_EQ(h->mariadb_capabilities, mariadb_capability::kExtendedMetadata);
  // A MySQL client (CLIENT_MYSQL / LONG_PASSWORD set): the filler is not read.
  PacketWriter m;
  m.u32(kClientCaps | capability::kLongPassword).u32(1 << 24).u8(45).zeros(19).u32(0xffffffff);
  m.nul_str("alice").lenenc_str(std::string(20, '\x01'));
  auto mysql = parse_handshake_response(m.payload());
  ASSERT_TRUE(mysql) << mysql.error().message;
  EXPECT_EQ(mysql->mariadb_capabilities, 0u);

  common::ResultColumn c;
  c.name = c.org_name = "email";
  c.masked = true;
  const std::string def = column_definition(c, 10, true);
  PacketReader r(def);
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(r.lenenc_str());
  auto info = r.lenenc_str();
  ASSERT_TRUE(info);
  PacketReader e(*info);
  EXPECT_EQ(e.u8(), 1) << "format name";
  EXPECT_EQ(e.lenenc_str(), kMaskedFormat);
  EXPECT_TRUE(e.at_end());
  EXPECT_EQ(r.lenenc_int(), 0x0cu) << "then the fixed fields, as without the block";
  c.masked = false;
  const std::string plain_def = column_definition(c, 10, true);
  PacketReader plain(plain_def);
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(plain.lenenc_str());
  EXPECT_EQ(plain.lenenc_str(), "") << "an empty block for a column that is not masked";
  EXPECT_EQ(column_definition(c, 10, false).size() + 1, column_definition(c, 10, true).size());
}

TEST(MySqlProtocol, ParsesHandshakeResponsesAndTheirAttributes) {
  PacketWriter attrs;
  attrs.lenenc_str("program_name").lenenc_str("mysql").lenenc_str("_client_version").lenenc_str("3.3.8");
  auto h = parse_handshake_response(client_response(kClientCaps, "alice", std::string(20, '\x01'), "shop",
                                                    "mysql_native_password", attrs.take()));
  ASSERT_TRUE(h) << h.error().message;
  EXPECT_EQ(h->user, "alice");
  EXPECT_EQ(h->auth_response.size(), 20u);
  EXPECT_EQ(h->database, "shop");
  EXPECT_EQ(h->auth_plugin, "mysql_native_password");
  EXPECT_EQ(h->attributes.at("program_name"), "mysql");
  EXPECT_EQ(h->attributes.at("_client_version"), "3.3.8");

  // Without the lenenc flag the auth response has a one-byte length.
  auto old = parse_handshake_response(client_response(capability::kProtocol41 | capability::kSecureConnection,
                                                      "bob", "12345678901234567890", "", ""));
  ASSERT_TRUE(old) << old.error().message;
  EXPECT_EQ(old->user, "bob");
  EXPECT_EQ(old->auth_response, "12345678901234567890");
}

TEST(MySqlProtocol, RefusesMalformedHandshakeResponses) {
  EXPECT_FALSE(parse_handshake_response(""));
  EXPECT_FALSE(parse_handshake_response("\x00\x02\x00\x00"s));
  // Pre-4.1 clients.
  EXPECT_FALSE(parse_handshake_response(client_response(capability::kSecureConnection, "a", "", "", "")));
  // A user name without its terminator.
  std::string r = client_response(kClientCaps, "alice", "", "", "");
  EXPECT_FALSE(parse_handshake_response(r.substr(0, 32 + 3)));
  // An auth response longer than the packet.
  PacketWriter w;
  w.u32(kClientCaps).u32(0).u8(45).zeros(23).nul_str("a").u8(200).bytes("short");
  EXPECT_FALSE(parse_handshake_response(w.payload()));
  // A user name over 256 bytes.
  EXPECT_FALSE(parse_handshake_response(client_response(kClientCaps, std::string(300, 'u'), "", "", "")));
  // Attributes whose length runs past the end.
  PacketWriter a;
  a.u32(kClientCaps)
      .u32(0)
      .u8(45)
      .zeros(23)
      .nul_str("a")
      .lenenc_str("")
      .nul_str("")
      .nul_str("p")
      .u8(100)
      .bytes("x");
  EXPECT_FALSE(parse_handshake_response(a.payload()));
  // An SSLRequest (the 32-byte prefix alone) is recognised, not mistaken for a login.
  PacketWriter ssl;
  ssl.u32(kClientCaps | capability::kSsl).u32(0).u8(45).zeros(23);
  auto s = parse_handshake_response(ssl.payload());
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->ssl_request);
}

TEST(MySqlProtocol, NativePasswordMatchesMariaDbsPasswordFunction) {
  // SELECT PASSWORD('password') on MariaDB 10.11.
  EXPECT_EQ(native_verifier_text("password"), "*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19");
  auto v = parse_native_verifier("*2470c0c06dee42fd1618bb99005adca2ec9d1e19");
  ASSERT_TRUE(v);
  const std::string scramble = "0123456789abcdefghij";
  EXPECT_TRUE(verify_native_password(*v, scramble, native_password_response("password", scramble)));
  EXPECT_FALSE(verify_native_password(*v, scramble, native_password_response("Password", scramble)));
  EXPECT_FALSE(
      verify_native_password(*v, "0123456789abcdefghiX", native_password_response("password", scramble)))
      << "a response is bound to its scramble (no replay)";
  EXPECT_FALSE(verify_native_password(*v, scramble, ""));
  EXPECT_FALSE(verify_native_password(*v, scramble, std::string(19, 'x')));
  EXPECT_FALSE(parse_native_verifier("2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19"));
  EXPECT_FALSE(parse_native_verifier("*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E1"));
  EXPECT_FALSE(parse_native_verifier("*2470C0C06DEE42FD1618BB99005ADCA2EC9D1EZZ"));
}

TEST(MySqlProtocol, AnswersAreWellFormed) {
  const std::string err = err_packet(1142, "42000", "refused");
  EXPECT_EQ(err, "\xff\x76\x04#42000refused"s);
  const std::string ok = ok_packet(3, 7);
  EXPECT_EQ(ok, "\x00\x03\x07\x02\x00\x00\x00"s);
  EXPECT_EQ(text_row({"a"s, std::nullopt, ""s}),
            "\x01"
            "a\xfb\x00"s);
  common::ResultColumn c;
  c.name = "birth_date";
  c.type = common::ColumnType::kDate;
  c.charset = common::kCharsetBinary;
  c.flags = common::column_flag::kNotNull;
  c.masked = true;
  const std::string definition = column_definition(c, 10);
  PacketReader r(definition);
  EXPECT_EQ(r.lenenc_str(), "def");
  for (int i = 0; i < 5; ++i) r.lenenc_str();
  r.lenenc_int();
  EXPECT_EQ(r.u16(), common::kCharsetUtf8mb4) << "masked values are text";
  EXPECT_EQ(r.u32(), 10u);
  EXPECT_EQ(r.u8(), static_cast<uint8_t>(common::ColumnType::kVarString)) << "a masked DATE is not a date";
  EXPECT_EQ(r.u16(), 0);
}

ProbeContext context() {
  static const std::vector<Note> notes = {{"Note", 1105, "sqlguard masked column email"}};
  ProbeContext c;
  c.server_version = "5.5.5-10.11.0-sqlguard";
  c.version_comment = "sqlguard";
  c.schema = "shop";
  c.connection_id = 9;
  c.max_allowed_packet = 1024;
  c.notes = &notes;
  return c;
}

TEST(MySqlProbes, AnswersWhatDriversSendOnConnect) {
  const auto c = context();
  auto a = answer_probe("select @@version_comment limit 1", c);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->result.rows.at(0).at(0), "sqlguard");
  a = answer_probe("  SELECT   DATABASE() ; ", c);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->result.rows.at(0).at(0), "shop");
  EXPECT_EQ(a->result.columns.at(0).name, "DATABASE()") << "named as the client wrote it, as MySQL does";
  a = answer_probe("SELECT @@Version_Comment LIMIT 1", c);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->result.columns.at(0).name, "@@Version_Comment");
  a = answer_probe("SELECT VERSION() AS Server_Version", c);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->result.columns.at(0).name, "Server_Version");
  a = answer_probe("SHOW VARIABLES LIKE 'value'", c);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->result.columns.at(1).name, "Value");
  for (const char* ok :
       {"SET NAMES utf8mb4", "set names 'utf8'", "SET NAMES utf8mb4 COLLATE utf8mb4_unicode_ci",
        "SET autocommit=1", "SET character set utf8mb4"}) {
    a = answer_probe(ok, c);
    ASSERT_TRUE(a) << ok;
    EXPECT_FALSE(a->result.has_result_set) << ok;
  }
  a = answer_probe("SELECT VERSION() AS version", c);  // DBHub, on connect
  ASSERT_TRUE(a);
  EXPECT_EQ(a->result.columns.at(0).name, "version");
  EXPECT_EQ(a->result.rows.at(0).at(0), "5.5.5-10.11.0-sqlguard");
  a = answer_probe("SELECT @@session.transaction_read_only", c);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->result.rows.at(0).at(0), "0");
  a = answer_probe("SHOW WARNINGS", c);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->result.rows.at(0).at(2), "sqlguard masked column email");
  a = answer_probe("SHOW VARIABLES LIKE 'character_set_%'", c);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->result.rows.size(), 3u);
}

TEST(MySqlProbes, NothingElseIsAnsweredAndNothingOfTheDatabaseIsDisclosed) {
  const auto c = context();
  for (const char* not_a_probe :
       {"SET NAMES latin1", "SET autocommit=0", "SET sql_mode=''", "SET NAMES utf8mb4; DROP TABLE t",
        "SET NAMES utf8mb4 COLLATE latin1_bin", "SELECT @@datadir",
        "SELECT @@version_comment, email FROM customers",
        "SELECT @@version_comment LIMIT 1 UNION SELECT email FROM customers", "SHOW VARIABLES LIKE 'x' OR 1",
        "SELECT database(), (SELECT email FROM customers LIMIT 1)", "SELECT @@hostname",
        "select @@secure_file_priv"}) {
    EXPECT_FALSE(answer_probe(not_a_probe, c)) << not_a_probe;
  }
  auto a = answer_probe("SHOW VARIABLES LIKE 'datadir'", c);
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->result.rows.empty()) << "the database's settings are not disclosed";
  a = answer_probe("SHOW VARIABLES LIKE '%'", c);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->result.rows.size(), 8u);
  a = answer_probe("SHOW VARIABLES LIKE 'auto\\_commit'", c);
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->result.rows.empty()) << "an escaped _ is a literal _";
  a = answer_probe("SHOW VARIABLES LIKE 'v_rsion%'", c);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->result.rows.size(), 2u);
  // Many %s used to take exponential time (fuzz_mysql_packet): now instant, and correct.
  a = answer_probe("SHOW VARIABLES LIKE '" + std::string(100, '%') + "x'", c);
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->result.rows.empty());
}

}  // namespace
}  // namespace sqlguard::server::mysql

namespace sqlguard::server::mysql {
namespace {

/// A COM_STMT_EXECUTE body after the statement id: no cursor, one iteration, the NULL bitmap,
/// new-params-bound 1 with `types`, then `values`.
std::string execute_body(const std::vector<std::pair<uint8_t, bool>>& types, uint8_t null_bits,
                         const std::string& values) {
  PacketWriter w;
  w.u8(0).u32(1);
  if (!types.empty()) {
    w.u8(null_bits).u8(1);
    for (const auto& [type, is_unsigned] : types) w.u8(type).u8(is_unsigned ? 0x80 : 0);
  }
  w.bytes(values);
  return w.take();
}

TEST(MySqlPrepared, PlaceholdersAreTheLexersNotQuestionMarksInLiterals) {
  auto st = prepare_statement("SELECT '?', `?`, ? /* ? */ FROM t WHERE a = ? -- ?\n");
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_EQ(st->placeholders.size(), 2u);
  EXPECT_FALSE(prepare_statement("SELECT 'unterminated ?"));
}

TEST(MySqlPrepared, BindsEveryParameterTypeAsALiteral) {
  auto st = prepare_statement("SELECT ?, ?, ?, ?, ?, ?, ?, ?");
  ASSERT_TRUE(st);
  PacketWriter v;
  v.u8(0xff);                                                 // TINY -1
  v.u32(4000000000u);                                         // LONG unsigned
  v.u32(0).u32(0x80000000u);                                  // LONGLONG -2^63
  v.lenenc_str("it's \\ a 'string'");                         // VAR_STRING
  v.lenenc_str(std::string("\x00\xff", 2));                   // BLOB, not UTF-8: hex
  v.u8(11).u16(2025).u8(8).u8(1).u8(10).u8(0).u8(5).u32(42);  // DATETIME with microseconds
  v.u8(8).u8(1).u32(1).u8(2).u8(3).u8(4);                     // TIME -26:03:04
  // The 8th is NULL (bit 7).
  auto sql = bind_parameters(*st, execute_body({{1, false},
                                                {3, true},
                                                {8, false},
                                                {253, false},
                                                {252, false},
                                                {12, false},
                                                {11, false},
                                                {253, false}},
                                               0x80, v.take()));
  ASSERT_TRUE(sql) << sql.error().message;
  EXPECT_EQ(*sql,
            "SELECT -1, 4000000000, -9223372036854775808, 'it\\'s \\\\ a \\'string\\'', X'00ff', "
            "'2025-08-01 10:00:05.000042', '-26:03:04.000000', NULL");
}

TEST(MySqlPrepared, RefusesWhatItCannotBindExactly) {
  auto st = prepare_statement("SELECT ?");
  ASSERT_TRUE(st);
  EXPECT_FALSE(bind_parameters(*st, "")) << "truncated";
  EXPECT_FALSE(bind_parameters(*st, execute_body({{3, false}}, 0, "\x01\x00"))) << "a LONG needs 4 bytes";
  EXPECT_FALSE(bind_parameters(*st, execute_body({{200, false}}, 0, "x"))) << "unknown type";
  PacketWriter cursor;
  cursor.u8(1).u32(1).u8(0).u8(1).u8(3).u8(0).u32(7);
  EXPECT_FALSE(bind_parameters(*st, cursor.payload())) << "cursors";
  PacketWriter no_types;
  no_types.u8(0).u32(1).u8(0).u8(0).u32(7);
  auto fresh = prepare_statement("SELECT ?");
  EXPECT_FALSE(bind_parameters(*fresh, no_types.payload())) << "types never sent";
  PacketWriter bad_date;
  bad_date.u8(4).u16(2025).u8(13).u8(1);
  EXPECT_FALSE(bind_parameters(*st, execute_body({{10, false}}, 0, bad_date.take()))) << "month 13";
  // Types sent once are kept; long data replaces the value.
  ASSERT_TRUE(bind_parameters(*st, execute_body({{3, false}}, 0, std::string("\x07\x00\x00\x00", 4))));
  st->long_data[0] = "long";
  auto with_long = bind_parameters(*st, no_types.payload().substr(0, 7));
  ASSERT_TRUE(with_long) << with_long.error().message;
  EXPECT_EQ(*with_long, "SELECT 'long'");
}

TEST(MySqlPrepared, BinaryRowsEncodeTypesAndNulls) {
  std::vector<common::ResultColumn> cols(5);
  cols[0].type = common::ColumnType::kLong;
  cols[1].type = common::ColumnType::kVarString;
  cols[2].type = common::ColumnType::kDate;
  cols[3].type = common::ColumnType::kDate;
  cols[3].masked = true;
  cols[4].type = common::ColumnType::kTiny;
  auto row = binary_row(cols, {"-2"s, std::nullopt, "2025-08-01"s, "[REDACTED]"s, "7"s});
  ASSERT_TRUE(row) << row.error().message;
  // header, NULL bitmap (column 1 -> bit 3), -2, date (4 bytes), masked as string, 7.
  EXPECT_EQ(*row, "\x00\x08\xfe\xff\xff\xff\x04\xe9\x07\x08\x01\x0a[REDACTED]\x07"s);
  EXPECT_FALSE(binary_row(cols, {"x"s, std::nullopt, "2025-08-01"s, "a"s, "1"s})) << "not an integer";
}

}  // namespace
}  // namespace sqlguard::server::mysql

namespace sqlguard::server::mysql {
namespace {

TEST(MySqlProbeCorpus, EveryCaseIsAnsweredWhereTheCorpusSays) {
  const YAML::Node doc = YAML::LoadFile(std::string(SQLGUARD_SOURCE_DIR) + "/tests/corpus/mysql/probes.yaml");
  const auto c = context();
  std::size_t n = 0;
  for (const auto& item : doc["cases"]) {
    const auto sql = item["sql"].as<std::string>();
    const auto expect = item["answer"].as<std::string>();
    ASSERT_TRUE(expect == "probe" || expect == "guard" || expect == "use") << sql;
    const auto use = use_statement(sql);
    EXPECT_EQ(use.has_value(), expect == "use") << sql;
    if (expect == "use") {
      EXPECT_EQ(use.value_or(""), item["schema"].as<std::string>()) << sql;
      ++n;
      continue;
    }
    const auto a = answer_probe(sql, c);
    EXPECT_EQ(a.has_value(), expect == "probe") << sql;
    if (a && item["value"]) {
      ASSERT_FALSE(a->result.rows.empty()) << sql;
      EXPECT_EQ(a->result.rows[0][0], item["value"].as<std::string>()) << sql;
    }
    if (a && item["rows"]) {
      EXPECT_EQ(a->result.rows.size(), item["rows"].as<std::size_t>()) << sql;
    }
    ++n;
  }
  EXPECT_GE(n, 40u);
}

}  // namespace
}  // namespace sqlguard::server::mysql
