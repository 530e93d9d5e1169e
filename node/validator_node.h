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
//   client calls (SubmitTx: the RPC's threads): admission, then gossip to every peer
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
#include "node/node_core.h"

namespace hotbft::node {

struct ValidatorNodeOptions {
  std::string home;
  std::string app;  // overrides config.toml's app.app when set
  std::string version = "0.1.0";
};

// What `status` reports.
struct NodeStatus {
  std::string moniker;
  std::string chain_id;
  uint32_t self = 0;
  uint32_t validators = 0;
  Height committed_height = 0;
  Height executed_height = 0;
  Round round = 0;
  uint32_t leader = 0;
  Bytes last_app_hash;
  uint32_t connected_peers = 0;
  bool can_sign = false;
  Status halted;
  Status execution;
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
  NodeStatus status() const;
  const NodeConfig& config() const;
  const storage::Store& store() const;

  class Impl;

 private:
  explicit ValidatorNode(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hotbft::node
