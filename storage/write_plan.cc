#include "storage/write_plan.h"

#include <algorithm>
#include <limits>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace hotbft::storage {
namespace {

using BlockMap = std::unordered_map<Hash32, std::shared_ptr<const Block>, Hash32Hasher>;
using IdSet = std::unordered_set<Hash32, Hash32Hasher>;

std::string Short(const Hash32& id) {
  return id.hex().substr(0, 16);
}

std::string Num(uint64_t v) {
  return std::to_string(v);
}

Status CheckCount(size_t count, size_t max, const char* what) {
  if (count <= max) return Status::Ok();
  return Status::ResourceExhausted("write batch carries " + Num(count) + " " + what + "; at most " +
                                   Num(max));
}

Status CheckBlock(const std::shared_ptr<const Block>& block) {
  HOTBFT_ASSERT(block != nullptr);
  HOTBFT_ASSERT(block->payload != nullptr);
  // The stored form is the wire form: the same bounds, so a stored block always reads back.
  if (block->payload->evidence.size() > kBlockEvidenceMax) {
    return Status::InvalidArgument("block " + Short(block->id) + " carries " +
                                   Num(block->payload->evidence.size()) +
                                   " pieces of evidence; at most " + Num(kBlockEvidenceMax));
  }
  for (const Bytes& piece : block->payload->evidence) {
    if (piece.size() > kEvidenceBytesMax) {
      return Status::InvalidArgument("block " + Short(block->id) + " carries evidence of " +
                                     Num(piece.size()) + " bytes; at most " +
                                     Num(kEvidenceBytesMax));
    }
  }
  return Status::Ok();
}

// The committed evidence index entries of a committed block. Every bitmap of a stored
// block is sized for the validator set (consensus/wire.h), so its justify QC's tells the
// set's size. A piece that does not decode (which a certified block cannot carry: honest
// voters decoded it) fails the write.
Status PlanEvidence(const Block& block, WritePlan& plan) {
  const uint32_t validators = block.header.justify.signers.n();
  for (const Bytes& piece : block.payload->evidence) {
    auto evidence = DecodeEvidence(piece, validators);
    if (!evidence.ok()) {
      return evidence.status().With("committed block " + Short(block.id) + " evidence");
    }
    plan.put_evidence.push_back(StoredEvidence{KeyOf(*evidence), block.header.height, piece});
  }
  return Status::Ok();
}

Status CheckRecordBounds(const ExecutionRecord& record) {
  if (record.app_hash.size() > kAppHashBytesMax) {
    return Status::InvalidArgument("app hash of height " + Num(record.height) + " has " +
                                   Num(record.app_hash.size()) + " bytes; at most " +
                                   Num(kAppHashBytesMax));
  }
  if (record.block_result.size() > kBlockResultBytesMax) {
    return Status::InvalidArgument("block result of height " + Num(record.height) + " has " +
                                   Num(record.block_result.size()) + " bytes; at most " +
                                   Num(kBlockResultBytesMax));
  }
  HOTBFT_RETURN_IF_ERROR(CheckCount(record.txs.size(), kBlockTxsMax, "transaction records"));
  for (const auto& [hash, tx] : record.txs) {
    if (tx.result.size() > kTxResultBytesMax) {
      return Status::InvalidArgument("result of transaction " + Short(hash) + " has " +
                                     Num(tx.result.size()) + " bytes; at most " +
                                     Num(kTxResultBytesMax));
    }
    if (tx.height != record.height) {
      return Status::InvalidArgument("transaction " + Short(hash) + " is recorded at height " +
                                     Num(tx.height) + " in the execution of height " +
                                     Num(record.height));
    }
  }
  return Status::Ok();
}

// An unsynced batch carries app hashes alone (WriteBatch::sync): nothing consensus must
// find after a crash, no result a client was told of.
Status CheckUnsynced(const WriteBatch& batch) {
  if (batch.sync) return Status::Ok();
  const bool only_app_hashes =
      !batch.safety && batch.blocks.empty() && !batch.high_qc && !batch.high_tc && !batch.root_qc &&
      batch.committed.empty() && !batch.finalized &&
      std::all_of(batch.executed.begin(), batch.executed.end(),
                  [](const ExecutionRecord& r) { return r.txs.empty() && r.block_result.empty(); });
  if (only_app_hashes) return Status::Ok();
  return Status::InvalidArgument(
      "an unsynced batch may carry only execution records with an app hash alone; this one "
      "carries more (safety data, blocks, certificates, commits and results are synced)");
}

Status CheckBounds(const WriteBatch& batch) {
  HOTBFT_RETURN_IF_ERROR(CheckCount(batch.blocks.size(), kBatchBlocksMax, "blocks"));
  HOTBFT_RETURN_IF_ERROR(
      CheckCount(batch.committed.size(), kBatchCommittedMax, "committed block ids"));
  HOTBFT_RETURN_IF_ERROR(CheckCount(batch.executed.size(), kBatchExecutedMax, "execution records"));
  for (const auto& block : batch.blocks) HOTBFT_RETURN_IF_ERROR(CheckBlock(block));
  for (const ExecutionRecord& record : batch.executed) {
    HOTBFT_RETURN_IF_ERROR(CheckRecordBounds(record));
  }
  if (batch.finalized) HOTBFT_RETURN_IF_ERROR(CheckRecordBounds(*batch.finalized));
  return CheckUnsynced(batch);
}

Result<std::shared_ptr<const Block>> FindBlock(const Hash32& id, const BlockMap& in_batch,
                                               const PlanReader& reader) {
  auto it = in_batch.find(id);
  if (it != in_batch.end()) return it->second;
  return reader.ReadBlock(id);
}

// A root QC that does not move the tip: only a restatement of the current one is allowed.
Status CheckSameRoot(const QC& root_qc, const StoredTip& tip) {
  const VoteData& vd = root_qc.vote_data;
  if (vd.block_id == tip.root_id) return Status::Ok();
  return Status::InvalidArgument("root QC certifies block " + Short(vd.block_id) + " at height " +
                                 Num(vd.height) +
                                 ", but the batch commits no blocks and the committed tip is " +
                                 Short(tip.root_id) + " at height " + Num(tip.committed_height));
}

// One committed block: it must extend the previous one at the next height.
Status CheckCommittedLink(const Block& block, const Hash32& parent_id, Height height) {
  if (block.header.height == height && block.header.parent_id == parent_id) {
    return Status::Ok();
  }
  return Status::InvalidArgument("committed block " + Short(block.id) + " has height " +
                                 Num(block.header.height) + " and parent " +
                                 Short(block.header.parent_id) + "; expected height " +
                                 Num(height) + " extending " + Short(parent_id));
}

Status CheckRootQC(const QC& root_qc, const Block& tip_block) {
  const VoteData& vd = root_qc.vote_data;
  HOTBFT_ASSERT(vd.block_id == tip_block.id);
  if (vd.height == tip_block.header.height && vd.round == tip_block.header.round) {
    return Status::Ok();
  }
  return Status::InvalidArgument("root QC for block " + Short(vd.block_id) + " says height " +
                                 Num(vd.height) + " round " + Num(vd.round) +
                                 "; the block has height " + Num(tip_block.header.height) +
                                 " round " + Num(tip_block.header.round));
}

// Walks the committed ids from the stored tip: index entries and the QC of each.
Status PlanCommitted(const WriteBatch& batch, const BlockMap& in_batch, const PlanReader& reader,
                     WritePlan& plan) {
  Hash32 parent_id = plan.tip.root_id;
  Height height = plan.tip.committed_height;
  std::shared_ptr<const Block> previous;
  for (const Hash32& id : batch.committed) {
    auto block = FindBlock(id, in_batch, reader);
    if (!block.ok()) return block.status();
    if (*block == nullptr) {
      return Status::FailedPrecondition("committed block " + Short(id) +
                                        " is neither in the batch nor stored");
    }
    HOTBFT_ASSERT(height < std::numeric_limits<Height>::max());
    ++height;
    HOTBFT_RETURN_IF_ERROR(CheckCommittedLink(**block, parent_id, height));
    // A block's justify certifies its parent (checked by the core before it stored them).
    if (previous != nullptr) {
      HOTBFT_ASSERT((*block)->header.justify.vote_data.block_id == previous->id);
      plan.put_qcs.emplace_back(previous->id, (*block)->header.justify);
    }
    plan.put_committed.push_back(HeightId{height, id});
    HOTBFT_RETURN_IF_ERROR(PlanEvidence(**block, plan));
    parent_id = id;
    previous = std::move(block).value();
  }
  HOTBFT_RETURN_IF_ERROR(CheckRootQC(*batch.root_qc, *previous));
  plan.put_qcs.emplace_back(previous->id, *batch.root_qc);
  plan.tip.root_id = previous->id;
  plan.tip.committed_height = height;
  return Status::Ok();
}

Status PlanCommit(const WriteBatch& batch, const BlockMap& in_batch, const PlanReader& reader,
                  WritePlan& plan) {
  if (!batch.root_qc) {
    if (batch.committed.empty()) return Status::Ok();
    return Status::InvalidArgument("batch commits " + Num(batch.committed.size()) +
                                   " blocks but carries no root QC");
  }
  if (batch.committed.empty()) return CheckSameRoot(*batch.root_qc, plan.tip);
  const Hash32& certified = batch.root_qc->vote_data.block_id;
  if (batch.committed.back() != certified) {
    return Status::InvalidArgument("root QC certifies block " + Short(certified) +
                                   ", but the last committed block is " +
                                   Short(batch.committed.back()));
  }
  return PlanCommitted(batch, in_batch, reader, plan);
}

IdSet CommittedIds(const WritePlan& plan) {
  IdSet ids;
  for (const HeightId& entry : plan.put_committed) ids.insert(entry.id);
  return ids;
}

// Keeps what can still matter: candidates above the new tip and the blocks committed now.
void PlanBlocks(const WriteBatch& batch, const IdSet& committed, WritePlan& plan) {
  for (const auto& block : batch.blocks) {
    const Height height = block->header.height;
    if (height > plan.tip.committed_height) {
      plan.put_blocks.push_back(block);
      plan.put_uncommitted.push_back(HeightId{height, block->id});
    } else if (committed.contains(block->id)) {
      plan.put_blocks.push_back(block);
    }
  }
}

// Candidates at or below the new tip leave the uncommitted index; those not committed
// lost to the committed branch and are deleted.
Status PlanAbandoned(Height old_height, const IdSet& committed, const PlanReader& reader,
                     WritePlan& plan) {
  if (plan.tip.committed_height == old_height) return Status::Ok();
  HOTBFT_ASSERT(plan.tip.committed_height > old_height);
  auto entries = reader.ReadUncommittedUpTo(plan.tip.committed_height);
  if (!entries.ok()) return entries.status();
  for (const HeightId& entry : *entries) {
    HOTBFT_ASSERT(entry.height <= plan.tip.committed_height);
    plan.erase_uncommitted.push_back(entry);
    if (!committed.contains(entry.id)) plan.erase_blocks.push_back(entry.id);
  }
  return Status::Ok();
}

Status PlanExecuted(const WriteBatch& batch, WritePlan& plan) {
  Height executed = plan.tip.executed_height;
  for (const ExecutionRecord& record : batch.executed) {
    if (record.height != executed + 1) {
      return Status::InvalidArgument("execution record for height " + Num(record.height) +
                                     " does not follow executed height " + Num(executed));
    }
    if (record.height > plan.tip.committed_height) {
      return Status::FailedPrecondition("execution record for height " + Num(record.height) +
                                        " is above the committed height " +
                                        Num(plan.tip.committed_height));
    }
    executed = record.height;
  }
  plan.tip.executed_height = executed;
  return Status::Ok();
}

// Results written ahead of the app's Commit: only for the next height to execute, with
// the app hash still to come.
Status PlanFinalized(const WriteBatch& batch, const WritePlan& plan) {
  if (!batch.finalized) return Status::Ok();
  const ExecutionRecord& record = *batch.finalized;
  if (!record.app_hash.empty()) {
    return Status::InvalidArgument("results written ahead for height " + Num(record.height) +
                                   " carry an app hash of " + Num(record.app_hash.size()) +
                                   " bytes; it belongs in the execution record");
  }
  if (record.height != plan.tip.executed_height + 1) {
    return Status::InvalidArgument("results written ahead for height " + Num(record.height) +
                                   " do not follow executed height " +
                                   Num(plan.tip.executed_height));
  }
  if (record.height > plan.tip.committed_height) {
    return Status::FailedPrecondition("results written ahead for height " + Num(record.height) +
                                      " are above the committed height " +
                                      Num(plan.tip.committed_height));
  }
  return Status::Ok();
}

// Block results: an execution record's replaces the stored one if it has one (a height
// completed by its app hash alone keeps what was written ahead); the results written
// ahead replace it in any case, since the height was executed again.
Status PlanBlockResults(const WriteBatch& batch, const PlanReader& reader, WritePlan& plan) {
  for (const ExecutionRecord& record : batch.executed) {
    if (record.block_result.empty()) continue;
    plan.put_block_results.push_back(BlockResultPut{record.height, record.block_result});
  }
  if (!batch.finalized) return Status::Ok();
  const ExecutionRecord& ahead = *batch.finalized;
  HOTBFT_ASSERT(plan.put_block_results.empty() ||
                plan.put_block_results.back().height < ahead.height);
  if (!ahead.block_result.empty()) {
    plan.put_block_results.push_back(BlockResultPut{ahead.height, ahead.block_result});
    return Status::Ok();
  }
  auto stored = reader.HasBlockResult(ahead.height);
  if (!stored.ok()) return stored.status();
  if (*stored) plan.erase_block_results.push_back(ahead.height);
  return Status::Ok();
}

}  // namespace

Result<WritePlan> PlanWrite(const WriteBatch& batch, const StoredTip& tip,
                            const PlanReader& reader) {
  HOTBFT_ASSERT(tip.executed_height <= tip.committed_height);
  HOTBFT_RETURN_IF_ERROR(CheckBounds(batch));
  BlockMap in_batch;
  for (const auto& block : batch.blocks) in_batch.emplace(block->id, block);
  WritePlan plan;
  plan.tip = tip;
  HOTBFT_RETURN_IF_ERROR(PlanCommit(batch, in_batch, reader, plan));
  const IdSet committed = CommittedIds(plan);
  PlanBlocks(batch, committed, plan);
  HOTBFT_RETURN_IF_ERROR(PlanAbandoned(tip.committed_height, committed, reader, plan));
  HOTBFT_RETURN_IF_ERROR(PlanExecuted(batch, plan));
  HOTBFT_RETURN_IF_ERROR(PlanFinalized(batch, plan));
  HOTBFT_RETURN_IF_ERROR(PlanBlockResults(batch, reader, plan));
  HOTBFT_ASSERT(plan.tip.committed_height >= tip.committed_height);
  HOTBFT_ASSERT(plan.tip.executed_height <= plan.tip.committed_height);
  return plan;
}

}  // namespace hotbft::storage
