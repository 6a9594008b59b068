#include "recorder/checkpoint.h"

#include <charconv>

namespace sqlguard::recorder {

std::string format_checkpoint(const Checkpoint& c) {
  return c.origin + "\n" + std::to_string(c.size) + "\n" + base64_encode(c.root) + "\n";
}

common::Result<Checkpoint> parse_checkpoint(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    if (nl == std::string_view::npos)
      return common::fail(common::ErrorCode::kInvalidInput, "checkpoint: text must end in a newline");
    lines.push_back(text.substr(0, nl));
    text.remove_prefix(nl + 1);
  }
  if (lines.size() < 3)
    return common::fail(common::ErrorCode::kInvalidInput, "checkpoint: expected origin, size and root lines");
  Checkpoint c;
  if (lines[0].empty()) return common::fail(common::ErrorCode::kInvalidInput, "checkpoint: empty origin");
  c.origin = std::string(lines[0]);
  std::string_view size = lines[1];
  if (size.empty() || (size.size() > 1 && size[0] == '0'))
    return common::fail(common::ErrorCode::kInvalidInput, "checkpoint: size is not a canonical decimal");
  auto [ptr, ec] = std::from_chars(size.data(), size.data() + size.size(), c.size);
  if (ec != std::errc() || ptr != size.data() + size.size())
    return common::fail(common::ErrorCode::kInvalidInput, "checkpoint: size is not a canonical decimal");
  auto root = hash_from_base64(lines[2]);
  if (!root) return std::unexpected(common::prefixed("checkpoint: root: ", root.error()));
  c.root = *root;
  return c;
}

common::Result<SignedCheckpoint> read_checkpoint_note(std::string_view note,
                                                      const std::vector<NoteVerifier>& known,
                                                      bool allow_unsigned) {
  SignedCheckpoint out;
  out.note = std::string(note);
  std::string text;
  if (note.find("\n\n") == std::string_view::npos) {
    if (!allow_unsigned) return common::fail(common::ErrorCode::kInvalidInput, "checkpoint is not signed");
    text = std::string(note);
  } else {
    out.signed_note = true;
    if (!known.empty()) {
      auto opened = open_note(note, known);
      if (!opened) return std::unexpected(opened.error());
      text = opened->text;
      out.verified_by = opened->verified_by;
    } else {
      auto parsed = parse_note(note);
      if (!parsed) return std::unexpected(parsed.error());
      text = parsed->text;
    }
  }
  auto c = parse_checkpoint(text);
  if (!c) return std::unexpected(c.error());
  out.checkpoint = *c;
  return out;
}

}  // namespace sqlguard::recorder
