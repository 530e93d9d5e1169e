// Clients of a node's two client-facing ports (docs/rpc.md), for `hotbft tx`, `query`,
// `status` and `bench`, and for tests:
//   - RpcClient: the HTTP/JSON RPC (rpc_server.h), JSON-RPC over one keep-alive connection;
//   - PortClient: the binary client port (client_port.h), batches out, admission results and
//     commit notifications in.
// Both are synchronous with a timeout on every call, and reconnect-free: after an I/O error
// or a timeout the object is broken (every later call fails) and a new one is needed.
//
// Thread-safety: none; one object per thread.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "consensus/types.h"
#include "crypto/status.h"
#include "mempool/mempool.h"

namespace hotbft::node {

struct HttpReply {
  unsigned status = 0;
  std::string content_type;
  std::string body;
};

class RpcClient {
 public:
  // `address` is HOST:PORT (or [IPV6]:PORT). Fails if it cannot connect within timeout_ms.
  static Result<std::unique_ptr<RpcClient>> Connect(const std::string& address,
                                                    uint64_t timeout_ms = 30'000);
  ~RpcClient();
  RpcClient(const RpcClient&) = delete;
  RpcClient& operator=(const RpcClient&) = delete;

  // One HTTP exchange; any status is a reply (not an error).
  Result<HttpReply> Get(const std::string& target);
  Result<HttpReply> Post(const std::string& target, const std::string& body,
                         const std::string& content_type = "application/json");

  // A JSON-RPC call: the result, or the error as a Status whose message is
  // "<message> (<code>): <data>", with the code mapped: invalid request or params and parse
  // errors kInvalidArgument, unknown method and not found kNotFound, a refused transaction
  // kFailedPrecondition, unavailable kResourceExhausted, a timeout kIoError, others
  // kInternal.
  Result<nlohmann::json> Call(const std::string& method,
                              const nlohmann::json& params = nlohmann::json::object());

  Result<nlohmann::json> GetStatus() { return Call("status"); }
  Result<nlohmann::json> Health() { return Call("health"); }
  Result<nlohmann::json> BroadcastTxSync(ByteView tx);
  Result<nlohmann::json> BroadcastTxCommit(ByteView tx);
  Result<nlohmann::json> Query(const std::string& path, ByteView data, Height height = 0);
  Result<nlohmann::json> Tx(const Hash32& hash);
  Result<nlohmann::json> Block(std::optional<Height> height = std::nullopt);

  class Impl;

 private:
  explicit RpcClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// What the binary port answers.
struct Admission {
  mempool::AddOutcome outcome = mempool::AddOutcome::kAdded;
  uint32_t code = 0;
  std::string log;
  Hash32 hash;
  bool watched = false;
};
struct BatchResult {
  uint64_t request_id = 0;
  std::vector<Admission> results;
};
struct CommittedTx {
  Hash32 hash;
  Height height = 0;
  uint32_t index = 0;
  uint32_t code = 0;
};
struct CommitNotice {
  std::vector<CommittedTx> committed;
  std::vector<Hash32> expired;
};
struct PortError {
  std::string reason;  // the node's, just before it closed the connection
};
using PortMessage = std::variant<BatchResult, CommitNotice, PortError>;

class PortClient {
 public:
  // `address` is HOST:PORT (or [IPV6]:PORT). Fails if it cannot connect within timeout_ms.
  static Result<std::unique_ptr<PortClient>> Connect(const std::string& address,
                                                     uint64_t timeout_ms = 30'000);
  ~PortClient();
  PortClient(const PortClient&) = delete;
  PortClient& operator=(const PortClient&) = delete;

  // Sends one batch without waiting for its result (pipelining); returns its request id.
  Result<uint64_t> Send(const std::vector<Bytes>& txs, bool notify, uint64_t timeout_ms = 30'000);
  // The next message from the node, waiting up to timeout_ms. A message Submit set aside
  // comes first.
  Result<PortMessage> Receive(uint64_t timeout_ms = 30'000);
  // Sends a batch and waits for its result; commit notifications that arrive meanwhile are
  // kept for Receive.
  Result<BatchResult> Submit(const std::vector<Bytes>& txs, bool notify,
                             uint64_t timeout_ms = 30'000);

  class Impl;

 private:
  explicit PortClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hotbft::node
