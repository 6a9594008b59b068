// RFC 8785 JSON Canonicalization Scheme (JCS) over nlohmann::json.
//
// Audit records use the integer-only profile (JcsNumbers::integers_only): numbers must be
// integers in ±(2^53−1), so no float formatting is ever needed and every value round-trips
// exactly. The full profile (JcsNumbers::ecmascript) formats doubles with ECMAScript
// Number::toString (ECMA-262 §7.1.12.1) and exists to reproduce the RFC 8785 test vectors.
//
// Thread-safety: all functions are pure and safe to call from any thread.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace sqlguard::recorder {

/// Largest integer JCS can carry exactly (2^53 − 1, RFC 8785 §3.2.2.3 / I-JSON RFC 7493).
inline constexpr int64_t kMaxJsonSafeInteger = (int64_t{1} << 53) - 1;

/// How numbers are handled by canonicalize().
enum class JcsNumbers {
  integers_only,  ///< floats and integers outside ±(2^53−1) are errors (audit records)
  ecmascript,     ///< any finite number, formatted as ECMAScript Number::toString
};

/// Serializes `value` in RFC 8785 canonical form: no whitespace, object members sorted by their
/// names as UTF-16 code units, strings escaped as ECMAScript JSON.stringify does, output UTF-8.
/// Errors: kInvalidInput for invalid UTF-8 in a string or name (message names the JSON path), a
/// float or an out-of-range integer under integers_only, NaN/Infinity, a discarded/binary value.
/// Invalid UTF-8 is the failure sanitize_utf8() repairs: tell it apart with valid_utf8_json(),
/// never by the message.
common::Result<std::string> canonicalize(const nlohmann::json& value,
                                         JcsNumbers numbers = JcsNumbers::integers_only);

/// Canonicalizes each member of the object `value` separately: returns (name, JCS value) pairs
/// in RFC 8785 member order. Lets a writer canonicalize a payload outside a lock and splice in
/// a few envelope members later. Errors: kInvalidInput when `value` is not an object, or as
/// canonicalize().
common::Result<std::vector<std::pair<std::string, std::string>>> canonical_members(
    const nlohmann::json& value, JcsNumbers numbers = JcsNumbers::integers_only);

/// Appends the JCS form of a string (quotes included) to `out`. Precondition: valid UTF-8.
void append_jcs_string(std::string& out, std::string_view utf8);

/// Formats a finite double as ECMAScript Number::toString (ECMA-262 §7.1.12.1): shortest
/// round-trip digits, exponent form only below 1e-6 or from 1e21, "-0" as "0".
std::string format_ecmascript_number(double value);

/// true when every string and member name in `value` is valid UTF-8, i.e. canonicalize() and
/// canonical_members() do not fail for invalid UTF-8 (they may still fail for another reason).
bool valid_utf8_json(const nlohmann::json& value);

/// Returns `value` with every string and member name made valid UTF-8 (ill-formed sequences
/// replaced by U+FFFD); `replaced` is set to true if anything changed.
nlohmann::json sanitize_utf8(const nlohmann::json& value, bool& replaced);

/// Compares two UTF-8 strings as sequences of UTF-16 code units (RFC 8785 §3.2.3 sort order).
/// Returns <0, 0, >0. Precondition: valid UTF-8.
int compare_utf16(std::string_view a, std::string_view b);

}  // namespace sqlguard::recorder
