// Mempool: the transactions a validator holds for blocks (DESIGN.md "Transaction flow").
//
// Admission (Add): a size check, dedup by SHA-256 against the pool and against bounded
// caches of recently committed and recently rejected hashes (and, optionally, the store's
// committed-transaction index), then the app's CheckTx, then the count and byte bounds. A
// full pool refuses new transactions with an error naming the limits; it never evicts one
// it admitted. Every refusal says why (AddResult).
//
// Batching (Reap): a payload within (bytes_max, txs_max), fair across senders: senders take
// turns, one transaction each, every sender's own transactions in the order it sent them;
// the chosen ones leave in arrival order. A sender whose next transaction does not fit is
// skipped for the rest of the batch (its order is kept). Transactions in the uncommitted
// blocks the new block extends are left out (the caller names them): a proposer never
// includes one twice in a branch, and execution gives any repeat the duplicate code.
//
// After a commit (Update): the block's transactions leave the pool, wherever they came
// from, and join the committed cache; every other one is due for a recheck. Recheck runs
// CheckTx(kRecheck) on a bounded number of due transactions per call, on whatever thread
// calls it, never holding the pool's lock during CheckTx, so a large pool never delays
// consensus (unlike CometBFT, whose recheck blocks it: cometbft#2925). Transactions still
// due for a recheck may be reaped meanwhile: execution judges them anyway. Those the
// recheck refuses leave the pool, counted and logged. An app whose CheckTx looks at the
// transaction alone says so (app::InfoResult::check_tx_stateless), and the pool then skips
// rechecks (MempoolConfig::recheck): a commit cannot change such a verdict.
//
// Gossip: a transaction a client handed to this validator goes to every peer once
// (TakeGossip). One received from a peer is not forwarded: validators are fully
// connected, so the first receiver's broadcast reaches everyone, and nothing echoes back
// and forth (cometbft#613). A peer whose transactions fail admission (too large, refused
// by CheckTx, malformed) more than peer_invalid_max times between two commits is reported
// for a penalty (TakePenalties), once per such period.
//
// Thread-safety: every member may be called from any thread. One mutex guards the pool;
// the app's CheckTx is called outside it (application.h: its calls may run concurrently).
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "app/application.h"
#include "consensus/types.h"
#include "mempool/hash_cache.h"

namespace hotbft::mempool {

using HashSet = std::unordered_set<Hash32, Hash32Hasher>;

struct MempoolConfig {
  uint64_t tx_bytes_max = 1 << 20;           // one transaction
  size_t txs_max = 100'000;                  // transactions in the pool
  uint64_t bytes_max = uint64_t{256} << 20;  // their bytes, in all
  size_t committed_cache_max = 200'000;      // hashes of recently committed transactions
  size_t rejected_cache_max = 100'000;       // hashes of recently refused transactions
  uint32_t peer_invalid_max = 100;           // invalid transactions a peer may send per commit
  size_t gossip_queue_max = 100'000;         // transactions waiting to be forwarded
  // The key of the caches' probe sequences (HashCache); 0: drawn at random. Tests set it to
  // replay a layout.
  uint64_t cache_key = 0;
  // Recheck the pool after commits. Off only for an app whose CheckTx verdict depends on
  // the transaction alone (app::InfoResult::check_tx_stateless): then nothing is ever due.
  bool recheck = true;
};

// Who handed a transaction over: a client (an RPC connection, a load generator) or a peer.
struct Sender {
  enum class Kind : uint8_t { kClient, kPeer };
  Kind kind = Kind::kClient;
  uint64_t id = 0;  // the client's or the peer's (validator index)
  auto operator<=>(const Sender&) const = default;
  static Sender Client(uint64_t id) { return {Kind::kClient, id}; }
  static Sender Peer(uint64_t id) { return {Kind::kPeer, id}; }
};

enum class AddOutcome : uint8_t {
  kAdded,
  kInPool,          // already pending
  kCommitted,       // committed already (recent cache or the committed index)
  kRejectedBefore,  // CheckTx refused it recently
  kRejected,        // CheckTx refuses it: code and log are the app's
  kTooLarge,        // over tx_bytes_max
  kFull,            // the pool is at a bound; the log names them
  kAppError,        // CheckTx did not answer (the app is down); the log says why
  kCount,
};
std::string_view AddOutcomeName(AddOutcome outcome);

struct AddResult {
  AddOutcome outcome = AddOutcome::kAdded;
  Hash32 hash;        // SHA-256 of the transaction
  uint32_t code = 0;  // the app's code when kRejected
  std::string log;    // why, for every outcome but kAdded
  bool ok() const { return outcome == AddOutcome::kAdded; }
};

// A transaction to forward to every peer.
struct GossipTx {
  std::shared_ptr<const Bytes> tx;
  Hash32 hash;
};

struct MempoolStats {
  size_t txs = 0;
  uint64_t bytes = 0;
  size_t recheck_due = 0;
  std::array<uint64_t, static_cast<size_t>(AddOutcome::kCount)> added{};  // Add calls by outcome
  uint64_t removed_committed = 0;  // left the pool because a block committed them
  uint64_t removed_recheck = 0;    // left the pool because the recheck refused them
  uint64_t rechecked = 0;
  uint64_t gossip_dropped = 0;  // not forwarded: the gossip queue was full
  uint64_t penalties = 0;
};

class Mempool {
 public:
  // `app` must outlive the mempool. `is_committed`, if set, tells whether a transaction
  // hash is in the committed index (storage::Store::GetTx); it is consulted after the
  // caches, outside the lock.
  Mempool(MempoolConfig config, app::Application& app,
          std::function<bool(const Hash32&)> is_committed = nullptr);

  AddResult Add(Bytes tx, Sender from);

  // A payload of pending transactions (see the file comment), leaving out `exclude`.
  std::shared_ptr<Payload> Reap(uint64_t bytes_max, uint32_t txs_max,
                                const HashSet& exclude = {}) const;

  // A block committed `tx_hashes` (all of its transactions, executed or duplicates).
  void Update(const std::vector<Hash32>& tx_hashes);

  // Rechecks up to `max` transactions that are due, oldest first; returns how many it
  // settled (kept or removed). One the app fails to answer stays due, so a caller
  // may loop while this returns more than zero without spinning on an app that is down.
  size_t Recheck(size_t max);

  // Transactions to forward, oldest first (taken: each is returned once).
  std::vector<GossipTx> TakeGossip();
  // Peers to penalise (taken).
  std::vector<uint64_t> TakePenalties();
  // True once per change from empty to non-empty (Core::OnTxsAvailable).
  bool TakeBecameNonEmpty();

  bool Contains(const Hash32& hash) const;
  // The number of transactions in the pool (cheap; stats() walks the pool).
  size_t size() const;
  MempoolStats stats() const;
  const MempoolConfig& config() const { return config_; }

 private:
  struct Entry {
    std::shared_ptr<const Bytes> tx;
    Hash32 hash;
    Sender sender;
    uint64_t seq = 0;      // arrival
    uint64_t checked = 0;  // the commit generation it was last checked in
    // Links of the two arrival-ordered lists the entry is on: the pool's and its sender's.
    // Entries live in by_hash_, whose nodes do not move, so neither list allocates.
    Entry* prev = nullptr;
    Entry* next = nullptr;
    Entry* sender_prev = nullptr;
    Entry* sender_next = nullptr;
  };
  struct List {
    Entry* head = nullptr;
    Entry* tail = nullptr;
  };
  // Each REQUIRES: mutex_ held.
  std::optional<AddResult> Known(const Hash32& hash) const;
  void RemoveLocked(std::unordered_map<Hash32, Entry, Hash32Hasher>::iterator it);
  void LinkLocked(Entry& e);
  void CountInvalidLocked(const Sender& from);
  std::string FullMessageLocked(uint64_t tx_bytes) const;

  const MempoolConfig config_;
  app::Application& app_;
  const std::function<bool(const Hash32&)> is_committed_;

  mutable std::mutex mutex_;
  // Guarded by mutex_.
  std::unordered_map<Hash32, Entry, Hash32Hasher> by_hash_;
  // Arrival order, overall and per sender, as lists through the entries.
  List order_;
  std::map<Sender, List> by_sender_;
  uint64_t bytes_ = 0;
  uint64_t next_seq_ = 0;
  uint64_t generation_ = 0;  // commits seen (stays 0 without recheck)
  // The recheck's next entry to look at in this generation; null: none left.
  const Entry* recheck_next_ = nullptr;
  HashCache committed_;
  HashCache rejected_;
  std::deque<GossipTx> gossip_;
  std::map<uint64_t, uint32_t> peer_invalid_;  // since the last commit
  std::set<uint64_t> penalised_;               // since the last commit
  std::vector<uint64_t> penalties_;
  bool became_non_empty_ = false;
  MempoolStats counters_;
};

}  // namespace hotbft::mempool
