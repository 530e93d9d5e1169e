// Store: a validator's durable state (DESIGN.md "Storage"). One implementation on RocksDB
// (rocks_store.h), one in memory (mem_store.h) that mimics durability for the simulator
// and tests: a simulated crash keeps exactly what was synced. Both apply the same rules
// (write_plan.h), so they cannot disagree on what a batch means.
//
// What the protocol depends on (safety data, the round's blocks, certificates, commit
// records) arrives as one WriteBatch per round and is written atomically and synced once:
// never one sync per transaction.
//
// Thread-safety: Write and Prune may be called from more than one thread (the storage
// writer, and the executor for its execution records); the calls are serialised, each
// applied against the state the previous one left. The getters may be called from any
// thread concurrently with them.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "consensus/core.h"
#include "crypto/status.h"

namespace hotbft::storage {

// Bumped whenever the on-disk layout changes; a database of another version is refused.
inline constexpr uint32_t kSchemaVersion = 1;

// Where a committed transaction is, and what it did (`result`: the executor's encoding of
// its TxResult, opaque to the store).
struct TxRecord {
  Height height = 0;
  uint32_t index = 0;  // position in the block
  Bytes result;
  bool operator==(const TxRecord&) const = default;
};

// The execution of one committed height: the app hash after it, every transaction's
// record (by the SHA-256 of the transaction), and the block-level outcome (`block_result`:
// the executor's encoding of the height's events and validator updates, opaque to the
// store; empty when there is none).
struct ExecutionRecord {
  Height height = 0;
  Bytes app_hash;
  std::vector<std::pair<Hash32, TxRecord>> txs;
  Bytes block_result;
  bool operator==(const ExecutionRecord&) const = default;
};

// A piece of evidence a committed block carried (the committed evidence index).
struct StoredEvidence {
  EvidenceKey key;
  Height height = 0;  // the committed block that carried it
  Bytes evidence;     // its canonical encoding (consensus/evidence.h)
  bool operator==(const StoredEvidence&) const = default;
};

// One atomic, synced write. Bounds on its parts are in write_plan.h.
struct WriteBatch {
  std::optional<SafetyData> safety;                  // replaces the stored safety data
  std::vector<std::shared_ptr<const Block>> blocks;  // new blocks (by id)
  std::optional<QC> high_qc;                         // replaces the stored high QC
  std::optional<TC> high_tc;                         // replaces the stored high TC
  // The new committed tip, as the QC certifying it; the blocks it commits (oldest first,
  // each in `blocks` or stored earlier) enter the committed height index.
  std::optional<QC> root_qc;
  std::vector<Hash32> committed;  // ids of the newly committed blocks, oldest first
  // Heights executed since the last write, ascending, each at most the committed height
  // (this batch's commits included). A transaction hash recorded twice keeps the later
  // record: the executor records a transaction once (duplicates are not executed). A
  // height whose transaction records were written ahead (`finalized`) may be completed by
  // a record with its app hash and no transactions. A record's block result, if not empty,
  // replaces the height's stored one; an empty one leaves it, so a height completed by its
  // app hash alone keeps the block result written ahead.
  std::vector<ExecutionRecord> executed;
  // The results of the next height to execute (the executed height after `executed`, plus
  // one), written before the application commits that height, so that a crash after the
  // app's Commit loses no result: the executor then completes the height from the app's
  // hash without executing it again (node/executor.h). Its app hash is empty; its
  // transaction records and block result are stored at once, but the executed height and
  // the app hashes do not change until a record in `executed` completes the height. At most
  // the committed height. Written again for the same height, its records and block result
  // replace the earlier ones (an empty block result erases a stored one).
  std::optional<ExecutionRecord> finalized;
  // Whether Write waits for the disk. False only for a batch of nothing but `executed`
  // records that carry an app hash alone (no transactions, no block result): the
  // executor's completion of a height whose results were written ahead, synced (a crash
  // that loses it is recovered from the app's Info: node/executor.h). Such a batch is
  // visible when Write returns, may be lost by a crash of the machine (not of the process)
  // until a later synced Write returns, and is never lost while a later write survives: a
  // synced write makes everything written before it durable. Write refuses any other
  // batch unsynced.
  bool sync = true;

  bool empty() const;
};

// The write a consensus PersistAction asks for (everything but the token).
WriteBatch BatchFromPersist(PersistAction action);

// Folds `next`, a later batch, into `into`, so that writing `into` has the effect of
// writing both in order (group commit): the later safety data, certificates and root
// replace the earlier ones; blocks and commits add up. REQUIRES: neither carries
// execution records (`executed`, `finalized`).
void Append(WriteBatch& into, WriteBatch next);

class Store {
 public:
  virtual ~Store() = default;

  // Applies `batch` atomically; it is durable when this returns OK (an unsynced batch,
  // WriteBatch::sync: once a later synced one returns). An empty batch is a no-op. Fails,
  // writing nothing, when the batch contradicts itself or the stored state (a commit that
  // does not extend the committed tip, a committed block that is not known, an execution
  // record out of order, a part over its bound); the message names the values.
  //
  // Blocks at or below the new committed height that the batch does not commit are not
  // kept (they can never commit), and stored uncommitted blocks at or below it are
  // dropped: they lost to the committed branch.
  virtual Status Write(const WriteBatch& batch) = 0;

  // What the consensus core restarts from: the safety data (nullopt if none was ever
  // written, or it was lost), the committed tip and its QC (the genesis block and QC on a
  // new database), the stored blocks above the tip's height, the high QC and high TC.
  // Fails with kCorruption if stored data does not decode.
  virtual Result<RecoveryState> Recover() const = 0;

  // A stored block (committed or not); nullptr if unknown, pruned or unreadable (a read
  // error also surfaces from Recover and Write).
  virtual std::shared_ptr<const Block> GetBlock(const Hash32& id) const = 0;
  // The QC certifying committed block `id` (what a peer catching up needs with the block);
  // nullopt if the block is not committed, or pruned.
  virtual std::optional<QC> GetQC(const Hash32& id) const = 0;
  // The committed height index: the block committed at `height`, if any (and not pruned).
  // The genesis block is committed at height 0.
  virtual std::optional<Hash32> CommittedAt(Height height) const = 0;
  virtual Height CommittedHeight() const = 0;  // 0 on a new chain
  // Execution records. A transaction record or block result above ExecutedHeight() was
  // written ahead of its height's execution (WriteBatch::finalized): the transaction is
  // committed, and the result is final only once the height is executed.
  virtual std::optional<TxRecord> GetTx(const Hash32& tx_hash) const = 0;
  // GetTx of each hash, in one call (the executor asks for a whole block's transactions).
  // Unlike GetTx, fails on a read error or a record that does not decode (kCorruption),
  // rather than reporting the transaction as not committed. This default asks GetTx.
  virtual Result<std::vector<std::optional<TxRecord>>> GetTxs(
      const std::vector<Hash32>& tx_hashes) const;
  virtual std::optional<Bytes> AppHashAt(Height height) const = 0;
  // The block result recorded for `height`; nullopt if none was, or it was empty.
  virtual std::optional<Bytes> BlockResultAt(Height height) const = 0;
  virtual Height ExecutedHeight() const = 0;  // 0 before the first execution

  // The committed evidence index: every piece a committed block carried, by its key
  // (a key committed twice keeps the later record; honest validators never commit one
  // twice). Never pruned: it is small, and the record of what the app was told.
  virtual std::optional<StoredEvidence> GetEvidence(const EvidenceKey& key) const = 0;
  // The committed evidence of `epoch` with rounds >= round_min, in (round, validator, kind)
  // order, at most count_max pieces. Fails on a read error or a record that does not decode.
  virtual Result<std::vector<StoredEvidence>> ListEvidence(Epoch epoch, Round round_min,
                                                           size_t count_max) const = 0;

  // Drops committed blocks, their QCs and their height index entries below
  // `retain_height` (never the committed tip). The transaction index, app hashes and block
  // results stay: duplicate detection depends on the index, and the others are the
  // record of what execution did. Idempotent; durable when it returns OK.
  virtual Status Prune(Height retain_height) = 0;
};

// Recover(), plus the committed evidence the core checks proposals against: that of rounds
// from the recovered root's round - config.evidence_age_rounds_max on (at most one window's
// worth: RecoveryState::committed_evidence).
Result<RecoveryState> RecoverForCore(const Store& store, const CoreConfig& config);

}  // namespace hotbft::storage
