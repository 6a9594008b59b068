#include "server/mysql/prepared.h"

#include <charconv>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "common/bytes.h"
#include "common/utf8.h"
#include "db/sql_literal.h"
#include "policy/sql_lexer.h"
#include "server/mysql/protocol.h"

namespace sqlguard::server::mysql {
namespace {

using common::ColumnType;
using common::ErrorCode;

std::unexpected<common::Error> bad(const std::string& what) {
  return common::fail(ErrorCode::kInvalidInput, "COM_STMT_EXECUTE: " + what);
}

template <typename T>
T little_endian(std::string_view bytes) {
  uint64_t v = 0;
  for (std::size_t i = sizeof(T); i-- > 0;) v = (v << 8) | static_cast<uint8_t>(bytes[i]);
  T out;
  if constexpr (std::is_floating_point_v<T>) {
    if constexpr (sizeof(T) == 4) {
      const auto u = static_cast<uint32_t>(v);
      std::memcpy(&out, &u, 4);
    } else {
      std::memcpy(&out, &v, 8);
    }
  } else {
    out = static_cast<T>(v);
  }
  return out;
}

/// A string parameter as a literal: quoted when it is UTF-8 without NUL, else X'hex'.
std::string string_literal(std::string_view data) {
  if (common::valid_utf8(data) && data.find('\0') == std::string_view::npos) return db::sql_quote(data);
  return "X'" + common::hex_encode(data) + "'";
}

/// One parameter value as a SQL literal. `r` is positioned at the value.
common::Result<std::string> literal(PacketReader& r, uint16_t type_and_flags) {
  const auto type = static_cast<ColumnType>(type_and_flags & 0xff);
  const bool is_unsigned = (type_and_flags & 0x8000) != 0;
  auto fixed = [&](std::size_t n) -> common::Result<std::string_view> {
    auto b = r.bytes(n);
    if (!b) return bad("truncated parameter value");
    return *b;
  };
  switch (type) {
    case ColumnType::kNull: return std::string("NULL");
    case ColumnType::kTiny: {
      auto b = fixed(1);
      if (!b) return std::unexpected(b.error());
      return is_unsigned ? std::to_string(little_endian<uint8_t>(*b))
                         : std::to_string(little_endian<int8_t>(*b));
    }
    case ColumnType::kShort:
    case ColumnType::kYear: {
      auto b = fixed(2);
      if (!b) return std::unexpected(b.error());
      return is_unsigned ? std::to_string(little_endian<uint16_t>(*b))
                         : std::to_string(little_endian<int16_t>(*b));
    }
    case ColumnType::kLong:
    case ColumnType::kInt24: {
      auto b = fixed(4);
      if (!b) return std::unexpected(b.error());
      return is_unsigned ? std::to_string(little_endian<uint32_t>(*b))
                         : std::to_string(little_endian<int32_t>(*b));
    }
    case ColumnType::kLongLong: {
      auto b = fixed(8);
      if (!b) return std::unexpected(b.error());
      return is_unsigned ? std::to_string(little_endian<uint64_t>(*b))
                         : std::to_string(little_endian<int64_t>(*b));
    }
    case ColumnType::kFloat:
    case ColumnType::kDouble: {
      auto b = fixed(type == ColumnType::kFloat ? 4 : 8);
      if (!b) return std::unexpected(b.error());
      const double d = type == ColumnType::kFloat ? little_endian<float>(*b) : little_endian<double>(*b);
      if (!std::isfinite(d)) return bad("a parameter is not a finite number");
      char buf[40];
      std::snprintf(buf, sizeof buf, "%.17g", d);
      return std::string(buf);
    }
    case ColumnType::kDate:
    case ColumnType::kNewDate:
    case ColumnType::kDateTime:
    case ColumnType::kTimestamp: {
      auto len = r.u8();
      if (!len || (*len != 0 && *len != 4 && *len != 7 && *len != 11)) return bad("bad date length");
      auto b = fixed(*len);
      if (!b) return std::unexpected(b.error());
      unsigned y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
      uint32_t us = 0;
      if (*len >= 4) {
        y = little_endian<uint16_t>(b->substr(0, 2));
        mo = static_cast<uint8_t>((*b)[2]);
        d = static_cast<uint8_t>((*b)[3]);
      }
      if (*len >= 7) {
        h = static_cast<uint8_t>((*b)[4]);
        mi = static_cast<uint8_t>((*b)[5]);
        s = static_cast<uint8_t>((*b)[6]);
      }
      if (*len == 11) us = little_endian<uint32_t>(b->substr(7, 4));
      if (y > 9999 || mo > 12 || d > 31 || h > 23 || mi > 59 || s > 59 || us > 999999)
        return bad("bad date value");
      char buf[40];
      std::snprintf(buf, sizeof buf, "'%04u-%02u-%02u %02u:%02u:%02u.%06u'", y, mo, d, h, mi, s, us);
      return std::string(buf);
    }
    case ColumnType::kTime: {
      auto len = r.u8();
      if (!len || (*len != 0 && *len != 8 && *len != 12)) return bad("bad time length");
      auto b = fixed(*len);
      if (!b) return std::unexpected(b.error());
      if (*len == 0) return std::string("'00:00:00'");
      const bool negative = (*b)[0] != 0;
      const uint32_t days = little_endian<uint32_t>(b->substr(1, 4));
      const unsigned h = static_cast<uint8_t>((*b)[5]), mi = static_cast<uint8_t>((*b)[6]),
                     s = static_cast<uint8_t>((*b)[7]);
      const uint32_t us = *len == 12 ? little_endian<uint32_t>(b->substr(8, 4)) : 0;
      if (days > 34 || h > 23 || mi > 59 || s > 59 || us > 999999) return bad("bad time value");
      char buf[40];
      std::snprintf(buf, sizeof buf, "'%s%u:%02u:%02u.%06u'", negative ? "-" : "", days * 24 + h, mi, s, us);
      return std::string(buf);
    }
    case ColumnType::kDecimal:
    case ColumnType::kNewDecimal:
    case ColumnType::kVarchar:
    case ColumnType::kBit:
    case ColumnType::kJson:
    case ColumnType::kEnum:
    case ColumnType::kSet:
    case ColumnType::kTinyBlob:
    case ColumnType::kMediumBlob:
    case ColumnType::kLongBlob:
    case ColumnType::kBlob:
    case ColumnType::kVarString:
    case ColumnType::kString:
    case ColumnType::kGeometry: {
      auto v = r.lenenc_str();
      if (!v) return bad("truncated string parameter");
      return string_literal(*v);
    }
  }
  return bad("unknown parameter type " + std::to_string(type_and_flags & 0xff));
}

template <typename T>
bool parse_number(const std::string& s, T& out) {
  const auto* end = s.data() + s.size();
  if constexpr (std::is_floating_point_v<T>) {
    char* stop = nullptr;
    out = static_cast<T>(std::strtod(s.c_str(), &stop));
    return stop == s.c_str() + s.size() && !s.empty();
  } else {
    auto [p, ec] = std::from_chars(s.data(), end, out);
    return ec == std::errc() && p == end;
  }
}

template <typename T>
void put(PacketWriter& w, T v) {
  uint64_t u = 0;
  if constexpr (std::is_floating_point_v<T>) {
    if constexpr (sizeof(T) == 4) {
      uint32_t x;
      std::memcpy(&x, &v, 4);
      u = x;
    } else {
      std::memcpy(&u, &v, 8);
    }
  } else {
    u = static_cast<uint64_t>(v);
  }
  for (std::size_t i = 0; i < sizeof(T); ++i) w.u8(static_cast<uint8_t>(u >> (8 * i)));
}

/// "YYYY-MM-DD[ hh:mm:ss[.ffffff]]" into the binary DATE/DATETIME form.
bool put_datetime(PacketWriter& w, const std::string& s) {
  unsigned y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  char frac[8] = {0};
  const int n = std::sscanf(s.c_str(), "%4u-%2u-%2u %2u:%2u:%2u.%6[0-9]", &y, &mo, &d, &h, &mi, &sec, frac);
  if (n != 3 && n != 6 && n != 7) return false;
  uint32_t us = 0;
  if (n == 7) {
    std::string f(frac);
    f.resize(6, '0');
    us = static_cast<uint32_t>(std::stoul(f));
  }
  if (y == 0 && mo == 0 && d == 0 && h == 0 && mi == 0 && sec == 0 && us == 0) {
    w.u8(0);
  } else if (us != 0) {
    w.u8(11).u16(static_cast<uint16_t>(y)).u8(static_cast<uint8_t>(mo)).u8(static_cast<uint8_t>(d));
    w.u8(static_cast<uint8_t>(h)).u8(static_cast<uint8_t>(mi)).u8(static_cast<uint8_t>(sec)).u32(us);
  } else if (n >= 6) {
    w.u8(7).u16(static_cast<uint16_t>(y)).u8(static_cast<uint8_t>(mo)).u8(static_cast<uint8_t>(d));
    w.u8(static_cast<uint8_t>(h)).u8(static_cast<uint8_t>(mi)).u8(static_cast<uint8_t>(sec));
  } else {
    w.u8(4).u16(static_cast<uint16_t>(y)).u8(static_cast<uint8_t>(mo)).u8(static_cast<uint8_t>(d));
  }
  return true;
}

/// "[-]hhh:mm:ss[.ffffff]" into the binary TIME form.
bool put_time(PacketWriter& w, const std::string& s) {
  const bool negative = !s.empty() && s[0] == '-';
  unsigned h = 0, mi = 0, sec = 0;
  char frac[8] = {0};
  const int n = std::sscanf(s.c_str() + (negative ? 1 : 0), "%u:%2u:%2u.%6[0-9]", &h, &mi, &sec, frac);
  if (n != 3 && n != 4) return false;
  uint32_t us = 0;
  if (n == 4) {
    std::string f(frac);
    f.resize(6, '0');
    us = static_cast<uint32_t>(std::stoul(f));
  }
  if (h == 0 && mi == 0 && sec == 0 && us == 0) {
    w.u8(0);
    return true;
  }
  w.u8(us != 0 ? 12 : 8).u8(negative ? 1 : 0).u32(h / 24).u8(static_cast<uint8_t>(h % 24));
  w.u8(static_cast<uint8_t>(mi)).u8(static_cast<uint8_t>(sec));
  if (us != 0) w.u32(us);
  return true;
}

}  // namespace

common::Result<PreparedStatement> prepare_statement(std::string_view sql) {
  policy::LexResult lexed;
  policy::lex_sql(sql, lexed);
  if (!lexed.ok) return common::fail(ErrorCode::kInvalidInput, "statement not understood: " + lexed.error);
  PreparedStatement p;
  p.sql = std::string(sql);
  for (const auto& t : lexed.tokens) {
    if (t.type == policy::TokenType::kParam) p.placeholders.emplace_back(t.begin, t.end);
  }
  if (p.placeholders.size() > 0xffff)
    return common::fail(ErrorCode::kInvalidInput, "more than 65535 placeholders");
  return p;
}

std::string prepare_ok(uint32_t statement_id, uint16_t params, uint8_t& sequence, bool extended_metadata) {
  PacketWriter ok;
  ok.u8(0).u32(statement_id).u16(0).u16(params).u8(0).u16(0);
  std::string out = frame(ok.payload(), sequence);
  if (params > 0) {
    common::ResultColumn param;
    param.name = "?";
    param.type = ColumnType::kVarString;
    param.charset = common::kCharsetBinary;
    for (uint16_t i = 0; i < params; ++i)
      out += frame(column_definition(param, 0, extended_metadata), sequence);
    out += frame(eof_packet(), sequence);
  }
  return out;
}

common::Result<std::string> bind_parameters(PreparedStatement& st, std::string_view body) {
  PacketReader r(body);
  auto flags = r.u8();
  auto iterations = r.u32();
  if (!flags || !iterations) return bad("truncated");
  if (*flags != 0) return bad("cursors are not supported (flags " + std::to_string(*flags) + ")");
  const std::size_t n = st.placeholders.size();
  std::vector<std::string> values(n);
  if (n > 0) {
    auto nulls = r.bytes((n + 7) / 8);
    auto bound = r.u8();
    if (!nulls || !bound) return bad("truncated parameter block");
    if (*bound == 1) {
      st.types.assign(n, 0);
      for (std::size_t i = 0; i < n; ++i) {
        auto type = r.u8();
        auto type_flags = r.u8();
        if (!type || !type_flags) return bad("truncated parameter types");
        st.types[i] = static_cast<uint16_t>(*type | ((*type_flags & 0x80) ? 0x8000 : 0));
      }
    } else if (st.types.size() != n) {
      return bad("parameter types were never sent");
    }
    for (std::size_t i = 0; i < n; ++i) {
      const bool is_null = (static_cast<uint8_t>((*nulls)[i / 8]) >> (i % 8)) & 1;
      if (auto ld = st.long_data.find(static_cast<uint16_t>(i)); ld != st.long_data.end()) {
        values[i] = string_literal(ld->second);
      } else if (is_null) {
        values[i] = "NULL";
      } else {
        auto v = literal(r, st.types[i]);
        if (!v) return std::unexpected(v.error());
        values[i] = std::move(*v);
      }
    }
  }
  st.long_data.clear();
  std::string out;
  out.reserve(st.sql.size() + 16 * n);
  std::size_t at = 0;
  for (std::size_t i = 0; i < n; ++i) {
    out.append(st.sql, at, st.placeholders[i].first - at);
    out += values[i];
    at = st.placeholders[i].second;
  }
  out.append(st.sql, at);
  return out;
}

common::Result<std::string> binary_row(const std::vector<common::ResultColumn>& columns,
                                       const common::Row& row) {
  PacketWriter w;
  w.u8(0);
  std::string nulls((columns.size() + 7 + 2) / 8, '\0');
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (i >= row.size() || !row[i])
      nulls[(i + 2) / 8] = static_cast<char>(nulls[(i + 2) / 8] | (1 << ((i + 2) % 8)));
  }
  w.bytes(nulls);
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (i >= row.size() || !row[i]) continue;
    const auto& c = columns[i];
    const std::string& s = *row[i];
    const bool is_unsigned = (c.flags & common::column_flag::kUnsigned) != 0;
    const ColumnType type = c.masked ? ColumnType::kVarString : c.type;
    bool ok = true;
    auto integer = [&](auto signed_v, auto unsigned_v) {
      if (is_unsigned) {
        ok = parse_number(s, unsigned_v);
        put(w, unsigned_v);
      } else {
        ok = parse_number(s, signed_v);
        put(w, signed_v);
      }
    };
    switch (type) {
      case ColumnType::kTiny: integer(int8_t{}, uint8_t{}); break;
      case ColumnType::kShort:
      case ColumnType::kYear: integer(int16_t{}, uint16_t{}); break;
      case ColumnType::kLong:
      case ColumnType::kInt24: integer(int32_t{}, uint32_t{}); break;
      case ColumnType::kLongLong: integer(int64_t{}, uint64_t{}); break;
      case ColumnType::kFloat: {
        float f = 0;
        ok = parse_number(s, f);
        put(w, f);
        break;
      }
      case ColumnType::kDouble: {
        double d = 0;
        ok = parse_number(s, d);
        put(w, d);
        break;
      }
      case ColumnType::kDate:
      case ColumnType::kNewDate:
      case ColumnType::kDateTime:
      case ColumnType::kTimestamp: ok = put_datetime(w, s); break;
      case ColumnType::kTime: ok = put_time(w, s); break;
      default: w.lenenc_str(s);
    }
    if (!ok) {
      return common::fail(ErrorCode::kInternal, "cannot encode the value of column " + c.name + " (" +
                                                    c.type_name + ") in the binary protocol");
    }
  }
  return w.take();
}

}  // namespace sqlguard::server::mysql
