// The node's configuration: config.toml in its home directory. Every key has a default;
// RenderConfig writes them all with a comment each (what `hotbft init` and `hotbft testnet`
// generate), and LoadConfig refuses a bad value, an unknown key or a wrong type with the
// file, the key and the reason.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "crypto/status.h"

namespace hotbft::node {

struct NodeConfig {
  std::string moniker = "node";

  // [p2p]
  std::string p2p_listen = "127.0.0.1:26656";
  // The other validators: "<public key hex>@<host>:<port>".
  std::vector<std::string> p2p_peers;
  uint64_t p2p_frame_bytes_max = 16 << 20;

  // [rpc]
  std::string rpc_listen = "127.0.0.1:26657";
  std::string rpc_client_listen = "127.0.0.1:26658";  // the binary client port
  uint64_t rpc_broadcast_commit_timeout_ms = 10'000;
  // Serve the unsafe_* admin methods (fault injection at run time). Tests only.
  bool rpc_admin = false;

  // [faults]: fault injection on the p2p network (network/fault.h). Tests only.
  bool faults_enabled = false;
  double faults_drop_probability = 0.0;
  double faults_duplicate_probability = 0.0;
  uint64_t faults_delay_ms_min = 0;
  uint64_t faults_delay_ms_max = 0;
  std::vector<uint32_t> faults_partitioned;  // validator indices cut off from this one

  // [consensus]
  uint64_t round_timeout_base_ms = 1'000;
  double round_timeout_factor = 1.2;
  uint32_t round_timeout_exponent_max = 6;
  bool idle_empty_blocks = false;
  uint64_t empty_block_interval_ms = 500;
  uint64_t payload_bytes_max = 4 << 20;
  uint32_t payload_txs_max = 10'000;

  // [mempool]
  uint64_t mempool_tx_bytes_max = 1 << 20;
  uint64_t mempool_txs_max = 100'000;
  uint64_t mempool_bytes_max = uint64_t{256} << 20;
  uint64_t mempool_cache_max = 200'000;

  // [storage]
  bool storage_sync = true;

  // [app]
  // kvstore | counter | noop | PATH.so | unix:PATH | tcp:HOST:PORT
  std::string app = "kvstore";

  // [log]
  std::string log_level = "info";   // trace | debug | info | warn | error
  std::string log_format = "text";  // text | json

  bool operator==(const NodeConfig&) const = default;
};

// The config as TOML, every key with its comment.
std::string RenderConfig(const NodeConfig& config);

// Parses TOML text; `source` names the file in errors ("config FILE: KEY: reason").
Result<NodeConfig> ParseConfig(std::string_view toml, const std::string& source);
Result<NodeConfig> LoadConfig(const std::string& path);

}  // namespace hotbft::node
