// Cluster: a local testnet of real `hotbft start` processes on loopback, for the integration
// tests (integration_test.cc says what runs and how to run it alone).
//
// Create() picks free ports at run time, runs `hotbft testnet` (the binary of the same
// build, HOTBFT_BINARY) into a fresh temporary directory, and rewrites every config.toml
// through the node's config library with the short timeouts of ClusterOptions. Each node
// then runs as a child process logging to HOME/node.log; the test starts, stops (SIGTERM),
// kills (SIGKILL) and restarts them. Every process is SIGKILLed and reaped when the Cluster
// is destroyed, so an assertion that returns early leaves nothing running; the directory is
// removed too, unless HOTBFT_INTEGRATION_KEEP is set in the environment.
//
// The wait helpers poll each node's HTTP RPC (/status) with a deadline; on failure their
// message carries what was last seen and the tail of every node's log.
//
// Thread-safety: none; the test thread owns the cluster.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "crypto/status.h"
#include "node/client.h"
#include "tests/integration/process.h"

namespace hotbft::integration {

struct ClusterOptions {
  uint32_t validators = 4;
  std::string chain_id = "hotbft-integration";
  std::string app = "kvstore";
  // Free port slots (10 ports each, as `hotbft testnet` lays them out) reserved after the
  // validators' for nodes a test adds itself (AddNode).
  uint32_t spare_slots = 0;
  // Short consensus timings: a crashed leader costs one short round. The base stays well
  // above a round's work on a loaded 2-core machine, or rounds time out for nothing.
  uint64_t round_timeout_base_ms = 600;
  double round_timeout_factor = 1.5;
  uint32_t round_timeout_exponent_max = 2;
  bool idle_empty_blocks = false;
  uint64_t empty_block_interval_ms = 150;
  uint64_t broadcast_commit_timeout_ms = 30'000;
  std::string log_level = "info";
  // [rpc] admin: the unsafe_* methods (unsafe_faults: partitions, drops) for fault tests.
  bool rpc_admin = false;
};

// One node's home and addresses (HOST:PORT).
struct NodeInfo {
  std::string home;
  std::string public_key;  // hex
  std::string p2p;
  std::string rpc;
  std::string client;
  uint16_t p2p_port = 0;
};

// What a node's /status says, the fields the tests compare.
struct NodeView {
  uint64_t height = 0;           // committed
  uint64_t executed_height = 0;  // the app hash is after this height
  std::string app_hash;
  std::string block_hash;
  uint64_t round = 0;
  uint32_t peers = 0;
  bool halted = false;
  nlohmann::json raw;
};

class Cluster {
 public:
  static Result<std::unique_ptr<Cluster>> Create(const ClusterOptions& options);
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  // Nodes: the validators first (0..validators-1), then any AddNode added.
  uint32_t size() const { return static_cast<uint32_t>(nodes_.size()); }
  uint32_t validators() const { return options_.validators; }
  const NodeInfo& node(uint32_t i) const;
  const std::string& dir() const { return dir_; }
  const ClusterOptions& options() const { return options_; }
  // The ports of spare slot `slot` (p2p, RPC, client port: base, +1, +2).
  uint16_t SpareSlotPort(uint32_t slot) const;
  // Adds a node whose home the test made itself. Returns its index.
  uint32_t AddNode(NodeInfo info);
  std::string log_path(uint32_t i) const;

  // Spawns `hotbft start --home HOME` (again after Stop or Kill).
  Status Start(uint32_t i);
  // From the next Start(i) on, node i runs `BINARY start --home HOME ARGS...` instead
  // (the hotbft-byzantine binary with its --misbehave, for instance).
  void SetStartCommand(uint32_t i, std::string binary, std::vector<std::string> args);
  // Starts every validator and waits until each answers /status.
  Status StartAll(uint64_t timeout_ms = 30'000);
  // SIGTERM and a wait for a graceful exit; false if the node had to be SIGKILLed.
  bool Stop(uint32_t i, uint64_t timeout_ms = 15'000);
  // SIGKILL: a crash.
  void Kill(uint32_t i);
  // True while the process runs; one that ended is reaped.
  bool Running(uint32_t i);
  // "exit 0" / "killed by signal 9" / "running": for messages.
  std::string ProcessState(uint32_t i);

  // The node's RPC client, connected on first use and after an error (a client is
  // unusable after an I/O error). Fails if the node does not accept a connection.
  Result<node::RpcClient*> Rpc(uint32_t i);
  // A JSON-RPC call; an I/O error drops the cached client so that the next call reconnects.
  Result<nlohmann::json> Call(uint32_t i, const std::string& method,
                              const nlohmann::json& params = nlohmann::json::object());
  Result<NodeView> View(uint32_t i);
  // The block id at `height` on node i.
  Result<std::string> BlockId(uint32_t i, uint64_t height);

  // The last `lines` lines of each node's log (all nodes, or those listed).
  std::string LogTails(size_t lines = 30) const;
  std::string LogTails(const std::vector<uint32_t>& nodes, size_t lines = 30) const;
  // The whole log of node i.
  std::string Log(uint32_t i) const;

  // Polls `check` every 100 ms until it returns true or timeout_ms passes. `check` may fill
  // `detail` with what it saw; the failure names `what`, the last detail and the log tails.
  ::testing::AssertionResult WaitUntil(const std::string& what, uint64_t timeout_ms,
                                       const std::function<bool(std::string* detail)>& check);
  // Waits until node i answers /status; fails at once if its process ends.
  ::testing::AssertionResult WaitForStatus(uint32_t i, uint64_t timeout_ms);
  // Waits until every listed node has executed at least `height`.
  ::testing::AssertionResult WaitForExecuted(const std::vector<uint32_t>& nodes, uint64_t height,
                                             uint64_t timeout_ms);
  // Waits until every listed node has executed `blocks` heights beyond what it had on entry.
  ::testing::AssertionResult WaitForProgress(const std::vector<uint32_t>& nodes, uint64_t blocks,
                                             uint64_t timeout_ms);
  // Waits until the listed nodes report one executed height (everything committed executed)
  // at or above `height_min`, then checks they agree there: the same app hash and the same
  // block id. A difference in either fails at once (it is a divergence, not slowness).
  // Sets *common_height to the height compared.
  ::testing::AssertionResult WaitForAgreement(const std::vector<uint32_t>& nodes,
                                              uint64_t height_min, uint64_t timeout_ms,
                                              uint64_t* common_height = nullptr);

  std::vector<uint32_t> AllValidators() const;

 private:
  explicit Cluster(ClusterOptions options);
  Status Generate();
  Status Tune(const std::string& config_path) const;

  ClusterOptions options_;
  std::string binary_;
  std::string dir_;
  uint16_t base_port_ = 0;
  // Descriptors holding the leases on this cluster's port slots (cluster.cc, LeaseSlots).
  std::vector<int> port_locks_;
  std::vector<NodeInfo> nodes_;
  std::vector<std::unique_ptr<Process>> processes_;
  std::vector<std::unique_ptr<node::RpcClient>> clients_;
  // SetStartCommand's binaries and extra arguments, by node.
  std::map<uint32_t, std::pair<std::string, std::vector<std::string>>> start_commands_;
};

// Milliseconds on a monotonic clock.
// A base port whose `slots` port slots (10 ports each, as `hotbft testnet` lays them out) are
// all bindable now and leased to this process until the descriptors appended to `locks` are
// closed: no other caller, in this process or another, gets an overlapping span meanwhile.
Result<uint16_t> LeasePortBase(uint32_t slots, std::vector<int>* locks);

uint64_t MonotonicMs();

// Parses "HOST:PORT" into its port; 0 if malformed.
uint16_t PortOf(const std::string& address);

}  // namespace hotbft::integration
