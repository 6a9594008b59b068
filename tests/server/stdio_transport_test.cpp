// The stdio transport over real pipes: framing, flushing, ids, parse errors, oversize lines,
// invalid UTF-8, deep nesting, cancellation, EOF; serve_stdio's stdout protection in a child.
#include "server/mcp/stdio_transport.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "server/mcp/json_rpc.h"

namespace sqlguard::server {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class GateTool : public tools::Tool {
 public:
  std::string_view name() const override { return "gate"; }
  json definition() const override {
    return {{"name", "gate"},
            {"description", "Waits for release or cancellation"},
            {"inputSchema", {{"type", "object"}, {"properties", json::object()}}}};
  }
  tools::ToolResult call(const json&, const tools::CallContext& context) override {
    context.progress(1, 2, "waiting");
    std::stop_callback wake(context.cancel, [this] {
      std::lock_guard l(mu_);
      cv_.notify_all();
    });
    std::unique_lock lock(mu_);
    ++started_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return released_ || context.cancel.stop_requested(); });
    if (context.cancel.stop_requested()) ++cancelled_;
    tools::ToolResult r;
    r.content = json::array({{{"type", "text"}, {"text", "released"}}});
    return r;
  }
  void release() {
    std::lock_guard lock(mu_);
    released_ = true;
    cv_.notify_all();
  }
  bool wait_started(int n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 5s, [&] { return started_ >= n; });
  }
  int cancelled() {
    std::lock_guard lock(mu_);
    return cancelled_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool released_ = false;
  int started_ = 0;
  int cancelled_ = 0;
};

class PrintingTool : public tools::Tool {
 public:
  std::string_view name() const override { return "printer"; }
  json definition() const override {
    return {{"name", "printer"},
            {"description", "Writes garbage to stdout"},
            {"inputSchema", {{"type", "object"}, {"properties", json::object()}}}};
  }
  tools::ToolResult call(const json&, const tools::CallContext&) override {
    std::printf("STRAY PRINTF\n");
    std::fflush(stdout);
    std::cout << "STRAY COUT" << std::endl;
    tools::ToolResult r;
    r.content = json::array({{{"type", "text"}, {"text", "printed"}}});
    return r;
  }
};

class EndObserver : public tools::SessionObserver {
 public:
  void session_started(const tools::CallContext&) override {}
  void session_ended(const tools::CallContext&, std::string_view reason) override {
    std::lock_guard lock(mu);
    reasons.emplace_back(reason);
  }
  std::mutex mu;
  std::vector<std::string> reasons;
};

void write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    ASSERT_GT(n, 0);
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

// Reads '\n'-terminated lines from a descriptor with a timeout.
class LineReader {
 public:
  explicit LineReader(int fd) : fd_(fd) {}
  // Returns false on timeout or EOF.
  bool next(std::string& line, std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto nl = buffer_.find('\n');
      if (nl != std::string::npos) {
        line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return true;
      }
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
      char chunk[65536];
      const ssize_t n = ::read(fd_, chunk, sizeof chunk);
      if (n <= 0) return false;
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }
  const std::string& rest() const { return buffer_; }

 private:
  int fd_;
  std::string buffer_;
};

class StdioTransportTest : public ::testing::Test {
 protected:
  void start(ServerOptions options = {}) {
    options.shutdown_grace = 5s;
    options.cancel_grace = 1s;
    auto gate = std::make_unique<GateTool>();
    gate_ = gate.get();
    registry_.add(std::move(gate));
    int in[2];
    int out[2];
    ASSERT_EQ(::pipe(in), 0);
    ASSERT_EQ(::pipe(out), 0);
    in_w_ = in[1];
    in_r_ = in[0];
    out_r_ = out[0];
    out_w_ = out[1];
    reader_ = std::make_unique<LineReader>(out_r_);
    policy::Principal principal;
    principal.subject = "stdio-user";
    session_ = std::make_unique<McpSession>(registry_, &observer_, principal, SessionInfo{"s1", "stdio", ""},
                                            options);
    runner_ = std::thread([this, options] {
      rc_ = run_stdio(*session_, in_r_, std::make_shared<FdLineSink>(out_w_), options);
    });
  }

  void TearDown() override {
    if (in_w_ >= 0) ::close(in_w_);
    if (gate_) gate_->release();
    if (runner_.joinable()) runner_.join();
    session_.reset();
    for (int fd : {in_r_, out_r_, out_w_}) {
      if (fd >= 0) ::close(fd);
    }
  }

  void send(std::string_view text) { write_all(in_w_, text); }

  json receive() {
    std::string line;
    EXPECT_TRUE(reader_->next(line)) << "no message from the server";
    EXPECT_EQ(line.find('\r'), std::string::npos);
    auto parsed = parse_json_text(line, 1000);
    EXPECT_TRUE(parsed) << line;
    return parsed ? *parsed : json();
  }

  bool nothing_more(std::chrono::milliseconds wait = 150ms) {
    std::string line;
    return !reader_->next(line, wait);
  }

  void initialize() {
    send(
        R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"pipe","version":"1"}}})"
        "\n"
        R"({"jsonrpc":"2.0","method":"notifications/initialized"})"
        "\n");
    json r = receive();
    ASSERT_EQ(r["id"], 0);
    ASSERT_EQ(r["result"]["protocolVersion"], "2025-11-25");
  }

  int finish() {
    ::close(in_w_);
    in_w_ = -1;
    runner_.join();
    return rc_;
  }

  tools::ToolRegistry registry_;
  GateTool* gate_ = nullptr;
  EndObserver observer_;
  std::unique_ptr<McpSession> session_;
  std::unique_ptr<LineReader> reader_;
  std::thread runner_;
  int rc_ = -1;
  int in_w_ = -1, in_r_ = -1, out_r_ = -1, out_w_ = -1;
};

TEST_F(StdioTransportTest, OneMessagePerLineFlushedAndIdsEchoed) {
  start();
  initialize();
  // Two messages in one write, one message split over two writes, CRLF, blank lines.
  send(
      "{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"ping\"}\n\n  \r\n"
      "{\"jsonrpc\":\"2.0\",\"id\":18446744073709551615,\"method\":\"ping\"}\r\n{\"jsonrpc\":");
  EXPECT_EQ(receive(), json::parse(R"({"jsonrpc":"2.0","id":"a","result":{}})"));
  EXPECT_EQ(serialize(receive()["id"]), "18446744073709551615");
  EXPECT_TRUE(nothing_more());  // the half message is not answered yet
  send("\"2.0\",\"id\":-7,\"method\":\"ping\"}\n");
  EXPECT_EQ(receive()["id"], -7);
  EXPECT_EQ(finish(), 0);
  EXPECT_TRUE(reader_->rest().empty());
}

TEST_F(StdioTransportTest, ParseErrorsAreAnsweredWithNullIdAndReadingContinues) {
  start();
  send("this is not json\n");
  json r = receive();
  EXPECT_EQ(r["error"]["code"], rpc_error::kParseError);
  EXPECT_TRUE(r["id"].is_null());
  send("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"} trailing\n");
  EXPECT_EQ(receive()["error"]["code"], rpc_error::kParseError);
  send("{\"jsonrpc\":\"2.0\",\"id\":\"\xff\xfe\",\"method\":\"ping\"}\n");  // invalid UTF-8
  r = receive();
  EXPECT_EQ(r["error"]["code"], rpc_error::kParseError);
  send(std::string(200000, '[') + "\n");  // hostile nesting
  EXPECT_EQ(receive()["error"]["code"], rpc_error::kParseError);
  send("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}\n");
  EXPECT_EQ(receive()["id"], 2);
}

TEST_F(StdioTransportTest, OversizeLineIsDiscardedAndReadingContinues) {
  ServerOptions options;
  options.max_message_bytes = 1024;
  start(options);
  std::string big =
      R"({"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":")" + std::string(5000, 'x') + "\"}}\n";
  send(big);
  json r = receive();
  EXPECT_EQ(r["error"]["code"], rpc_error::kParseError);
  EXPECT_TRUE(r["id"].is_null());
  EXPECT_NE(r["error"]["message"].get<std::string>().find("1024"), std::string::npos);
  send("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}\n");
  EXPECT_EQ(receive()["id"], 2);
  // Exactly at the limit is fine.
  std::string fits = R"({"jsonrpc":"2.0","id":3,"method":"ping","params":{"p":")";
  fits += std::string(1024 - fits.size() - 3, 'y') + "\"}}";
  ASSERT_EQ(fits.size(), 1024u);
  send(fits + "\n");
  EXPECT_EQ(receive()["id"], 3);
}

TEST_F(StdioTransportTest, SeventeenMebibyteLineWithDefaultLimit) {
  start();
  std::thread writer([this] {
    std::string big = R"({"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":")";
    big += std::string(17u * 1024u * 1024u, 'x');
    big += "\"}}\n{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}\n";
    write_all(in_w_, big);
  });
  json r = receive();
  EXPECT_EQ(r["error"]["code"], rpc_error::kParseError);
  EXPECT_EQ(receive()["id"], 2);
  writer.join();
}

TEST_F(StdioTransportTest, RequestsBeforeInitializeAndUnknownMethods) {
  start();
  send(R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})"
       "\n"
       R"({"jsonrpc":"2.0","id":2,"method":"server/discover"})"
       "\n");
  EXPECT_EQ(receive()["error"]["code"], rpc_error::kInvalidRequest);
  EXPECT_EQ(receive()["error"]["code"], rpc_error::kMethodNotFound);
}

TEST_F(StdioTransportTest, PipelinedCallsCancellationAndProgress) {
  start();
  initialize();
  send(
      R"({"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"name":"gate","_meta":{"progressToken":"pt"}}})"
      "\n");
  json progress = receive();
  EXPECT_EQ(progress["method"], "notifications/progress");
  EXPECT_EQ(progress["params"]["progressToken"], "pt");
  ASSERT_TRUE(gate_->wait_started(1));
  // The reader keeps going while the call runs.
  send(R"({"jsonrpc":"2.0","id":11,"method":"ping"})"
       "\n");
  EXPECT_EQ(receive()["id"], 11);
  send(R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":10,"reason":"test"}})"
       "\n");
  for (int i = 0; i < 200 && gate_->cancelled() == 0; ++i) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(gate_->cancelled(), 1);
  send(R"({"jsonrpc":"2.0","id":12,"method":"ping"})"
       "\n");
  EXPECT_EQ(receive()["id"], 12);  // and nothing for id 10
  EXPECT_TRUE(nothing_more());
}

TEST_F(StdioTransportTest, EofWaitsForInFlightCallsThenEndsTheSession) {
  start();
  initialize();
  send(R"({"jsonrpc":"2.0","id":"last","method":"tools/call","params":{"name":"gate"}})"
       "\n");
  ASSERT_TRUE(gate_->wait_started(1));
  std::thread releaser([this] {
    std::this_thread::sleep_for(100ms);
    gate_->release();
  });
  EXPECT_EQ(finish(), 0);
  releaser.join();
  json r = receive();
  EXPECT_EQ(r["id"], "last");
  EXPECT_EQ(r["result"]["content"][0]["text"], "released");
  ASSERT_EQ(observer_.reasons.size(), 1u);
  EXPECT_EQ(observer_.reasons[0], "stdin closed");
}

TEST_F(StdioTransportTest, FinalLineWithoutNewlineIsHandled) {
  start();
  send(R"({"jsonrpc":"2.0","id":5,"method":"ping"})");
  EXPECT_EQ(finish(), 0);
  EXPECT_EQ(receive()["id"], 5);
}

TEST_F(StdioTransportTest, WriteErrorDoesNotKillTheServer) {
  start();
  ::close(out_r_);
  out_r_ = -1;
  std::signal(SIGPIPE, SIG_IGN);
  send(R"({"jsonrpc":"2.0","id":5,"method":"ping"})"
       "\n");
  EXPECT_EQ(finish(), 0);
}

// serve_stdio rewires fds 0/1, so it runs in a forked child with pipes on 0, 1 and 2.
TEST(ServeStdioTest, StrayStdoutWritesGoToStderr) {
  int in[2], out[2], err[2];
  ASSERT_EQ(::pipe(in), 0);
  ASSERT_EQ(::pipe(out), 0);
  ASSERT_EQ(::pipe(err), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) ::close(fd);
    tools::ToolRegistry registry;
    registry.add(std::make_unique<PrintingTool>());
    policy::Principal principal;
    principal.subject = "child";
    std::printf("BANNER BEFORE SERVE\n");  // buffered: must not reach the protocol stream
    const int rc = serve_stdio(registry, nullptr, principal);
    std::fflush(stdout);
    std::_Exit(rc);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  write_all(
      in[1],
      R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"c","version":"1"}}})"
      "\n"
      R"({"jsonrpc":"2.0","method":"notifications/initialized"})"
      "\n"
      R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"printer"}})"
      "\n");
  LineReader out_reader(out[0]);
  std::string line;
  ASSERT_TRUE(out_reader.next(line));
  EXPECT_EQ(json::parse(line)["id"], 0);
  ASSERT_TRUE(out_reader.next(line));
  EXPECT_EQ(json::parse(line)["result"]["content"][0]["text"], "printed");
  ::close(in[1]);
  EXPECT_FALSE(out_reader.next(line, 5s));  // EOF, no garbage
  EXPECT_TRUE(out_reader.rest().empty()) << out_reader.rest();
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  std::string err_text;
  char chunk[4096];
  ssize_t n;
  while ((n = ::read(err[0], chunk, sizeof chunk)) > 0) err_text.append(chunk, static_cast<std::size_t>(n));
  EXPECT_NE(err_text.find("STRAY PRINTF"), std::string::npos) << err_text;
  EXPECT_NE(err_text.find("STRAY COUT"), std::string::npos) << err_text;
  EXPECT_NE(err_text.find("BANNER BEFORE SERVE"), std::string::npos) << err_text;
  ::close(out[0]);
  ::close(err[0]);
}

}  // namespace
}  // namespace sqlguard::server
