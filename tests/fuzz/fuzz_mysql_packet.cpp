// libFuzzer target: bytes a MySQL client sends to sqlguard's front door (server/mysql/protocol.h,
// probes.h) — the packet decoder (framing, continued packets, sequence ids, the size limit), the
// handshake response parser (capabilities, lenenc auth data, connect attributes), the
// mysql_native_password check, the probe allow-list on the same bytes as a statement, and the
// binding of COM_STMT_EXECUTE parameters (server/mysql/prepared.h).
// Checks beyond "no crash": every decoded message re-frames to the bytes it came from; a probe
// answer is a result set or OK whose cells are the fixed values, never an echo of the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "server/mysql/prepared.h"
#include "server/mysql/probes.h"
#include "server/mysql/protocol.h"

using namespace sqlguard::server::mysql;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  // Framing: the input as a stream of packets, fed in two pieces, limit 4 KiB.
  PacketDecoder decoder(4096);
  decoder.feed(input.substr(0, size / 2));
  decoder.feed(input.substr(size / 2));
  uint8_t seq = size > 0 ? static_cast<uint8_t>(data[size > 3 ? 3 : 0]) : 0;
  std::size_t consumed = 0;
  for (int i = 0; i < 64; ++i) {
    const uint8_t first = seq;
    const std::size_t before = decoder.buffered();
    auto m = decoder.next(seq);
    if (!m || !*m) break;
    uint8_t again = first;
    if (frame(**m, again) != std::string(input.substr(consumed, before - decoder.buffered()))) std::abort();
    if (again != seq) std::abort();
    consumed += before - decoder.buffered();
    // The message as a handshake response, and as a command.
    auto h = parse_handshake_response(**m);
    if (h && h->user.size() > 256) std::abort();
    if (h && !h->auth_response.empty()) {
      NativeVerifier v{};
      (void)verify_native_password(v, "01234567890123456789", h->auth_response);
    }
  }

  // The whole input as a statement.
  ProbeContext context;
  context.server_version = "5.5.5-10.11.0-sqlguard";
  context.version_comment = "sqlguard";
  context.schema = "shop";
  auto answer = answer_probe(input, context);
  if (answer && answer->result.has_result_set) {
    for (const auto& row : answer->result.rows) {
      for (const auto& cell : row) {
        if (cell && cell->size() > 64 && *cell != context.server_version) std::abort();
      }
    }
  }
  // USE: a lone identifier of at most 64 bytes, never an empty one.
  if (auto schema = use_statement(input); schema && (schema->empty() || schema->size() > 64)) std::abort();
  (void)parse_handshake_response(input);

  // The input as a COM_STMT_EXECUTE body for a statement with three placeholders: a bound
  // statement keeps the text around the placeholders exactly.
  if (auto st = prepare_statement("SELECT ? FROM t WHERE a = ? AND b = ?")) {
    if (auto bound = bind_parameters(*st, input)) {
      if (bound->rfind("SELECT ", 0) != 0 || bound->find(" FROM t WHERE a = ") == std::string::npos)
        std::abort();
    }
  }
  return 0;
}
