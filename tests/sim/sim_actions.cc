// Simulation: carrying out the actions a core returns, and the events that feed it.
#include <algorithm>
#include <ostream>
#include <type_traits>

#include "crypto/sha256.h"
#include "tests/sim/simulation.h"

namespace hotbft::sim {
namespace {

Hash32 ChainHash(const Hash32& previous, const Hash32& id) {
  Sha256Hasher h;
  h.Update(previous.view());
  h.Update(id.view());
  return h.Finish();
}

}  // namespace

// Carries out `actions` in order (the core's contract: a persist precedes the sends that
// depend on it, and those arrive later through OnPersisted). A payload request is answered
// only after the whole batch, so that the batch is carried out before the core runs again
// (the core also puts a batch's PersistAction first, so writes stay in order either way).
void Simulation::Apply(uint32_t i, std::vector<Action> actions) {
  HOTBFT_ASSERT(i < nodes_.size());
  std::optional<RequestPayloadAction> payload_request;
  for (Action& action : actions) {
    if (violation_) return;
    HOTBFT_ASSERT(nodes_[i].up);
    std::visit(
        [&](auto& a) {
          using T = std::decay_t<decltype(a)>;
          if constexpr (std::is_same_v<T, SendAction>) {
            OnSendAction(i, a.to, std::make_shared<const Message>(std::move(a.message)));
          } else if constexpr (std::is_same_v<T, BroadcastAction>) {
            OnBroadcastAction(i, std::make_shared<const Message>(std::move(a.message)));
          } else if constexpr (std::is_same_v<T, PersistAction>) {
            OnPersistAction(i, std::move(a));
          } else if constexpr (std::is_same_v<T, RequestPayloadAction>) {
            // One input may enter several rounds; only the last request can be answered.
            HOTBFT_ASSERT(!payload_request || payload_request->round < a.round);
            payload_request = a;
          } else if constexpr (std::is_same_v<T, CommitAction>) {
            OnCommitAction(i, a);
          } else if constexpr (std::is_same_v<T, SetDeadlineAction>) {
            OnDeadline(i, a.at_ms);
          } else if constexpr (std::is_same_v<T, EvidenceAction>) {
            OnEvidenceAction(i, a);
          } else {
            static_assert(sizeof(T) == 0, "an Action the simulator does not carry out");
          }
        },
        action);
  }
  if (payload_request && !violation_) OnRequestPayload(i, *payload_request);
  if (!violation_ && nodes_[i].honest && !nodes_[i].core->halted().ok()) {
    Fail(Violation{"app-hash", "instance " + std::to_string(i) +
                                   " halted: " + nodes_[i].core->halted().ToString()});
  }
  // Any input may complete a QC (a delivery, a persisted own vote, a recovery).
  if (!violation_ && nodes_[i].honest && nodes_[i].core->counters().safety_violations > 0) {
    Fail(Violation{"agreement", "instance " + std::to_string(i) +
                                    " holds certified blocks on two branches, one of them "
                                    "about to commit, and refused the commit (core safety check)"});
  }
}

void Simulation::CheckSigned(uint32_t i, const Message& message) {
  // A Byzantine validator's signatures are its own business: the checkers watch the rest.
  if (!nodes_[i].honest) return;
  if (auto v = double_sign_.OnSend(nodes_[i].validator, message)) Fail(std::move(*v));
}

void Simulation::OnSendAction(uint32_t i, uint32_t to, std::shared_ptr<const Message> message) {
  HOTBFT_ASSERT(to < config_.validators);
  HOTBFT_ASSERT(to != nodes_[i].validator);
  CheckSigned(i, *message);
  if (nodes_[i].strategy) return SendThroughStrategy(i, byzantine::Envelope{{to}, *message});
  Transmit(i, to, message);
}

void Simulation::OnBroadcastAction(uint32_t i, std::shared_ptr<const Message> message) {
  CheckSigned(i, *message);
  if (std::holds_alternative<Proposal>(*message)) {
    TraceEvent(TraceKind::kPropose, i, 0, Summarize(*message));
  } else if (std::holds_alternative<Timeout>(*message)) {
    TraceEvent(TraceKind::kTimeout, i, 0, Summarize(*message));
    if (now_ms_ >= scenario_.gst_ms && nodes_[i].honest) ++timeout_sends_after_gst_;
  }
  const uint32_t self = nodes_[i].validator;
  if (nodes_[i].strategy) {
    byzantine::Envelope envelope{{}, *message};
    for (uint32_t v = 0; v < config_.validators; ++v) {
      if (v != self) envelope.to.push_back(v);
    }
    return SendThroughStrategy(i, std::move(envelope));
  }
  for (uint32_t v = 0; v < config_.validators; ++v) {
    if (v != self) Transmit(i, v, message);
  }
}

byzantine::Context Simulation::StrategyContext(uint32_t i) {
  Node& node = nodes_[i];
  HOTBFT_ASSERT(node.strategy != nullptr);
  byzantine::Context ctx;
  ctx.self = node.validator;
  ctx.validators = config_.validators;
  ctx.chain_id = core_config_.chain_id;
  ctx.epoch = core_config_.epoch;
  ctx.signer = node.raw_signer.get();
  ctx.rng = node.strategy_rng.get();
  ctx.core = node.core.get();
  ctx.now_ms = now_ms_;
  return ctx;
}

void Simulation::SendThroughStrategy(uint32_t i, byzantine::Envelope envelope) {
  byzantine::Context ctx = StrategyContext(i);
  SendEnvelopes(i, nodes_[i].strategy->OnSend(std::move(envelope), ctx));
}

void Simulation::SendEnvelopes(uint32_t i, std::vector<byzantine::Envelope> envelopes) {
  for (byzantine::Envelope& e : envelopes) {
    auto message = std::make_shared<const Message>(std::move(e.message));
    for (uint32_t to : e.to) {
      HOTBFT_ASSERT(to < config_.validators);
      if (to != nodes_[i].validator) Transmit(i, to, message);
    }
  }
}

void Simulation::OnStrategyTick(const StrategyTickEvent& event) {
  Node& node = nodes_[event.node];
  HOTBFT_ASSERT(node.strategy != nullptr);
  Schedule(now_ms_ + byzantine::kTickIntervalMs, StrategyTickEvent{event.node});
  if (!node.up) return;
  byzantine::Context ctx = StrategyContext(event.node);
  SendEnvelopes(event.node, node.strategy->OnTick(ctx));
}

// To every instance of validator `to` (two for a twin), through the simulated links; in a
// twins run, before GST, the schedule's partition of the sender's round applies too.
void Simulation::Transmit(uint32_t from, uint32_t to,
                          const std::shared_ptr<const Message>& message) {
  HOTBFT_ASSERT(to < instances_of_.size());
  for (uint32_t j : instances_of_[to]) {
    HOTBFT_ASSERT(j != from);
    if (scenario_.twins && now_ms_ < scenario_.gst_ms &&
        TwinsCut(*scenario_.twins, from, j, nodes_[from].core->current_round())) {
      TraceEvent(TraceKind::kPartitioned, from, j, Summarize(*message));
      continue;
    }
    const LinkOutcome outcome = network_.Send(from, j, now_ms_);
    switch (outcome.fate) {
      case LinkFate::kLost: TraceEvent(TraceKind::kLost, from, j, Summarize(*message)); continue;
      case LinkFate::kPartitioned:
        TraceEvent(TraceKind::kPartitioned, from, j, Summarize(*message));
        continue;
      case LinkFate::kDelivered: break;
    }
    HOTBFT_ASSERT(outcome.copies >= 1);
    HOTBFT_ASSERT(outcome.copies <= outcome.arrival_ms.size());
    for (uint32_t c = 0; c < outcome.copies; ++c) {
      Schedule(outcome.arrival_ms[c], DeliverEvent{from, j, message});
    }
  }
}

void Simulation::OnPersistAction(uint32_t i, PersistAction persist) {
  Node& node = nodes_[i];
  const uint64_t delay_ms = rng_.Uniform(kSyncDelayMsMin, kSyncDelayMsMax);
  const uint64_t synced_ms = node.disk->Write(std::move(persist), now_ms_, delay_ms);
  Schedule(synced_ms, SyncEvent{i, node.incarnation});
}

// The mempool answers before any other input reaches the core, so the payload matches the
// high QC the core builds on.
void Simulation::OnRequestPayload(uint32_t i, const RequestPayloadAction& request) {
  Node& node = nodes_[i];
  // Leaves out the transactions already on the path being extended (uncommitted, or
  // committed but not yet recorded here).
  mempool::HashSet on_path;
  const BlockTree& tree = node.core->tree();
  std::shared_ptr<const Block> block = tree.Get(tree.high_qc().vote_data.block_id);
  while (block != nullptr && block->header.height > node.committed_height) {
    for (const Bytes& tx : block->payload->txs) on_path.insert(Sha256(tx));
    block = tree.Get(block->header.parent_id);
  }
  // Evidence first, as NodeCore does: the transactions fill what it leaves.
  std::vector<Bytes> evidence = node.evidence_pool->Reap(
      *node.core, core_config_.evidence_per_block_max,
      std::min(request.bytes_max, core_config_.evidence_bytes_per_block_max));
  uint64_t evidence_bytes = 0;
  for (const Bytes& piece : evidence) evidence_bytes += piece.size();
  std::shared_ptr<const Payload> payload = node.mempool->Reap(
      request.bytes_max - evidence_bytes, std::min(request.txs_max, kPayloadTxsMax), on_path);
  if (!evidence.empty()) {
    auto with_evidence = std::make_shared<Payload>(*payload);
    with_evidence->evidence = std::move(evidence);
    payload = std::move(with_evidence);
  }
  Apply(i, node.core->OnPayloadReady(request.round, std::move(payload), now_ms_));
}

// The commit is durable: a CommitAction follows the OnPersisted of its PersistAction.
void Simulation::OnCommitAction(uint32_t i, const CommitAction& commit) {
  HOTBFT_ASSERT(!commit.blocks.empty());
  Node& node = nodes_[i];
  for (const auto& block : commit.blocks) {
    if (!RecordCommit(i, block)) return;
  }
  ScheduleExecution(i);
  if (node.honest) liveness_->OnCommitHeight(i, node.committed_height, now_ms_);
  TraceCommit(i, *commit.blocks.back(), commit.blocks.size());
}

bool Simulation::RecordCommit(uint32_t i, const std::shared_ptr<const Block>& block) {
  Node& node = nodes_[i];
  HOTBFT_ASSERT(block != nullptr);
  const Height height = block->header.height;
  HOTBFT_ASSERT(height == node.committed_height + 1);
  HOTBFT_ASSERT(node.disk->store().CommittedAt(height) == block->id);
  std::optional<Violation> v;
  if (node.honest) {
    HOTBFT_ASSERT(i == node.validator);
    v = agreement_->OnCommit(i, *block);
    if (!v) v = validity_.OnCommit(i, *block);
  }
  if (v) {
    Fail(std::move(*v));
    return false;
  }
  node.committed_height = height;
  node.commit_log_hash = ChainHash(node.commit_log_hash, block->id);
  node.txs_committed += block->payload->txs.size();
  node.evidence_committed += block->payload->evidence.size();
  if (node.mempool) {
    std::vector<Hash32> hashes;
    for (const Bytes& tx : block->payload->txs) hashes.push_back(Sha256(tx));
    node.mempool->Update(hashes);
    // The recheck runs beside consensus in a node; here, at once.
    while (node.mempool->Recheck(1'000) > 0) {
    }
  }
  exec_height_max_ = std::max(exec_height_max_, block->header.exec_height);
  return true;
}

// An executor write syncs every PersistAction queued before it, a commit among them, and
// a crash before that commit's sync event leaves the commit durable but never reported.
void Simulation::RecordDurableCommits(uint32_t i) {
  Node& node = nodes_[i];
  const Height durable = node.disk->store().CommittedHeight();
  HOTBFT_ASSERT(node.committed_height <= durable);
  if (node.committed_height == durable) return;
  const Height first = node.committed_height + 1;
  for (Height h = first; h <= durable; ++h) {
    if (!RecordCommit(i, CommittedBlock(i, h))) return;
  }
  if (node.honest) liveness_->OnCommitHeight(i, node.committed_height, now_ms_);
  TraceCommit(i, *CommittedBlock(i, durable), durable - first + 1);
}

void Simulation::TraceCommit(uint32_t i, const Block& top, size_t count) {
  MessageSummary summary;
  summary.height = top.header.height;
  summary.block = top.id;
  summary.count = static_cast<uint32_t>(count);
  TraceEvent(TraceKind::kCommit, i, 0, summary);
}

// A later deadline replaces an earlier one: older ticks carry a stale generation.
void Simulation::OnDeadline(uint32_t i, uint64_t at_ms) {
  Node& node = nodes_[i];
  ++node.deadline_generation;
  Schedule(std::max(at_ms, now_ms_), TickEvent{i, node.deadline_generation});
}

// The executor runs the recorded commits one block at a time, each after a short delay;
// the app and the store make each height durable as it completes.
void Simulation::ScheduleExecution(uint32_t i) {
  Node& node = nodes_[i];
  if (!node.up || node.executing || node.executor->executed_height() >= node.committed_height) {
    return;
  }
  node.executing = true;
  Schedule(now_ms_ + rng_.Uniform(kExecDelayMsMin, kExecDelayMsMax),
           ExecuteEvent{i, node.incarnation});
}

void Simulation::OnExecute(const ExecuteEvent& event) {
  Node& node = nodes_[event.node];
  if (!node.up || event.incarnation != node.incarnation) return;  // lost in a crash
  node.executing = false;
  const Height height = node.executor->executed_height() + 1;
  HOTBFT_ASSERT(height <= node.committed_height);
  auto executed = node.executor->Execute(*CommittedBlock(event.node, height));
  if (!executed.ok()) {
    return Fail(Violation{"execution", "instance " + std::to_string(event.node) +
                                           " cannot execute: " + executed.status().ToString()});
  }
  HOTBFT_ASSERT(executed->height == height);
  if (node.honest) {
    if (auto v = app_hashes_.OnExecuted(node.validator, height, executed->app_hash)) {
      return Fail(std::move(*v));
    }
    std::vector<uint32_t> codes;
    for (const app::TxResult& r : executed->tx_results) codes.push_back(r.code);
    if (!RecordExecutedTxs(event.node, height, executed->tx_hashes, codes)) return;
  }
  Apply(event.node, node.core->OnExecuted(height, std::move(executed->app_hash), now_ms_));
  ScheduleExecution(event.node);
}

bool Simulation::RecordExecutedTxs(uint32_t i, Height height, const std::vector<Hash32>& hashes,
                                   const std::vector<uint32_t>& codes) {
  HOTBFT_ASSERT(hashes.size() == codes.size());
  for (size_t k = 0; k < hashes.size(); ++k) {
    if (auto v =
            exactly_once_->OnExecuted(nodes_[i].validator, hashes[k], height, codes[k], now_ms_)) {
      Fail(std::move(*v));
      return false;
    }
  }
  return true;
}

std::shared_ptr<const Block> Simulation::CommittedBlock(uint32_t i, Height height) const {
  const storage::MemStore& store = nodes_[i].disk->store();
  const std::optional<Hash32> id = store.CommittedAt(height);
  HOTBFT_ASSERT(id.has_value());
  std::shared_ptr<const Block> block = store.GetBlock(*id);
  HOTBFT_ASSERT(block != nullptr);  // the simulation never prunes
  HOTBFT_ASSERT(block->header.height == height);
  return block;
}

void Simulation::OnEvidenceAction(uint32_t i, const EvidenceAction& action) {
  Node& node = nodes_[i];
  node.evidence_pool->Add(action.evidence, *node.core);
  if (!node.honest) return;
  if (auto v = evidence_->OnEvidence(i, action.evidence)) Fail(std::move(*v));
}

void Simulation::OnDeliver(const DeliverEvent& event) {
  Node& node = nodes_[event.to];
  if (!node.up)
    return TraceEvent(TraceKind::kDown, event.from, event.to, Summarize(*event.message));
  TraceEvent(TraceKind::kDeliver, event.from, event.to, Summarize(*event.message));
  const uint32_t sender = nodes_[event.from].validator;
  if (node.strategy) {
    byzantine::Context ctx = StrategyContext(event.to);
    byzantine::ReceiveResult r = node.strategy->OnReceive(sender, *event.message, ctx);
    SendEnvelopes(event.to, std::move(r.send));
    if (!r.deliver) return;
    return Apply(event.to, node.core->OnMessage(sender, *event.message, now_ms_));
  }
  std::optional<EvidenceKey> required;
  if (node.honest) {
    required = evidence_->OnDeliver(event.to, node.incarnation, node.core->current_round(),
                                    *event.message);
  }
  Apply(event.to, node.core->OnMessage(sender, *event.message, now_ms_));
  if (node.honest && node.up && !violation_) CheckAfterDelivery(event.to, required);
}

void Simulation::CheckAfterDelivery(uint32_t i, const std::optional<EvidenceKey>& required) {
  const Core& core = *nodes_[i].core;
  if (!required) return;
  ++evidence_required_;
  if (auto v = evidence_->Check(i, *required, core.evidence())) Fail(std::move(*v));
}

void Simulation::OnTick(const TickEvent& event) {
  Node& node = nodes_[event.node];
  if (!node.up || event.generation != node.deadline_generation) return;
  Apply(event.node, node.core->OnTick(now_ms_));
}

void Simulation::OnSync(const SyncEvent& event) {
  Node& node = nodes_[event.node];
  if (!node.up || event.incarnation != node.incarnation) return;  // lost in a crash
  auto synced = node.disk->Sync();
  if (!synced.ok()) {
    return Fail(
        Violation{"store", "instance " + std::to_string(event.node) +
                               " wrote a batch the store refuses: " + synced.status().ToString()});
  }
  if (synced->safety) CheckDurableSafety(event.node, *synced->safety);
  Apply(event.node, node.core->OnPersisted(synced->token, now_ms_));
}

// Durable safety data names every message signed so far, including a leader's vote to
// itself, which never crosses the network: the double-sign checker sees those here. (A
// message whose write a crash lost was never sent, and is not a signature anyone holds.)
void Simulation::CheckDurableSafety(uint32_t i, const SafetyData& safety) {
  if (safety.last_vote) CheckSigned(i, Message{*safety.last_vote});
  if (safety.last_proposal) CheckSigned(i, Message{*safety.last_proposal});
  if (safety.last_timeout) CheckSigned(i, Message{*safety.last_timeout});
}

void Simulation::TraceEvent(TraceKind kind, uint32_t from, uint32_t to,
                            const MessageSummary& message, uint64_t mask) {
  const TraceRecord record{now_ms_, kind, from, to, mask, message};
  trace_.Add(record);
  if (config_.live_trace) {
    *config_.live_trace << Trace::FormatRecord(record, config_.validators) << "\n";
  }
}

}  // namespace hotbft::sim
