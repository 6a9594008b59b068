#include "server/mcp/server_info.h"

namespace sqlguard::server {

std::string_view server_name() { return "sqlguard"; }
std::string_view server_version() { return "0.1.0"; }

}  // namespace sqlguard::server
