// The validator set: an ordered list of public keys. A validator's index in the list is
// its identity on the wire (signer bitmaps, vote and proposal authors).
#pragma once

#include <map>
#include <optional>
#include <vector>

#include "crypto/signer.h"

namespace hotbft {

using ValidatorIndex = uint32_t;

class ValidatorSet {
 public:
  // Hard upper bound on the set size: bounds bitmaps and certificates on the wire.
  static constexpr uint32_t kValidatorsMax = 1024;

  // Fails on an empty list, more than kValidatorsMax keys, or a repeated key.
  static Result<ValidatorSet> Create(std::vector<PublicKey> keys);

  uint32_t size() const { return static_cast<uint32_t>(keys_.size()); }
  // The number of Byzantine validators tolerated: the largest f with 3f + 1 <= n.
  uint32_t f() const { return (size() - 1) / 3; }
  // Signers needed for a quorum certificate: floor(2n/3) + 1 (= 2f + 1 when n = 3f + 1).
  uint32_t quorum() const { return 2 * size() / 3 + 1; }

  const PublicKey& key(ValidatorIndex index) const;  // REQUIRES: index < size()
  std::optional<ValidatorIndex> IndexOf(const PublicKey& key) const;
  const std::vector<PublicKey>& keys() const { return keys_; }

 private:
  explicit ValidatorSet(std::vector<PublicKey> keys);

  std::vector<PublicKey> keys_;
  std::map<PublicKey, ValidatorIndex> index_;
};

}  // namespace hotbft
