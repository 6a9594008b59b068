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
#include <expected>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "recorder/signed_note.h"

namespace sqlguard::recorder {

/// Builds the inclusion proof of record `seq` of the log in `dir` against `checkpoint_file`
/// (default: DIR/checkpoint). Errors: unreadable log/checkpoint, seq not covered by the
/// checkpoint, or the log does not match the checkpoint root (run audit verify).
std::expected<nlohmann::json, std::string> make_inclusion_proof(
    const std::filesystem::path& dir, uint64_t seq, const std::filesystem::path& checkpoint_file = {});

/// Checks a proof document: the record hashes to leaf_hash, its seq matches, the checkpoint is
/// signed by one of `keys` (signed-note) and the proof leads from the leaf to its root.
/// With no keys the signature is not checked (the result says so). Returns a one-line summary.
/// Errors: a message naming the failed check.
std::expected<std::string, std::string> verify_inclusion_proof(const nlohmann::json& proof,
                                                               const std::vector<NoteVerifier>& keys);

}  // namespace sqlguard::recorder
