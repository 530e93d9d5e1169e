#include "node/node_core.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "crypto/thread_name.h"
#include "storage/write_plan.h"

namespace hotbft::node {
namespace {

std::string Num(uint64_t v) {
  return std::to_string(v);
}

// Execution errors that no retry can mend: the node halts on them. kFailedPrecondition:
// the app's state is not this chain's (its height cannot be reconciled with the store's);
// kInvalidArgument: an answer that breaks the app's contract (one the store cannot hold).
bool IsFatal(const Status& status) {
  switch (status.code()) {
    case Status::Code::kCorruption:
    case Status::Code::kSafetyViolation:
    case Status::Code::kFailedPrecondition:
    case Status::Code::kInvalidArgument: return true;
    default: return false;
  }
}

}  // namespace

Status InitializeSafety(storage::Store& store, Epoch epoch) {
  auto recovered = store.Recover();
  if (!recovered.ok()) return recovered.status().With("reading the store");
  if (recovered->safety) {
    return Status::FailedPrecondition("the store already holds safety data (last voted round " +
                                      Num(recovered->safety->last_voted_round) +
                                      "); it is never replaced");
  }
  storage::WriteBatch batch;
  batch.safety = SafetyData{};
  batch.safety->epoch = epoch;
  return store.Write(batch);
}

// The storage writer and the executor: on their own threads, or run by Poll.
//
// The writer takes every write queued (at most kGroupWritesMax) and makes them durable in
// one synced batch (group commit): under load, one sync covers several inputs' writes.
// The executor does not queue blocks: it executes the committed heights above its own, up
// to the highest committed height it was told of, reading each block from the store. So
// nothing piles up in memory while the app is down.
class NodeCore::Workers {
 public:
  struct Executed {
    std::shared_ptr<const Block> block;
    ExecutedBlock result;
  };
  // What the workers finished since the last Take.
  struct Done {
    std::vector<std::pair<uint64_t, Status>> persisted;         // in the order written
    std::vector<Executed> executed;                             // in height order
    Status fatal;                                               // the executor stopped on it
    std::vector<std::pair<uint32_t, BlockResponse>> responses;  // served from the store
  };

  Workers(const NodeCoreConfig& config, storage::Store& store, std::unique_ptr<Executor> executor,
          NodeOutput& output, Height executed_height)
      : config_(config),
        store_(store),
        executor_(std::move(executor)),
        output_(output),
        executed_height_(executed_height),
        target_height_(executed_height) {
    if (config_.threads) {
      writer_ = std::thread([this] {
        SetThreadName("store-writer");
        WriterLoop();
      });
      exec_thread_ = std::thread([this] {
        SetThreadName("executor");
        ExecLoop();
      });
      server_ = std::thread([this] {
        SetThreadName("block-server");
        ServerLoop();
      });
    }
  }

  ~Workers() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    if (writer_.joinable()) writer_.join();
    if (exec_thread_.joinable()) exec_thread_.join();
    if (server_.joinable()) server_.join();
  }

  // Queues a peer's BlockRequest to be answered from the store. False (the request is
  // dropped; the peer asks another) when kServeQueuedMax wait already.
  bool Serve(uint32_t to, const BlockRequest& request) {
    {
      std::lock_guard lock(mutex_);
      if (serve_.size() >= kServeQueuedMax) return false;
      serve_.emplace_back(to, request);
    }
    wake_.notify_all();
    return true;
  }

  // False when the writer is too far behind (the node then halts).
  bool Write(uint64_t token, storage::WriteBatch batch) {
    {
      std::lock_guard lock(mutex_);
      if (writes_.size() >= kWritesQueuedMax) return false;
      writes_.emplace_back(token, std::move(batch));
    }
    wake_.notify_all();
    return true;
  }

  // Heights up to the last of `blocks` are committed and durable. The blocks are kept (a
  // bounded number) so that executing them needs no read and decode from the store.
  void ExecuteUpTo(const std::vector<std::shared_ptr<const Block>>& blocks) {
    HOTBFT_ASSERT(!blocks.empty());
    {
      std::lock_guard lock(mutex_);
      target_height_ = std::max(target_height_, blocks.back()->header.height);
      for (const auto& block : blocks) {
        if (committed_blocks_.size() >= kCommittedBlocksKept) break;
        if (block->header.height > executed_height_) {
          committed_blocks_.emplace(block->header.height, block);
        }
      }
    }
    wake_.notify_all();
  }

  // Without threads: the writes queued before the call, then the executions up to the
  // target known at the call (an app retry only once due).
  void RunInline(uint64_t now_ms) {
    Height target;
    {
      std::lock_guard lock(mutex_);
      target = target_height_;
    }
    WriteQueued();
    while (ServeNext()) {
    }
    if (now_ms < next_retry_ms_) return;
    while (executed_height() < target) {
      if (!ExecuteNext()) {
        next_retry_ms_ = now_ms + retry_ms_;
        return;
      }
    }
  }

  Done Take() {
    std::lock_guard lock(mutex_);
    Done out = std::move(done_);
    done_ = Done{};
    return out;
  }

  bool HasWork() const {
    std::lock_guard lock(mutex_);
    const bool results = !done_.persisted.empty() || !done_.executed.empty() || !done_.fatal.ok() ||
                         !done_.responses.empty();
    if (config_.threads) return results;
    return results || WritesDueLocked() || ExecutionDueLocked() || !serve_.empty();
  }

  bool Idle() const {
    std::lock_guard lock(mutex_);
    return !WritesDueLocked() && writing_ == 0 && !ExecutionDueLocked() && serve_.empty() &&
           serving_ == 0;
  }

  uint64_t next_retry_ms() const { return next_retry_ms_; }

  Status execution_status() const {
    std::lock_guard lock(mutex_);
    return exec_status_;
  }

  Height executed_height() const {
    std::lock_guard lock(mutex_);
    return executed_height_;
  }

  uint64_t blocks_served() const {
    std::lock_guard lock(mutex_);
    return blocks_served_;
  }

 private:
  static constexpr size_t kWritesQueuedMax = 100'000;
  // Committed blocks kept for the executor; beyond, it reads them from the store.
  static constexpr size_t kCommittedBlocksKept = 64;
  static constexpr size_t kGroupWritesMax = 64;
  // BlockRequests waiting to be answered from the store; more are dropped.
  static constexpr size_t kServeQueuedMax = 16;

  bool WritesDueLocked() const { return !writes_.empty() && !write_failed_; }
  bool ExecutionDueLocked() const { return executed_height_ < target_height_ && !exec_stopped_; }

  // Writes what is queued (up to kGroupWritesMax) in one batch. False when nothing was
  // queued or the store failed (then nothing is written any more: later batches must not
  // overtake a lost one).
  bool WriteQueued() {
    std::vector<uint64_t> tokens;
    storage::WriteBatch batch;
    {
      std::lock_guard lock(mutex_);
      if (!WritesDueLocked()) return false;
      while (!writes_.empty() && tokens.size() < kGroupWritesMax) {
        // A group stays within the store's bounds on one batch (a catch-up persists up to
        // thousands of fetched blocks per input); a single write always goes alone.
        const storage::WriteBatch& next = writes_.front().second;
        if (!tokens.empty() &&
            (batch.blocks.size() + next.blocks.size() > storage::kBatchBlocksMax ||
             batch.committed.size() + next.committed.size() > storage::kBatchCommittedMax)) {
          break;
        }
        tokens.push_back(writes_.front().first);
        storage::Append(batch, std::move(writes_.front().second));
        writes_.pop_front();
      }
      ++writing_;
    }
    Status status = store_.Write(batch);
    const bool ok = status.ok();
    {
      std::lock_guard lock(mutex_);
      if (!ok) write_failed_ = true;
      --writing_;
      for (uint64_t token : tokens) done_.persisted.emplace_back(token, status);
    }
    output_.Wake();
    return ok;
  }

  // Executes the next height. False when it failed (retry_ms_ grows) or stopped.
  bool ExecuteNext() {
    Height height;
    {
      std::lock_guard lock(mutex_);
      if (!ExecutionDueLocked()) return false;
      height = executed_height_ + 1;
    }
    std::shared_ptr<const Block> block;
    {
      std::lock_guard lock(mutex_);
      auto kept = committed_blocks_.find(height);
      if (kept != committed_blocks_.end()) block = kept->second;
      // Heights at or below this one are done with (or were never kept).
      committed_blocks_.erase(committed_blocks_.begin(), committed_blocks_.upper_bound(height));
    }
    // The store's committed index is the authority: a kept block must be the one there.
    const std::optional<Hash32> id = store_.CommittedAt(height);
    if (block && (!id || *id != block->id)) block = nullptr;
    if (!block && id) block = store_.GetBlock(*id);
    if (!block) {
      OnFailure(height,
                Status::Corruption("committed height " + Num(height) + " is not in the store"));
      return false;
    }
    auto result = executor_->Execute(*block);
    if (!result.ok()) {
      OnFailure(height, result.status());
      return false;
    }
    {
      std::lock_guard lock(mutex_);
      if (!exec_status_.ok()) {
        spdlog::info("application back: executed height {}; commits resume", height);
      }
      exec_status_ = Status::Ok();
      executed_height_ = height;
      done_.executed.push_back(Executed{std::move(block), std::move(result).value()});
    }
    retry_ms_ = config_.app_retry_ms_min;
    output_.Wake();
    return true;
  }

  // Answers the oldest queued BlockRequest from the store (see NodeCore::OnMessage). False
  // when none was queued.
  bool ServeNext() {
    std::pair<uint32_t, BlockRequest> request;
    {
      std::lock_guard lock(mutex_);
      if (serve_.empty()) return false;
      request = serve_.front();
      serve_.pop_front();
      ++serving_;
    }
    auto blocks = CollectBlockResponse(request.second, config_.core.sync_ancestors_max,
                                       config_.core.sync_response_bytes_max,
                                       [&](const Hash32& id) { return store_.GetBlock(id); });
    {
      std::lock_guard lock(mutex_);
      --serving_;
      blocks_served_ += blocks.size();
      if (!blocks.empty()) {
        done_.responses.emplace_back(request.first, BlockResponse{std::move(blocks)});
      }
    }
    output_.Wake();
    return true;
  }

  void OnFailure(Height height, const Status& status) {
    std::lock_guard lock(mutex_);
    if (IsFatal(status)) {
      exec_stopped_ = true;
      done_.fatal = status.With("executing height " + Num(height));
      return;
    }
    if (exec_status_.ok()) {
      spdlog::error(
          "execution stopped at height {}: {}. No further block is applied until the "
          "application answers; retrying with backoff up to {} ms",
          height, status.ToString(), config_.app_retry_ms_max);
    } else {
      spdlog::debug("execution retry at height {} failed: {}", height, status.ToString());
    }
    exec_status_ = status;
    retry_ms_ = std::min(config_.app_retry_ms_max, retry_ms_ * 2);
  }

  void WriterLoop() {
    for (;;) {
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [&] { return stop_ || WritesDueLocked(); });
        if (stop_) return;
      }
      WriteQueued();
    }
  }

  void ServerLoop() {
    for (;;) {
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [&] { return stop_ || !serve_.empty(); });
        if (stop_) return;
      }
      ServeNext();
    }
  }

  void ExecLoop() {
    for (;;) {
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [&] { return stop_ || ExecutionDueLocked(); });
        if (stop_) return;
      }
      if (ExecuteNext()) continue;
      std::unique_lock lock(mutex_);
      if (exec_stopped_) {
        lock.unlock();
        output_.Wake();
        continue;
      }
      // Back off before retrying; a stop ends the wait.
      wake_.wait_for(lock, std::chrono::milliseconds(retry_ms_), [&] { return stop_; });
    }
  }

  const NodeCoreConfig& config_;
  storage::Store& store_;
  const std::unique_ptr<Executor> executor_;  // used by one worker only
  NodeOutput& output_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  // Guarded by mutex_.
  std::deque<std::pair<uint64_t, storage::WriteBatch>> writes_;
  Done done_;
  int writing_ = 0;            // batches taken from writes_ and not yet written
  bool write_failed_ = false;  // the writer stopped
  bool exec_stopped_ = false;  // the executor stopped on a fatal error
  Status exec_status_;
  Height executed_height_ = 0;
  Height target_height_ = 0;  // committed and durable: what the executor works towards
  // Committed blocks above the executed height, by height, as the core handed them over.
  std::map<Height, std::shared_ptr<const Block>> committed_blocks_;
  bool stop_ = false;
  std::deque<std::pair<uint32_t, BlockRequest>> serve_;
  int serving_ = 0;  // requests taken from serve_ and not yet answered
  uint64_t blocks_served_ = 0;
  // The executor's worker only.
  uint64_t retry_ms_ = config_.app_retry_ms_min;
  uint64_t next_retry_ms_ = 0;

  std::thread writer_;
  std::thread exec_thread_;
  std::thread server_;
};

NodeCore::NodeCore(NodeCoreConfig config, NodeCoreDeps deps)
    : config_(std::move(config)), deps_(deps) {}

NodeCore::~NodeCore() = default;

Result<std::unique_ptr<NodeCore>> NodeCore::Open(NodeCoreConfig config, NodeCoreDeps deps,
                                                 std::unique_ptr<Signer> signer) {
  HOTBFT_ASSERT(deps.validators && deps.verifier && deps.election && deps.store && deps.app &&
                deps.output && signer);
  HOTBFT_ASSERT(config.app_retry_ms_min > 0 && config.app_retry_ms_min <= config.app_retry_ms_max);
  storage::Store& store = *deps.store;
  auto executor = std::make_unique<Executor>(store, *deps.app, config.execution);
  auto executed = executor->Recover();
  if (!executed.ok()) {
    return executed.status().With("bringing the application to the store's committed height");
  }
  auto recovery = storage::RecoverForCore(store, config.core);
  if (!recovery.ok()) return recovery.status().With("reading the store");
  recovery->executed_height = store.ExecutedHeight();
  const Height executed_height = recovery->executed_height;
  const Height first = executed_height >= config.recovered_app_hashes
                           ? executed_height - config.recovered_app_hashes + 1
                           : 1;
  for (Height h = first; h <= executed_height; ++h) {
    auto hash = store.AppHashAt(h);
    if (!hash) {
      return Status::Corruption("the store has no app hash at executed height " + Num(h));
    }
    recovery->app_hashes.emplace_back(h, std::move(*hash));
  }
  if (!recovery->safety) {
    spdlog::error(
        "validator {}: the store holds no safety data, so this validator signs nothing (no "
        "vote, timeout or proposal): its key may have signed before the data was lost, and "
        "signing again could equivocate. For a new validator, or a key known never to have "
        "signed on chain {}, initialise the safety data explicitly",
        config.self, config.core.chain_id);
  }
  auto rules = std::make_unique<SafetyRules>(std::move(signer), config.self, config.core.chain_id,
                                             recovery->safety);
  std::unique_ptr<NodeCore> node(new NodeCore(std::move(config), deps));
  node->core_ = std::make_unique<Core>(node->config_.core, node->config_.self, *deps.validators,
                                       *deps.verifier, *deps.election, std::move(rules),
                                       std::move(recovery).value());
  node->workers_ = std::make_unique<Workers>(node->config_, store, std::move(executor),
                                             *deps.output, executed_height);
  node->evidence_pool_ =
      std::make_unique<EvidencePool>(node->config_.evidence_pool_max, deps.validators->size());
  spdlog::info("validator {} recovered: committed height {}, executed height {}",
               node->config_.self, store.CommittedHeight(), executed_height);
  return node;
}

void NodeCore::Start(uint64_t now_ms) {
  if (!halted_.ok()) return;
  Carry(core_->Start(now_ms));
  spdlog::info("validator {} started in round {}", config_.self, core_->current_round());
}

void NodeCore::OnMessage(uint32_t from, const Message& message, uint64_t now_ms) {
  if (!halted_.ok()) return;
  // A block the core's tree (uncommitted blocks and a cache of recent committed ones) lacks
  // may be in the store: a peer catching up from far behind asks for such blocks. The core
  // stays pure, so the node answers these from the store, on the block server's thread
  // (reading up to sync_response_bytes_max off the disk must not hold up consensus), or in
  // Poll without threads. An unknown block gets no answer, as from the core.
  if (const auto* request = std::get_if<BlockRequest>(&message);
      request != nullptr && !core_->tree().Contains(request->block_id)) {
    if (!workers_->Serve(from, *request)) {
      spdlog::debug(
          "validator {}: block request of validator {} dropped: the store's queue "
          "of block requests is full",
          config_.self, from);
    }
    return;
  }
  Carry(core_->OnMessage(from, message, now_ms));
}

void NodeCore::OnTick(uint64_t now_ms) {
  if (!halted_.ok()) return;
  Carry(core_->OnTick(now_ms));
}

void NodeCore::OnPayloadReady(Round round, std::shared_ptr<const Payload> payload,
                              uint64_t now_ms) {
  if (!halted_.ok()) return;
  if (round == reserved_round_ && !reserved_evidence_.empty()) {
    // Evidence first: the request's bytes_max left room for it.
    auto with_evidence = std::make_shared<Payload>(*payload);
    with_evidence->evidence = std::move(reserved_evidence_);
    payload = std::move(with_evidence);
  }
  reserved_evidence_.clear();
  Carry(core_->OnPayloadReady(round, std::move(payload), now_ms));
}

// Sets pending evidence aside for the payload (within the chain's per-block limits and
// the request's bytes), and asks for transactions to fill what is left.
void NodeCore::RequestPayload(RequestPayloadAction request) {
  const CoreConfig& c = config_.core;
  reserved_round_ = request.round;
  reserved_evidence_ =
      evidence_pool_->Reap(*core_, c.evidence_per_block_max,
                           std::min(request.bytes_max, c.evidence_bytes_per_block_max));
  uint64_t bytes = 0;
  for (const Bytes& piece : reserved_evidence_) bytes += piece.size();
  HOTBFT_ASSERT(bytes <= request.bytes_max);
  request.bytes_max -= bytes;
  deps_.output->RequestPayload(request);
}

void NodeCore::OnTxsAvailable(uint64_t now_ms) {
  if (!halted_.ok()) return;
  Carry(core_->OnTxsAvailable(now_ms));
}

void NodeCore::Poll(uint64_t now_ms) {
  if (!halted_.ok()) return;
  if (!config_.threads) workers_->RunInline(now_ms);
  Workers::Done done = workers_->Take();
  for (auto& [token, status] : done.persisted) {
    if (!status.ok()) {
      return Halt(status.With(
          "storage write failed; the node stops, since what it signed could not be made "
          "durable"));
    }
    Carry(core_->OnPersisted(token, now_ms));
    if (!halted_.ok()) return;
  }
  for (auto& executed : done.executed) {
    Carry(core_->OnExecuted(executed.result.height, executed.result.app_hash, now_ms));
    deps_.output->Executed(*executed.block, executed.result);
    if (!halted_.ok()) return;
  }
  if (!done.fatal.ok()) Halt(done.fatal);
  for (auto& [to, response] : done.responses) deps_.output->Send(to, response);
}

bool NodeCore::has_work() const {
  return halted_.ok() && workers_->HasWork();
}

bool NodeCore::idle() const {
  return workers_->Idle();
}

uint64_t NodeCore::next_retry_ms() const {
  return workers_->next_retry_ms();
}

Status NodeCore::halted() const {
  return halted_;
}

Status NodeCore::execution_status() const {
  return workers_->execution_status();
}

bool NodeCore::can_sign() const {
  return core_->safety_rules().initialized();
}

const Core& NodeCore::core() const {
  return *core_;
}

Height NodeCore::executed_height() const {
  return workers_->executed_height();
}

uint64_t NodeCore::blocks_served_from_store() const {
  return workers_->blocks_served();
}

void NodeCore::Carry(std::vector<Action> actions) {
  for (Action& action : actions) {
    std::visit(
        [&](auto& a) {
          using T = std::decay_t<decltype(a)>;
          if constexpr (std::is_same_v<T, SendAction>) {
            deps_.output->Send(a.to, a.message);
          } else if constexpr (std::is_same_v<T, BroadcastAction>) {
            deps_.output->Broadcast(a.message);
          } else if constexpr (std::is_same_v<T, PersistAction>) {
            const uint64_t token = a.token;
            if (!workers_->Write(token, storage::BatchFromPersist(std::move(a)))) {
              Halt(Status::ResourceExhausted(
                  "the storage writer is 100000 writes behind; the disk cannot keep up"));
            }
          } else if constexpr (std::is_same_v<T, RequestPayloadAction>) {
            RequestPayload(a);
          } else if constexpr (std::is_same_v<T, CommitAction>) {
            workers_->ExecuteUpTo(a.blocks);
            evidence_pool_->Prune(*core_);  // committed pieces leave
          } else if constexpr (std::is_same_v<T, SetDeadlineAction>) {
            deadline_ms_ = a.at_ms;
          } else if constexpr (std::is_same_v<T, EvidenceAction>) {
            const EvidenceKey key = KeyOf(a.evidence);
            if (evidence_pool_->Add(a.evidence, *core_) == EvidencePool::Added::kNotCarried) {
              spdlog::warn(
                  "validator {}: {} evidence against validator {} in round {} cannot "
                  "be carried in a block (it does not survive its canonical encoding)",
                  config_.self, EvidenceKindName(key.kind), key.validator, key.round);
            }
            deps_.output->NewEvidence(a.evidence);
          }
        },
        action);
  }
  CheckCore();
}

void NodeCore::CheckCore() {
  if (!halted_.ok()) return;
  const uint64_t refused =
      core_->counters().dropped[static_cast<size_t>(DropReason::kInvalidEvidence)];
  if (refused != evidence_refusals_logged_) {
    evidence_refusals_logged_ = refused;
    spdlog::warn("validator {}: no vote for a proposal in round {}: its evidence is invalid: {}",
                 config_.self, core_->current_round(), core_->last_evidence_refusal().ToString());
  }
  if (!core_->halted().ok()) return Halt(core_->halted());
  if (core_->counters().safety_violations > 0) {
    Halt(Status::SafetyViolation(
        "a commit conflicts with a certified block: more than f validators are faulty; the "
        "node stops rather than fork"));
  }
}

void NodeCore::Halt(Status status) {
  if (!halted_.ok()) return;
  spdlog::critical("validator {} halts: {}", config_.self, status.ToString());
  halted_ = std::move(status);
}

}  // namespace hotbft::node
