// C2SP tlog-checkpoint (c2sp.org/tlog-checkpoint, v1.0.0) bodies: origin, tree size, base64
// RFC 6962 root, each on its own line. Signed with signed_note.h.
//
// Thread-safety: pure functions and a value type.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "recorder/codec.h"
#include "recorder/signed_note.h"

namespace sqlguard::recorder {

/// One checkpoint: the log `origin` had `size` records whose RFC 6962 root is `root`.
struct Checkpoint {
  std::string origin;
  uint64_t size = 0;
  Hash root{};
};

/// Formats the checkpoint note text: "<origin>\n<size>\n<base64 root>\n".
std::string format_checkpoint(const Checkpoint& checkpoint);

/// Parses checkpoint note text (extension lines are ignored). Errors: kInvalidInput for fewer
/// than 3 lines, an empty origin, a size not in canonical decimal, a root not base64 of 32 bytes.
common::Result<Checkpoint> parse_checkpoint(std::string_view text);

/// A checkpoint read from a signed note.
struct SignedCheckpoint {
  Checkpoint checkpoint;
  std::string note;                      ///< the whole note as stored
  std::vector<std::string> verified_by;  ///< keys whose signature verified (empty if unsigned)
  bool signed_note = false;              ///< false: the note carries no signature line at all
};

/// Reads a checkpoint note. With `known` keys, the note must carry a valid signature by one of
/// them (signed-note §Verifying). With no known keys, signatures are parsed but not checked.
/// A note without any signature block (written when no signing key is configured) is accepted
/// only when `allow_unsigned` is true. Errors: kInvalidInput for a malformed note or
/// checkpoint, a bad or missing signature.
common::Result<SignedCheckpoint> read_checkpoint_note(std::string_view note,
                                                      const std::vector<NoteVerifier>& known,
                                                      bool allow_unsigned);

}  // namespace sqlguard::recorder
