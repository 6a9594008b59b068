#include "tools/tool.h"

namespace sqlguard::tools {

ToolResult ToolResult::error(std::string message) {
  ToolResult r;
  r.content = nlohmann::json::array({{{"type", "text"}, {"text", std::move(message)}}});
  r.is_error = true;
  return r;
}

nlohmann::json ToolResult::to_json() const {
  nlohmann::json out = {{"content", content}};
  // Clients validate structuredContent against outputSchema even on errors: omit it there.
  if (!is_error && structured.is_object()) out["structuredContent"] = structured;
  if (is_error) out["isError"] = true;
  return out;
}

void ToolRegistry::add(std::unique_ptr<Tool> tool) { tools_.push_back(std::move(tool)); }

Tool* ToolRegistry::find(std::string_view name) const {
  for (const auto& t : tools_) {
    if (t->name() == name) return t.get();
  }
  return nullptr;
}

}  // namespace sqlguard::tools
