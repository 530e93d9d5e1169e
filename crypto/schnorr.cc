#include "crypto/schnorr.h"

#include <openssl/crypto.h>
#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>

#include "crypto/random.h"

namespace hotbft::schnorr {
namespace {

// One context for the process, randomised once against side channels. libsecp256k1
// allows concurrent use of a context by functions that take it as const, which all
// of signing and verification do.
const secp256k1_context* Context() {
  static const secp256k1_context* ctx = [] {
    secp256k1_context* c = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    HOTBFT_ASSERT(c != nullptr);
    uint8_t seed[32];
    SystemRandom().Fill(seed);
    HOTBFT_ASSERT(secp256k1_context_randomize(c, seed) == 1);
    OPENSSL_cleanse(seed, sizeof(seed));
    return c;
  }();
  return ctx;
}

}  // namespace

bool IsValidSecretKey(const std::array<uint8_t, 32>& secret) {
  return secp256k1_ec_seckey_verify(Context(), secret.data()) == 1;
}

Result<PublicKey> PublicKeyOf(const SecretKey& secret) {
  Result<SigningKey> key = SigningKey::Create(secret);
  if (!key.ok()) return key.status();
  return key->public_key();
}

static_assert(sizeof(secp256k1_keypair) == 96, "SigningKey stores a secp256k1_keypair");

Result<SigningKey> SigningKey::Create(const SecretKey& secret) {
  SigningKey key;
  auto* keypair = reinterpret_cast<secp256k1_keypair*>(key.keypair_.data());
  if (secp256k1_keypair_create(Context(), keypair, secret.bytes().data()) != 1) {
    return Status::InvalidArgument("secret key is not a valid secp256k1 key (zero or >= n)");
  }
  secp256k1_xonly_pubkey xonly;
  HOTBFT_ASSERT(secp256k1_keypair_xonly_pub(Context(), &xonly, nullptr, keypair) == 1);
  HOTBFT_ASSERT(secp256k1_xonly_pubkey_serialize(Context(), key.public_key_.bytes.data(), &xonly) ==
                1);
  return key;
}

SigningKey::~SigningKey() {
  OPENSSL_cleanse(keypair_.data(), keypair_.size());
}

SigningKey::SigningKey(SigningKey&& other) noexcept
    : keypair_(other.keypair_), public_key_(other.public_key_) {
  OPENSSL_cleanse(other.keypair_.data(), other.keypair_.size());
}

SigningKey& SigningKey::operator=(SigningKey&& other) noexcept {
  if (this != &other) {
    keypair_ = other.keypair_;
    public_key_ = other.public_key_;
    OPENSSL_cleanse(other.keypair_.data(), other.keypair_.size());
  }
  return *this;
}

Signature SigningKey::Sign(const Hash32& message, const std::array<uint8_t, 32>& aux_rand) const {
  Signature sig;
  const auto* keypair = reinterpret_cast<const secp256k1_keypair*>(keypair_.data());
  HOTBFT_ASSERT(secp256k1_schnorrsig_sign32(Context(), sig.bytes.data(), message.bytes.data(),
                                            keypair, aux_rand.data()) == 1);
  return sig;
}

Result<Signature> Sign(const SecretKey& secret, const Hash32& message,
                       const std::array<uint8_t, 32>& aux_rand) {
  Result<SigningKey> key = SigningKey::Create(secret);
  if (!key.ok()) return key.status();
  return key->Sign(message, aux_rand);
}

bool Verify(ByteView public_key, ByteView message, ByteView signature) {
  if (public_key.size() != 32 || message.size() != 32 || signature.size() != 64) return false;
  secp256k1_xonly_pubkey xonly;
  if (secp256k1_xonly_pubkey_parse(Context(), &xonly, public_key.data()) != 1) return false;
  return secp256k1_schnorrsig_verify(Context(), signature.data(), message.data(), message.size(),
                                     &xonly) == 1;
}

}  // namespace hotbft::schnorr
