// Location-aware reading of YAML configuration: every error names file:line:column and the
// path of the offending key, e.g. "sqlguard.yaml:14:9: policy.rules[2].kinds[0]: unknown
// statement kind 'selec'".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace sqlguard::server {

/// Reads typed values out of a parsed YAML document and collects errors instead of throwing.
/// Not thread-safe; one reader per load.
class YamlReader {
 public:
  explicit YamlReader(std::string file_name) : file_(std::move(file_name)) {}

  /// Records an error at `node`'s position (or the file when the node has no mark).
  void error(const YAML::Node& node, std::string_view path, std::string_view message);
  const std::vector<std::string>& errors() const { return errors_; }
  bool ok() const { return errors_.empty(); }

  /// Errors for keys of mapping `node` not in `allowed` ("unknown key 'x'; expected one of ...").
  /// Also errors when `node` is present but not a mapping. Returns false when not a mapping.
  bool expect_map(const YAML::Node& node, std::string_view path,
                  std::initializer_list<std::string_view> allowed);

  /// Scalar readers: absent key → std::nullopt (no error); wrong type → error + std::nullopt.
  std::optional<std::string> string(const YAML::Node& map, std::string_view key, std::string_view path);
  std::optional<uint64_t> uint(const YAML::Node& map, std::string_view key, std::string_view path,
                               uint64_t min = 0, uint64_t max = UINT64_MAX);
  std::optional<bool> boolean(const YAML::Node& map, std::string_view key, std::string_view path);
  /// A sequence of strings; a single scalar is accepted as a one-element list.
  std::vector<std::string> strings(const YAML::Node& map, std::string_view key, std::string_view path);

  /// "path.key" / "path[3]" helpers.
  static std::string join(std::string_view path, std::string_view key);
  static std::string index(std::string_view path, size_t i);

 private:
  std::string file_;
  std::vector<std::string> errors_;
};

}  // namespace sqlguard::server
