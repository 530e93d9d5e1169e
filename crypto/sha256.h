// SHA-256 through OpenSSL's EVP interface.
#pragma once

#include <memory>

#include "crypto/bytes.h"

namespace hotbft {

// One-shot SHA-256 of `data`.
Hash32 Sha256(ByteView data);

// Incremental SHA-256. Not thread-safe; one instance per computation.
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;

  void Update(ByteView data);
  // Returns the digest; the hasher is reset and may be reused.
  Hash32 Finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace hotbft
