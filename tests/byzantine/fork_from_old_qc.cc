// fork-from-old-qc: as leader, proposes on a certified block older than its high QC's, to
// revert blocks that may be locked or about to commit.
#include <algorithm>
#include <utility>

#include "tests/byzantine/craft.h"
#include "tests/byzantine/strategies.h"

namespace hotbft::byzantine {
namespace {

// A certified block older than the high QC's, with the QC that certifies it.
struct OldCertified {
  std::shared_ptr<const Block> block;
  QC qc;
};

// The candidates, each strictly below the high QC: the parent of the high QC's block (the
// fork an outdated TC might let through, and which the lock must stop) and the committed
// root (which tries to revert everything not yet committed).
std::vector<OldCertified> OldCandidates(const Core& core) {
  const BlockTree& tree = core.tree();
  const Round high_round = tree.high_qc().vote_data.round;
  std::vector<OldCertified> out;
  if (auto certified = tree.Get(tree.high_qc().vote_data.block_id)) {
    const Hash32& parent_id = certified->header.parent_id;
    const QC* qc = tree.QCFor(parent_id);
    // The certified block's own justify certifies its parent if the tree kept no QC for it.
    const QC& parent_qc = qc != nullptr ? *qc : certified->header.justify;
    auto parent = tree.Get(parent_id);
    if (parent && parent_qc.vote_data.block_id == parent_id &&
        parent_qc.vote_data.round < high_round) {
      out.push_back(OldCertified{std::move(parent), parent_qc});
    }
  }
  if (tree.root_qc().vote_data.round < high_round &&
      (out.empty() || out.front().block->id != tree.root()->id)) {
    out.push_back(OldCertified{tree.root(), tree.root_qc()});
  }
  return out;
}

class ForkFromOldQC final : public Strategy {
 public:
  StrategyKind kind() const override { return StrategyKind::kForkFromOldQC; }

  std::vector<Envelope> OnSend(Envelope honest, Context& ctx) override {
    const Proposal* original = std::get_if<Proposal>(&honest.message);
    if (original == nullptr || !original->block || !original->block->payload ||
        ctx.core == nullptr) {
      return {std::move(honest)};
    }
    std::vector<OldCertified> candidates = OldCandidates(*ctx.core);
    if (candidates.empty()) return {std::move(honest)};
    const OldCertified& old = candidates[RandomBelow(*ctx.rng, candidates.size())];
    HOTBFT_ASSERT(old.qc.vote_data.round < ctx.core->tree().high_qc().vote_data.round);
    HOTBFT_ASSERT(old.qc.vote_data.block_id == old.block->id);

    const BlockHeader& h = original->block->header;
    auto fork = std::make_shared<Block>(*original->block);
    BlockHeader& f = fork->header;
    f.height = AddChecked(old.block->header.height, 1);
    f.parent_id = old.block->id;
    f.justify = old.qc;
    // The original's timestamp is above its parent's, which is above this older block's:
    // only the certificates, not the clock, may get this block refused.
    f.timestamp_ms = std::max(h.timestamp_ms, AddChecked(old.block->header.timestamp_ms, 1));
    Proposal forked = SignProposal(Reseal(std::move(fork), ctx), original->tc, ctx);
    return {Envelope{std::move(honest.to), std::move(forked)}};
  }
};

}  // namespace

std::unique_ptr<Strategy> MakeForkFromOldQC() {
  return std::make_unique<ForkFromOldQC>();
}

}  // namespace hotbft::byzantine
