// RpcBackend: what the client-facing servers (the HTTP RPC, rpc_server.h, and the binary
// client port, client_port.h) call into. The composition root implements it over NodeCore,
// the store, the mempool and the application; tests implement it with a fake. The servers
// do the rest: parsing, encoding, the finality rule for transaction records, waiting for
// commits, timeouts and limits (docs/rpc.md).
//
// Thread-safety the implementation must provide: every member may be called from any
// thread, concurrently (the servers' io threads call them), and must return quickly: no
// member may wait for the consensus thread or for the application. So:
//   - NodeCore is consensus-thread only: GetStatus() answers from a snapshot the consensus
//     thread refreshes (atomics or a mutex-guarded copy), never by calling NodeCore;
//   - the store's getters are thread-safe (storage/store.h): CommittedBlock, Tx and the
//     heights may read it directly;
//   - SubmitTxs and Query involve the application (CheckTx, Query), which may be slow or
//     down: they answer through a callback, which may run before the call returns (on the
//     calling thread) or later on any thread. Run them on a worker (the mempool's
//     admission strand, DESIGN.md "Threads in the node"), not inline, or a slow app
//     stalls every client of that io thread;
//   - commit watches (WatchTx) are answered from the thread that reports executed heights;
//     CommitWaiters below implements them.
// Every callback is called exactly once (a commit callback: at most once, and not started
// after UnwatchTx returned) and must not block: the servers' callbacks only post to their
// io thread, and hold what they touch by shared or weak pointer. The backend must outlive
// the servers that use it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "app/application.h"
#include "consensus/types.h"
#include "crypto/status.h"
#include "mempool/mempool.h"
#include "network/fault_injection.h"
#include "node/executor.h"
#include "storage/store.h"

namespace hotbft::node {

// A snapshot of the node for /status and /health.
struct NodeSnapshot {
  std::string moniker;
  std::string chain_id;
  std::string version;
  uint32_t validator_index = 0;
  Bytes public_key;  // this validator's consensus key (32 bytes)

  Height committed_height = 0;
  Hash32 committed_block_id;       // the block at committed_height
  uint64_t committed_time_ms = 0;  // its header timestamp (Unix ms)
  Height executed_height = 0;
  Bytes app_hash;              // after executed_height (empty at 0)
  Height earliest_height = 0;  // the lowest height whose block is still stored

  Round round = 0;
  uint32_t leader = 0;  // of `round`
  Round high_qc_round = 0;
  std::vector<Bytes> validators;  // the validators' public keys, by index
  bool can_sign = false;          // false without safety data (NodeCore::can_sign)
  Status halted;                  // NodeCore::halted(): not OK once the node stopped for good
  Status execution;               // NodeCore::execution_status(): the app's error while it is down
  bool catching_up = false;       // fetching committed blocks it lacks

  uint32_t peers_connected = 0;
  uint32_t peers_total = 0;  // validators other than this one
  uint64_t mempool_txs = 0;
  uint64_t mempool_bytes = 0;
};

// A transaction's execution, as a commit watch reports it.
struct TxCommit {
  Hash32 hash;
  Height height = 0;
  uint32_t index = 0;  // position in the block
  app::TxResult result;
};

// A piece of evidence of equivocation, pending or committed (RpcBackend::ListEvidence).
struct EvidenceRecord {
  EvidenceKey key;
  std::optional<Height> height;  // the committed block that carried it; none while pending
  Bytes evidence;                // its canonical encoding (consensus/evidence.h)
};

struct EvidenceReport {
  std::vector<EvidenceRecord> pending;    // oldest rounds first
  std::vector<EvidenceRecord> committed;  // by round, then validator
};

using SubmitCallback = std::function<void(std::vector<mempool::AddResult> results)>;
using QueryCallback = std::function<void(Result<app::QueryResult> result)>;
using CommitCallback = std::function<void(const TxCommit& commit)>;

class RpcBackend {
 public:
  virtual ~RpcBackend() = default;

  // Admission of `txs` through the mempool (Mempool::Add, each with `from`): `done` gets
  // one AddResult per transaction, in order, with the mempool's semantics (outcome, hash,
  // the app's code, and the log saying why for every outcome but kAdded).
  virtual void SubmitTxs(std::vector<Bytes> txs, mempool::Sender from, SubmitCallback done) = 0;

  // The application's Query. A non-OK result means the app could not answer.
  virtual void Query(app::QueryRequest request, QueryCallback done) = 0;

  // Calls `on_commit` once the transaction with this hash is executed at some height (the
  // first execution: a later repeat, executed as a duplicate, does not count), after the
  // height is durable. Returns a watch id for UnwatchTx, or 0 when the backend holds as
  // many watches as it allows (the caller then does not wait). A watch does not look back:
  // a transaction executed before the call is found with Tx() instead, so callers watch
  // first, then look.
  virtual uint64_t WatchTx(const Hash32& hash, CommitCallback on_commit) = 0;
  // Drops a watch; after it returns its callback is not started (one already running on
  // another thread may still be finishing). An id that already fired (or 0) is ignored.
  virtual void UnwatchTx(uint64_t watch_id) = 0;

  virtual NodeSnapshot GetStatus() = 0;

  // OK when the node is fit to serve: not halted and executing. The default derives it
  // from GetStatus().
  virtual Status Health();

  // The committed height and block there (storage::Store::CommittedHeight, CommittedAt and
  // GetBlock). nullptr if `height` is above the committed height, or pruned.
  virtual Height CommittedHeight() = 0;
  virtual std::shared_ptr<const Block> CommittedBlock(Height height) = 0;

  // The committed-transaction index (storage::Store::GetTx, ExecutedHeight). A record above
  // ExecutedHeight() is committed but its result is not final yet; the servers read the
  // executed height first, then the record, and treat the result as final only if the
  // record's height is at most that executed height.
  virtual std::optional<storage::TxRecord> Tx(const Hash32& hash) = 0;
  virtual Height ExecutedHeight() = 0;

  // The Prometheus text of the node's metrics (NodeMetrics::registry.Render(), after
  // refreshing the gauges that are sampled rather than updated).
  virtual std::string MetricsText() = 0;

  // The p2p fault injection (network/fault_injection.h) behind the unsafe_faults admin
  // method, which the server offers only when RpcServerConfig::admin is set: applies
  // `change` if given, and returns the settings in force. By default there is none
  // (kFailedPrecondition).
  virtual Result<network::FaultConfig> Faults(const std::optional<network::FaultConfig>& change);

  // Evidence of equivocation: every piece waiting for a block (the pool is bounded), and
  // the committed ones (storage::Store::ListEvidence) of rounds >= round_min, at most
  // committed_max. By default there is none (kFailedPrecondition).
  virtual Result<EvidenceReport> ListEvidence(Round round_min, size_t committed_max);
};

// Commit watches for an RpcBackend implementation: WatchTx and UnwatchTx delegate to Watch
// and Unwatch, and whoever learns of executed heights (NodeOutput::Executed, on the
// consensus thread) calls OnExecuted for each, in height order, after Mempool::Update for
// that height. That order is what lets a caller watch, then submit, and never miss the
// execution: a transaction the mempool still admits or calls pending has not been reported
// executed, and one it calls committed has its record in the store.
//
// Thread-safety: every member may be called from any thread. Callbacks run on the thread
// that calls OnExecuted, outside the internal lock (a callback may call Watch or Unwatch).
class CommitWaiters {
 public:
  // At most `watches_max` watches at once: Watch returns 0 beyond.
  explicit CommitWaiters(size_t watches_max = kWatchesMax);

  uint64_t Watch(const Hash32& hash, CommitCallback on_commit);
  void Unwatch(uint64_t watch_id);

  // One executed height: every watch of a transaction in it fires (and is dropped), except
  // for transactions executed as duplicates (app::kCodeDuplicate): their first execution is
  // the one that counts.
  void OnExecuted(const ExecutedBlock& block);

  size_t size() const;

  static constexpr size_t kWatchesMax = 1'000'000;

 private:
  struct Waiter {
    Hash32 hash;
    CommitCallback callback;
  };

  const size_t watches_max_;
  mutable std::mutex mutex_;
  // Guarded by mutex_.
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, Waiter> by_id_;
  std::unordered_multimap<Hash32, uint64_t, Hash32Hasher> by_hash_;
};

}  // namespace hotbft::node
