// Core: fetching missing blocks from peers, and serving them from the tree. A fetched
// block is trusted only through a hash chain from something verified: its id was named by
// a verified QC or proposal, or it is the parent of a block trusted that way. Its QC is
// verified before it enters the tree.
//
// Catch-up of a validator far behind: a proposal beyond rounds_ahead_max still moves it
// through its verified QC (CatchUpOnFarProposal), which names the block to fetch; the
// chain below it is walked back in requests of up to sync_ancestors_max ancestors (cut by
// bytes at the serving side), each asking only for the heights this validator lacks
// (AncestorsToAsk), so the proposals that keep arriving meanwhile cost a few blocks each,
// not a full walk. Fetched blocks wait, bounded by count and bytes, until the oldest
// connects; on overflow the newest are dropped and the lowest dropped one is remembered
// (resume_) and fetched again once what is kept has connected. At most kConnectBlocksMax
// blocks enter the tree per input, so every PersistAction stays far below the store's
// bounds; the rest connect on the next input (a response, or a tick).
#include <algorithm>

#include "consensus/core_impl.h"
#include "consensus/wire.h"

namespace hotbft {
namespace {

// Protobuf's widest length prefix and field tag together, counted for every field.
constexpr uint64_t kFieldOverheadBytesMax = 11;

}  // namespace

uint64_t BlockResponseBytes(const Block& block) {
  HOTBFT_ASSERT(block.payload != nullptr);
  wire::BlockHeader header;
  ToProto(block.header, &header);
  uint64_t bytes = 3 * kFieldOverheadBytesMax + header.ByteSizeLong();  // entry, header, payload
  for (const Bytes& tx : block.payload->txs) bytes += kFieldOverheadBytesMax + tx.size();
  for (const Bytes& e : block.payload->evidence) bytes += kFieldOverheadBytesMax + e.size();
  HOTBFT_ASSERT(bytes > header.ByteSizeLong());
  return bytes;
}

// The height a block to fetch has, if a waiting QC, proposal or resume point says.
std::optional<Height> Core::Impl::HeightHint(const Hash32& id) const {
  if (auto qc = pending_qcs_.find(id); qc != pending_qcs_.end()) {
    return qc->second.vote_data.height;
  }
  if (auto waiting = pending_proposals_.find(id);
      waiting != pending_proposals_.end() && !waiting->second.empty()) {
    const Height child = waiting->second.front().second.block->header.height;
    if (child > 0) return child - 1;
  }
  if (resume_ && resume_->second == id) return resume_->first;
  if (auto child = fetched_child_heights_.find(id); child != fetched_child_heights_.end()) {
    return child->second - 1;
  }
  return std::nullopt;
}

// Ancestors to ask for with a block of `height`: down to the highest block held below it
// (the tree's root or high QC block, or a fetched one), at most sync_ancestors_max.
uint32_t Core::Impl::AncestorsToAsk(std::optional<Height> height) const {
  const uint32_t most = config_.sync_ancestors_max;
  if (!height) return most;
  Height below = tree_.root()->header.height;
  const Height high = tree_.high_qc().vote_data.height;
  if (high < *height) below = std::max(below, high);
  for (const auto& [id, block] : fetched_) {
    const Height h = block->header.height;
    if (h < *height) below = std::max(below, h);
  }
  if (*height <= below + 1) return 0;
  return static_cast<uint32_t>(std::min<Height>(most, *height - below - 1));
}

void Core::Impl::RequestBlock(const Hash32& id, uint32_t peer) {
  if (tree_.Contains(id) || fetched_.count(id) || missing_.count(id)) return;
  if (missing_.size() >= kMissingBlocksMax) return Drop(DropReason::kTooManyPending);
  if (peer == self_) peer = (self_ + 1) % validators_.size();
  const uint32_t ancestors = AncestorsToAsk(HeightHint(id));
  missing_[id] = Missing{now_ms_, 1, peer, ancestors};
  ++counters_.block_requests_sent;
  SendTo(peer, BlockRequest{id, ancestors}, false);
}

// Re-asks for blocks still missing after a base timeout, from the next peer in turn, and
// connects fetched blocks left over from an earlier input.
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
      SendTo(m.peer, BlockRequest{it->first, m.ancestors}, false);
    }
    ++it;
  }
  if (connect_capped_) ConnectFetched((self_ + 1) % validators_.size());
}

void Core::Impl::HandleBlockRequest(uint32_t from, const BlockRequest& request) {
  auto blocks =
      CollectBlockResponse(request, config_.sync_ancestors_max, config_.sync_response_bytes_max,
                           [&](const Hash32& id) { return tree_.Get(id); });
  if (blocks.empty()) return;
  SendTo(from, BlockResponse{std::move(blocks)}, false);
}

// A proposal for a round beyond rounds_ahead_max: a validator that was away for long
// hears of the chain only this way. Its justify QC, once verified, may move this
// validator any distance (like any certificate) and names the block to fetch. True if the
// proposal's round is now within reach.
bool Core::Impl::CatchUpOnFarProposal(uint32_t from, const Proposal& p) {
  HOTBFT_ASSERT(p.block != nullptr);
  const BlockHeader& h = p.block->header;
  HOTBFT_ASSERT(h.round > round_ + config_.rounds_ahead_max);
  if (h.justify.vote_data.round >= h.round) return false;
  if (!VerifyQC(h.justify).ok()) return false;
  ProcessQC(h.justify, from);
  return h.round <= round_ + config_.rounds_ahead_max;
}

// A timeout for a round beyond rounds_ahead_max. On a chain without proposals (idle, with
// idle_empty_blocks off, or with failing leaders) a validator that was away for long hears
// of the others only through their timeouts; without this it would stay behind for good,
// and with one more validator down there would be no quorum at all. The certificate that
// put the sender in its round, once verified with the timeout's signature, moves this
// validator there (like any certificate). At most one check per peer for each round this
// validator is in, so a peer sending far timeouts with bad certificates costs one check a
// round. True if the timeout's round is now within reach.
bool Core::Impl::CatchUpOnFarTimeout(uint32_t from, const Timeout& t) {
  HOTBFT_ASSERT(t.data.round > round_ + config_.rounds_ahead_max);
  if (from >= far_timeout_checked_.size() || far_timeout_checked_[from] == round_) return false;
  far_timeout_checked_[from] = round_;
  if (t.data.round == 0 || CertRound(t.entry) + 1 != t.data.round) return false;
  if (!verifier_.Verify(validators_.key(t.sender), t.data.SigningDigest(config_.chain_id),
                        t.signature)) {
    return false;
  }
  DropReason reason;
  if (!VerifyCert(t.entry, &reason)) return false;
  if (const QC* qc = std::get_if<QC>(&t.entry)) ProcessQC(*qc, from);
  if (const TC* tc = std::get_if<TC>(&t.entry)) ProcessTC(*tc);
  return t.data.round <= round_ + config_.rounds_ahead_max;
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
    AddFetched(block);
    expected = h.parent_id;
  }
  ConnectFetched(from);
}

// Keeps an authenticated block until it connects. Beyond kFetchedBlocksMax blocks or
// kFetchedBytesMax bytes the highest go first: the lowest are the ones that connect next.
// The lowest block dropped is remembered (its id is trusted) and fetched again later.
void Core::Impl::AddFetched(const std::shared_ptr<const Block>& block) {
  if (!fetched_.emplace(block->id, block).second) return;
  fetched_bytes_ += BlockResponseBytes(*block);
  fetched_child_heights_[block->header.parent_id] = block->header.height;
  while (fetched_.size() > kFetchedBlocksMax || fetched_bytes_ > kFetchedBytesMax) {
    auto highest =
        std::max_element(fetched_.begin(), fetched_.end(), [](const auto& a, const auto& b) {
          return a.second->header.height < b.second->header.height;
        });
    HOTBFT_ASSERT(highest != fetched_.end());
    const Height height = highest->second->header.height;
    if (!resume_ || resume_->first > height) resume_ = std::make_pair(height, highest->first);
    Drop(DropReason::kTooManyPending);
    EraseFetched(highest->first);
  }
  HOTBFT_ASSERT(fetched_.size() <= kFetchedBlocksMax);
}

void Core::Impl::EraseFetched(const Hash32& id) {
  auto it = fetched_.find(id);
  if (it == fetched_.end()) return;
  const uint64_t bytes = BlockResponseBytes(*it->second);
  HOTBFT_ASSERT(fetched_bytes_ >= bytes);
  fetched_bytes_ -= bytes;
  fetched_child_heights_.erase(it->second->header.parent_id);
  fetched_.erase(it);
}

// Inserts fetched blocks whose parents are known, oldest first, at most kConnectBlocksMax
// (the rest on a later input); asks for the parent of the oldest block that does not
// connect yet, from `peer` (who served the rest).
void Core::Impl::ConnectFetched(uint32_t peer) {
  std::vector<std::shared_ptr<const Block>> ordered;
  ordered.reserve(fetched_.size());
  for (const auto& [id, block] : fetched_) ordered.push_back(block);
  std::sort(ordered.begin(), ordered.end(),
            [](const auto& a, const auto& b) { return a->header.height < b->header.height; });
  size_t connected = 0;
  connect_capped_ = false;
  for (const auto& block : ordered) {
    const Hash32& parent_id = block->header.parent_id;
    if (block->header.height <= tree_.root()->header.height) {
      EraseFetched(block->id);
    } else if (tree_.Contains(parent_id)) {
      if (connected >= kConnectBlocksMax) {
        connect_capped_ = true;
        continue;
      }
      ++connected;
      EraseFetched(block->id);
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
  if (resume_ &&
      (resume_->first <= tree_.root()->header.height || tree_.Contains(resume_->second))) {
    resume_.reset();
  }
  if (resume_ && fetched_.empty()) RequestBlock(resume_->second, peer);
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
