// Shared helpers for the crypto tests: seeded keys and signers, byte corruption.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "crypto/signer.h"

namespace hotbft::testing_util {

// A signer of `scheme` whose secret key is drawn from `key_rng` and whose BIP-340 aux_rand
// comes from SeededRandom(sign_seed). Fails the current test if the key is rejected.
inline std::unique_ptr<Signer> MakeSeededSigner(SignatureScheme scheme, RandomSource& key_rng,
                                                uint64_t sign_seed) {
  SecretKey secret = GenerateSecretKey(scheme, key_rng);
  auto signer = MakeSigner(scheme, std::move(secret), std::make_unique<SeededRandom>(sign_seed));
  EXPECT_TRUE(signer.ok()) << signer.status().ToString();
  if (!signer.ok()) return nullptr;
  return std::move(signer).value();
}

// `count` Schnorr signers, all derived from `seed` (keys and signing randomness).
inline std::vector<std::unique_ptr<Signer>> MakeSchnorrSigners(size_t count, uint64_t seed) {
  SeededRandom key_rng(seed);
  std::vector<std::unique_ptr<Signer>> out;
  for (size_t i = 0; i < count; ++i) {
    out.push_back(MakeSeededSigner(SignatureScheme::kSchnorrBip340, key_rng, seed ^ (0x100 + i)));
  }
  return out;
}

inline std::vector<PublicKey> KeysOf(const std::vector<std::unique_ptr<Signer>>& signers) {
  std::vector<PublicKey> keys;
  for (const auto& s : signers) keys.push_back(s->public_key());
  return keys;
}

// `value` with one bit of byte `index` flipped.
template <typename T>
T FlipByte(T value, size_t index) {
  value.bytes.at(index) ^= 0x01;
  return value;
}

}  // namespace hotbft::testing_util
