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

// Wipes a keypair on scope exit.
struct KeypairGuard {
  secp256k1_keypair keypair;
  ~KeypairGuard() { OPENSSL_cleanse(&keypair, sizeof(keypair)); }
};

}  // namespace

bool IsValidSecretKey(const std::array<uint8_t, 32>& secret) {
  return secp256k1_ec_seckey_verify(Context(), secret.data()) == 1;
}

Result<PublicKey> PublicKeyOf(const SecretKey& secret) {
  KeypairGuard guard;
  if (secp256k1_keypair_create(Context(), &guard.keypair, secret.bytes().data()) != 1) {
    return Status::InvalidArgument("secret key is not a valid secp256k1 key (zero or >= n)");
  }
  secp256k1_xonly_pubkey xonly;
  HOTBFT_ASSERT(secp256k1_keypair_xonly_pub(Context(), &xonly, nullptr, &guard.keypair) == 1);
  PublicKey out;
  HOTBFT_ASSERT(secp256k1_xonly_pubkey_serialize(Context(), out.bytes.data(), &xonly) == 1);
  return out;
}

Result<Signature> Sign(const SecretKey& secret, const Hash32& message,
                       const std::array<uint8_t, 32>& aux_rand) {
  KeypairGuard guard;
  if (secp256k1_keypair_create(Context(), &guard.keypair, secret.bytes().data()) != 1) {
    return Status::InvalidArgument("secret key is not a valid secp256k1 key (zero or >= n)");
  }
  Signature sig;
  if (secp256k1_schnorrsig_sign32(Context(), sig.bytes.data(), message.bytes.data(), &guard.keypair,
                                  aux_rand.data()) != 1) {
    return Status::Internal("secp256k1_schnorrsig_sign32 failed");
  }
  return sig;
}

bool Verify(ByteView public_key, ByteView message, ByteView signature) {
  if (public_key.size() != 32 || message.size() != 32 || signature.size() != 64) return false;
  secp256k1_xonly_pubkey xonly;
  if (secp256k1_xonly_pubkey_parse(Context(), &xonly, public_key.data()) != 1) return false;
  return secp256k1_schnorrsig_verify(Context(), signature.data(), message.data(), message.size(),
                                     &xonly) == 1;
}

}  // namespace hotbft::schnorr
