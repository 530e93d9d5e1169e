// A scripted RpcBackend for the RPC server and client port tests: admission outcomes by
// transaction, an in-memory chain of blocks and transaction records, a query function, and
// real CommitWaiters fed by Execute (what NodeOutput::Executed does in a node).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "crypto/sha256.h"
#include "node/executor.h"
#include "node/metrics.h"
#include "node/rpc_backend.h"

namespace hotbft::node::testing {

// Generous: the machine may be loaded; every wait ends as soon as its condition holds.
inline constexpr auto kWaitTimeout = std::chrono::seconds(60);

inline bool WaitFor(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + kWaitTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return condition();
}

inline Bytes B(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

class FakeBackend : public RpcBackend {
 public:
  FakeBackend() {
    snapshot_.moniker = "fake";
    snapshot_.chain_id = "test-chain";
    snapshot_.version = "0.1.0";
    snapshot_.validator_index = 2;
    snapshot_.public_key = Bytes(32, 0xab);
    snapshot_.peers_total = 3;
    snapshot_.peers_connected = 3;
    snapshot_.can_sign = true;
    AppendBlock({});  // genesis, height 0
  }
  ~FakeBackend() override {
    for (std::thread& t : threads_) t.join();
  }

  // ---- Scripting ----

  // The admission result of `tx` (its hash is filled in); kAdded when not scripted.
  void Script(const Bytes& tx, mempool::AddOutcome outcome, uint32_t code = 0,
              std::string log = "") {
    std::lock_guard lock(mutex_);
    scripted_[tx] = mempool::AddResult{outcome, Sha256(tx), code, std::move(log)};
  }
  // Admission answers are held until ReleaseAdmissions (a slow application).
  void HoldAdmissions(bool hold) {
    std::lock_guard lock(mutex_);
    hold_ = hold;
  }
  void ReleaseAdmissions() {
    std::vector<std::function<void()>> held;
    {
      std::lock_guard lock(mutex_);
      held.swap(held_);
    }
    for (auto& answer : held) answer();
  }
  // Admitted transactions are executed at once, each batch in a new block.
  void AutoExecute(bool on) {
    std::lock_guard lock(mutex_);
    auto_execute_ = on;
  }
  // Answers come from another thread, as from a mempool worker.
  void AnswerOnThread(bool on) {
    std::lock_guard lock(mutex_);
    answer_on_thread_ = on;
  }
  void SetQuery(std::function<Result<app::QueryResult>(const app::QueryRequest&)> query) {
    std::lock_guard lock(mutex_);
    query_ = std::move(query);
  }
  void SetHalted(Status halted) {
    std::lock_guard lock(mutex_);
    snapshot_.halted = std::move(halted);
  }

  // Commits `txs` in a new block and executes it (code `code` for each, unless the
  // transaction was executed before: then it is a duplicate), as a node does: the records
  // are written, the executed height moves, then the watches fire. Returns the height.
  Height Execute(const std::vector<Bytes>& txs, uint32_t code = 0) {
    return Execute(txs, code, /*executed=*/true);
  }
  // Commits `txs` without executing them: their records exist above the executed height.
  Height CommitOnly(const std::vector<Bytes>& txs, uint32_t code = 0) {
    return Execute(txs, code, /*executed=*/false);
  }
  void Prune(Height below) {
    std::lock_guard lock(mutex_);
    for (Height h = 0; h < below; ++h) blocks_.erase(h);
  }

  std::vector<Bytes> submitted() const {
    std::lock_guard lock(mutex_);
    return submitted_;
  }
  std::vector<mempool::Sender> senders() const {
    std::lock_guard lock(mutex_);
    return senders_;
  }
  CommitWaiters& waiters() { return waiters_; }
  NodeMetrics& metrics() { return metrics_; }

  // ---- RpcBackend ----

  void SubmitTxs(std::vector<Bytes> txs, mempool::Sender from, SubmitCallback done) override {
    std::vector<mempool::AddResult> results;
    std::vector<Bytes> added;
    bool hold = false, execute = false, on_thread = false;
    {
      std::lock_guard lock(mutex_);
      for (Bytes& tx : txs) {
        auto it = scripted_.find(tx);
        results.push_back(it != scripted_.end()
                              ? it->second
                              : mempool::AddResult{mempool::AddOutcome::kAdded, Sha256(tx), 0, ""});
        if (results.back().outcome == mempool::AddOutcome::kAdded) added.push_back(tx);
        submitted_.push_back(std::move(tx));
        senders_.push_back(from);
      }
      hold = hold_;
      execute = auto_execute_;
      on_thread = answer_on_thread_;
    }
    auto answer = [this, done = std::move(done), results = std::move(results),
                   added = std::move(added), execute]() mutable {
      done(std::move(results));
      if (execute && !added.empty()) Execute(added);
    };
    if (hold || on_thread) {
      std::lock_guard lock(mutex_);
      if (hold) {
        held_.push_back(std::move(answer));
      } else {
        threads_.emplace_back(std::move(answer));
      }
      return;
    }
    answer();
  }

  void Query(app::QueryRequest request, QueryCallback done) override {
    std::function<Result<app::QueryResult>(const app::QueryRequest&)> query;
    {
      std::lock_guard lock(mutex_);
      query = query_;
    }
    if (!query) {
      app::QueryResult r;
      r.key = request.data;
      r.value = B("value of " + request.path);
      r.height = request.height;
      return done(r);
    }
    done(query(request));
  }

  uint64_t WatchTx(const Hash32& hash, CommitCallback on_commit) override {
    return waiters_.Watch(hash, std::move(on_commit));
  }
  void UnwatchTx(uint64_t watch_id) override { waiters_.Unwatch(watch_id); }

  NodeSnapshot GetStatus() override {
    std::lock_guard lock(mutex_);
    NodeSnapshot s = snapshot_;
    s.committed_height = committed_;
    s.executed_height = executed_;
    s.committed_block_id = blocks_.count(committed_) ? blocks_.at(committed_)->id : Hash32();
    s.committed_time_ms = 1'700'000'000'123 + committed_;
    s.app_hash = Bytes(32, static_cast<uint8_t>(executed_));
    return s;
  }

  Height CommittedHeight() override {
    std::lock_guard lock(mutex_);
    return committed_;
  }
  std::shared_ptr<const Block> CommittedBlock(Height height) override {
    std::lock_guard lock(mutex_);
    auto it = blocks_.find(height);
    return it == blocks_.end() ? nullptr : it->second;
  }
  std::optional<storage::TxRecord> Tx(const Hash32& hash) override {
    std::lock_guard lock(mutex_);
    auto it = records_.find(hash);
    if (it == records_.end()) return std::nullopt;
    return it->second;
  }
  Height ExecutedHeight() override {
    std::lock_guard lock(mutex_);
    return executed_;
  }
  std::string MetricsText() override { return metrics_.registry.Render(); }

  // The fault settings unsafe_faults reads and writes (RpcBackend::Faults).
  Result<network::FaultConfig> Faults(const std::optional<network::FaultConfig>& change) override {
    std::lock_guard lock(mutex_);
    if (change) faults_ = *change;
    return faults_;
  }

  // What the evidence method reads (RpcBackend::ListEvidence): `pending` in full, and the
  // committed records of rounds >= round_min, at most committed_max.
  EvidenceReport evidence;
  Result<EvidenceReport> ListEvidence(Round round_min, size_t committed_max) override {
    std::lock_guard lock(mutex_);
    EvidenceReport out;
    out.pending = evidence.pending;
    for (const EvidenceRecord& r : evidence.committed) {
      if (r.key.round >= round_min && out.committed.size() < committed_max) {
        out.committed.push_back(r);
      }
    }
    return out;
  }

 private:
  // REQUIRES: mutex_ not held. Returns the new height.
  Height AppendBlock(const std::vector<Bytes>& txs) {
    auto payload = std::make_shared<Payload>();
    payload->txs = txs;
    auto block = std::make_shared<Block>();
    block->payload = payload;
    std::lock_guard lock(mutex_);
    const Height height = blocks_.empty() ? 0 : committed_ + 1;
    block->header.height = height;
    block->header.round = height * 2;
    block->header.proposer = static_cast<uint32_t>(height % 4);
    block->header.timestamp_ms = 1'700'000'000'123 + height;
    block->header.app_hash = Bytes(32, static_cast<uint8_t>(height));
    block->header.exec_height = height == 0 ? 0 : height - 1;
    block->header.justify.signers = SignerBitmap(4);
    block->id = Sha256(B("block " + std::to_string(height)));
    blocks_[height] = block;
    committed_ = height;
    return height;
  }

  Height Execute(const std::vector<Bytes>& txs, uint32_t code, bool executed) {
    const Height height = AppendBlock(txs);
    ExecutedBlock done;
    done.height = height;
    {
      std::lock_guard lock(mutex_);
      for (size_t i = 0; i < txs.size(); ++i) {
        const Hash32 hash = Sha256(txs[i]);
        app::TxResult result;
        result.code = code;
        result.log = "executed at " + std::to_string(height);
        result.data = B("data");
        result.events.push_back({"transfer", {{"amount", "5"}, {"to", "bob"}}});
        if (records_.count(hash)) {
          result = app::TxResult{app::kCodeDuplicate, {}, "duplicate", {}};
        } else {
          records_[hash] =
              storage::TxRecord{height, static_cast<uint32_t>(i), EncodeStoredTxResult(result)};
        }
        done.tx_hashes.push_back(hash);
        done.tx_results.push_back(result);
      }
      if (executed) executed_ = height;
    }
    if (executed) waiters_.OnExecuted(done);
    return height;
  }

  mutable std::mutex mutex_;
  std::map<Bytes, mempool::AddResult> scripted_;
  std::vector<Bytes> submitted_;
  std::vector<mempool::Sender> senders_;
  bool hold_ = false;
  bool auto_execute_ = false;
  bool answer_on_thread_ = false;
  std::vector<std::function<void()>> held_;
  std::vector<std::thread> threads_;
  std::function<Result<app::QueryResult>(const app::QueryRequest&)> query_;
  NodeSnapshot snapshot_;
  std::map<Height, std::shared_ptr<const Block>> blocks_;
  std::map<Hash32, storage::TxRecord> records_;
  Height committed_ = 0;
  Height executed_ = 0;
  network::FaultConfig faults_;
  CommitWaiters waiters_;
  NodeMetrics metrics_;
};

}  // namespace hotbft::node::testing
