#include "policy/principal_spec.h"

#include "common/text.h"

namespace sqlguard::policy {

common::Result<Principal> parse_principal_spec(std::string_view spec) {
  for (char c : spec) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      return common::fail(common::ErrorCode::kInvalidInput, "principal spec contains a control character");
    }
  }
  Principal p;
  p.auth_method = "config";
  const auto colon = spec.find(':');
  const std::string_view subject = common::trim_blanks(spec.substr(0, colon));
  if (subject.empty()) {
    return common::fail(common::ErrorCode::kInvalidInput,
                        "principal spec needs a subject: SUBJECT[:group,group]");
  }
  p.subject = std::string(subject);
  if (colon == std::string_view::npos) return p;
  std::string_view rest = spec.substr(colon + 1);
  while (true) {
    const auto comma = rest.find(',');
    const std::string_view g = common::trim_blanks(rest.substr(0, comma));
    if (g.empty()) {
      return common::fail(common::ErrorCode::kInvalidInput,
                          std::string("principal spec has an empty group name: ") + std::string(spec));
    }
    p.groups.emplace_back(g);
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return p;
}

}  // namespace sqlguard::policy
