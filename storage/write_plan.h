// WritePlan: what one WriteBatch changes in the stored state, decided in one place for
// every Store implementation. The RocksDB store turns a plan into one rocksdb::WriteBatch,
// the in-memory store applies it to its maps; neither has rules of its own.
//
// The stored state the plan maintains (names as in rocks_layout.h):
//   blocks       committed blocks (until pruned) and uncommitted candidates
//   uncommitted  (height, id) of every stored block above the committed tip: what Recover
//                returns. Entries at or below a new tip are dropped on commit, and their
//                blocks too unless committed, so this index and the blocks it names stay
//                bounded by the core's own tree of candidates.
//   heights      the committed height index
//   qcs          the QC certifying each committed block (the next block's justify; the
//                root QC for the tip)
//   evidence     the committed evidence index: each piece a newly committed block carries,
//                by its key (the later record of a key wins)
//   block_results  each height's block result, from its execution record or the record
//                written ahead: only non-empty ones are stored, and a record without one
//                keeps the stored one unless it was written ahead (then it replaces it)
#pragma once

#include <compare>
#include <cstddef>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "consensus/wire.h"
#include "crypto/bytes.h"
#include "storage/store.h"

namespace hotbft::storage {

// Bounds on one WriteBatch. A node far behind commits a long chain at once, so these are
// generous; they exist so one write cannot take unbounded memory.
inline constexpr size_t kBatchBlocksMax = 10'000;
inline constexpr size_t kBatchCommittedMax = 10'000;
inline constexpr size_t kBatchExecutedMax = 10'000;
// A transaction's encoded result (code, data, log, events).
inline constexpr size_t kTxResultBytesMax = 1 << 20;
// A height's encoded block result (the block's events and validator updates).
inline constexpr size_t kBlockResultBytesMax = size_t{4} << 20;
static_assert(kBatchCommittedMax <= kBatchBlocksMax, "a batch may carry every block it commits");

// A key of the uncommitted index: ordered by height, then id.
struct HeightId {
  Height height = 0;
  Hash32 id;
  auto operator<=>(const HeightId&) const = default;
};

// The part of the stored state that every write reads and updates.
struct StoredTip {
  Hash32 root_id;  // the committed tip
  Height committed_height = 0;
  Height executed_height = 0;
};

// Reads of durable state a plan needs. Implemented by each store.
class PlanReader {
 public:
  virtual ~PlanReader() = default;
  // A stored block, nullptr if absent; fails only on a read error.
  virtual Result<std::shared_ptr<const Block>> ReadBlock(const Hash32& id) const = 0;
  // Every entry of the uncommitted index at or below `height`, ascending.
  virtual Result<std::vector<HeightId>> ReadUncommittedUpTo(Height height) const = 0;
  // Whether a block result is stored for `height`.
  virtual Result<bool> HasBlockResult(Height height) const = 0;
};

// A block result to store: a view of the bytes in the batch the plan was made from, valid
// as long as that batch is.
struct BlockResultPut {
  Height height = 0;
  ByteView bytes;  // not empty
};

// The changes one batch makes beyond what it carries itself (safety data, high QC and
// TC, root QC, and the app hashes and transaction records of execution records are
// written as the batch has them). The sets are disjoint: no key is both put and erased.
struct WritePlan {
  std::vector<std::shared_ptr<const Block>> put_blocks;
  std::vector<Hash32> erase_blocks;  // uncommitted blocks that lost to the committed branch
  std::vector<HeightId> put_uncommitted;
  std::vector<HeightId> erase_uncommitted;
  std::vector<HeightId> put_committed;  // committed height index entries, ascending
  std::vector<std::pair<Hash32, QC>> put_qcs;
  std::vector<StoredEvidence> put_evidence;       // in commit order
  std::vector<BlockResultPut> put_block_results;  // ascending heights
  std::vector<Height> erase_block_results;
  StoredTip tip;  // after the write
};

// Checks `batch` against itself and the stored state (`tip`, `reader`) and returns what
// it changes. Fails with a message naming the values; then nothing may be written. The
// plan refers to `batch` (put_block_results), which must outlive it.
Result<WritePlan> PlanWrite(const WriteBatch& batch, const StoredTip& tip,
                            const PlanReader& reader);

}  // namespace hotbft::storage
