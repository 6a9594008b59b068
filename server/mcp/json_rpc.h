// JSON-RPC 2.0 framing helpers shared by the MCP transports: bounded parsing of untrusted text,
// message classification, and construction/serialisation of responses and notifications.
//
// Nothing here throws on untrusted input. All functions are pure (no shared state) and may be
// called from any thread.
#pragma once

#include <cstddef>
#include <expected>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace sqlguard::server {

/// JSON-RPC 2.0 error codes (JSON-RPC 2.0 §5.1; MCP 2025-11-25 schema.ts).
namespace rpc_error {
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;
}  // namespace rpc_error

/// Why a text could not be turned into a JSON value.
struct ParseFailure {
  int code = rpc_error::kParseError;  ///< always -32700 today
  std::string message;                ///< safe to send to the client
};

/// Parses one JSON-RPC message text (a single object or, for batches, an array).
/// Inputs: `text` — the raw bytes (UTF-8 expected); `max_depth` — the maximum nesting of
/// arrays/objects (checked by a pre-scan before the parser runs, so hostile nesting costs O(n)
/// and no recursion).
/// Output: the parsed value, or a ParseFailure when the text is not valid JSON, contains invalid
/// UTF-8 (RFC 8259 §8.1; lone surrogate escapes included), or is nested deeper than `max_depth`.
std::expected<nlohmann::json, ParseFailure> parse_json_text(std::string_view text, std::size_t max_depth);

/// The kind of one JSON-RPC message (JSON-RPC 2.0 §4, §5).
enum class MessageKind {
  kRequest,       ///< has "method" and a valid "id"
  kNotification,  ///< has "method" and no "id"
  kResponse,      ///< has "id" and "result" or "error", no "method" (a client's answer)
  kInvalid,       ///< anything else; answer -32600 with `id` (null when unreadable)
};

/// The outcome of classifying one JSON value as a JSON-RPC message.
struct Classified {
  MessageKind kind = MessageKind::kInvalid;
  nlohmann::json id;    ///< the request id, exactly as sent; null when absent or unusable
  std::string method;   ///< for requests and notifications
  std::string problem;  ///< for kInvalid: a message for the client
};

/// Classifies `message` (one element, not an array). Ids must be strings or integers that fit
/// in 64 bits (MCP 2025-11-25 §basic: "id MUST be a string or integer", never null); anything
/// else makes the message kInvalid. `jsonrpc` must be exactly "2.0".
Classified classify_message(const nlohmann::json& message);

/// {"jsonrpc":"2.0","id":id,"result":result}. `result` should be an object (MCP: never null).
nlohmann::json make_result(const nlohmann::json& id, nlohmann::json result);

/// {"jsonrpc":"2.0","id":id,"error":{"code":code,"message":message[,"data":data]}}.
/// `id` is null when the request id could not be read (JSON-RPC 2.0 §5). `data` is omitted when
/// null.
nlohmann::json make_error(const nlohmann::json& id, int code, std::string message,
                          nlohmann::json data = nullptr);

/// {"jsonrpc":"2.0","method":method[,"params":params]}; params omitted when null.
nlohmann::json make_notification(std::string method, nlohmann::json params = nullptr);

/// Compact, single-line serialisation for the wire. Never throws: invalid UTF-8 in strings is
/// replaced by U+FFFD, so the output is always valid UTF-8 JSON without raw newlines
/// (MCP 2025-11-25 §transports/stdio: messages MUST NOT contain embedded newlines).
std::string serialize(const nlohmann::json& message);

}  // namespace sqlguard::server
