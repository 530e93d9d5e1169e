// BlockTree: the blocks a validator holds above its last committed block, the QCs that
// certify them, the highest QC, and the 3-chain commit rule.
//
// The tree is rooted at the committed tip. Every block in it descends from the root
// through parent links. When a QC completes a 3-chain the root moves forward and every
// block that does not descend from the new root is pruned: such forks can never commit.
// Recently committed blocks stay readable (Get) in a bounded cache, to serve peers that
// fetch them.
//
// Not thread-safe: owned by the consensus thread.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <unordered_map>
#include <vector>

#include "consensus/types.h"

namespace hotbft {

class BlockTree {
 public:
  // Uncommitted blocks held at most; Insert fails beyond it.
  static constexpr size_t kBlocksMax = 10'000;
  // Committed blocks kept readable after they leave the tree.
  static constexpr size_t kCommittedCacheMax = 4'096;

  // `root` is the committed tip (the genesis block at first); `root_qc` certifies it.
  // REQUIRES: root_qc.vote_data.block_id == root->id.
  BlockTree(std::shared_ptr<const Block> root, QC root_qc);

  // Adds `block`. Idempotent for a block already present. Fails if its parent is not in
  // the tree (the caller fetches it first), if it is not above its parent in height
  // (parent + 1) and round, or if the tree is full.
  Status Insert(std::shared_ptr<const Block> block);

  // The block with `id` from the tree or the committed cache; nullptr if unknown.
  std::shared_ptr<const Block> Get(const Hash32& id) const;
  bool Contains(const Hash32& id) const { return Get(id) != nullptr; }

  // Records `qc`, whose block must be in the tree (or be the root, or older: then it is
  // ignored). Raises the high QC if `qc` is higher. If `qc` certifies B2 whose parent B1
  // and grandparent B0 have rounds B2.round - 1 and B2.round - 2, commits B0: returns
  // the newly committed blocks oldest first (those above the old root up to B0), makes
  // B0 the root and prunes what does not descend from it. Fails with kSafetyViolation,
  // committing nothing, if the high QC certifies a block that does not descend from B0
  // (impossible with at most f faulty validators).
  Result<std::vector<std::shared_ptr<const Block>>> InsertQC(const QC& qc);

  const QC& high_qc() const { return high_qc_; }
  const std::shared_ptr<const Block>& root() const { return root_; }
  // The QC certifying the root (the genesis QC until the first commit).
  const QC& root_qc() const { return root_qc_; }
  // The QC certifying `id`, if one was recorded and `id` is in the tree; else nullptr.
  const QC* QCFor(const Hash32& id) const;

  // `id`'s block followed by up to `count` of its ancestors, newest first, from the tree
  // and the committed cache. Empty if `id` is unknown.
  std::vector<std::shared_ptr<const Block>> WithAncestors(const Hash32& id, uint32_t count) const;

  // True if a block above the root on the path to `id` (inclusive) carries transactions:
  // the proposer then proposes at once, even with an empty payload, to commit them.
  bool HasPendingPayload(const Hash32& id) const;

  // Uncommitted blocks in the tree (the root not counted).
  size_t size() const { return blocks_.size() - 1; }

 private:
  void Prune();  // drops blocks that do not descend from root_
  void CacheCommitted(const std::shared_ptr<const Block>& block);

  std::shared_ptr<const Block> root_;
  QC root_qc_;
  QC high_qc_;
  std::unordered_map<Hash32, std::shared_ptr<const Block>, Hash32Hasher> blocks_;  // incl. root
  std::unordered_map<Hash32, QC, Hash32Hasher> qcs_;  // QCs of blocks in the tree
  std::unordered_map<Hash32, std::shared_ptr<const Block>, Hash32Hasher> committed_;
  std::deque<Hash32> committed_order_;  // FIFO eviction of committed_
};

}  // namespace hotbft
