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

// True iff `secret` is a valid secp256k1 secret key.
bool IsValidSecretKey(const std::array<uint8_t, 32>& secret);

}  // namespace hotbft::schnorr
