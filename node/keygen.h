// `hotbft keygen`: create a validator key file.
#pragma once

#include <string>

#include "crypto/status.h"

namespace hotbft::node {

struct KeygenOptions {
  std::string out_path;
  bool overwrite = false;
};

// Generates a BIP-340 key from the system's randomness and writes it with mode 0600.
// On success returns the hex public key.
Result<std::string> RunKeygen(const KeygenOptions& options);

}  // namespace hotbft::node
