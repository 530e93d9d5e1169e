#include "storage/store.h"

namespace hotbft::storage {

Result<std::vector<std::optional<TxRecord>>> Store::GetTxs(
    const std::vector<Hash32>& tx_hashes) const {
  std::vector<std::optional<TxRecord>> out;
  out.reserve(tx_hashes.size());
  for (const Hash32& hash : tx_hashes) out.push_back(GetTx(hash));
  return out;
}

bool WriteBatch::empty() const {
  return !safety && blocks.empty() && !high_qc && !high_tc && !root_qc && committed.empty() &&
         executed.empty() && !finalized;
}

WriteBatch BatchFromPersist(PersistAction action) {
  WriteBatch batch;
  batch.safety = std::move(action.safety);
  batch.blocks = std::move(action.blocks);
  batch.high_qc = std::move(action.high_qc);
  batch.high_tc = std::move(action.high_tc);
  batch.root_qc = std::move(action.root_qc);
  batch.committed = std::move(action.committed);
  return batch;
}

Result<RecoveryState> RecoverForCore(const Store& store, const CoreConfig& config) {
  auto state = store.Recover();
  if (!state.ok()) return state.status();
  HOTBFT_ASSERT(state->root != nullptr);
  const Round root_round = state->root->header.round;
  const Round round_min =
      root_round > config.evidence_age_rounds_max ? root_round - config.evidence_age_rounds_max : 0;
  // Two kinds per validator and round of the window, at most (the core's own bound).
  const size_t count_max =
      2 * size_t{ValidatorSet::kValidatorsMax} *
      static_cast<size_t>(config.evidence_age_rounds_max + config.rounds_ahead_max + 1);
  auto evidence = store.ListEvidence(config.epoch, round_min, count_max);
  if (!evidence.ok()) return evidence.status().With("recovering the committed evidence");
  state->committed_evidence.reserve(evidence->size());
  for (const StoredEvidence& e : *evidence) state->committed_evidence.emplace_back(e.key, e.height);
  return state;
}

void Append(WriteBatch& into, WriteBatch next) {
  HOTBFT_ASSERT(into.executed.empty() && !into.finalized);
  HOTBFT_ASSERT(next.executed.empty() && !next.finalized);
  HOTBFT_ASSERT(into.sync && next.sync);
  if (next.safety) into.safety = std::move(next.safety);
  for (auto& block : next.blocks) into.blocks.push_back(std::move(block));
  if (next.high_qc) into.high_qc = std::move(next.high_qc);
  if (next.high_tc) into.high_tc = std::move(next.high_tc);
  if (next.root_qc) into.root_qc = std::move(next.root_qc);
  for (const Hash32& id : next.committed) into.committed.push_back(id);
}

}  // namespace hotbft::storage
