#include "crypto/signer.h"

#include <openssl/crypto.h>

#include "crypto/schnorr.h"
#include "crypto/sha256.h"

namespace hotbft {

std::string_view SchemeName(SignatureScheme scheme) {
  switch (scheme) {
    case SignatureScheme::kSchnorrBip340: return "secp256k1-schnorr-bip340";
    case SignatureScheme::kTestOnlyKeyedHash: return "test-only-keyed-hash";
  }
  return "unknown";
}

Result<SignatureScheme> SchemeFromName(std::string_view name) {
  for (auto s : {SignatureScheme::kSchnorrBip340, SignatureScheme::kTestOnlyKeyedHash}) {
    if (SchemeName(s) == name) return s;
  }
  return Status::InvalidArgument("unknown signature scheme '" + std::string(name) +
                                 "'; expected 'secp256k1-schnorr-bip340'");
}

SecretKey::~SecretKey() {
  OPENSSL_cleanse(bytes_.data(), bytes_.size());
}
SecretKey::SecretKey(SecretKey&& other) noexcept : bytes_(other.bytes_) {
  OPENSSL_cleanse(other.bytes_.data(), other.bytes_.size());
}
SecretKey& SecretKey::operator=(SecretKey&& other) noexcept {
  if (this != &other) {
    bytes_ = other.bytes_;
    OPENSSL_cleanse(other.bytes_.data(), other.bytes_.size());
  }
  return *this;
}

namespace {

// ---- Test-only keyed hash ----
// public key = SHA-256("hotbft/test-only-key" || secret)
// signature  = SHA-256(0x00 || public key || digest) || SHA-256(0x01 || public key || digest)
// Anyone with the public key can compute a valid signature: never use outside simulation.
constexpr std::string_view kTestKeyTag = "hotbft/test-only-key";

PublicKey TestOnlyPublicKey(const SecretKey& secret) {
  Sha256Hasher h;
  h.Update(AsBytes(kTestKeyTag));
  h.Update(secret.bytes());
  PublicKey pk;
  pk.bytes = h.Finish().bytes;
  return pk;
}

Signature TestOnlySignature(const PublicKey& key, const Hash32& digest) {
  Signature sig;
  Sha256Hasher h;
  for (uint8_t half = 0; half < 2; ++half) {
    h.Update(ByteView(&half, 1));
    h.Update(key.view());
    h.Update(digest.view());
    Hash32 part = h.Finish();
    std::copy(part.bytes.begin(), part.bytes.end(), sig.bytes.begin() + 32 * half);
  }
  return sig;
}

class TestOnlyKeyedHashSigner final : public Signer {
 public:
  explicit TestOnlyKeyedHashSigner(const SecretKey& secret) : key_(TestOnlyPublicKey(secret)) {}
  SignatureScheme scheme() const override { return SignatureScheme::kTestOnlyKeyedHash; }
  const PublicKey& public_key() const override { return key_; }
  Signature Sign(const Hash32& digest) override { return TestOnlySignature(key_, digest); }

 private:
  PublicKey key_;
};

class TestOnlyKeyedHashVerifier final : public Verifier {
 public:
  SignatureScheme scheme() const override { return SignatureScheme::kTestOnlyKeyedHash; }
  bool Verify(const PublicKey& key, const Hash32& digest, const Signature& sig) const override {
    return TestOnlySignature(key, digest) == sig;
  }
};

// ---- BIP-340 Schnorr ----
class SchnorrSigner final : public Signer {
 public:
  SchnorrSigner(schnorr::SigningKey key, std::unique_ptr<RandomSource> rng)
      : key_(std::move(key)), rng_(std::move(rng)) {}
  SignatureScheme scheme() const override { return SignatureScheme::kSchnorrBip340; }
  const PublicKey& public_key() const override { return key_.public_key(); }
  Signature Sign(const Hash32& digest) override {
    std::array<uint8_t, 32> aux_rand;
    rng_->Fill(aux_rand);
    return key_.Sign(digest, aux_rand);
  }

 private:
  schnorr::SigningKey key_;
  std::unique_ptr<RandomSource> rng_;
};

class SchnorrVerifier final : public Verifier {
 public:
  SignatureScheme scheme() const override { return SignatureScheme::kSchnorrBip340; }
  bool Verify(const PublicKey& key, const Hash32& digest, const Signature& sig) const override {
    return schnorr::Verify(key.view(), digest.view(), sig.view());
  }
};

}  // namespace

SecretKey GenerateSecretKey(SignatureScheme scheme, RandomSource& rng) {
  std::array<uint8_t, 32> bytes;
  for (;;) {
    rng.Fill(bytes);
    if (scheme != SignatureScheme::kSchnorrBip340 || schnorr::IsValidSecretKey(bytes)) break;
  }
  SecretKey key(bytes);
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return key;
}

Result<PublicKey> DerivePublicKey(SignatureScheme scheme, const SecretKey& secret) {
  if (scheme == SignatureScheme::kTestOnlyKeyedHash) return TestOnlyPublicKey(secret);
  return schnorr::PublicKeyOf(secret);
}

Result<std::unique_ptr<Signer>> MakeSigner(SignatureScheme scheme, SecretKey secret,
                                           std::unique_ptr<RandomSource> rng) {
  HOTBFT_ASSERT(rng != nullptr);
  if (scheme == SignatureScheme::kTestOnlyKeyedHash) {
    return std::unique_ptr<Signer>(std::make_unique<TestOnlyKeyedHashSigner>(secret));
  }
  Result<schnorr::SigningKey> key = schnorr::SigningKey::Create(secret);
  if (!key.ok()) return key.status();
  return std::unique_ptr<Signer>(
      std::make_unique<SchnorrSigner>(std::move(key).value(), std::move(rng)));
}

const Verifier& VerifierFor(SignatureScheme scheme) {
  static const SchnorrVerifier schnorr_verifier;
  static const TestOnlyKeyedHashVerifier test_only_verifier;
  if (scheme == SignatureScheme::kTestOnlyKeyedHash) return test_only_verifier;
  return schnorr_verifier;
}

}  // namespace hotbft
