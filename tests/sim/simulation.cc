#include "tests/sim/simulation.h"

#include <algorithm>
#include <string>

#include "crypto/sha256.h"
#include "tests/sim/sim_app.h"

namespace hotbft::sim {
namespace {

// After GST a round (a proposal, then a vote, each persisted first) fits in the base round
// timeout, so a healthy network never times a round out.
static_assert(2 * (kLatencyMsMax + kSyncDelayMsMax) < kSimRoundTimeoutBaseMs);

uint64_t SignerStream(uint32_t instance, uint32_t incarnation) {
  return kSignerStreamBase + uint64_t{incarnation} * kSimValidatorsMax + instance;
}

struct Later {
  template <typename E>
  bool operator()(const E& a, const E& b) const {
    if (a.at_ms != b.at_ms) return a.at_ms > b.at_ms;
    return a.seq > b.seq;
  }
};

}  // namespace

CoreConfig SimCoreConfig() {
  CoreConfig c;
  c.chain_id = kSimChainId;
  c.epoch = 0;
  c.round_timeout_base_ms = kSimRoundTimeoutBaseMs;
  c.round_timeout_factor = kSimRoundTimeoutFactor;
  c.round_timeout_exponent_max = kSimRoundTimeoutExponentMax;
  c.empty_block_interval_ms = kSimEmptyBlockIntervalMs;
  return c;
}

void UseUnsafeRules(SimConfig& config) {
  config.test_unsafe_rules = true;
  config.core_config_hook = [](CoreConfig& c) { c.test_only_unsafe_skip_tc_check = true; };
  config.safety_rules_factory = [](std::unique_ptr<Signer> signer, uint32_t self,
                                   const std::string& chain_id, std::optional<SafetyData> stored) {
    SafetyRulesOptions options;
    options.test_only_unsafe_no_lock = true;
    return std::make_unique<SafetyRules>(std::move(signer), self, chain_id, std::move(stored),
                                         options);
  };
}

Simulation::Simulation(SimConfig config, uint64_t seed)
    : config_(std::move(config)),
      seed_(seed),
      rng_(seed),
      scenario_(DrawScenario(config_, rng_)),
      network_(scenario_.gst_ms, config_.drop_probability, rng_),
      double_sign_(config_.validators),
      validity_(config_.validators) {
  HOTBFT_ASSERT(config_.validators >= 1);
  HOTBFT_ASSERT(config_.instances() <= kSimValidatorsMax);
  HOTBFT_ASSERT(config_.byzantine <= config_.validators);
  HOTBFT_ASSERT(config_.duration_ms > 0);
}

Simulation::~Simulation() = default;

void Simulation::Setup() {
  const uint32_t n = config_.validators;
  core_config_ = SimCoreConfig();
  if (config_.core_config_hook) config_.core_config_hook(core_config_);

  SeededRandom key_rng = SeededRandom::Derive(seed_, kKeyStream);
  std::vector<PublicKey> keys;
  for (uint32_t i = 0; i < n; ++i) {
    SecretKey secret = GenerateSecretKey(scenario_.scheme, key_rng);
    keys.push_back(DerivePublicKey(scenario_.scheme, secret).value());
    secrets_.push_back(secret.bytes());
  }
  validators_ = std::make_unique<ValidatorSet>(ValidatorSet::Create(keys).value());
  executor_config_.chain_id = core_config_.chain_id;
  for (const PublicKey& key : keys) {
    executor_config_.validators.push_back(
        app::ValidatorUpdate{Bytes(key.bytes.begin(), key.bytes.end()), 1});
  }
  if (scenario_.twins) {
    election_ = std::make_unique<ScheduledElection>(n, scenario_.twins->leaders);
  } else {
    election_ = std::make_unique<RoundRobinElection>(n);
  }
  genesis_ = MakeGenesisBlock(core_config_.chain_id, core_config_.epoch, n);
  genesis_qc_ = MakeGenesisQC(*genesis_);

  agreement_.emplace(n, *genesis_);
  const uint64_t window_ms = (2 * uint64_t{n} + 2) * core_config_.RoundTimeoutMaxMs();
  liveness_.emplace(n, scenario_.gst_ms, window_ms);
  // A transaction an honest validator admitted takes effect on its chain within two
  // liveness windows after GST (it needs that validator, or a validator it gossiped to, to
  // lead a round that commits).
  exactly_once_.emplace(n, scenario_.gst_ms, 2 * window_ms);
  if (scenario_.down_for_good) liveness_->Exclude(*scenario_.down_for_good);
  for (uint32_t v : scenario_.byzantine) liveness_->Exclude(v);
  std::vector<bool> byzantine(n);
  for (uint32_t v : scenario_.byzantine) byzantine[v] = true;
  validity_ = ValidityChecker(n, byzantine);
  evidence_.emplace(*validators_, VerifierFor(scenario_.scheme), core_config_, byzantine,
                    config_.instances());

  // Instances: validator i is instance i; twins of the Byzantine validators follow.
  nodes_.resize(config_.instances());
  instances_of_.resize(n);
  for (uint32_t i = 0; i < nodes_.size(); ++i) {
    Node& node = nodes_[i];
    node.validator = i < n ? i : scenario_.byzantine[i - n];
    node.honest = !scenario_.IsByzantine(node.validator);
    instances_of_[node.validator].push_back(i);
    node.disk = std::make_unique<SimDisk>(genesis_, genesis_qc_);
    node.app_disk = std::make_shared<app::KvMemBackend>();
  }
  for (size_t k = 0; k < scenario_.strategies.size(); ++k) {
    Node& node = nodes_[scenario_.byzantine[k]];
    node.strategy = byzantine::MakeStrategy(scenario_.strategies[k]);
    node.strategy_rng = std::make_unique<SeededRandom>(
        SeededRandom::Derive(seed_, kStrategyStreamBase + scenario_.byzantine[k]));
    auto signer = MakeSigner(scenario_.scheme, SecretKey(secrets_[node.validator]),
                             std::make_unique<SeededRandom>(SeededRandom::Derive(
                                 seed_, kRawSignerStreamBase + scenario_.byzantine[k])));
    HOTBFT_ASSERT(signer.ok());
    node.raw_signer = std::move(signer).value();
  }
  for (uint32_t i = 0; i < nodes_.size(); ++i) StartNode(i);
  for (uint32_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i].strategy) Schedule(byzantine::kTickIntervalMs, StrategyTickEvent{i});
  }
  for (const Fault& fault : scenario_.faults) Schedule(fault.at_ms, fault);
  Schedule(scenario_.gst_ms, GstEvent{});
  Schedule(scenario_.gst_ms, CheckEvent{});
  Schedule(rng_.Uniform(kSubmitGapMsMin, kSubmitGapMsMax), SubmitEvent{});
}

void Simulation::Schedule(uint64_t at_ms, EventBody body) {
  HOTBFT_ASSERT(at_ms >= now_ms_);
  queue_.push_back(Event{at_ms, next_seq_++, std::move(body)});
  std::push_heap(queue_.begin(), queue_.end(), Later{});
}

namespace {
thread_local const Simulation* g_running = nullptr;  // the run on this thread, if any
}  // namespace

std::string Simulation::InProgressReport() {
  if (g_running == nullptr) return "";
  const Simulation& sim = *g_running;
  return "seed=" + std::to_string(sim.seed_) + " aborted at t=" + std::to_string(sim.now_ms_) +
         "ms (scheme " + std::string(SchemeName(sim.scenario_.scheme)) + ")\n  last events:\n" +
         sim.trace_.Format(sim.config_.validators);
}

SeedResult Simulation::Run() {
  HOTBFT_ASSERT(nodes_.empty());
  HOTBFT_ASSERT(g_running == nullptr);
  g_running = this;
  SeedResult result = RunEvents();
  g_running = nullptr;
  return result;
}

SeedResult Simulation::RunEvents() {
  Setup();
  while (!queue_.empty() && !violation_) {
    std::pop_heap(queue_.begin(), queue_.end(), Later{});
    Event event = std::move(queue_.back());
    queue_.pop_back();
    if (event.at_ms > config_.duration_ms) break;
    HOTBFT_ASSERT(event.at_ms >= now_ms_);
    now_ms_ = event.at_ms;
    if (++events_ > kEventsPerRunMax) {
      Fail(Violation{"event-budget", "more than " + std::to_string(kEventsPerRunMax) +
                                         " events by t=" + std::to_string(now_ms_) + "ms"});
      break;
    }
    Dispatch(event.body);
  }
  if (!violation_) {
    now_ms_ = config_.duration_ms;
    OnCheck();
  }
  return Result();
}

void Simulation::Dispatch(EventBody& body) {
  if (auto* e = std::get_if<DeliverEvent>(&body)) return OnDeliver(*e);
  if (auto* e = std::get_if<TickEvent>(&body)) return OnTick(*e);
  if (auto* e = std::get_if<SyncEvent>(&body)) return OnSync(*e);
  if (auto* e = std::get_if<StrategyTickEvent>(&body)) return OnStrategyTick(*e);
  if (auto* e = std::get_if<ExecuteEvent>(&body)) return OnExecute(*e);
  if (std::holds_alternative<SubmitEvent>(body)) return OnSubmit();
  if (auto* g = std::get_if<GossipEvent>(&body)) return OnGossip(*g);
  if (std::holds_alternative<CheckEvent>(body)) {
    OnCheck();
    Schedule(now_ms_ + kLivenessCheckIntervalMs, CheckEvent{});
    return;
  }
  if (std::holds_alternative<GstEvent>(body)) return TraceEvent(TraceKind::kGst, 0, 0, {});
  if (auto* f = std::get_if<Fault>(&body)) return OnFault(*f);
  HOTBFT_ASSERT(false);
}

// A validator (re)starts from exactly what its store and its app synced.
void Simulation::StartNode(uint32_t i) {
  Node& node = nodes_[i];
  HOTBFT_ASSERT(!node.up);
  HOTBFT_ASSERT(node.core == nullptr);
  HOTBFT_ASSERT(node.disk->queued() == 0);
  RecordDurableCommits(i);
  if (violation_) return;
  auto stored = storage::RecoverForCore(node.disk->store(), core_config_);
  if (!stored.ok()) {
    return Fail(Violation{"store", "instance " + std::to_string(i) +
                                       " cannot recover: " + stored.status().ToString()});
  }
  RecoveryState recovery = std::move(stored).value();
  if (config_.test_forget_safety_on_restart) recovery.safety = std::nullopt;
  if (!RecoverExecution(i, recovery)) return;
  auto signer = MakeSigner(scenario_.scheme, SecretKey(secrets_[node.validator]),
                           std::make_unique<SeededRandom>(
                               SeededRandom::Derive(seed_, SignerStream(i, node.incarnation))));
  HOTBFT_ASSERT(signer.ok());
  std::unique_ptr<SafetyRules> rules =
      config_.safety_rules_factory
          ? config_.safety_rules_factory(std::move(signer).value(), node.validator,
                                         core_config_.chain_id, recovery.safety)
          : std::make_unique<SafetyRules>(std::move(signer).value(), node.validator,
                                          core_config_.chain_id, recovery.safety);
  // No synced safety data means no signed message ever left this validator (persist, then
  // send), so initialising fresh is safe, except under test_forget_safety_on_restart.
  if (!rules->initialized()) rules->InitializeFresh(core_config_.epoch);
  node.core = std::make_unique<Core>(core_config_, node.validator, *validators_,
                                     VerifierFor(scenario_.scheme), *election_, std::move(rules),
                                     std::move(recovery));
  mempool::MempoolConfig pool;
  pool.txs_max = kMempoolTxsMax;
  storage::MemStore* store = &node.disk->store();
  node.mempool = std::make_unique<mempool::Mempool>(
      pool, *node.app, [store](const Hash32& h) { return store->GetTx(h).has_value(); });
  node.evidence_pool = std::make_unique<node::EvidencePool>(kEvidencePoolMax, validators_->size());
  node.up = true;
  Apply(i, node.core->Start(now_ms_));
}

// The app catches up with the store (a new app gets InitChain first); the core learns
// what was executed, as a node learns it from Info and its store.
bool Simulation::RecoverExecution(uint32_t i, RecoveryState& recovery) {
  Node& node = nodes_[i];
  HOTBFT_ASSERT(node.app == nullptr);
  HOTBFT_ASSERT(node.executor == nullptr);
  const Height diverge_at = i == 0 ? config_.test_diverge_app_at : 0;
  node.app = OpenSimApp(node.app_disk, diverge_at);
  storage::MemStore& store = node.disk->store();
  node.executor = std::make_unique<node::Executor>(store, *node.app, executor_config_);
  const Height executed_before = store.ExecutedHeight();
  auto executed = node.executor->Recover();
  if (!executed.ok()) {
    Fail(Violation{"execution", "instance " + std::to_string(i) +
                                    " cannot recover execution: " + executed.status().ToString()});
    return false;
  }
  HOTBFT_ASSERT(*executed == store.ExecutedHeight());
  HOTBFT_ASSERT(*executed == node.committed_height);  // Recover executes every commit
  const Height first = *executed > kRecoveredAppHashesMax ? *executed - kRecoveredAppHashesMax : 0;
  for (Height h = first + 1; h <= *executed; ++h) {
    std::optional<Bytes> app_hash = store.AppHashAt(h);
    HOTBFT_ASSERT(app_hash.has_value());
    // Heights the executor ran just now have not met the checker yet.
    if (node.honest && h > executed_before) {
      if (auto v = app_hashes_.OnExecuted(node.validator, h, *app_hash)) {
        Fail(std::move(*v));
        return false;
      }
      // What each transaction did, from the store's index: a position the index does not
      // name for its hash was a duplicate.
      const std::shared_ptr<const Block> block = CommittedBlock(i, h);
      std::vector<Hash32> hashes;
      std::vector<uint32_t> codes;
      for (uint32_t k = 0; k < block->payload->txs.size(); ++k) {
        hashes.push_back(Sha256(block->payload->txs[k]));
        const std::optional<storage::TxRecord> record = store.GetTx(hashes.back());
        uint32_t code = app::kCodeDuplicate;
        if (record && record->height == h && record->index == k) {
          auto result = node::DecodeStoredTxResult(record->result);
          HOTBFT_ASSERT(result.ok());
          code = result->code;
        }
        codes.push_back(code);
      }
      if (!RecordExecutedTxs(i, h, hashes, codes)) return false;
    }
    recovery.app_hashes.emplace_back(h, std::move(app_hash).value());
  }
  recovery.executed_height = *executed;
  return true;
}

void Simulation::HarvestCounters(Node& node) {
  HOTBFT_ASSERT(node.core != nullptr);
  const CoreCounters& c = node.core->counters();
  node.timeouts_sent += c.timeouts_sent;
  node.tcs_formed += c.tcs_formed;
  node.max_round = std::max(node.max_round, node.core->current_round());
  for (size_t r = 0; r < c.dropped.size(); ++r) node.dropped[r] += c.dropped[r];
  node.evidence_recorded += c.evidence_recorded;
}

// Everything in memory is gone; the store and the app's backend keep what they synced.
void Simulation::CrashNode(uint32_t i) {
  Node& node = nodes_[i];
  HOTBFT_ASSERT(node.up);
  HarvestCounters(node);
  node.core.reset();
  node.executor.reset();
  node.app.reset();  // with it, a block finalized but not committed
  node.up = false;
  node.executing = false;
  ++node.incarnation;
  ++node.deadline_generation;
  // Writes an executor write made durable before their sync event survive: their
  // signatures are on the disk although the core never heard so.
  for (const SafetyData& safety : node.disk->Crash()) CheckDurableSafety(i, safety);
  node.mempool.reset();  // pending transactions live in memory
  if (node.honest) exactly_once_->OnCrash(node.validator);
  ++crashes_;
}

void Simulation::OnFault(const Fault& fault) {
  switch (fault.kind) {
    case FaultKind::kCrash:
      if (!nodes_[fault.node].up) return;
      TraceEvent(TraceKind::kCrash, fault.node, 0, {});
      CrashNode(fault.node);
      return;
    case FaultKind::kRestart:
      if (nodes_[fault.node].up) return;
      TraceEvent(TraceKind::kRestart, fault.node, 0, {});
      StartNode(fault.node);
      return;
    case FaultKind::kPartition:
      TraceEvent(TraceKind::kPartition, 0, 0, {}, fault.group_mask);
      network_.Partition(fault.group_mask, fault.forever);
      return;
    case FaultKind::kHeal:
      TraceEvent(TraceKind::kHeal, 0, 0, {});
      network_.Heal();
      return;
  }
}

// A client submits the next transaction to a random validator (sometimes to two).
void Simulation::OnSubmit() {
  const uint32_t n = config_.validators;
  const uint64_t key = rng_.Uniform(0, kClientKeys - 1);
  const std::string tx = "k" + std::to_string(key) + "=v" + std::to_string(next_tx_++);
  validity_.OnSubmit(tx);
  const uint32_t first = static_cast<uint32_t>(rng_.Uniform(0, n - 1));
  std::vector<uint32_t> targets{first};
  if (n > 1 && rng_.Chance(kSecondSubmitProbability)) {
    targets.push_back((first + static_cast<uint32_t>(rng_.Uniform(1, n - 1))) % n);
  }
  for (uint32_t v : targets) {
    // A client reaches one machine: one of a twin's two instances.
    const std::vector<uint32_t>& instances = instances_of_[v];
    const uint32_t i = instances[rng_.Uniform(0, instances.size() - 1)];
    Node& node = nodes_[i];
    if (!node.up) continue;  // the client's request is lost
    const mempool::AddResult added =
        node.mempool->Add(Bytes(tx.begin(), tx.end()), mempool::Sender::Client(0));
    if (node.honest && (added.ok() || added.outcome == mempool::AddOutcome::kInPool)) {
      exactly_once_->OnAdmitted(node.validator, added.hash, now_ms_);
    }
    if (config_.test_lose_admitted_txs && i == 0) {
      node.mempool->TakeGossip();
      node.mempool->Update({added.hash});  // gone, as if committed
    }
    GossipFrom(i);
    AfterAdmission(i);
    if (violation_) return;
  }
  Schedule(now_ms_ + rng_.Uniform(kSubmitGapMsMin, kSubmitGapMsMax), SubmitEvent{});
}

void Simulation::GossipFrom(uint32_t i) {
  for (const mempool::GossipTx& g : nodes_[i].mempool->TakeGossip()) {
    for (uint32_t v = 0; v < config_.validators; ++v) {
      if (v == nodes_[i].validator) continue;
      for (uint32_t j : instances_of_[v]) {
        const LinkOutcome outcome = network_.Send(i, j, now_ms_);
        if (outcome.fate != LinkFate::kDelivered) continue;
        Schedule(outcome.arrival_ms[0], GossipEvent{i, j, g.tx});
      }
    }
  }
}

void Simulation::OnGossip(const GossipEvent& event) {
  Node& node = nodes_[event.to];
  if (!node.up) return;
  node.mempool->Add(*event.tx, mempool::Sender::Peer(nodes_[event.from].validator));
  AfterAdmission(event.to);
}

void Simulation::AfterAdmission(uint32_t i) {
  Node& node = nodes_[i];
  if (node.mempool->TakeBecameNonEmpty()) Apply(i, node.core->OnTxsAvailable(now_ms_));
}

void Simulation::OnCheck() {
  for (uint32_t i = 0; i < nodes_.size() && !violation_; ++i) {
    if (nodes_[i].up && nodes_[i].honest) CheckStateBounds(i);
  }
  if (!scenario_.liveness_checked || violation_) return;
  // Per validator: the honest ones are instances 0..n-1.
  std::vector<bool> running(config_.validators);
  for (uint32_t v = 0; v < config_.validators; ++v) running[v] = nodes_[v].up;
  if (auto v = liveness_->Check(now_ms_, running)) return Fail(std::move(*v));
  if (auto v = exactly_once_->Check(now_ms_)) Fail(std::move(*v));
}

void Simulation::CheckStateBounds(uint32_t i) {
  const Core& core = *nodes_[i].core;
  if (auto v = sim::CheckStateBounds(i, core.state_sizes(), core.current_round(),
                                     core.tree().root()->header.round, core_config_,
                                     config_.validators)) {
    Fail(std::move(*v));
  }
}

void Simulation::Fail(Violation violation) {
  if (violation_) return;
  TraceEvent(TraceKind::kViolation, 0, 0, {});
  violation_ = std::move(violation);
}

SeedResult Simulation::Result() {
  SeedResult r;
  r.seed = seed_;
  r.scheme = scenario_.scheme;
  r.down_for_good = scenario_.down_for_good;
  r.committed_min = ~Height{0};
  for (uint32_t i = 0; i < nodes_.size(); ++i) {
    Node& node = nodes_[i];
    if (node.core) HarvestCounters(node);
    if (!node.honest) continue;
    r.timeouts_sent += node.timeouts_sent;
    r.tcs_formed += node.tcs_formed;
    r.rounds = std::max(r.rounds, node.max_round);
    r.commit_log_hashes.push_back(node.commit_log_hash);
    r.committed_max = std::max(r.committed_max, node.committed_height);
    r.txs_committed = std::max(r.txs_committed, node.txs_committed);
    r.evidence_committed = std::max(r.evidence_committed, node.evidence_committed);
    for (size_t k = 0; k < r.dropped.size(); ++k) r.dropped[k] += node.dropped[k];
    r.evidence_recorded += node.evidence_recorded;
    if (scenario_.down_for_good != i)
      r.committed_min = std::min(r.committed_min, node.committed_height);
  }
  r.evidence_required = evidence_required_;
  r.txs_admitted = exactly_once_->admitted();
  r.txs_took_effect = exactly_once_->took_effect();
  r.txs_duplicates = exactly_once_->duplicates();
  r.exec_height_max = exec_height_max_;
  r.liveness_checked = scenario_.liveness_checked;
  r.byzantine = scenario_.byzantine;
  r.strategies = scenario_.strategies;
  r.twins = scenario_.twins.has_value();
  if (r.committed_min == ~Height{0}) r.committed_min = 0;
  r.crashes = crashes_;
  r.timeout_sends_after_gst = timeout_sends_after_gst_;
  r.virtual_ms = now_ms_;
  r.events = events_;
  if (violation_) {
    r.violation = violation_;
    r.trace = trace_.Format(config_.validators);
  }
  return r;
}

}  // namespace hotbft::sim
