#include "server/mysql/protocol.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cctype>

#include "common/bytes.h"

namespace sqlguard::server::mysql {
namespace {

using common::ErrorCode;

std::string sha1(std::string_view data) {
  std::string out(SHA_DIGEST_LENGTH, '\0');
  SHA1(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
       reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

constexpr std::size_t kMaxUserBytes = 256;
constexpr std::size_t kMaxAttributes = 64;

}  // namespace

// ---- PacketWriter ------------------------------------------------------------------------------

PacketWriter& PacketWriter::u8(uint8_t v) {
  out_.push_back(static_cast<char>(v));
  return *this;
}
PacketWriter& PacketWriter::u16(uint16_t v) { return u8(v & 0xff).u8(v >> 8); }
PacketWriter& PacketWriter::u24(uint32_t v) { return u8(v & 0xff).u8((v >> 8) & 0xff).u8((v >> 16) & 0xff); }
PacketWriter& PacketWriter::u32(uint32_t v) { return u16(v & 0xffff).u16(v >> 16); }
PacketWriter& PacketWriter::lenenc_int(uint64_t v) {
  if (v < 251) return u8(static_cast<uint8_t>(v));
  if (v < (1u << 16)) return u8(0xfc).u16(static_cast<uint16_t>(v));
  if (v < (1u << 24)) return u8(0xfd).u24(static_cast<uint32_t>(v));
  return u8(0xfe).u32(static_cast<uint32_t>(v)).u32(static_cast<uint32_t>(v >> 32));
}
PacketWriter& PacketWriter::lenenc_str(std::string_view s) { return lenenc_int(s.size()).bytes(s); }
PacketWriter& PacketWriter::nul_str(std::string_view s) { return bytes(s).u8(0); }
PacketWriter& PacketWriter::bytes(std::string_view s) {
  out_.append(s);
  return *this;
}
PacketWriter& PacketWriter::zeros(std::size_t n) {
  out_.append(n, '\0');
  return *this;
}

// ---- PacketReader ------------------------------------------------------------------------------

std::optional<uint8_t> PacketReader::u8() {
  if (remaining() < 1) return std::nullopt;
  return static_cast<uint8_t>(in_[pos_++]);
}
std::optional<uint16_t> PacketReader::u16() {
  if (remaining() < 2) return std::nullopt;
  const auto v =
      static_cast<uint16_t>(static_cast<uint8_t>(in_[pos_]) | (static_cast<uint8_t>(in_[pos_ + 1]) << 8));
  pos_ += 2;
  return v;
}
std::optional<uint32_t> PacketReader::u32() {
  if (remaining() < 4) return std::nullopt;
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(in_[pos_ + i]);
  pos_ += 4;
  return v;
}
std::optional<uint64_t> PacketReader::lenenc_int() {
  auto first = u8();
  if (!first) return std::nullopt;
  std::size_t n = 0;
  switch (*first) {
    case 0xfc: n = 2; break;
    case 0xfd: n = 3; break;
    case 0xfe: n = 8; break;
    case 0xfb:
    case 0xff: return std::nullopt;
    default: return *first;
  }
  if (remaining() < n) return std::nullopt;
  uint64_t v = 0;
  for (std::size_t i = n; i-- > 0;) v = (v << 8) | static_cast<uint8_t>(in_[pos_ + i]);
  pos_ += n;
  return v;
}
std::optional<std::string_view> PacketReader::lenenc_str() {
  auto n = lenenc_int();
  if (!n || *n > remaining()) return std::nullopt;
  return bytes(static_cast<std::size_t>(*n));
}
std::optional<std::string_view> PacketReader::nul_str() {
  const auto end = in_.find('\0', pos_);
  if (end == std::string_view::npos) return std::nullopt;
  auto s = in_.substr(pos_, end - pos_);
  pos_ = end + 1;
  return s;
}
std::optional<std::string_view> PacketReader::bytes(std::size_t n) {
  if (remaining() < n) return std::nullopt;
  auto s = in_.substr(pos_, n);
  pos_ += n;
  return s;
}
std::string_view PacketReader::rest() {
  auto s = in_.substr(std::min(pos_, in_.size()));
  pos_ = in_.size();
  return s;
}
bool PacketReader::skip(std::size_t n) { return bytes(n).has_value(); }

// ---- framing -----------------------------------------------------------------------------------

std::string frame(std::string_view payload, uint8_t& sequence) {
  std::string out;
  out.reserve(payload.size() + 4 * (payload.size() / kMaxPacketPayload + 1));
  std::size_t at = 0;
  while (true) {
    const std::size_t n = std::min(kMaxPacketPayload, payload.size() - at);
    PacketWriter header;
    header.u24(static_cast<uint32_t>(n)).u8(sequence++);
    out += header.payload();
    out.append(payload.substr(at, n));
    at += n;
    if (n < kMaxPacketPayload) break;  // a full packet is always followed by another, maybe empty
  }
  return out;
}

common::Result<std::optional<std::string>> PacketDecoder::next(uint8_t& sequence) {
  std::string message;
  std::size_t at = 0;
  uint8_t seq = sequence;
  while (true) {
    if (buffer_.size() - at < 4) return std::optional<std::string>{};
    const auto* h = reinterpret_cast<const unsigned char*>(buffer_.data() + at);
    const std::size_t n = h[0] | (h[1] << 8) | (h[2] << 16);
    if (h[3] != seq) {
      return common::fail(ErrorCode::kInvalidInput, "packet out of order (sequence id " +
                                                        std::to_string(h[3]) + ", expected " +
                                                        std::to_string(seq) + ")");
    }
    if (message.size() + n > max_) {
      return common::fail(ErrorCode::kInvalidInput,
                          "packet larger than the allowed " + std::to_string(max_) + " bytes");
    }
    if (buffer_.size() - at - 4 < n) return std::optional<std::string>{};
    message.append(buffer_, at + 4, n);
    at += 4 + n;
    ++seq;
    if (n < kMaxPacketPayload) break;
  }
  buffer_.erase(0, at);
  sequence = seq;
  return std::optional<std::string>{std::move(message)};
}

std::size_t PacketDecoder::wanted() const {
  std::size_t at = 0;
  while (true) {
    const std::size_t have = buffer_.size() - at;
    if (have < 4) return 4 - have;
    const auto* h = reinterpret_cast<const unsigned char*>(buffer_.data() + at);
    const std::size_t n = h[0] | (h[1] << 8) | (h[2] << 16);
    if (have - 4 < n) return 4 + n - have;
    at += 4 + n;
    if (n < kMaxPacketPayload) return 0;
  }
}

// ---- handshake ---------------------------------------------------------------------------------

std::string handshake_v10(std::string_view server_version, uint32_t connection_id, std::string_view scramble,
                          uint32_t capabilities, uint32_t mariadb_capabilities) {
  if (mariadb_capabilities != 0) capabilities &= ~capability::kLongPassword;  // CLIENT_MYSQL clear
  PacketWriter w;
  w.u8(10).nul_str(server_version).u32(connection_id);
  w.bytes(scramble.substr(0, 8)).u8(0);
  w.u16(capabilities & 0xffff);
  w.u8(static_cast<uint8_t>(common::kCharsetUtf8mb4));
  w.u16(kStatusAutocommit);
  w.u16(static_cast<uint16_t>(capabilities >> 16));
  w.u8(static_cast<uint8_t>(kScrambleBytes + 1));
  w.zeros(6);  // reserved; then MariaDB's extended capabilities (0 with CLIENT_MYSQL set)
  w.u32(mariadb_capabilities);
  w.bytes(scramble.substr(8)).u8(0);
  w.nul_str(kNativePasswordPlugin);
  return w.take();
}

common::Result<HandshakeResponse> parse_handshake_response(std::string_view payload) {
  auto bad = [](std::string what) {
    return common::fail(ErrorCode::kInvalidInput, "malformed handshake response: " + what);
  };
  PacketReader r(payload);
  HandshakeResponse h;
  auto caps = r.u32();
  auto max_packet = r.u32();
  auto charset = r.u8();
  if (!caps || !max_packet || !charset) return bad("too short");
  h.capabilities = *caps;
  h.max_packet = *max_packet;
  h.charset = *charset;
  if (!(h.capabilities & capability::kProtocol41)) {
    return common::fail(ErrorCode::kInvalidInput, "the client does not speak protocol 4.1 (too old)");
  }
  auto filler = r.bytes(23);
  if (!filler) return bad("too short");
  if (!(h.capabilities & capability::kLongPassword)) {  // a MariaDB client: CLIENT_MYSQL clear
    const auto* e = reinterpret_cast<const unsigned char*>(filler->data() + 19);
    h.mariadb_capabilities = static_cast<uint32_t>(e[0]) | (static_cast<uint32_t>(e[1]) << 8) |
                             (static_cast<uint32_t>(e[2]) << 16) | (static_cast<uint32_t>(e[3]) << 24);
  }
  if (r.at_end() && (h.capabilities & capability::kSsl)) {
    h.ssl_request = true;
    return h;
  }
  auto user = r.nul_str();
  if (!user) return bad("user name not terminated");
  if (user->size() > kMaxUserBytes) return bad("user name longer than 256 bytes");
  h.user = std::string(*user);
  if (h.capabilities & capability::kPluginAuthLenencData) {
    auto a = r.lenenc_str();
    if (!a) return bad("auth response");
    h.auth_response = std::string(*a);
  } else if (h.capabilities & capability::kSecureConnection) {
    auto n = r.u8();
    if (!n) return bad("auth response");
    auto a = r.bytes(*n);
    if (!a) return bad("auth response");
    h.auth_response = std::string(*a);
  } else {
    auto a = r.nul_str();
    if (!a) return bad("auth response");
    h.auth_response = std::string(*a);
  }
  if ((h.capabilities & capability::kConnectWithDb) && !r.at_end()) {
    auto db = r.nul_str();
    if (!db) return bad("database name not terminated");
    h.database = std::string(*db);
  }
  if ((h.capabilities & capability::kPluginAuth) && !r.at_end()) {
    auto p = r.nul_str();
    // Some clients omit the terminator of the last field.
    h.auth_plugin = p ? std::string(*p) : std::string(r.rest());
  }
  if ((h.capabilities & capability::kConnectAttrs) && !r.at_end()) {
    auto total = r.lenenc_int();
    if (!total || *total > r.remaining()) return bad("connect attributes length");
    PacketReader attrs(*r.bytes(static_cast<std::size_t>(*total)));
    while (!attrs.at_end()) {
      auto k = attrs.lenenc_str();
      auto v = attrs.lenenc_str();
      if (!k || !v) return bad("connect attribute");
      if (h.attributes.size() >= kMaxAttributes) return bad("more than 64 connect attributes");
      h.attributes.emplace(std::string(*k), std::string(*v));
    }
  }
  return h;
}

std::string auth_switch_request(std::string_view plugin, std::string_view data) {
  PacketWriter w;
  w.u8(0xfe).nul_str(plugin).bytes(data);
  return w.take();
}

// ---- answers -----------------------------------------------------------------------------------

std::string ok_packet(uint64_t affected_rows, uint64_t last_insert_id, uint16_t warnings,
                      std::string_view info) {
  PacketWriter w;
  w.u8(0).lenenc_int(affected_rows).lenenc_int(last_insert_id).u16(kStatusAutocommit).u16(warnings);
  if (!info.empty()) w.bytes(info);
  return w.take();
}

std::string err_packet(uint16_t error_number, std::string_view sqlstate, std::string_view message) {
  PacketWriter w;
  std::string state(sqlstate.substr(0, 5));
  state.resize(5, '0');
  w.u8(0xff).u16(error_number).u8('#').bytes(state).bytes(message);
  return w.take();
}

std::string eof_packet(uint16_t warnings) {
  PacketWriter w;
  w.u8(0xfe).u16(warnings).u16(kStatusAutocommit);
  return w.take();
}

std::string column_definition(const common::ResultColumn& c, uint32_t display_length,
                              bool extended_metadata) {
  PacketWriter w;
  const bool masked = c.masked;
  w.lenenc_str("def").lenenc_str(c.schema).lenenc_str(c.table).lenenc_str(c.org_table);
  w.lenenc_str(c.name).lenenc_str(c.org_name);
  if (extended_metadata) {
    if (masked) {
      PacketWriter info;  // one entry: type 1 (format name), the name
      info.u8(1).lenenc_str(kMaskedFormat);
      w.lenenc_str(info.payload());
    } else {
      w.lenenc_int(0);
    }
  }
  w.lenenc_int(0x0c);
  w.u16(static_cast<uint16_t>(masked ? common::kCharsetUtf8mb4
                                     : (c.charset ? c.charset : common::kCharsetBinary)));
  w.u32(display_length);
  w.u8(static_cast<uint8_t>(masked ? common::ColumnType::kVarString : c.type));
  w.u16(static_cast<uint16_t>(masked ? 0 : c.flags & 0xffff));
  const bool floating =
      !masked && (c.type == common::ColumnType::kFloat || c.type == common::ColumnType::kDouble);
  w.u8(floating ? 0x1f : 0);  // decimals: 31 = not fixed
  w.u16(0);
  return w.take();
}

std::string text_row(const common::Row& row) {
  PacketWriter w;
  for (const auto& cell : row) {
    if (cell) {
      w.lenenc_str(*cell);
    } else {
      w.u8(0xfb);
    }
  }
  return w.take();
}

// ---- mysql_native_password ---------------------------------------------------------------------

std::optional<NativeVerifier> parse_native_verifier(std::string_view text) {
  if (text.size() != 41 || text[0] != '*') return std::nullopt;
  auto raw = common::hex_decode(text.substr(1));
  if (!raw || raw->size() != 20) return std::nullopt;
  NativeVerifier v{};
  std::copy(raw->begin(), raw->end(), reinterpret_cast<char*>(v.data()));
  return v;
}

std::string native_verifier_text(std::string_view password) {
  std::string hex = common::hex_encode(sha1(sha1(password)));
  std::transform(hex.begin(), hex.end(), hex.begin(), [](unsigned char ch) { return std::toupper(ch); });
  return "*" + hex;
}

bool verify_native_password(const NativeVerifier& verifier, std::string_view scramble,
                            std::string_view response) {
  if (response.size() != SHA_DIGEST_LENGTH || scramble.size() != kScrambleBytes) return false;
  const std::string stage2(reinterpret_cast<const char*>(verifier.data()), verifier.size());
  const std::string mix = sha1(std::string(scramble) + stage2);
  std::string stage1(SHA_DIGEST_LENGTH, '\0');
  for (std::size_t i = 0; i < stage1.size(); ++i) stage1[i] = static_cast<char>(response[i] ^ mix[i]);
  const std::string candidate = sha1(stage1);
  return CRYPTO_memcmp(candidate.data(), stage2.data(), SHA_DIGEST_LENGTH) == 0;
}

std::string native_password_response(std::string_view password, std::string_view scramble) {
  if (password.empty()) return {};
  const std::string stage1 = sha1(password);
  const std::string mix = sha1(std::string(scramble) + sha1(stage1));
  std::string out(SHA_DIGEST_LENGTH, '\0');
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<char>(stage1[i] ^ mix[i]);
  return out;
}

}  // namespace sqlguard::server::mysql
