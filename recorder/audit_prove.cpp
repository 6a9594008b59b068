#include "recorder/audit_prove.h"

#include "recorder/audit_export.h"
#include "recorder/checkpoint.h"
#include "recorder/codec.h"
#include "recorder/key_file.h"
#include "recorder/log_files.h"
#include "recorder/merkle.h"

namespace sqlguard::recorder {

namespace {
constexpr const char* kProofFormat = "sqlguard-inclusion-proof/v1";
}

common::Result<nlohmann::json> make_inclusion_proof(const std::filesystem::path& dir, uint64_t seq,
                                                    const std::filesystem::path& checkpoint_file) {
  std::filesystem::path cp_path = checkpoint_file.empty() ? dir / kCheckpointFile : checkpoint_file;
  auto note = read_file(cp_path);
  if (!note) return std::unexpected(common::prefixed("checkpoint: ", note.error()));
  auto cp = read_checkpoint_note(*note, {}, true);
  if (!cp) return std::unexpected(common::prefixed(cp_path.string() + ": ", cp.error()));
  const Checkpoint& c = cp->checkpoint;
  if (seq >= c.size)
    return common::fail(common::ErrorCode::kInvalidInput,
                        "seq " + std::to_string(seq) + " is not covered by the checkpoint (size " +
                            std::to_string(c.size) + "); wait for the next checkpoint");
  auto records = read_records(dir);
  if (!records) return std::unexpected(records.error());
  if (records->size() < c.size)
    return common::fail(common::ErrorCode::kInvalidInput, "the log has " + std::to_string(records->size()) +
                                                              " records, fewer than the checkpoint's " +
                                                              std::to_string(c.size) +
                                                              "; run `sqlguard audit verify`");
  std::vector<Hash> leaves;
  leaves.reserve(c.size);
  for (uint64_t i = 0; i < c.size; ++i) leaves.push_back(leaf_hash((*records)[i].text));
  if (merkle_root(leaves) != c.root)
    return common::fail(common::ErrorCode::kInvalidInput,
                        "the log does not match the checkpoint root; run `sqlguard audit verify`");
  auto path = inclusion_proof(seq, leaves);
  if (!path) return std::unexpected(path.error());
  nlohmann::json hashes = nlohmann::json::array();
  for (const auto& h : *path) hashes.push_back(base64_encode(h));
  return nlohmann::json{{"format", kProofFormat},
                        {"origin", c.origin},
                        {"seq", seq},
                        {"tree_size", c.size},
                        {"record", (*records)[seq].text},
                        {"leaf_hash", base64_encode(leaves[seq])},
                        {"proof", hashes},
                        {"checkpoint", *note}};
}

common::Result<std::string> verify_inclusion_proof(const nlohmann::json& doc,
                                                   const std::vector<NoteVerifier>& keys) {
  if (!doc.is_object() || doc.value("format", "") != kProofFormat)
    return common::fail(common::ErrorCode::kInvalidInput, std::string("not a ") + kProofFormat + " document");
  for (const char* k : {"record", "leaf_hash", "checkpoint"})
    if (!doc.contains(k) || !doc[k].is_string())
      return common::fail(common::ErrorCode::kInvalidInput, std::string("missing ") + k);
  if (!doc.contains("seq") || !doc["seq"].is_number_unsigned() || !doc.contains("proof") ||
      !doc["proof"].is_array())
    return common::fail(common::ErrorCode::kInvalidInput, "missing seq or proof");
  const uint64_t seq = doc["seq"].get<uint64_t>();
  const std::string record = doc["record"].get<std::string>();
  Hash leaf = leaf_hash(record);
  if (base64_encode(leaf) != doc["leaf_hash"])
    return common::fail(common::ErrorCode::kInvalidInput, "the record does not hash to leaf_hash");
  auto rec = nlohmann::json::parse(record, nullptr, false);
  if (!rec.is_object() || rec.value("seq", nlohmann::json()) != seq)
    return common::fail(common::ErrorCode::kInvalidInput, "the record's seq is not " + std::to_string(seq));
  auto cp = read_checkpoint_note(doc["checkpoint"].get<std::string>(), keys, keys.empty());
  if (!cp) return std::unexpected(common::prefixed("checkpoint: ", cp.error()));
  if (rec.value("origin", "") != cp->checkpoint.origin)
    return common::fail(common::ErrorCode::kInvalidInput,
                        "the record's origin is not the checkpoint's origin");
  std::vector<Hash> path;
  for (const auto& h : doc["proof"]) {
    if (!h.is_string())
      return common::fail(common::ErrorCode::kInvalidInput, "proof hashes must be base64 strings");
    auto hash = hash_from_base64(h.get<std::string>());
    if (!hash) return std::unexpected(common::prefixed("proof: ", hash.error()));
    path.push_back(*hash);
  }
  if (auto ok = verify_inclusion(seq, cp->checkpoint.size, leaf, path, cp->checkpoint.root); !ok)
    return std::unexpected(ok.error());
  std::string summary = "audit verify-proof: OK: seq " + std::to_string(seq) + " is included in " +
                        cp->checkpoint.origin + " at size " + std::to_string(cp->checkpoint.size);
  if (!cp->verified_by.empty()) {
    summary += ", checkpoint signed by " + cp->verified_by.front();
  } else {
    summary += " (checkpoint signature NOT checked: no --pubkey)";
  }
  return summary;
}

}  // namespace sqlguard::recorder
