// ValidatorNode: the composition root of `hotbft start` (DESIGN.md "Threads in the node").
// It opens a home (node/home.h) and wires the pieces:
//
//   transport io thread (network/transport.h): peers' messages, decoded and authenticated
//     -> consensus messages posted to the consensus thread
//     -> gossiped transactions posted to the mempool thread (admission through CheckTx)
//   consensus thread: owns the NodeCore (consensus core, storage writer and executor
//     threads, node/node_core.h), its round timer, and answers payload requests from the
//     mempool; executed heights update the mempool
//   mempool thread: admits gossiped transactions; recheck thread: rechecks the pool after
//     each commit, never on the consensus thread
//   client calls: the HTTP RPC (node/rpc_server.h) and the binary client port
//     (node/client_port.h), each on an io thread of its own, call the node's RpcBackend:
//     admissions run on the mempool thread, then gossip to every peer; queries on a query
//     thread (the app's query connection); reads straight from the store; commit watches
//     fire from the consensus thread once a height is executed and durable
//
// Time is the wall clock in milliseconds (block timestamps compare across validators).
//
// Thread-safety: Open, Start and Stop from one thread; SubmitTx and the getters from any.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "crypto/status.h"
#include "mempool/mempool.h"
#include "node/config.h"
#include "node/message_layer.h"
#include "node/node_core.h"
#include "node/rpc_backend.h"

namespace hotbft::node {

struct ValidatorNodeOptions {
  std::string home;
  std::string app;  // overrides config.toml's app.app when set
  std::string version = "0.1.0";
  // Unset for a validator that follows the protocol. Set, the node puts the layer it makes
  // between its core and its peers (node/message_layer.h).
  MessageLayerFactory message_layer;
};

class ValidatorNode {
 public:
  static Result<std::unique_ptr<ValidatorNode>> Open(const ValidatorNodeOptions& options);
  ~ValidatorNode();  // stops if running
  ValidatorNode(const ValidatorNode&) = delete;
  ValidatorNode& operator=(const ValidatorNode&) = delete;

  // Starts the transport and the node's threads. Fails, with nothing left running, if the
  // p2p address cannot be bound.
  Status Start();
  // Stops accepting input, lets the storage writer finish its write, joins every thread.
  void Stop();

  // A client's transaction: admitted through the app's CheckTx, then gossiped.
  mempool::AddResult SubmitTx(Bytes tx, uint64_t client_id);
  NodeSnapshot status() const;
  // What the RPC server and the client port call (valid from Open to destruction).
  RpcBackend& backend();
  // The ports the HTTP RPC and the binary client port listen on (after a successful Start).
  uint16_t rpc_port() const;
  uint16_t client_port() const;
  const NodeConfig& config() const;
  const storage::Store& store() const;

  class Impl;

 private:
  explicit ValidatorNode(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hotbft::node
