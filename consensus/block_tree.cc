#include "consensus/block_tree.h"

#include <algorithm>
#include <string>
#include <unordered_set>
#include <utility>

namespace hotbft {
namespace {

using BlockPtr = std::shared_ptr<const Block>;
using BlockMap = std::unordered_map<Hash32, BlockPtr, Hash32Hasher>;
using IdSet = std::unordered_set<Hash32, Hash32Hasher>;

// Hex characters of an id shown in error messages: enough to tell blocks apart in a log.
constexpr size_t kIdHexCharsShown = 8;

std::string ShortId(const Hash32& id) {
  return id.hex().substr(0, kIdHexCharsShown);
}

std::string Describe(const Block& block) {
  return "block " + ShortId(block.id) + " at height " + std::to_string(block.header.height) +
         ", round " + std::to_string(block.header.round);
}

const Block* Find(const BlockMap& blocks, const Hash32& id) {
  auto it = blocks.find(id);
  return it == blocks.end() ? nullptr : it->second.get();
}

// The well-formedness rules of DESIGN.md that the tree relies on: `block` sits one height
// above `parent`, in a later round, and its justify QC certifies `parent` exactly.
Status CheckExtends(const Block& block, const Block& parent) {
  const BlockHeader& h = block.header;
  const VoteData& justify = h.justify.vote_data;
  HOTBFT_ASSERT(h.parent_id == parent.id);
  if (h.height == 0 || h.height - 1 != parent.header.height) {
    return Status::InvalidArgument(Describe(block) + " is not one above its parent " +
                                   Describe(parent));
  }
  if (h.round <= parent.header.round) {
    return Status::InvalidArgument(Describe(block) + " is not in a round above its parent " +
                                   Describe(parent));
  }
  if (justify.height != parent.header.height || justify.round != parent.header.round) {
    return Status::InvalidArgument(Describe(block) + " has a justify QC for height " +
                                   std::to_string(justify.height) + ", round " +
                                   std::to_string(justify.round) +
                                   " that does not match its parent " + Describe(parent));
  }
  return Status::Ok();
}

// A QC's vote data must describe the block it names; the commit rule and the high QC
// read rounds from both, so they have to agree.
Status CheckCertifies(const QC& qc, const Block& block) {
  const VoteData& vd = qc.vote_data;
  HOTBFT_ASSERT(vd.block_id == block.id);
  const bool matches = vd.height == block.header.height && vd.round == block.header.round &&
                       vd.parent_id == block.header.parent_id &&
                       vd.parent_round == block.header.justify.vote_data.round;
  if (!matches) {
    return Status::InvalidArgument(
        "QC for height " + std::to_string(vd.height) + ", round " + std::to_string(vd.round) +
        ", parent " + ShortId(vd.parent_id) + ", parent round " + std::to_string(vd.parent_round) +
        " does not match " + Describe(block) + " with parent " + ShortId(block.header.parent_id));
  }
  return Status::Ok();
}

// The commit rule (DESIGN.md): a QC for B2 whose parent B1 and grandparent B0 have rounds
// B2.round - 1 and B2.round - 2 commits B0. Returns B0, or nullptr if nothing new commits.
const Block* CommitCandidate(const BlockMap& blocks, const Block& root, const Block& b2) {
  HOTBFT_ASSERT(b2.id != root.id);
  const Block* b1 = Find(blocks, b2.header.parent_id);
  HOTBFT_ASSERT(b1 != nullptr);  // every block but the root has its parent in the tree
  HOTBFT_ASSERT(b2.header.round > b1->header.round);
  if (b1->id == root.id) return nullptr;  // B0 would be below the root: committed already
  const Block* b0 = Find(blocks, b1->header.parent_id);
  HOTBFT_ASSERT(b0 != nullptr);
  HOTBFT_ASSERT(b1->header.round > b0->header.round);
  if (b0->id == root.id) return nullptr;  // the root is committed already
  HOTBFT_ASSERT(b0->header.round > root.header.round);
  // No overflow: b0.round < b1.round < b2.round, so neither + 1 wraps.
  if (b2.header.round != b1->header.round + 1) return nullptr;
  if (b1->header.round != b0->header.round + 1) return nullptr;
  return b0;
}

// True if the block `id` is `ancestor` or descends from it through blocks in `blocks`.
bool DescendsFrom(const BlockMap& blocks, const Hash32& id, const Block& ancestor) {
  const Block* block = Find(blocks, id);
  while (block != nullptr && block->header.height > ancestor.header.height) {
    block = Find(blocks, block->header.parent_id);
  }
  return block != nullptr && block->id == ancestor.id;
}

// The blocks above `root` up to and including `head`, oldest first.
std::vector<BlockPtr> PathFromRoot(const BlockMap& blocks, const Block& root, const Hash32& head) {
  std::vector<BlockPtr> path;
  Hash32 id = head;
  while (id != root.id) {
    HOTBFT_ASSERT(path.size() < blocks.size());  // heights fall on the way: no cycle
    auto it = blocks.find(id);
    HOTBFT_ASSERT(it != blocks.end());
    HOTBFT_ASSERT(it->second->header.height > root.header.height);
    path.push_back(it->second);
    id = it->second->header.parent_id;
  }
  HOTBFT_ASSERT(!path.empty());
  std::reverse(path.begin(), path.end());
  HOTBFT_ASSERT(path.front()->header.parent_id == root.id);
  HOTBFT_ASSERT(path.back()->id == head);
  return path;
}

// Ids of `root` and every block in `blocks` that descends from it. Parents sit exactly
// one height below their children, so visiting by ascending height sees a parent first.
IdSet DescendantsOf(const BlockMap& blocks, const Block& root) {
  std::vector<const Block*> above;
  above.reserve(blocks.size());
  for (const auto& [id, block] : blocks) {
    if (block->header.height > root.header.height) above.push_back(block.get());
  }
  std::sort(above.begin(), above.end(),
            [](const Block* a, const Block* b) { return a->header.height < b->header.height; });
  IdSet keep{root.id};
  for (const Block* block : above) {
    if (keep.contains(block->header.parent_id)) keep.insert(block->id);
  }
  HOTBFT_ASSERT(keep.size() <= blocks.size());
  return keep;
}

// The tree invariants: the root is held; every other block has its parent in the tree,
// sits one height above it in a later round, and lies strictly above the root.
void AssertTreeInvariants(const BlockMap& blocks, const Block& root) {
  HOTBFT_ASSERT(Find(blocks, root.id) == &root);
  for (const auto& [id, block] : blocks) {
    HOTBFT_ASSERT(id == block->id);
    if (id == root.id) continue;
    const Block* parent = Find(blocks, block->header.parent_id);
    HOTBFT_ASSERT(parent != nullptr);
    HOTBFT_ASSERT(block->header.height == parent->header.height + 1);
    HOTBFT_ASSERT(block->header.round > parent->header.round);
    HOTBFT_ASSERT(block->header.height > root.header.height);
    HOTBFT_ASSERT(block->header.round > root.header.round);
  }
}

}  // namespace

BlockTree::BlockTree(std::shared_ptr<const Block> root, QC root_qc)
    : root_(std::move(root)), root_qc_(std::move(root_qc)), high_qc_(root_qc_) {
  HOTBFT_ASSERT(root_ != nullptr);
  HOTBFT_ASSERT(root_qc_.vote_data.block_id == root_->id);
  HOTBFT_ASSERT(root_qc_.vote_data.height == root_->header.height);
  HOTBFT_ASSERT(root_qc_.vote_data.round == root_->header.round);
  blocks_.emplace(root_->id, root_);
  qcs_.emplace(root_->id, root_qc_);
  HOTBFT_ASSERT(size() == 0);
}

Status BlockTree::Insert(std::shared_ptr<const Block> block) {
  HOTBFT_ASSERT(block != nullptr);
  const BlockHeader& h = block->header;
  if (blocks_.contains(block->id) || committed_.contains(block->id)) return Status::Ok();
  if (h.parent_id != h.justify.vote_data.block_id) {
    return Status::InvalidArgument(Describe(*block) + " has parent " + ShortId(h.parent_id) +
                                   " but its justify QC certifies " +
                                   ShortId(h.justify.vote_data.block_id));
  }
  // Descendants of the root lie above it, so such a block is on a fork that can never
  // commit: fetching its parent would not help.
  if (h.round <= root_->header.round || h.height <= root_->header.height) {
    return Status::FailedPrecondition(Describe(*block) + " is not above the committed root " +
                                      Describe(*root_));
  }
  const Block* parent = Find(blocks_, h.parent_id);
  if (parent == nullptr) {
    return Status::NotFound(Describe(*block) + " has unknown parent " + ShortId(h.parent_id));
  }
  HOTBFT_RETURN_IF_ERROR(CheckExtends(*block, *parent));
  if (size() >= kBlocksMax) {
    return Status::ResourceExhausted("block tree is full: " + std::to_string(size()) +
                                     " uncommitted blocks (max " + std::to_string(kBlocksMax) +
                                     "); rejecting " + Describe(*block));
  }
  HOTBFT_ASSERT(h.height > root_->header.height);
  HOTBFT_ASSERT(h.round > root_->header.round);
  const size_t size_before = size();
  blocks_.emplace(block->id, std::move(block));
  HOTBFT_ASSERT(size() == size_before + 1);
  return Status::Ok();
}

std::shared_ptr<const Block> BlockTree::Get(const Hash32& id) const {
  if (auto it = blocks_.find(id); it != blocks_.end()) return it->second;
  if (auto it = committed_.find(id); it != committed_.end()) return it->second;
  return nullptr;
}

Result<std::vector<std::shared_ptr<const Block>>> BlockTree::InsertQC(const QC& qc) {
  const VoteData& vd = qc.vote_data;
  // A QC at or below the committed root certifies nothing the tree still needs.
  if (vd.round <= root_->header.round) return std::vector<BlockPtr>{};
  const Block* b2 = Find(blocks_, vd.block_id);
  if (b2 == nullptr) {
    return Status::NotFound("QC for height " + std::to_string(vd.height) + ", round " +
                            std::to_string(vd.round) + " certifies unknown block " +
                            ShortId(vd.block_id));
  }
  HOTBFT_RETURN_IF_ERROR(CheckCertifies(qc, *b2));
  HOTBFT_ASSERT(b2->id != root_->id);
  const QC& new_high_qc = vd.round > high_qc_.vote_data.round ? qc : high_qc_;

  const Block* b0 = CommitCandidate(blocks_, *root_, *b2);
  // With at most f faulty validators every certified block from B0's round on descends
  // from B0 (DESIGN.md safety). A high QC elsewhere proves that guarantee broken: refuse
  // to commit, and say so, rather than prune the certified fork away. Nothing changes.
  if (b0 != nullptr && !DescendsFrom(blocks_, new_high_qc.vote_data.block_id, *b0)) {
    return Status::SafetyViolation(
        "QC for round " + std::to_string(vd.round) + " would commit " + Describe(*b0) +
        ", but the high QC certifies block " + ShortId(new_high_qc.vote_data.block_id) +
        " of round " + std::to_string(new_high_qc.vote_data.round) + " on a conflicting branch");
  }
  qcs_.try_emplace(b2->id, qc);
  if (vd.round > high_qc_.vote_data.round) high_qc_ = qc;
  if (b0 == nullptr) return std::vector<BlockPtr>{};
  const Block* b1 = Find(blocks_, b2->header.parent_id);
  HOTBFT_ASSERT(b1 != nullptr);
  HOTBFT_ASSERT(b1->header.parent_id == b0->id);
  // B1's justify QC certifies B0: it becomes the root's QC.
  QC new_root_qc = b1->header.justify;
  HOTBFT_ASSERT(new_root_qc.vote_data.block_id == b0->id);
  HOTBFT_ASSERT(new_root_qc.vote_data.round == b0->header.round);

  std::vector<BlockPtr> committed = PathFromRoot(blocks_, *root_, b0->id);
  const Round old_root_round = root_->header.round;
  CacheCommitted(root_);
  for (size_t i = 0; i + 1 < committed.size(); ++i) CacheCommitted(committed[i]);
  root_ = committed.back();
  root_qc_ = std::move(new_root_qc);
  qcs_.try_emplace(root_->id, root_qc_);
  Prune();  // b0, b1 and b2 may dangle from here on

  HOTBFT_ASSERT(root_->header.round > old_root_round);
  // Every certified block from B0's round on descends from B0 (DESIGN.md safety), and the
  // high QC is at least as high as the QC that committed B0.
  HOTBFT_ASSERT(high_qc_.vote_data.round > root_->header.round);
  HOTBFT_ASSERT(blocks_.contains(high_qc_.vote_data.block_id));
  return committed;
}

const QC* BlockTree::QCFor(const Hash32& id) const {
  auto it = qcs_.find(id);
  if (it == qcs_.end()) return nullptr;
  HOTBFT_ASSERT(blocks_.contains(id));  // QCs are dropped with their blocks
  HOTBFT_ASSERT(it->second.vote_data.block_id == id);
  return &it->second;
}

std::vector<std::shared_ptr<const Block>> BlockTree::WithAncestors(const Hash32& id,
                                                                   uint32_t count) const {
  std::vector<BlockPtr> out;
  BlockPtr block = Get(id);
  if (block == nullptr) return out;
  const size_t blocks_max = static_cast<size_t>(count) + 1;
  out.reserve(std::min(blocks_max, blocks_.size() + committed_.size()));
  out.push_back(std::move(block));
  while (out.size() < blocks_max) {
    BlockPtr parent = Get(out.back()->header.parent_id);
    if (parent == nullptr) break;
    HOTBFT_ASSERT(parent->header.height + 1 == out.back()->header.height);
    HOTBFT_ASSERT(parent->header.round < out.back()->header.round);
    out.push_back(std::move(parent));
  }
  HOTBFT_ASSERT(out.size() <= blocks_max);
  return out;
}

bool BlockTree::HasPendingPayload(const Hash32& id) const {
  const Block* block = Find(blocks_, id);
  size_t steps = 0;
  while (block != nullptr && block->id != root_->id) {
    HOTBFT_ASSERT(steps++ < blocks_.size());  // heights fall on the way: no cycle
    if (block->payload != nullptr && !block->payload->txs.empty()) return true;
    block = Find(blocks_, block->header.parent_id);
    HOTBFT_ASSERT(block != nullptr);  // every block but the root has its parent in the tree
  }
  return false;
}

void BlockTree::Prune() {
  const IdSet keep = DescendantsOf(blocks_, *root_);
  std::erase_if(blocks_, [&keep](const auto& entry) { return !keep.contains(entry.first); });
  std::erase_if(qcs_, [&keep](const auto& entry) { return !keep.contains(entry.first); });
  HOTBFT_ASSERT(blocks_.size() == keep.size());
  HOTBFT_ASSERT(qcs_.size() <= blocks_.size());
  AssertTreeInvariants(blocks_, *root_);
}

void BlockTree::CacheCommitted(const std::shared_ptr<const Block>& block) {
  HOTBFT_ASSERT(block != nullptr);
  if (!committed_.emplace(block->id, block).second) return;
  committed_order_.push_back(block->id);
  while (committed_order_.size() > kCommittedCacheMax) {
    const size_t erased = committed_.erase(committed_order_.front());
    HOTBFT_ASSERT(erased == 1);
    committed_order_.pop_front();
  }
  HOTBFT_ASSERT(committed_.size() == committed_order_.size());
  HOTBFT_ASSERT(committed_.size() <= kCommittedCacheMax);
}

}  // namespace hotbft
