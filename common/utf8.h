// UTF-8 (RFC 3629): validation, decoding and repair. Valid means shortest form, no surrogates
// (U+D800..U+DFFF), nothing above U+10FFFF.
//
// Thread-safety: all functions are pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sqlguard::common {

/// true when `text` is valid UTF-8. When it is not and `bad_offset` is given, *bad_offset is the
/// byte offset of the first invalid sequence.
bool valid_utf8(std::string_view text, std::size_t* bad_offset = nullptr);

/// Decodes the code point starting at `i` and advances `i` past it. On an invalid sequence,
/// returns -1 and advances `i` by one byte. Precondition: i < text.size().
int32_t decode_utf8(std::string_view text, std::size_t& i);

/// `text` with every invalid sequence replaced by U+FFFD (one per invalid byte).
std::string replace_invalid_utf8(std::string_view text);

}  // namespace sqlguard::common
