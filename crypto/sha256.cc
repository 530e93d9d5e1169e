#include "crypto/sha256.h"

#include <openssl/evp.h>

namespace hotbft {

namespace {

// SHA-256 fetched from the default provider once: with OpenSSL 3, handing EVP_sha256() to
// a digest call fetches the implementation again on every call, which costs more than
// hashing a short message.
const EVP_MD* Sha256Md() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  HOTBFT_ASSERT(md != nullptr);
  return md;
}

}  // namespace

Hash32 Sha256(ByteView data) {
  Hash32 out;
  unsigned int len = 0;
  int rc = EVP_Digest(data.data(), data.size(), out.bytes.data(), &len, Sha256Md(), nullptr);
  HOTBFT_ASSERT(rc == 1);
  HOTBFT_ASSERT(len == Hash32::kSize);
  return out;
}

struct Sha256Hasher::State {
  EVP_MD_CTX* ctx = nullptr;
};

Sha256Hasher::Sha256Hasher() : state_(std::make_unique<State>()) {
  state_->ctx = EVP_MD_CTX_new();
  HOTBFT_ASSERT(state_->ctx != nullptr);
  HOTBFT_ASSERT(EVP_DigestInit_ex(state_->ctx, Sha256Md(), nullptr) == 1);
}

Sha256Hasher::~Sha256Hasher() {
  EVP_MD_CTX_free(state_->ctx);
}

void Sha256Hasher::Update(ByteView data) {
  HOTBFT_ASSERT(EVP_DigestUpdate(state_->ctx, data.data(), data.size()) == 1);
}

Hash32 Sha256Hasher::Finish() {
  Hash32 out;
  unsigned int len = 0;
  HOTBFT_ASSERT(EVP_DigestFinal_ex(state_->ctx, out.bytes.data(), &len) == 1);
  HOTBFT_ASSERT(len == Hash32::kSize);
  HOTBFT_ASSERT(EVP_DigestInit_ex(state_->ctx, Sha256Md(), nullptr) == 1);
  return out;
}

}  // namespace hotbft
