// Name and version of this build, as reported in MCP serverInfo and `sqlguard --version`.
#pragma once

#include <string_view>

namespace sqlguard::server {

std::string_view server_name();     ///< "sqlguard"
std::string_view server_version();  ///< semantic version, e.g. "0.1.0"

}  // namespace sqlguard::server
