#include "server/mcp/json_rpc.h"

#include "common/json_depth.h"

#include <utility>

namespace sqlguard::server {

using nlohmann::json;

namespace {

bool usable_id(const json& id) {
  // number_float covers fractional ids and integer literals beyond 64 bits, which could not be
  // echoed exactly.
  return id.is_string() || id.is_number_integer();
}

}  // namespace

std::expected<json, ParseFailure> parse_json_text(std::string_view text, std::size_t max_depth) {
  if (!common::json_nesting_within(text, max_depth)) {
    return std::unexpected(ParseFailure{rpc_error::kParseError, "Parse error: JSON nested deeper than " +
                                                                    std::to_string(max_depth) + " levels"});
  }
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    return std::unexpected(ParseFailure{rpc_error::kParseError, std::string("Parse error: ") + e.what()});
  } catch (const std::exception& e) {
    return std::unexpected(ParseFailure{rpc_error::kParseError, std::string("Parse error: ") + e.what()});
  }
}

Classified classify_message(const json& message) {
  Classified out;
  if (!message.is_object()) {
    out.problem = "Invalid Request: a JSON-RPC message must be a JSON object";
    return out;
  }
  const auto id_it = message.find("id");
  const bool has_id = id_it != message.end();
  if (has_id && usable_id(*id_it)) out.id = *id_it;

  const auto version = message.find("jsonrpc");
  if (version == message.end() || !version->is_string() || *version != "2.0") {
    out.problem = "Invalid Request: \"jsonrpc\" must be \"2.0\"";
    return out;
  }
  if (has_id && !usable_id(*id_it)) {
    out.problem = "Invalid Request: \"id\" must be a string or an integer (64-bit), not null";
    return out;
  }
  const auto method = message.find("method");
  if (method != message.end()) {
    if (!method->is_string()) {
      out.problem = "Invalid Request: \"method\" must be a string";
      return out;
    }
    out.method = method->get<std::string>();
    out.kind = has_id ? MessageKind::kRequest : MessageKind::kNotification;
    return out;
  }
  if (has_id && (message.contains("result") || message.contains("error"))) {
    out.kind = MessageKind::kResponse;
    return out;
  }
  out.problem =
      "Invalid Request: a message needs \"method\" (request or notification) or "
      "\"result\"/\"error\" (response)";
  return out;
}

json make_result(const json& id, json result) {
  return json{{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

json make_error(const json& id, int code, std::string message, json data) {
  json error = {{"code", code}, {"message", std::move(message)}};
  if (!data.is_null()) error["data"] = std::move(data);
  return json{{"jsonrpc", "2.0"}, {"id", id}, {"error", std::move(error)}};
}

json make_notification(std::string method, json params) {
  json out = {{"jsonrpc", "2.0"}, {"method", std::move(method)}};
  if (!params.is_null()) out["params"] = std::move(params);
  return out;
}

std::string serialize(const json& message) {
  return message.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace sqlguard::server
