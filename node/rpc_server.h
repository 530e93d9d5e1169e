// RpcServer: the node's HTTP/JSON RPC (Boost.Beast), CometBFT-style (docs/rpc.md):
//   GET /health, /status, /block?height=, /tx?hash=, /abci_query?path=&data=&height=,
//       /broadcast_tx_async?tx=, /broadcast_tx_sync?tx=, /broadcast_tx_commit?tx=, /metrics
//   GET /            the list of routes
//   POST /           JSON-RPC 2.0, the same method names (a single call or a batch)
// Results come in the JSON-RPC envelope ({"jsonrpc":"2.0","id":-1,"result":...} for a URI
// call), except GET /metrics, which is the Prometheus text. Every bad request gets a JSON-RPC
// error object with the reason and an HTTP status (rpc_json.h lists them); none closes the
// server or affects other connections.
//
// Limits: at most connections_max open connections (one more is answered 503 and closed);
// a request's header and its body are each at most request_bytes_max (413 beyond, and the
// connection closes); a connection must send a request within idle_timeout_ms of opening or
// of its last answer (then it is closed); one call at a time per connection (HTTP/1.1
// keep-alive; pipelined requests wait their turn); at most batch_calls_max calls per
// JSON-RPC batch.
//
// Threads: one io thread of its own (Start to Stop). Backend calls are made on it; the
// backend's callbacks come back through a PostGate, so nothing waits on it (rpc_backend.h).
// Start, Stop and port() are called by the owner from one thread; stats() from any.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "crypto/status.h"
#include "node/metrics.h"
#include "node/rpc_backend.h"

namespace hotbft::node {

// Mempool sender ids of HTTP connections start here; the binary client port's count from 1
// (mempool::Sender::Client): the two never share an id.
inline constexpr uint64_t kHttpSenderIdBase = uint64_t{1} << 62;

struct RpcServerConfig {
  std::string listen = "127.0.0.1:26657";  // HOST:PORT or [IPV6]:PORT; port 0 picks one
  size_t connections_max = 100;
  // One request's header (with the target, which holds a URI call's arguments), and its body,
  // each. A 1 MiB transaction is 2 MiB in hex.
  uint32_t request_bytes_max = 4u << 20;
  uint64_t idle_timeout_ms = 60'000;
  uint64_t commit_timeout_ms = 10'000;  // broadcast_tx_commit (NodeConfig's [rpc] key)
  uint64_t call_timeout_ms = 30'000;    // admission or query answers from the backend
  size_t batch_calls_max = 100;
  // Serve the admin methods (unsafe_faults: the p2p fault injection). Tests only: anyone
  // who reaches the port could cut the node off. NodeConfig's [rpc] admin.
  bool admin = false;
};

struct RpcServerStats {
  uint64_t connections_accepted = 0;
  uint64_t connections_refused = 0;  // over connections_max
  uint64_t connections_open = 0;
  uint64_t requests = 0;  // HTTP requests answered
};

class RpcServer {
 public:
  // `backend` (and `metrics`, if given) must outlive the server.
  RpcServer(RpcServerConfig config, RpcBackend& backend, NodeMetrics* metrics = nullptr);
  ~RpcServer();  // stops if running
  RpcServer(const RpcServer&) = delete;
  RpcServer& operator=(const RpcServer&) = delete;

  // Binds and listens, then starts the io thread. Fails, with nothing started, if the
  // address is bad or cannot be bound. REQUIRES: called once.
  Status Start();
  // Closes every connection and joins the io thread; pending calls are dropped unanswered.
  void Stop();
  uint16_t port() const;  // after a successful Start

  RpcServerStats stats() const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace hotbft::node
