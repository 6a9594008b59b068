#include "recorder/log_files.h"

#include <algorithm>
#include <cstdio>

namespace sqlguard::recorder {

std::string segment_file_name(uint32_t index) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "audit-%06u.jsonl", index);
  return buf;
}

std::filesystem::path checkpoint_history_path(const std::filesystem::path& dir, uint64_t size) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%012llu.note", static_cast<unsigned long long>(size));
  return dir / kCheckpointDir / buf;
}

SegmentLayout segment_layout(std::string_view content) {
  SegmentLayout layout;
  const size_t nul = content.find('\0');
  layout.records_end = nul == std::string_view::npos ? content.size() : nul;
  const size_t last = content.find_last_not_of('\0');
  layout.data_end = last == std::string_view::npos ? 0 : last + 1;
  return layout;
}

common::Result<std::vector<SegmentFile>> list_segments(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) return common::fail(common::ErrorCode::kUnavailable, dir.string() + ": " + ec.message());
  std::vector<SegmentFile> out;
  for (const auto& entry : it) {
    std::string name = entry.path().filename().string();
    unsigned index = 0;
    char tail[8] = {};
    // Exact shape only: "audit-" + 6 digits + ".jsonl".
    if (name.size() != 18 || std::sscanf(name.c_str(), "audit-%6u.%5s", &index, tail) != 2 ||
        std::string(tail) != "jsonl" || segment_file_name(index) != name)
      continue;
    out.push_back({index, entry.path(), name});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.index < b.index; });
  return out;
}

std::vector<std::filesystem::path> list_checkpoint_history(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  std::filesystem::directory_iterator it(dir / kCheckpointDir, ec);
  if (ec) return out;
  for (const auto& entry : it)
    if (entry.path().extension() == ".note") out.push_back(entry.path());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace sqlguard::recorder
