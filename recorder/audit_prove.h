// `sqlguard audit prove DIR SEQ` and `sqlguard audit verify-proof FILE`: an RFC 6962 inclusion
// proof (RFC 9162 §2.1.3) of one record in a signed C2SP checkpoint, as a self-contained JSON
// document that can be checked offline with only the public key:
//
//   {"format":"sqlguard-inclusion-proof/v1","origin":"...","seq":57,"tree_size":1234,
//    "record":"<the JCS line>","leaf_hash":"<b64>","proof":["<b64>",...],
//    "checkpoint":"<signed note>"}
//
// Thread-safety: free functions without shared state.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "recorder/signed_note.h"

namespace sqlguard::recorder {

/// Builds the inclusion proof of record `seq` of the log in `dir` against `checkpoint_file`
/// (default: DIR/checkpoint). Errors: kUnavailable for an unreadable log/checkpoint;
/// kInvalidInput for a malformed checkpoint, a seq not covered by the checkpoint, or a log that
/// does not match the checkpoint root (run audit verify).
common::Result<nlohmann::json> make_inclusion_proof(const std::filesystem::path& dir, uint64_t seq,
                                                    const std::filesystem::path& checkpoint_file = {});

/// Checks a proof document: the record hashes to leaf_hash, its seq matches, the checkpoint is
/// signed by one of `keys` (signed-note) and the proof leads from the leaf to its root.
/// With no keys the signature is not checked (the result says so). Returns a one-line summary.
/// Errors: kInvalidInput, the message naming the failed check.
common::Result<std::string> verify_inclusion_proof(const nlohmann::json& proof,
                                                   const std::vector<NoteVerifier>& keys);

}  // namespace sqlguard::recorder
