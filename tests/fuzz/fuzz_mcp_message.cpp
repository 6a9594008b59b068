// libFuzzer target: the MCP message path of both transports — bounded JSON parsing
// (server/mcp/json_rpc.h), classification, and a whole McpSession (server/mcp/mcp_session.h) with a
// fake tool registry whose tools carry the real run_sql/describe_table/list_tables definitions
// and echo their arguments.
//
// Input: newline-separated messages, fed in order to one fresh session, exactly as the stdio
// transport does. Seeds usually start with an initialize line so later lines reach the
// initialized state; the fuzzer mutates everything else. Checks beyond "no crash": every
// message handed to the Sink serialises to one line of valid JSON, and sink->done() is called
// exactly once per handle().
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "server/mcp/json_rpc.h"
#include "server/mcp/mcp_session.h"
#include "tools/sql_tools.h"
#include "tools/tool.h"

namespace {

using nlohmann::json;
using namespace sqlguard;

class EchoTool : public tools::Tool {
 public:
  EchoTool(std::string name, json definition) : name_(std::move(name)), definition_(std::move(definition)) {}
  std::string_view name() const override { return name_; }
  json definition() const override { return definition_; }
  tools::ToolResult call(const json& arguments, const tools::CallContext& context) override {
    if (!arguments.is_object()) return tools::ToolResult::error("arguments must be an object");
    context.progress(1, 2, "half");
    tools::ToolResult r;
    r.structured = {{"arguments", arguments}, {"request_id", context.request_id}};
    r.content = json::array(
        {{{"type", "text"}, {"text", arguments.dump(-1, ' ', false, json::error_handler_t::replace)}}});
    return r;
  }

 private:
  std::string name_;
  json definition_;
};

class CheckingSink : public server::Sink {
 public:
  void send(const json& message) override {
    const std::string line = server::serialize(message);
    if (line.find('\n') != std::string::npos) std::abort();
    if (!json::accept(line)) std::abort();
  }
  void done() override { done_.fetch_add(1); }
  int done_count() const { return done_.load(); }

 private:
  std::atomic<int> done_{0};
};

tools::ToolRegistry& registry() {
  static tools::ToolRegistry* r = [] {
    spdlog::set_level(spdlog::level::warn);  // info lines per message would dominate the run
    auto* reg = new tools::ToolRegistry;
    reg->add(std::make_unique<EchoTool>("run_sql", tools::RunSqlTool::tool_definition()));
    reg->add(std::make_unique<EchoTool>("describe_table", tools::DescribeTableTool::tool_definition()));
    reg->add(std::make_unique<EchoTool>("list_tables", tools::ListTablesTool::tool_definition()));
    return reg;
  }();
  return *r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  server::ServerOptions options;
  options.max_message_bytes = 1u << 20;
  options.shutdown_grace = std::chrono::milliseconds(2000);
  options.cancel_grace = std::chrono::milliseconds(500);
  policy::Principal principal{"fuzz", "", {"analysts"}, "config", "", ""};
  server::McpSession session(registry(), nullptr, principal, server::SessionInfo{"fuzz-session", "stdio", ""},
                             options);
  auto notifications = std::make_shared<CheckingSink>();
  session.set_notification_sink(notifications);

  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::size_t start = 0;
  int handled = 0;
  std::shared_ptr<CheckingSink> sink = std::make_shared<CheckingSink>();
  while (start <= input.size()) {
    std::size_t end = input.find('\n', start);
    if (end == std::string_view::npos) end = input.size();
    const std::string_view line = input.substr(start, end - start);
    start = end + 1;
    if (line.empty()) continue;
    auto parsed = server::parse_json_text(line, options.max_json_depth);
    if (!parsed) {
      sink->send(server::make_error(nullptr, parsed.error().code, parsed.error().message));
      continue;
    }
    if (!parsed->is_array()) (void)server::classify_message(*parsed);
    session.handle(*parsed, sink);
    ++handled;
  }
  if (session.close("fuzz input done") != 0) std::abort();  // a call outlived the graces
  if (sink->done_count() != handled) std::abort();
  return 0;
}
