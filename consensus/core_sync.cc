// Core: fetching missing blocks from peers. A fetched block is trusted only through a
// hash chain from something verified: its id was named by a verified QC or proposal, or
// it is the parent of a block trusted that way.
#include <algorithm>

#include "consensus/core_impl.h"

namespace hotbft {

void Core::Impl::RequestBlock(const Hash32& id, uint32_t peer) {
  if (tree_.Contains(id) || fetched_.count(id) || missing_.count(id)) return;
  if (missing_.size() >= kMissingBlocksMax) return Drop(DropReason::kTooManyPending);
  if (peer == self_) peer = (self_ + 1) % validators_.size();
  missing_[id] = Missing{now_ms_, 1, peer};
  ++counters_.block_requests_sent;
  SendTo(peer, BlockRequest{id, config_.sync_ancestors_max}, false);
}

// Re-asks for blocks still missing after a base timeout, from the next peer in turn.
void Core::Impl::RetryMissing() {
  for (auto it = missing_.begin(); it != missing_.end();) {
    if (tree_.Contains(it->first)) {
      it = missing_.erase(it);
      continue;
    }
    Missing& m = it->second;
    if (m.attempts >= kFetchAttemptsMax) {
      it = missing_.erase(it);  // given up; a later proposal or QC naming it asks again
      continue;
    }
    if (now_ms_ >= m.last_request_ms + config_.round_timeout_base_ms) {
      m.peer = (m.peer + 1) % validators_.size();
      if (m.peer == self_) m.peer = (m.peer + 1) % validators_.size();
      m.last_request_ms = now_ms_;
      ++m.attempts;
      ++counters_.block_requests_sent;
      SendTo(m.peer, BlockRequest{it->first, config_.sync_ancestors_max}, false);
    }
    ++it;
  }
}

void Core::Impl::HandleBlockRequest(uint32_t from, const BlockRequest& request) {
  const uint32_t count = std::min(request.ancestors, config_.sync_ancestors_max);
  auto blocks = tree_.WithAncestors(request.block_id, count);
  if (blocks.empty()) return;
  SendTo(from, BlockResponse{std::move(blocks)}, false);
}

void Core::Impl::HandleBlockResponse(uint32_t from, const BlockResponse& response) {
  if (response.blocks.size() > config_.sync_ancestors_max + 1) {
    return Drop(DropReason::kMalformed);
  }
  std::optional<Hash32> expected;  // the parent of the previous block in the response
  for (const auto& block : response.blocks) {
    if (!block || !block->payload) return Drop(DropReason::kMalformed);
    const bool wanted = missing_.count(block->id) || (expected && *expected == block->id);
    if (!wanted) {
      if (tree_.Contains(block->id) || fetched_.count(block->id)) {
        expected = block->header.parent_id;
        continue;
      }
      return Drop(DropReason::kUnknownBlock);
    }
    const BlockHeader& h = block->header;
    if (h.Id(config_.chain_id) != block->id ||
        PayloadHash(config_.chain_id, block->payload->txs, block->payload->evidence) !=
            h.payload_hash ||
        h.parent_id != h.justify.vote_data.block_id) {
      return Drop(DropReason::kMalformed);
    }
    missing_.erase(block->id);
    if (h.height <= tree_.root()->header.height) break;  // at or below the committed tip
    if (fetched_.size() >= kFetchedBlocksMax) {
      fetched_.clear();  // chains that never connected; what is still needed is re-fetched
      Drop(DropReason::kTooManyPending);
    }
    fetched_.emplace(block->id, block);
    expected = h.parent_id;
  }
  ConnectFetched(from);
}

// Inserts fetched blocks whose parents are known, oldest first; asks for the parent of
// the oldest block that does not connect yet, from `peer` (who served the rest).
void Core::Impl::ConnectFetched(uint32_t peer) {
  std::vector<std::shared_ptr<const Block>> ordered;
  for (const auto& [id, block] : fetched_) ordered.push_back(block);
  std::sort(ordered.begin(), ordered.end(),
            [](const auto& a, const auto& b) { return a->header.height < b->header.height; });
  for (const auto& block : ordered) {
    const Hash32& parent_id = block->header.parent_id;
    if (block->header.height <= tree_.root()->header.height) {
      fetched_.erase(block->id);
    } else if (tree_.Contains(parent_id)) {
      fetched_.erase(block->id);
      // The hash chain authenticates the header, but a Byzantine proposer may have put a
      // forged QC in it: verify before the QC can raise the high QC or commit anything.
      if (!VerifyQC(block->header.justify).ok()) {
        Drop(DropReason::kInvalidQC);
        continue;
      }
      if (!tree_.Contains(block->id) && tree_.Insert(block).ok()) {
        unpersisted_blocks_.push_back(block);
        InsertQCIntoTree(block->header.justify);
        OnBlockInserted(block);
      }
    } else if (!fetched_.count(parent_id)) {
      RequestBlock(parent_id, peer);
    }
  }
}

void Core::Impl::OnBlockInserted(const std::shared_ptr<const Block>& block) {
  missing_.erase(block->id);
  auto qc = pending_qcs_.find(block->id);
  if (qc != pending_qcs_.end()) {
    QC pending = std::move(qc->second);
    pending_qcs_.erase(qc);
    InsertQCIntoTree(pending);
  }
  auto waiting = pending_proposals_.find(block->id);
  if (waiting != pending_proposals_.end()) {
    auto proposals = std::move(waiting->second);
    pending_proposals_.erase(waiting);
    for (const auto& [from, proposal] : proposals) HandleProposal(from, proposal);
  }
}

}  // namespace hotbft
