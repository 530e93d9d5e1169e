#include "crypto/validator_set.h"

namespace hotbft {

ValidatorSet::ValidatorSet(std::vector<PublicKey> keys) : keys_(std::move(keys)) {
  for (ValidatorIndex i = 0; i < keys_.size(); ++i) index_.emplace(keys_[i], i);
  HOTBFT_ASSERT(index_.size() == keys_.size());
}

Result<ValidatorSet> ValidatorSet::Create(std::vector<PublicKey> keys) {
  if (keys.empty()) return Status::InvalidArgument("validator set is empty");
  if (keys.size() > kValidatorsMax) {
    return Status::InvalidArgument("validator set has " + std::to_string(keys.size()) +
                                   " keys; at most " + std::to_string(kValidatorsMax) +
                                   " are supported");
  }
  std::map<PublicKey, size_t> seen;
  for (size_t i = 0; i < keys.size(); ++i) {
    auto [it, inserted] = seen.emplace(keys[i], i);
    if (!inserted) {
      return Status::InvalidArgument("validator key " + keys[i].hex() + " appears twice (at " +
                                     std::to_string(it->second) + " and " + std::to_string(i) +
                                     ")");
    }
  }
  return ValidatorSet(std::move(keys));
}

const PublicKey& ValidatorSet::key(ValidatorIndex index) const {
  HOTBFT_ASSERT(index < keys_.size());
  return keys_[index];
}

std::optional<ValidatorIndex> ValidatorSet::IndexOf(const PublicKey& key) const {
  auto it = index_.find(key);
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

}  // namespace hotbft
