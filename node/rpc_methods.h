// The RPC's methods (docs/rpc.md), independent of how a call arrived (a URI route or a
// JSON-RPC request): decode the parameters, ask the backend, wait where a method waits
// (admission, a query, a commit) with a deadline, and build the result. Not a public
// header: rpc_server.h is.
//
// Threads: everything here runs on the server's io thread. Backend callbacks, which may
// come from any thread, are relayed to it through the PostGate and find their call by
// weak pointer, so a call that already finished (timed out, say) ignores them.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "node/rpc_backend.h"
#include "node/rpc_io.h"
#include "node/rpc_json.h"

namespace hotbft::node::rpc {

// Called exactly once per call, on the io thread (perhaps before Call returns).
using ReplyFn = std::function<void(RpcReply reply)>;

struct MethodInfo {
  std::string name;
  std::vector<std::string> params;  // in positional (JSON-RPC array) order
};

// Every public method, in the order /, the route list, shows them.
const std::vector<MethodInfo>& AllMethods();
// The admin methods (named unsafe_*, as in CometBFT), served only with MethodTimeouts::admin.
const std::vector<MethodInfo>& AdminMethods();
// A public or admin method by name.
const MethodInfo* FindMethod(std::string_view name);

struct MethodTimeouts {
  uint64_t commit_ms = 10'000;  // broadcast_tx_commit: from the call to the execution
  uint64_t call_ms = 30'000;    // an admission result or a query answer from the backend
  bool admin = false;           // serve the admin methods
};

class Methods {
 public:
  // `backend` must outlive the Methods and every call it started.
  Methods(RpcBackend& backend, asio::io_context& io, std::shared_ptr<PostGate> gate,
          MethodTimeouts timeouts);

  // Runs `method`. `sender_id` identifies the connection to the mempool (fairness).
  void Call(const MethodInfo& method, const Params& params, uint64_t sender_id, ReplyFn reply);

 private:
  RpcReply Health();
  RpcReply Status();
  RpcReply Block(const Params& params);
  RpcReply Tx(const Params& params);
  RpcReply Evidence(const Params& params);
  void AbciQuery(const Params& params, ReplyFn reply);
  void BroadcastAsync(const Params& params, uint64_t sender_id, ReplyFn reply);
  void BroadcastSync(const Params& params, uint64_t sender_id, ReplyFn reply);
  void BroadcastCommit(const Params& params, uint64_t sender_id, ReplyFn reply);
  RpcReply Faults(const Params& params);

  RpcBackend& backend_;
  asio::io_context& io_;
  const std::shared_ptr<PostGate> gate_;
  const MethodTimeouts timeouts_;
};

}  // namespace hotbft::node::rpc
