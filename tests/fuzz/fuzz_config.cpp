// libFuzzer target: the config loader (server/config/config.h parse_config) on arbitrary YAML text —
// yaml-cpp's parser plus sqlguard's validation with exact error locations. Paths resolve against
// a directory that does not exist, so no file is ever read or written. Check beyond "no
// crash": a rejected config always says why.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "server/config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view yaml(reinterpret_cast<const char*>(data), size);
  const auto config = sqlguard::server::parse_config(yaml, "fuzz.yaml", "/nonexistent/sqlguard-fuzz");
  if (!config && config.error().message.empty()) std::abort();
  return 0;
}
