// Core: evidence in blocks. A proposal's evidence must pass BlockEvidenceRules against the
// chain it extends (the committed evidence of the window, and the uncommitted ancestors)
// before this validator votes; a leader keeps only what passes the same rule.
#include <algorithm>

#include "consensus/core_impl.h"

namespace hotbft {

BlockEvidenceRules Core::Impl::EvidenceRules() const {
  BlockEvidenceRules rules;
  rules.chain_id = config_.chain_id;
  rules.epoch = config_.epoch;
  rules.validators = &validators_;
  rules.verifier = &verifier_;
  rules.count_max = config_.evidence_per_block_max;
  rules.bytes_max = config_.evidence_bytes_per_block_max;
  rules.age_rounds_max = config_.evidence_age_rounds_max;
  rules.rounds_ahead_max = config_.rounds_ahead_max;
  return rules;
}

std::set<EvidenceKey> Core::Impl::EvidenceOnPath(const Hash32& block_id) const {
  std::set<EvidenceKey> keys;
  const Height root_height = tree_.root()->header.height;
  for (auto block = tree_.Get(block_id); block && block->header.height > root_height;
       block = tree_.Get(block->header.parent_id)) {
    for (const EvidenceKey& key : BlockEvidenceKeys(*block->payload, validators_.size())) {
      keys.insert(key);
    }
  }
  return keys;
}

// REQUIRES: the block's parent is in the tree (the proposal passed its shape checks).
Status Core::Impl::CheckEvidenceOf(const Block& block) {
  const auto& evidence = block.payload->evidence;
  if (evidence.empty()) return Status::Ok();
  HOTBFT_ASSERT(tree_.Contains(block.header.parent_id));
  const std::set<EvidenceKey> on_path = EvidenceOnPath(block.header.parent_id);
  auto included = [&](const EvidenceKey& key) {
    return on_path.contains(key) || committed_evidence_.contains(key);
  };
  Status st = CheckBlockEvidence(evidence, block.header.round, EvidenceRules(), included);
  if (!st.ok()) last_evidence_refusal_ = st;
  return st;
}

// The payload a leader proposes on `parent` in `round`: its evidence cut to what honest
// voters accept (the pool may hold pieces an ancestor or a commit took meanwhile).
std::shared_ptr<const Payload> Core::Impl::SelectEvidence(std::shared_ptr<const Payload> payload,
                                                          const Block& parent, Round round) const {
  if (payload->evidence.empty()) return payload;
  const std::set<EvidenceKey> on_path = EvidenceOnPath(parent.id);
  auto included = [&](const EvidenceKey& key) {
    return on_path.contains(key) || committed_evidence_.contains(key);
  };
  std::vector<Bytes> kept =
      SelectBlockEvidence(payload->evidence, round, EvidenceRules(), included);
  if (kept.size() == payload->evidence.size()) return payload;
  auto cut = std::make_shared<Payload>(*payload);
  cut->evidence = std::move(kept);
  return cut;
}

void Core::Impl::RecordCommittedEvidence(const std::vector<std::shared_ptr<const Block>>& blocks) {
  for (const auto& block : blocks) {
    for (const EvidenceKey& key : BlockEvidenceKeys(*block->payload, validators_.size())) {
      if (committed_evidence_.emplace(key, block->header.height).second) {
        ++counters_.evidence_committed;
      }
    }
  }
  PruneCommittedEvidence(round_);
}

// Pieces of rounds below round - evidence_age_rounds_max fit no proposal of `round` or
// later: forgotten.
void Core::Impl::PruneCommittedEvidence(Round round) {
  const Round floor =
      round > config_.evidence_age_rounds_max ? round - config_.evidence_age_rounds_max : 0;
  std::erase_if(committed_evidence_, [&](const auto& e) { return e.first.round < floor; });
  // Honest voters accepted only rounds up to their block's round + rounds_ahead_max.
  const size_t window =
      static_cast<size_t>(config_.evidence_age_rounds_max + config_.rounds_ahead_max + 1);
  HOTBFT_ASSERT(committed_evidence_.size() <=
                2 * validators_.size() * window +
                    config_.evidence_per_block_max * kConnectBlocksMax);
}

}  // namespace hotbft
