// secp256k1 BIP-340 Schnorr signatures through libsecp256k1.
//
// Most code uses the Signer/Verifier seam (crypto/signer.h); these functions are the
// raw operations beneath it, exposed for the BIP-340 test vectors.
#pragma once

#include "crypto/signer.h"

namespace hotbft::schnorr {

// Signs the 32-byte `message` with `aux_rand` as BIP-340's auxiliary randomness.
Result<Signature> Sign(const SecretKey& secret, const Hash32& message,
                       const std::array<uint8_t, 32>& aux_rand);

// Verifies a signature given as raw bytes. Returns false for a public key that is not
// a valid x-only key, wrong lengths, or an invalid signature. Thread-safe.
bool Verify(ByteView public_key, ByteView message, ByteView signature);

// The x-only public key of `secret`; fails if `secret` is zero or not below the curve order.
Result<PublicKey> PublicKeyOf(const SecretKey& secret);

// A secret key expanded once (libsecp256k1 keypair) so that repeated signing skips the
// public-key derivation. Wiped on destruction. Move-only.
class SigningKey {
 public:
  static Result<SigningKey> Create(const SecretKey& secret);
  ~SigningKey();
  SigningKey(SigningKey&& other) noexcept;
  SigningKey& operator=(SigningKey&& other) noexcept;
  SigningKey(const SigningKey&) = delete;
  SigningKey& operator=(const SigningKey&) = delete;

  const PublicKey& public_key() const { return public_key_; }
  // Thread-safe (the key is only read).
  Signature Sign(const Hash32& message, const std::array<uint8_t, 32>& aux_rand) const;

 private:
  SigningKey() = default;
  std::array<unsigned char, 96> keypair_{};  // opaque secp256k1_keypair
  PublicKey public_key_;
};

// True iff `secret` is a valid secp256k1 secret key.
bool IsValidSecretKey(const std::array<uint8_t, 32>& secret);

}  // namespace hotbft::schnorr
