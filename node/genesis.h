// The genesis document: what every validator of a chain must agree on before the first
// block. A JSON file (genesis.json in a node's home), written by `hotbft init` and
// `hotbft testnet`:
//
//   {
//     "chain_id": "hotbft-local",
//     "genesis_time_ms": 1764000000000,
//     "epoch": 0,
//     "validators": [{"name": "node0", "public_key": "<64 hex chars>"}, ...],
//     "app_state": "<hex, opaque to the node, given to the app's InitChain>"
//   }
//
// Every validator has one vote (the validator set is fixed at genesis for now). The
// genesis block commits to the whole document (Commitment), so nodes given different
// documents start different chains, and a node's database refuses another document's.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "consensus/types.h"
#include "crypto/status.h"
#include "crypto/validator_set.h"

namespace hotbft::node {

struct GenesisValidator {
  std::string name;
  PublicKey public_key;
};

struct Genesis {
  std::string chain_id;
  uint64_t genesis_time_ms = 0;
  Epoch epoch = 0;
  std::vector<GenesisValidator> validators;
  Bytes app_state;

  // SHA-256 over the canonical encoding of every field (docs/wire.md primitives): var(chain
  // id), u64 time, u64 epoch, u32 count, then per validator var(name) and fixed(32) key,
  // then var(app state).
  Hash32 Commitment() const;
  Result<ValidatorSet> Validators() const;
  std::shared_ptr<const Block> GenesisBlock() const;
  std::string ToJson() const;  // pretty-printed
};

// Parses and checks a genesis document: a chain id of 1 to 64 characters of [A-Za-z0-9._-],
// 1 to ValidatorSet::kValidatorsMax validators with distinct keys and names. `source` names
// the file in errors.
Result<Genesis> ParseGenesis(std::string_view json, const std::string& source);
Result<Genesis> LoadGenesis(const std::string& path);
Status WriteGenesis(const std::string& path, const Genesis& genesis);

}  // namespace hotbft::node
