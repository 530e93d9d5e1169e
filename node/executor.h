// Executor: runs committed blocks through the application, in height order, and records
// what they did in the store (DESIGN.md "Execution and duplicates", "Application
// interface"). Its output, (height, app hash), is what Core::OnExecuted takes.
//
// One height h, in this order:
//   1. Duplicates are settled: a transaction whose SHA-256 the store's index holds at a
//      lower height (committed earlier), or that appeared earlier in the block, gets
//      kCodeDuplicate and never reaches the app. The index is asked for the whole block at
//      once (Store::GetTxs); a store that cannot answer fails the height (retried, or a
//      halt on kCorruption), never lets a transaction through as new.
//   2. FinalizeBlock with the rest, in block order; the results are merged back into
//      block order.
//   3. The results are written ahead (WriteBatch::finalized, synced): the transaction
//      records of h enter the index and its block result (the block's events and
//      validator updates) is stored; the store's executed height stays h - 1.
//   4. Commit: the app makes the state durable and returns the app hash.
//   5. The app hash is written (an ExecutionRecord with the hash alone): h is executed.
//
// A crash between two steps, and what Recover then finds and does:
//   before 3:     store at h - 1 knowing nothing of h; the app forgot its uncommitted
//                 block and is at h - 1. Executes h.
//   between 3, 4: store at h - 1 with the results of h; app at h - 1. Executes h again;
//                 the new results replace the ones written ahead (equal, if the app is
//                 deterministic).
//   between 4, 5: store at h - 1 with the results of h; app at h. Completes h with the
//                 app hash from Info, without executing it again.
//   after 5:      both at h.
// So no height takes effect twice in the app and no result is lost. The price is a
// second store write per height; it is not synced (WriteBatch::sync): a crash of the
// machine that loses it leaves the store as a crash between 4 and 5 does, and the next
// synced write, the results of h + 1 or any write of consensus, makes it durable.
//
// A failure without a crash (the app answers an error or not at all, a store write
// fails): h is not executed, and Execute may be called again with the same block. The
// retry resumes where the last attempt stopped:
//   - the app's Commit answered, the write of step 5 failed: the write is retried;
//   - the app was reached: Info first. At h, Commit took effect but its answer was lost;
//     the app hash comes from Info. At h - 1, FinalizeBlock is sent again; if the app
//     refuses it because it still holds the block finalized before, Commit is retried,
//     with the results of the earlier FinalizeBlock.
//
// What this assumes of the app (app/kvstore.h, counter.h, noop.h and
// app/examples/kvstore_app.py all behave so): a restart forgets a finalized block that
// was not committed; FinalizeBlock while a block awaits Commit either fails, changing
// nothing, or replaces that block; Commit without a finalized block fails, changing
// nothing; Info reports the last committed height and its app hash. One case has no way
// out here: if FinalizeBlock reached the app but its answer did not reach the node (a
// timeout over a socket), and the app still holds that block, its results are unknown
// and every retry fails until the app restarts (or takes FinalizeBlock again).
//
// Thread-safety: none. One executor per node, called from one thread (the executor
// thread); the store may be written by other threads meanwhile (storage/store.h).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/application.h"
#include "consensus/types.h"
#include "crypto/status.h"
#include "storage/store.h"

namespace hotbft::node {

// The first height the app executes: the genesis block (height 0) is not executed.
inline constexpr Height kInitialHeight = 1;

// What InitChain tells a new app.
struct ExecutorConfig {
  std::string chain_id;
  std::vector<app::ValidatorUpdate> validators;  // the genesis validator set
  Bytes app_state;                               // the app's genesis state, opaque to the node
};

// One executed height, with what FinalizeBlock returned for it. Commit's retain height
// is not kept (pruning is the node's policy).
struct ExecutedBlock {
  Height height = 0;
  Bytes app_hash;                         // after the height, as the app's Commit returned it
  std::vector<Hash32> tx_hashes;          // SHA-256 of each transaction, in block order
  std::vector<app::TxResult> tx_results;  // one per transaction, in block order
  // The block-level outcome, as the app returned it (stored as the height's block result).
  // Validator updates are recorded, not applied: the validator set is fixed at genesis.
  std::vector<app::Event> events;
  std::vector<app::ValidatorUpdate> validator_updates;
};

class Executor {
 public:
  // Neither is owned; both must outlive the executor.
  Executor(storage::Store& store, app::Application& app, ExecutorConfig config);

  // On start, before any Execute: brings the app and the store to the same height, then
  // executes every block committed above it (as of the call). Asks the app Info; an app
  // at height 0 gets InitChain first (a new app, or one replaying from scratch; the
  // genesis app hash it returns is not recorded: the core takes height 0's hash as empty).
  // Then, by the app's height a against the store's executed height e:
  //   a == e:      nothing to mend;
  //   a == e + 1:  the app committed a height whose app hash the store did not get (a
  //                crash between steps 4 and 5); completed from Info, its results read
  //                from the store (kCorruption if they are not there);
  //   a < e:       the app lost state; heights a + 1 .. e are executed again, each app
  //                hash checked against the stored one, writing nothing (kCorruption
  //                naming the height and both hashes on a difference);
  //   a > e + 1, or a above the committed height: kFailedPrecondition (the app's state
  //                is not this node's chain: another chain's, or another data directory's).
  // For 0 < a <= e, the app's hash (Info) must also equal the stored one at a
  // (kCorruption naming both otherwise).
  // Returns the executed height. May be called again after an error.
  Result<Height> Recover();

  // Executes `block` (see the file comment). Duplicates are left out of the app and get
  // kCodeDuplicate with a log naming the earlier height and position.
  // REQUIRES: Recover returned OK; block.header.height == executed_height() + 1; the
  // store has `block` committed at its height.
  // An error (from the app, with its code, or from the store) names the height; then the
  // height is not executed and Execute may be called again with the same block.
  Result<ExecutedBlock> Execute(const Block& block);

  Height executed_height() const { return executed_height_; }

 private:
  // The transactions of one block, sorted into duplicates and those the app executes.
  struct BlockTxs {
    std::vector<Hash32> hashes;                           // every transaction's
    std::vector<std::optional<app::TxResult>> duplicate;  // per position: set if a duplicate
    std::vector<uint32_t> to_app;                         // positions the app executes
  };
  // How far the app got with the height in progress; kept across failed attempts.
  struct Attempt {
    Height height = 0;
    Hash32 block_id;
    bool reached_app = false;                           // FinalizeBlock was sent at least once
    std::optional<app::FinalizeBlockResult> finalized;  // the app's last answer to it
    bool results_written = false;                       // `finalized` is in the store
    std::optional<Bytes> app_hash;                      // the app committed the height
  };
  enum class Mode : uint8_t {
    kExecute,  // a new height: its results and app hash are written
    kReplay,   // an executed height the app lost: nothing is written
  };

  // Fails only if the store cannot answer (a read error, a record that does not decode).
  Result<BlockTxs> SortTxs(const Block& block) const;
  Result<std::shared_ptr<const Block>> CommittedBlock(Height height) const;
  Status StartChain(const app::InfoResult& info);
  Status CheckAgainstStore(const app::InfoResult& info) const;
  Status CompleteFromApp(Height height, const Bytes& app_hash);
  Status Replay(Height from, Height to);
  // Steps 2 to 4 for `block`, resuming attempt_; returns the app hash.
  Result<Bytes> RunInApp(const Block& block, const BlockTxs& txs, Mode mode);
  // Asks Info when an earlier attempt reached the app; sets the app hash if the app
  // committed the height already.
  Status ResumeAttempt(Attempt& attempt, Mode mode);
  // Sets attempt.finalized; or, when the app refuses a FinalizeBlock sent again, keeps the
  // earlier answer and puts the refusal in `refused`.
  Status FinalizeInApp(const Block& block, const BlockTxs& txs, Attempt& attempt, Status& refused);
  Status WriteResults(const BlockTxs& txs, Attempt& attempt);
  Status CommitInApp(Attempt& attempt, const Status& refused);
  Status WriteAppHash(Height height, const Bytes& app_hash);

  storage::Store& store_;
  app::Application& app_;
  const ExecutorConfig config_;
  bool recovered_ = false;
  Height executed_height_ = 0;
  std::optional<Attempt> attempt_;
};

// The stored form of a transaction's result (TxRecord::result): the TxResult as protobuf
// (proto/app.proto), serialized deterministically. A result the codec refuses (a
// linked-in app's over-long log, say), or whose encoding exceeds
// storage::kTxResultBytesMax, is stored as its code and a log saying why the rest is not.
Bytes EncodeStoredTxResult(const app::TxResult& result);
Result<app::TxResult> DecodeStoredTxResult(ByteView bytes);

// A height's block result as stored (storage::ExecutionRecord::block_result).
struct BlockResult {
  std::vector<app::Event> events;
  std::vector<app::ValidatorUpdate> validator_updates;
  // Empty, or why events or validator updates the app returned are not stored.
  std::string omitted;
  bool operator==(const BlockResult&) const = default;
};

// The stored form of a height's block result: FinalizeBlock's events and validator
// updates (not its transaction results) as a StoredBlockResult (proto/app.proto),
// serialized deterministically; empty when the app returned neither. A part the codec
// refuses (a linked-in app's malformed key or event), and events whose encoding would
// exceed storage::kBlockResultBytesMax, are left out and `omitted` says why; validator
// updates always fit.
Bytes EncodeStoredBlockResult(const app::FinalizeBlockResult& result);
// Empty bytes decode to an empty result; kCorruption if the bytes do not decode.
Result<BlockResult> DecodeStoredBlockResult(ByteView bytes);

}  // namespace hotbft::node
