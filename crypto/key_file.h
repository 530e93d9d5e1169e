// The key file: a validator's (or node's) secret key on disk.
//
//   {"scheme": "secp256k1-schnorr-bip340",
//    "public_key": "<64 hex chars>",
//    "secret_key": "<64 hex chars>"}
//
// Written with mode 0600, atomically (temporary file, fsync, rename). Loading refuses a
// file that group or others can read or write, and a file whose public key does not
// match its secret key.
#pragma once

#include <string>

#include "crypto/signer.h"

namespace hotbft {

struct KeyFile {
  SignatureScheme scheme = SignatureScheme::kSchnorrBip340;
  PublicKey public_key;
  SecretKey secret_key{std::array<uint8_t, 32>{}};
};

// Generates a new key of `scheme` from `rng`.
KeyFile GenerateKeyFile(SignatureScheme scheme, RandomSource& rng);

// Writes `key` to `path` with mode 0600. Fails if `path` exists unless `overwrite`.
Status WriteKeyFile(const std::string& path, const KeyFile& key, bool overwrite);

// Reads and checks a key file (permissions, format, key consistency).
Result<KeyFile> LoadKeyFile(const std::string& path);

}  // namespace hotbft
