// A node's home directory, and the commands that create one (`hotbft init`, `hotbft
// testnet`, `hotbft init-safety`):
//
//   HOME/config.toml     the node's configuration (node/config.h)
//   HOME/genesis.json    the chain's genesis document (node/genesis.h)
//   HOME/validator.key   this validator's key (crypto/key_file.h), mode 0600
//   HOME/data/store      the RocksDB store: blocks, certificates, safety data, results
//   HOME/data/app        the linked-in sample app's own state
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "crypto/key_file.h"
#include "crypto/status.h"
#include "node/config.h"
#include "node/genesis.h"
#include "storage/store.h"

namespace hotbft::node {

struct HomePaths {
  std::string root;
  std::string config;
  std::string genesis;
  std::string key;
  std::string data;
  std::string store;
  std::string app_data;
};
HomePaths PathsOf(const std::string& home);

// Creates `home` with these files, an empty store of the genesis' chain, and fresh safety
// data in it (a new validator: its key has never signed). Fails, changing nothing it did
// not create, if `home` already holds any of the files.
Status InitHome(const std::string& home, const NodeConfig& config, const Genesis& genesis,
                const KeyFile& key);

// `hotbft init`: a new key and a one-validator chain `chain_id` in `home`. Returns the public
// key (hex).
Result<std::string> InitSingle(const std::string& home, const std::string& chain_id,
                               const std::string& moniker);

struct TestnetOptions {
  uint32_t validators = 4;
  std::string output;  // node<i> directories go here
  std::string chain_id = "hotbft-testnet";
  uint16_t base_port = 26600;  // node i: p2p base + 10 i, RPC + 1, client port + 2
  std::string host = "127.0.0.1";
  std::string app = "kvstore";
};
struct TestnetNode {
  std::string home;
  std::string public_key;
  std::string p2p;
  std::string rpc;
  std::string client;
};

// `hotbft testnet`: N validators' homes sharing one genesis, each config listing the others
// as peers. Fails if `output` holds any node directory already.
Result<std::vector<TestnetNode>> CreateTestnet(const TestnetOptions& options);

// `hotbft init-safety`: fresh safety data in an existing home whose store has none. Only for
// a key known never to have signed on this chain: the store refuses to replace safety data.
Status InitSafetyOfHome(const std::string& home);

// The store of an existing home, for its genesis.json's chain: for tools and tests that
// read a stopped validator's store (RocksDB's lock refuses it while the node runs).
Result<std::unique_ptr<storage::Store>> OpenHomeStore(const std::string& home);

}  // namespace hotbft::node
