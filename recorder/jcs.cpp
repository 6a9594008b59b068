#include "recorder/jcs.h"

#include "common/utf8.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace sqlguard::recorder {
namespace {

using common::decode_utf8;
using common::replace_invalid_utf8;

std::u16string to_utf16(std::string_view text) {
  std::u16string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    int32_t cp = decode_utf8(text, i);
    if (cp < 0) cp = 0xFFFD;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out.push_back(static_cast<char16_t>(0xD800 + (cp >> 10)));
      out.push_back(static_cast<char16_t>(0xDC00 + (cp & 0x3FF)));
    } else {
      out.push_back(static_cast<char16_t>(cp));
    }
  }
  return out;
}

bool is_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

struct Writer {
  JcsNumbers numbers;
  std::string out;
  std::string error;

  // The JSON path of the value being written, kept as segments so that the path string is only
  // built when an error is reported (member names are short: no allocation in the common case).
  std::vector<std::string> path_segments;

  bool fail(const std::string& root, const std::string& what) {
    std::string path = root;
    for (const auto& seg : path_segments) path += seg;
    error = path + ": " + what;
    return false;
  }

  bool write(const nlohmann::json& v, const std::string& path) {
    using T = nlohmann::json::value_t;
    switch (v.type()) {
      case T::null: out += "null"; return true;
      case T::boolean: out += v.get<bool>() ? "true" : "false"; return true;
      case T::number_integer: {
        int64_t n = v.get<int64_t>();
        if (n > kMaxJsonSafeInteger || n < -kMaxJsonSafeInteger) {
          if (numbers == JcsNumbers::integers_only) return fail(path, "integer outside ±(2^53-1)");
          out += format_ecmascript_number(static_cast<double>(n));
          return true;
        }
        out += std::to_string(n);
        return true;
      }
      case T::number_unsigned: {
        uint64_t n = v.get<uint64_t>();
        if (n > static_cast<uint64_t>(kMaxJsonSafeInteger)) {
          if (numbers == JcsNumbers::integers_only) return fail(path, "integer outside ±(2^53-1)");
          out += format_ecmascript_number(static_cast<double>(n));
          return true;
        }
        out += std::to_string(n);
        return true;
      }
      case T::number_float: {
        double d = v.get<double>();
        if (!std::isfinite(d)) return fail(path, "NaN or Infinity is not allowed");
        if (numbers == JcsNumbers::integers_only)
          return fail(path, "floating-point numbers are not allowed in audit records");
        out += format_ecmascript_number(d);
        return true;
      }
      case T::string: {
        const auto& s = v.get_ref<const std::string&>();
        if (!common::valid_utf8(s)) return fail(path, "string is not valid UTF-8");
        append_jcs_string(out, s);
        return true;
      }
      case T::array: {
        out.push_back('[');
        size_t i = 0;
        for (const auto& item : v) {
          if (i != 0) out.push_back(',');
          path_segments.push_back("[" + std::to_string(i) + "]");
          if (!write(item, path)) return false;
          path_segments.pop_back();
          ++i;
        }
        out.push_back(']');
        return true;
      }
      case T::object: {
        // nlohmann orders members by UTF-8 bytes; that equals UTF-16 order only for ASCII names.
        std::vector<std::pair<const std::string*, const nlohmann::json*>> members;
        members.reserve(v.size());
        bool all_ascii = true;
        for (auto it = v.begin(); it != v.end(); ++it) {
          if (!common::valid_utf8(it.key())) return fail(path, "member name is not valid UTF-8");
          all_ascii = all_ascii && is_ascii(it.key());
          members.emplace_back(&it.key(), &it.value());
        }
        if (!all_ascii) {
          std::stable_sort(members.begin(), members.end(), [](const auto& a, const auto& b) {
            return compare_utf16(*a.first, *b.first) < 0;
          });
        }
        out.push_back('{');
        bool first = true;
        for (const auto& [key, value] : members) {
          if (!first) out.push_back(',');
          first = false;
          append_jcs_string(out, *key);
          out.push_back(':');
          path_segments.push_back("." + *key);
          if (!write(*value, path)) return false;
          path_segments.pop_back();
        }
        out.push_back('}');
        return true;
      }
      case T::binary: return fail(path, "binary values are not JSON");
      case T::discarded: return fail(path, "discarded value");
    }
    return fail(path, "unknown value type");
  }
};

}  // namespace

bool valid_utf8_json(const nlohmann::json& value) {
  if (value.is_string()) return common::valid_utf8(value.get_ref<const std::string&>());
  if (value.is_array()) return std::all_of(value.begin(), value.end(), valid_utf8_json);
  if (value.is_object()) {
    for (auto it = value.begin(); it != value.end(); ++it)
      if (!common::valid_utf8(it.key()) || !valid_utf8_json(it.value())) return false;
  }
  return true;
}

nlohmann::json sanitize_utf8(const nlohmann::json& value, bool& replaced) {
  if (value.is_string()) {
    const auto& s = value.get_ref<const std::string&>();
    if (common::valid_utf8(s)) return value;
    replaced = true;
    return replace_invalid_utf8(s);
  }
  if (value.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& item : value) out.push_back(sanitize_utf8(item, replaced));
    return out;
  }
  if (value.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (auto it = value.begin(); it != value.end(); ++it) {
      std::string key = it.key();
      if (!common::valid_utf8(key)) {
        replaced = true;
        key = replace_invalid_utf8(key);
      }
      out[key] = sanitize_utf8(it.value(), replaced);
    }
    return out;
  }
  return value;
}

int compare_utf16(std::string_view a, std::string_view b) {
  std::u16string ua = to_utf16(a), ub = to_utf16(b);
  return ua.compare(ub);
}

void append_jcs_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  size_t run = 0;  // start of the pending run of bytes that need no escaping
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.substr(run, i - run));
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\f': out += "\\f"; break;
      case '\r': out += "\\r"; break;
      default:
        out += "\\u00";
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 15]);
    }
  }
  out.append(s.substr(run));
  out.push_back('"');
}

std::string format_ecmascript_number(double value) {
  if (value == 0) return "0";  // also -0 (ECMA-262: ToString(-0) is "0")
  if (value < 0) return "-" + format_ecmascript_number(-value);
  // Shortest round-trip digits in scientific form: d[.ddd]e±XX.
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<size_t>(res.ptr - buf));
  size_t e_pos = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e_pos))
    if (c != '.') digits.push_back(c);
  int exp10 = 0;
  std::string_view exp_text = sci.substr(e_pos + 1);
  if (!exp_text.empty() && exp_text[0] == '+') exp_text.remove_prefix(1);
  std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exp10);
  const int k = static_cast<int>(digits.size());
  const int n = exp10 + 1;  // value = 0.digits × 10^n
  std::string out;
  if (k <= n && n <= 21) {
    out = digits + std::string(static_cast<size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out = digits.substr(0, static_cast<size_t>(n)) + "." + digits.substr(static_cast<size_t>(n));
  } else if (-6 < n && n <= 0) {
    out = "0." + std::string(static_cast<size_t>(-n), '0') + digits;
  } else {
    int e = n - 1;
    out = digits.substr(0, 1);
    if (k > 1) out += "." + digits.substr(1);
    out += e < 0 ? "e-" : "e+";
    out += std::to_string(e < 0 ? -e : e);
  }
  return out;
}

common::Result<std::string> canonicalize(const nlohmann::json& value, JcsNumbers numbers) {
  Writer w{numbers, {}, {}, {}};
  if (!w.write(value, "$")) return common::fail(common::ErrorCode::kInvalidInput, "JCS: " + w.error);
  return std::move(w.out);
}

common::Result<std::vector<std::pair<std::string, std::string>>> canonical_members(
    const nlohmann::json& value, JcsNumbers numbers) {
  if (!value.is_object()) return common::fail(common::ErrorCode::kInvalidInput, "JCS: $: expected an object");
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(value.size());
  bool all_ascii = true;
  for (auto it = value.begin(); it != value.end(); ++it) {
    if (!common::valid_utf8(it.key()))
      return common::fail(common::ErrorCode::kInvalidInput, "JCS: $: member name is not valid UTF-8");
    all_ascii = all_ascii && is_ascii(it.key());
    Writer w{numbers, {}, {}, {}};
    w.out.reserve(64);
    w.path_segments.push_back("." + it.key());
    if (!w.write(it.value(), "$")) return common::fail(common::ErrorCode::kInvalidInput, "JCS: " + w.error);
    out.emplace_back(it.key(), std::move(w.out));
  }
  if (!all_ascii)
    std::stable_sort(out.begin(), out.end(),
                     [](const auto& a, const auto& b) { return compare_utf16(a.first, b.first) < 0; });
  return out;
}

}  // namespace sqlguard::recorder
