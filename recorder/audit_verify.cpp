#include "recorder/audit_verify.h"

#include <algorithm>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "recorder/checkpoint.h"
#include "recorder/codec.h"
#include "recorder/jcs.h"
#include "recorder/key_file.h"
#include "recorder/log_files.h"
#include "recorder/merkle.h"

namespace sqlguard::recorder {
namespace {

namespace fs = std::filesystem;

struct LineRef {
  size_t segment = 0;  // index into segments
  uint64_t line = 0;   // 1-based
  std::string_view text;
};

struct LoadedCheckpoint {
  std::string label;  // "checkpoint", "checkpoints/000000000012.note", "external checkpoint FILE"
  Checkpoint checkpoint;
  std::string signer;
  bool verified = false;  // root matched the log
  bool external = false;
};

bool looks_like_time(const nlohmann::json& t) {
  if (!t.is_string()) return false;
  const auto& s = t.get_ref<const std::string&>();
  return s.size() == 27 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' && s[16] == ':' &&
         s[19] == '.' && s[26] == 'Z';
}

}  // namespace

std::string VerifyReport::summary() const {
  if (failure) {
    std::string where;
    if (failure->seq) {
      where = " at seq " + std::to_string(*failure->seq);
      if (!failure->segment.empty())
        where += " (" + failure->segment + " line " + std::to_string(failure->line) + ")";
    } else if (!failure->segment.empty()) {
      where = " in " + failure->segment;
    }
    return "audit verify: FAILED" + where + ": " + failure->message;
  }
  std::string s = "audit verify: OK: " + std::to_string(records) + " records in " + std::to_string(segments) +
                  (segments == 1 ? " segment" : " segments") + ", chain intact, " +
                  std::to_string(checkpoints_verified) +
                  (checkpoints_verified == 1 ? " checkpoint" : " checkpoints") + " verified";
  if (checkpoints_verified > 0) {
    s += " (latest size " + std::to_string(latest_checkpoint_size);
    s += latest_signer.empty() ? ", unsigned)" : " signed by " + latest_signer + ")";
  }
  return s;
}

VerifyReport verify_log(const VerifyOptions& options) {
  VerifyReport report;
  auto fail = [&](std::optional<uint64_t> seq, std::string segment, uint64_t line, std::string message) {
    report.failure = VerifyFailure{seq, std::move(segment), line, std::move(message)};
    return report;
  };
  const fs::path& dir = options.dir;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return fail(std::nullopt, "", 0, dir.string() + " is not a directory");

  // ---- keys --------------------------------------------------------------------------------
  std::vector<NoteVerifier> keys;
  for (const auto& path : options.public_keys) {
    auto v = load_verifier_file(path);
    if (!v) return fail(std::nullopt, "", 0, "public key: " + v.error().message);
    keys.push_back(*v);
  }
  if (keys.empty() && fs::exists(dir / kVkeyFile, ec)) {
    auto v = load_verifier_file(dir / kVkeyFile);
    if (!v) return fail(std::nullopt, "", 0, "public key: " + v.error().message);
    keys.push_back(*v);
    report.warnings.push_back("checkpoint signatures were checked against " + (dir / kVkeyFile).string() +
                              ", which is stored beside the log; pin the key with --pubkey");
  }
  if (keys.empty())
    report.warnings.push_back("no public key: checkpoint signatures were NOT checked (use --pubkey)");

  // ---- segments ------------------------------------------------------------------------------
  auto segs = list_segments(dir);
  if (!segs) return fail(std::nullopt, "", 0, segs.error().message);
  report.segments = segs->size();
  std::vector<std::string> contents(segs->size());
  std::vector<LineRef> lines;
  for (size_t i = 0; i < segs->size(); ++i) {
    const SegmentFile& seg = (*segs)[i];
    std::optional<uint64_t> next_seq = lines.size();
    if (seg.index != i + 1)
      return fail(next_seq, segment_file_name(static_cast<uint32_t>(i + 1)), 1,
                  "segment " + segment_file_name(static_cast<uint32_t>(i + 1)) +
                      " is missing (next file is " + seg.name + ")");
    auto content = read_file(seg.path);
    if (!content) return fail(next_seq, seg.name, 0, content.error().message);
    contents[i] = std::move(*content);
    const bool last = i + 1 == segs->size();
    // A preallocated segment ends in zero-filled space while the log is open (or after a crash);
    // the records end at the first NUL. Only the last segment may have one: others are sealed.
    const SegmentLayout layout = segment_layout(contents[i]);
    const auto lines_before = static_cast<uint64_t>(std::count(
        contents[i].begin(), contents[i].begin() + static_cast<std::ptrdiff_t>(layout.records_end), '\n'));
    if (layout.records_end != contents[i].size() && !last)
      return fail(lines.size() + lines_before, seg.name, lines_before + 1,
                  "NUL bytes in a segment that is not the last (sealed segments have no zero-filled tail)");
    if (layout.torn_after_gap())
      return fail(lines.size() + lines_before, seg.name, lines_before + 1,
                  "bytes after a zero-filled gap at offset " + std::to_string(layout.records_end) +
                      ": a batch torn by a crash (start sqlguard once to recover it) or a damaged file");
    contents[i].resize(layout.records_end);
    std::string_view rest = contents[i];
    uint64_t line_no = 0;
    while (!rest.empty()) {
      size_t nl = rest.find('\n');
      ++line_no;
      if (nl == std::string_view::npos) {
        return fail(lines.size(), seg.name, line_no,
                    std::string("record is cut off (no terminating newline)") +
                        (last ? ": a crash mid-write (start sqlguard once to recover it) or a truncated file"
                              : " in a segment that is not the last: the segment was truncated"));
      }
      lines.push_back({i, line_no, rest.substr(0, nl)});
      rest.remove_prefix(nl + 1);
    }
  }

  // ---- checkpoints ---------------------------------------------------------------------------
  std::vector<LoadedCheckpoint> checkpoints;
  auto load_checkpoint = [&](const fs::path& path, std::string label, bool external) -> bool {
    auto note = read_file(path);
    if (!note) {
      fail(std::nullopt, "", 0, label + ": " + note.error().message);
      return false;
    }
    auto cp = read_checkpoint_note(*note, keys, keys.empty());
    if (!cp) {
      std::string why = cp.error().message;
      if (why.find("no signature by a trusted key") != std::string::npos)
        why += " (forged, or signed by a different key)";
      fail(std::nullopt, "", 0, label + ": " + why);
      return false;
    }
    LoadedCheckpoint lc{std::move(label), cp->checkpoint, "", false, external};
    if (!cp->verified_by.empty()) lc.signer = cp->verified_by.front();
    checkpoints.push_back(std::move(lc));
    return true;
  };
  if (fs::exists(dir / kCheckpointFile, ec) &&
      !load_checkpoint(dir / kCheckpointFile, kCheckpointFile, false))
    return report;
  for (const auto& path : list_checkpoint_history(dir))
    if (!load_checkpoint(path, std::string(kCheckpointDir) + "/" + path.filename().string(), false))
      return report;
  for (const auto& path : options.external_checkpoints)
    if (!load_checkpoint(path, "external checkpoint " + path.string(), true)) return report;

  // Fork evidence: two checkpoints of one size with different roots.
  std::map<uint64_t, const LoadedCheckpoint*> by_size;
  for (const auto& cp : checkpoints) {
    auto [it, inserted] = by_size.emplace(cp.checkpoint.size, &cp);
    if (!inserted && it->second->checkpoint.root != cp.checkpoint.root)
      return fail(std::nullopt, "", 0,
                  "fork: " + it->second->label + " and " + cp.label + " both sign size " +
                      std::to_string(cp.checkpoint.size) + " with different roots (" +
                      base64_encode(it->second->checkpoint.root) + " vs " +
                      base64_encode(cp.checkpoint.root) +
                      "): the log was rewritten after a checkpoint was issued");
  }

  // ---- records -------------------------------------------------------------------------------
  CompactRange tree;
  Hash prev_leaf = empty_root();
  uint64_t last_good_checkpoint = 0;
  auto check_checkpoints_at = [&](uint64_t size) -> bool {
    auto it = by_size.find(size);
    if (it == by_size.end()) return true;
    Hash root = tree.root();
    for (auto& cp : checkpoints) {
      if (cp.checkpoint.size != size) continue;
      if (cp.checkpoint.origin != report.origin && size > 0) {
        fail(std::nullopt, "", 0,
             cp.label + ": origin \"" + cp.checkpoint.origin + "\" is not the log's origin \"" +
                 report.origin + "\"");
        return false;
      }
      if (cp.checkpoint.root != root) {
        const LineRef& ref = lines[size - 1];
        std::string what = cp.external ? "fork or rewrite: " : "";
        fail(size - 1, (*segs)[ref.segment].name, ref.line,
             what + "the log's root at size " + std::to_string(size) + " does not match " + cp.label +
                 ": a record in seq " + std::to_string(last_good_checkpoint) + ".." +
                 std::to_string(size - 1) +
                 " was altered (the chain links are intact, so the last one, or all of them re-chained)");
        return false;
      }
      cp.verified = true;
    }
    last_good_checkpoint = size;
    return true;
  };
  if (!check_checkpoints_at(0)) return report;

  for (size_t i = 0; i < lines.size(); ++i) {
    const LineRef& ref = lines[i];
    auto bad = [&](uint64_t seq, const LineRef& r, const std::string& msg) {
      return fail(seq, (*segs)[r.segment].name, r.line, msg);
    };
    auto rec = nlohmann::json::parse(ref.text, nullptr, false);
    if (rec.is_discarded() || !rec.is_object())
      return bad(i, ref, "not a valid JSON object (the line was edited)");
    auto canonical = canonicalize(rec);
    if (!canonical) return bad(i, ref, "not representable in canonical form: " + canonical.error().message);
    if (*canonical != ref.text)
      return bad(i, ref,
                 "not in RFC 8785 canonical form (the line was edited: whitespace, order or escaping)");
    if (!rec.contains("v") || rec["v"] != 1) return bad(i, ref, "unknown record version (v must be 1)");
    if (!rec.contains("origin") || !rec["origin"].is_string()) return bad(i, ref, "missing origin");
    if (i == 0) report.origin = rec["origin"].get<std::string>();
    if (rec["origin"] != report.origin)
      return bad(i, ref,
                 "origin \"" + rec["origin"].get<std::string>() + "\" differs from the log's origin \"" +
                     report.origin + "\" (records from another log were inserted)");
    if (!rec.contains("seq") || !rec["seq"].is_number_unsigned())
      return bad(i, ref, "missing or invalid seq");
    uint64_t seq = rec["seq"].get<uint64_t>();
    if (seq != i) {
      std::string why = seq > i ? "record(s) " + std::to_string(i) + ".." + std::to_string(seq - 1) +
                                      " are missing (deleted), or records were reordered"
                                : "records were reordered or duplicated";
      return bad(i, ref,
                 "expected seq " + std::to_string(i) + " but found seq " + std::to_string(seq) + ": " + why);
    }
    if (!looks_like_time(rec["time"])) return bad(i, ref, "missing or malformed time");
    if (!rec.contains("type") || !rec["type"].is_string()) return bad(i, ref, "missing type");
    Hash leaf = leaf_hash(ref.text);
    if (!rec.contains("prev") || rec["prev"] != base64_encode(prev_leaf)) {
      if (i == 0)
        return bad(0, ref, "prev of the first record is not the genesis value base64(SHA-256(\"\"))");
      // Which record was altered? If the next record links to this one as stored, this record is
      // intact and the previous record's content was changed; otherwise this record was changed.
      bool next_links_here = false;
      if (i + 1 < lines.size()) {
        auto next = nlohmann::json::parse(lines[i + 1].text, nullptr, false);
        next_links_here = next.is_object() && next.contains("prev") && next["prev"] == base64_encode(leaf);
      }
      if (next_links_here)
        return bad(i - 1, lines[i - 1],
                   "record was altered: its leaf hash does not match prev of seq " + std::to_string(i));
      return bad(i, ref,
                 "prev does not match the leaf hash of seq " + std::to_string(i - 1) +
                     " (this record or its predecessor was altered)");
    }
    if (rec["type"] == "checkpoint") {
      auto size = rec.value("size", nlohmann::json());
      auto root = rec.value("root", nlohmann::json());
      if (size != i || root != base64_encode(tree.root()))
        return bad(i, ref, "checkpoint record does not state the log's size and root before it");
    }
    tree.append(leaf);
    prev_leaf = leaf;
    ++report.records;
    if (!check_checkpoints_at(tree.size())) return report;
  }

  // ---- truncation ----------------------------------------------------------------------------
  for (const auto& cp : checkpoints) {
    if (cp.checkpoint.size > report.records) {
      std::string seg = segs->empty() ? "" : segs->back().name;
      uint64_t line =
          lines.empty() ? 0 : (lines.back().segment + 1 == segs->size() ? lines.back().line + 1 : 1);
      return fail(report.records, seg, line,
                  "log truncated: " + cp.label + " covers " + std::to_string(cp.checkpoint.size) +
                      " records but the log has only " + std::to_string(report.records) + " (records " +
                      std::to_string(report.records) + ".." + std::to_string(cp.checkpoint.size - 1) +
                      " were deleted, or the log was rolled back)");
    }
    if (cp.checkpoint.origin != report.origin && !report.origin.empty())
      return fail(std::nullopt, "", 0,
                  cp.label + ": origin \"" + cp.checkpoint.origin + "\" is not the log's origin \"" +
                      report.origin + "\"");
  }

  // ---- summary -------------------------------------------------------------------------------
  const LoadedCheckpoint* latest = nullptr;
  std::set<uint64_t> verified_sizes;  // copies of one checkpoint (latest, history, witness) count once
  for (const auto& cp : checkpoints) {
    if (!cp.verified) continue;
    verified_sizes.insert(cp.checkpoint.size);
    if (latest == nullptr || cp.checkpoint.size > latest->checkpoint.size) latest = &cp;
  }
  report.checkpoints_verified = verified_sizes.size();
  if (latest != nullptr) {
    report.latest_checkpoint_size = latest->checkpoint.size;
    report.latest_signer = latest->signer;
    if (report.records > latest->checkpoint.size)
      report.warnings.push_back(std::to_string(report.records - latest->checkpoint.size) +
                                " record(s) after the latest checkpoint (size " +
                                std::to_string(latest->checkpoint.size) +
                                ") are protected by the hash chain only: deleting them is not detectable");
  } else if (report.records > 0) {
    report.warnings.push_back("no checkpoint: the records are protected by the hash chain only");
  }
  if (options.external_checkpoints.empty())
    report.warnings.push_back(
        "no external checkpoint given: deleting the tail of the log together with its "
        "checkpoints, or rolling the directory back, cannot be detected (use --checkpoint)");
  return report;
}

}  // namespace sqlguard::recorder
