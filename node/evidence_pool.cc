#include "node/evidence_pool.h"

#include <tuple>

namespace hotbft::node {
namespace {

std::tuple<Round, uint32_t, EvidenceKind, Epoch> Order(const EvidenceKey& key) {
  return {key.round, key.validator, key.kind, key.epoch};
}

}  // namespace

EvidencePool::EvidencePool(size_t pieces_max, uint32_t validators)
    : pieces_max_(pieces_max), validators_(validators) {
  HOTBFT_ASSERT(pieces_max_ > 0);
  HOTBFT_ASSERT(validators_ > 0);
}

EvidencePool::Added EvidencePool::Add(const Evidence& evidence, const Core& core) {
  const EvidenceKey key = KeyOf(evidence);
  Bytes canonical = EncodeEvidence(evidence);
  auto decoded = DecodeEvidence(canonical, validators_);
  if (!decoded.ok() || EncodeEvidence(*decoded) != canonical) return Added::kNotCarried;
  std::lock_guard lock(mutex_);
  if (pending_.contains(Order(key)) || core.committed_evidence().contains(key)) {
    return Added::kKnown;
  }
  pending_.emplace(Order(key), PendingEvidence{key, evidence, std::move(canonical)});
  while (pending_.size() > pieces_max_) pending_.erase(pending_.begin());
  HOTBFT_ASSERT(pending_.size() <= pieces_max_);
  return Added::kAdded;
}

void EvidencePool::PruneLocked(const Core& core) {
  const Round round = core.current_round();
  const Round age = core.config().evidence_age_rounds_max;
  const Round floor = round > age ? round - age : 0;
  const auto& committed = core.committed_evidence();
  std::erase_if(pending_, [&](const auto& e) {
    return e.second.key.round < floor || committed.contains(e.second.key);
  });
}

void EvidencePool::Prune(const Core& core) {
  std::lock_guard lock(mutex_);
  PruneLocked(core);
}

std::vector<Bytes> EvidencePool::Reap(const Core& core, size_t count_max, uint64_t bytes_max) {
  std::lock_guard lock(mutex_);
  PruneLocked(core);
  std::vector<Bytes> out;
  if (pending_.empty() || count_max == 0) return out;
  const std::set<EvidenceKey> on_path =
      core.EvidenceOnPath(core.tree().high_qc().vote_data.block_id);
  uint64_t bytes = 0;
  for (const auto& [order, piece] : pending_) {
    if (out.size() >= count_max) break;
    if (on_path.contains(piece.key)) continue;
    if (bytes + piece.canonical.size() > bytes_max) continue;
    bytes += piece.canonical.size();
    out.push_back(piece.canonical);
  }
  HOTBFT_ASSERT(out.size() <= count_max);
  HOTBFT_ASSERT(bytes <= bytes_max);
  return out;
}

std::vector<PendingEvidence> EvidencePool::Pending() const {
  std::lock_guard lock(mutex_);
  std::vector<PendingEvidence> out;
  out.reserve(pending_.size());
  for (const auto& [order, piece] : pending_) out.push_back(piece);
  return out;
}

size_t EvidencePool::size() const {
  std::lock_guard lock(mutex_);
  return pending_.size();
}

}  // namespace hotbft::node
