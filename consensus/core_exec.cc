// Core: execution results in block headers (DESIGN.md, "Execution and duplicates").
//
// A header carries (exec_height, app_hash): the app hash after executing every block up
// to exec_height. exec_height may rise above the parent's only up to a height that the
// block's own ancestry proves committed (a 3-chain whose QCs lie in the ancestry and the
// block's justify): every voter holding the ancestry has then committed it too, so a
// voter waits only for its own execution, never for commits it cannot see (which would
// stall a validator that missed the QC that committed further elsewhere). A proposer puts
// its own latest execution there, within that bound, or repeats its parent's. A voter
// accepts a repeat of the parent's fields (checked when the parent was voted for) and
// otherwise waits until its own execution reaches exec_height, then votes only if the
// hashes agree. When a
// block commits, what its header says is compared with this validator's own execution,
// now or when execution catches up: a disagreement means this validator's application
// diverged, and the core halts rather than fork.
#include <algorithm>

#include "consensus/core_impl.h"
#include "consensus/wire.h"
#include "crypto/bytes.h"

namespace hotbft {

std::vector<Action> Core::Impl::OnExecuted(Height height, Bytes app_hash, uint64_t now_ms) {
  Begin(now_ms);
  HOTBFT_ASSERT(height == executed_height_ + 1);         // in order, each height once
  HOTBFT_ASSERT(height <= tree_.root()->header.height);  // only committed blocks execute
  HOTBFT_ASSERT(app_hash.size() <= kAppHashBytesMax);
  executed_height_ = height;
  app_hashes_[height] = app_hash;
  while (app_hashes_.size() > kAppHashesKept) app_hashes_.erase(app_hashes_.begin());
  CheckClaim(height, app_hash);
  if (!halted_.ok()) return Finish();
  // Proposals that waited for this execution.
  std::vector<std::pair<uint32_t, Proposal>> waiting = std::move(waiting_execution_);
  waiting_execution_.clear();
  for (const auto& [from, proposal] : waiting) HandleProposal(from, proposal);
  return Finish();
}

// The highest height that a block on `parent` proves committed through its ancestry: the
// parent is certified by the block's justify, every other ancestor by its child's. 0 if no
// 3-chain lies within kCommitProofDepthMax ancestors held in the tree.
Height Core::Impl::CommittedByAncestry(const Block& parent) const {
  std::shared_ptr<const Block> certified = tree_.Get(parent.id);
  for (size_t step = 0; certified != nullptr && step < kCommitProofDepthMax; ++step) {
    std::shared_ptr<const Block> b1 = tree_.Get(certified->header.parent_id);
    if (b1 == nullptr) return 0;
    std::shared_ptr<const Block> b0 = tree_.Get(b1->header.parent_id);
    if (b0 == nullptr) return 0;
    if (certified->header.round == b1->header.round + 1 &&
        b1->header.round == b0->header.round + 1) {
      return b0->header.height;
    }
    certified = std::move(b1);
  }
  return 0;
}

std::pair<Height, Bytes> Core::Impl::ExecFieldsFor(const Block& parent) const {
  const Height height = std::min(executed_height_, CommittedByAncestry(parent));
  if (height > parent.header.exec_height) {
    auto it = app_hashes_.find(height);
    if (it != app_hashes_.end()) return {height, it->second};
  }
  return {parent.header.exec_height, parent.header.app_hash};
}

Status Core::Impl::CheckExecShape(const BlockHeader& h, const Block& parent) const {
  const BlockHeader& ph = parent.header;
  if (h.exec_height < ph.exec_height) {
    return Status::InvalidArgument("execution height " + std::to_string(h.exec_height) +
                                   " below the parent's " + std::to_string(ph.exec_height));
  }
  if (h.exec_height > ph.exec_height && h.exec_height > CommittedByAncestry(parent)) {
    return Status::InvalidArgument("execution height " + std::to_string(h.exec_height) +
                                   " above what the block's ancestry proves committed");
  }
  if (h.exec_height == ph.exec_height && h.app_hash != ph.app_hash) {
    return Status::InvalidArgument("app hash differs from the parent's at the same height");
  }
  if (h.app_hash.size() > kAppHashBytesMax) return Status::InvalidArgument("app hash too long");
  return Status::Ok();
}

// REQUIRES: CheckExecShape(h, parent) passed.
Core::Impl::ExecCheck Core::Impl::CheckExecution(const BlockHeader& h) const {
  if (h.exec_height <= executed_height_) {
    auto it = app_hashes_.find(h.exec_height);
    // Older than the hashes kept: it cannot be checked, so it is not voted for.
    if (it == app_hashes_.end() || it->second != h.app_hash) return ExecCheck::kMismatch;
    return ExecCheck::kOk;
  }
  return ExecCheck::kWait;
}

void Core::Impl::RecordExecClaims(const std::vector<std::shared_ptr<const Block>>& committed) {
  for (const auto& block : committed) {
    const BlockHeader& h = block->header;
    if (h.exec_height == 0) continue;
    if (h.exec_height <= executed_height_) {
      CheckClaim(h.exec_height, h.app_hash);  // (if still kept; the parent's check covers it)
    } else if (exec_claims_.size() < kExecClaimsMax) {
      auto [it, inserted] = exec_claims_.emplace(h.exec_height, h.app_hash);
      if (!inserted && it->second != h.app_hash) {
        Halt(Status::SafetyViolation("committed blocks disagree on the app hash at height " +
                                     std::to_string(h.exec_height) + ": " + ToHex(it->second) +
                                     " and " + ToHex(h.app_hash) +
                                     " (more than f validators are faulty)"));
      }
    }
    if (!halted_.ok()) return;
  }
}

void Core::Impl::CheckClaim(Height height, const Bytes& app_hash) {
  auto own = app_hashes_.find(height);
  if (own == app_hashes_.end()) return;
  const Bytes* claimed = &app_hash;
  auto claim = exec_claims_.find(height);
  if (claim != exec_claims_.end()) claimed = &claim->second;
  if (*claimed != own->second) {
    Halt(Status::Corruption(
        "execution diverged at height " + std::to_string(height) + ": this validator's app hash " +
        ToHex(own->second) + ", the committed chain's " + ToHex(*claimed) +
        "; the application is not deterministic or its state is damaged: stop this node, "
        "restore the application state and replay"));
  }
  if (claim != exec_claims_.end()) exec_claims_.erase(claim);
}

void Core::Impl::Halt(Status status) {
  HOTBFT_ASSERT(!status.ok());
  if (halted_.ok()) halted_ = std::move(status);
}

}  // namespace hotbft
