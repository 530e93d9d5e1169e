// Keys, signatures and the Signer/Verifier seam.
//
// Two schemes sit behind one interface:
//   kSchnorrBip340     secp256k1 BIP-340 Schnorr through libsecp256k1: what nodes use.
//   kTestOnlyKeyedHash a keyed SHA-256 that anyone holding the public key can forge. It
//                      exists only so the simulator can run thousands of seeds quickly;
//                      a node refuses to start with it (node config rejects it).
// Both sign a 32-byte digest (see crypto/signing.h for how messages become digests).
#pragma once

#include <memory>
#include <string_view>

#include "crypto/bytes.h"
#include "crypto/random.h"

namespace hotbft {

enum class SignatureScheme : uint8_t {
  kSchnorrBip340 = 1,
  kTestOnlyKeyedHash = 2,
};

std::string_view SchemeName(SignatureScheme scheme);  // "secp256k1-schnorr-bip340", ...
Result<SignatureScheme> SchemeFromName(std::string_view name);

// A 32-byte public key: a BIP-340 x-only key, or the test-only scheme's key.
struct PublicKey : FixedBytes<32> {
  auto operator<=>(const PublicKey&) const = default;
};
struct Signature : FixedBytes<64> {
  auto operator<=>(const Signature&) const = default;
};

// A 32-byte secret key, wiped from memory on destruction. Move-only.
class SecretKey {
 public:
  explicit SecretKey(const std::array<uint8_t, 32>& bytes) : bytes_(bytes) {}
  ~SecretKey();
  SecretKey(SecretKey&& other) noexcept;
  SecretKey& operator=(SecretKey&& other) noexcept;
  SecretKey(const SecretKey&) = delete;
  SecretKey& operator=(const SecretKey&) = delete;

  const std::array<uint8_t, 32>& bytes() const { return bytes_; }

 private:
  std::array<uint8_t, 32> bytes_;
};

class Signer {
 public:
  virtual ~Signer() = default;
  virtual SignatureScheme scheme() const = 0;
  virtual const PublicKey& public_key() const = 0;
  // Signs `digest`. Draws signing randomness from the signer's RandomSource, so it is
  // not const and not thread-safe.
  virtual Signature Sign(const Hash32& digest) = 0;
};

class Verifier {
 public:
  virtual ~Verifier() = default;
  virtual SignatureScheme scheme() const = 0;
  // True iff `signature` is valid for `digest` under `key`. Thread-safe.
  virtual bool Verify(const PublicKey& key, const Hash32& digest,
                      const Signature& signature) const = 0;
};

// A fresh secret key for `scheme` from `rng` (retries until the key is valid for the curve).
SecretKey GenerateSecretKey(SignatureScheme scheme, RandomSource& rng);

// The public key of `secret`; fails if `secret` is not a valid key for `scheme`.
Result<PublicKey> DerivePublicKey(SignatureScheme scheme, const SecretKey& secret);

// A signer owning `secret` and `rng` (the source of BIP-340 aux_rand).
Result<std::unique_ptr<Signer>> MakeSigner(SignatureScheme scheme, SecretKey secret,
                                           std::unique_ptr<RandomSource> rng);

// The process-wide verifier for `scheme`. Thread-safe, lives for the whole program.
const Verifier& VerifierFor(SignatureScheme scheme);

}  // namespace hotbft
