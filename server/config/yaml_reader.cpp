#include "server/config/yaml_reader.h"

#include <charconv>

namespace sqlguard::server {

void YamlReader::error(const YAML::Node& node, std::string_view path, std::string_view message) {
  std::string where = file_;
  if (node.IsDefined() && node.Mark().line >= 0) {
    where += ":" + std::to_string(node.Mark().line + 1) + ":" + std::to_string(node.Mark().column + 1);
  }
  errors_.push_back(where + ": " + std::string(path) + ": " + std::string(message));
}

std::string YamlReader::join(std::string_view path, std::string_view key) {
  if (path.empty()) return std::string(key);
  return std::string(path) + "." + std::string(key);
}

std::string YamlReader::index(std::string_view path, size_t i) {
  return std::string(path) + "[" + std::to_string(i) + "]";
}

bool YamlReader::expect_map(const YAML::Node& node, std::string_view path,
                            std::initializer_list<std::string_view> allowed) {
  if (!node.IsDefined() || node.IsNull()) return false;
  if (!node.IsMap()) {
    error(node, path, "expected a mapping");
    return false;
  }
  for (const auto& kv : node) {
    const std::string key = kv.first.Scalar();
    bool known = false;
    for (auto a : allowed) known = known || a == key;
    if (!known) {
      std::string list;
      for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      error(kv.first, join(path, key), "unknown key '" + key + "'; expected one of: " + list);
    }
  }
  return true;
}

std::optional<std::string> YamlReader::string(const YAML::Node& map, std::string_view key,
                                              std::string_view path) {
  const YAML::Node n = map[std::string(key)];
  if (!n.IsDefined() || n.IsNull()) return std::nullopt;
  if (!n.IsScalar()) {
    error(n, join(path, key), "expected a string");
    return std::nullopt;
  }
  return n.Scalar();
}

std::optional<uint64_t> YamlReader::uint(const YAML::Node& map, std::string_view key, std::string_view path,
                                         uint64_t min, uint64_t max) {
  const YAML::Node n = map[std::string(key)];
  if (!n.IsDefined() || n.IsNull()) return std::nullopt;
  const std::string p = join(path, key);
  if (!n.IsScalar()) {
    error(n, p, "expected a non-negative integer");
    return std::nullopt;
  }
  const std::string& s = n.Scalar();
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) {
    error(n, p, "expected a non-negative integer, got '" + s + "'");
    return std::nullopt;
  }
  if (v < min || v > max) {
    error(n, p, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    return std::nullopt;
  }
  return v;
}

std::optional<bool> YamlReader::boolean(const YAML::Node& map, std::string_view key, std::string_view path) {
  const YAML::Node n = map[std::string(key)];
  if (!n.IsDefined() || n.IsNull()) return std::nullopt;
  if (n.IsScalar()) {
    const std::string& s = n.Scalar();
    if (s == "true") return true;
    if (s == "false") return false;
  }
  error(n, join(path, key), "expected true or false");
  return std::nullopt;
}

std::vector<std::string> YamlReader::strings(const YAML::Node& map, std::string_view key,
                                             std::string_view path) {
  std::vector<std::string> out;
  const YAML::Node n = map[std::string(key)];
  if (!n.IsDefined() || n.IsNull()) return out;
  const std::string p = join(path, key);
  if (n.IsScalar()) {
    out.push_back(n.Scalar());
    return out;
  }
  if (!n.IsSequence()) {
    error(n, p, "expected a list of strings");
    return out;
  }
  for (size_t i = 0; i < n.size(); ++i) {
    if (!n[i].IsScalar()) {
      error(n[i], index(p, i), "expected a string");
      continue;
    }
    out.push_back(n[i].Scalar());
  }
  return out;
}

}  // namespace sqlguard::server
