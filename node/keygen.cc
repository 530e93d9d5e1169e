#include "node/keygen.h"

#include "crypto/key_file.h"
#include "crypto/random.h"

namespace hotbft::node {

Result<std::string> RunKeygen(const KeygenOptions& options) {
  SystemRandom rng;
  KeyFile key = GenerateKeyFile(SignatureScheme::kSchnorrBip340, rng);
  HOTBFT_RETURN_IF_ERROR(WriteKeyFile(options.out_path, key, options.overwrite));
  return key.public_key.hex();
}

}  // namespace hotbft::node
