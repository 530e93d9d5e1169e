// Simulation: one seeded run of N validators in one process. Each validator is a real
// hotbft::Core with its own SafetyRules, storage::MemStore and mempool::Mempool, and a real
// node::Executor running the committed blocks through the kvstore sample app (sim_app.h);
// a virtual clock (ms) and one SimRandom drive the links, the faults of the Scenario and
// the clients. Events are ordered by (time, sequence number), so a seed replays
// identically.
//
// The disk (disk.h): a PersistAction syncs kSyncDelayMsMin..kSyncDelayMsMax after the
// previous one's sync, in order, and the core hears OnPersisted(token) then, once per
// token; the executor's writes sync everything queued before them, so a PersistAction may
// be durable before its sync event. A crash loses what was not durable.
//
// Execution: after a CommitAction (which follows its PersistAction, so the store holds
// the commit) the committed blocks execute one at a time, each kExecDelayMsMin..
// kExecDelayMsMax after the previous one, through Executor::Execute; each app hash goes to
// Core::OnExecuted. A (re)start recovers the core from MemStore::Recover, first letting
// Executor::Recover execute what the store committed and the app did not (at once, in no
// virtual time), and gives the core the executed height and the recent app hashes. The
// app keeps its state in a KvMemBackend that survives crashes.
//
// Validators run as instances: one each, plus one more per twin (a Byzantine validator in
// twins mode runs as two instances with one key). Links, partitions and traces are between
// instances; a message to a validator goes to each of its instances. A Byzantine instance
// with a strategy passes its core's traffic through the strategy (tests/byzantine).
//
// Mempool: clients submit to random validators through the real mempool (CheckTx by the
// kvstore app); a transaction a client handed to a validator is gossiped to every other
// validator once, over the simulated links; leaders reap payloads leaving out what is on
// the path they extend; commits remove transactions and the rest are rechecked at once. A
// crash loses the pool. The exactly-once checker (exactly_once.h) watches every honest
// validator's executions.
//
// Every run carries the checkers (checkers.h) on its honest validators; the run stops at
// the first violation and the result holds it with a trace of the last events.
//
// Not thread-safe. Separate Simulations share nothing and may run on separate threads.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "app/application.h"
#include "app/kv_backend_mem.h"
#include "consensus/core.h"
#include "mempool/mempool.h"
#include "node/evidence_pool.h"
#include "node/executor.h"
#include "tests/sim/checkers.h"
#include "tests/sim/disk.h"
#include "tests/sim/exactly_once.h"
#include "tests/sim/network.h"
#include "tests/sim/scenario.h"
#include "tests/sim/sim_config.h"
#include "tests/sim/sim_random.h"
#include "tests/sim/trace.h"

namespace hotbft::sim {

// Events per run, at most: a core that keeps asking for instant deadlines, or messages
// that multiply, end the run with an "event-budget" violation instead of hanging.
inline constexpr uint64_t kEventsPerRunMax = 50'000'000;
// The liveness checker looks this often (from GST on).
inline constexpr uint64_t kLivenessCheckIntervalMs = 100;
// Clients: one submission every kSubmitGapMsMin..kSubmitGapMsMax; a share of transactions
// goes to a second validator too (a mempool must not let it commit twice).
// Transactions per payload, at most (also bounded by the core's request).
inline constexpr uint32_t kPayloadTxsMax = 64;
// Each validator's mempool holds at most this many transactions.
inline constexpr size_t kMempoolTxsMax = 100'000;
// Each validator's evidence pool holds at most this many pieces (NodeCoreConfig's default).
inline constexpr size_t kEvidencePoolMax = 1'024;
inline constexpr uint64_t kSubmitGapMsMin = 1;
inline constexpr uint64_t kSubmitGapMsMax = 60;
inline constexpr double kSecondSubmitProbability = 0.1;
// A client's transaction is a kvstore write "k<key>=v<number>": the key drawn from
// kClientKeys, the number counting the run's transactions (so each is unique).
inline constexpr uint64_t kClientKeys = 64;
// A write syncs kSyncDelayMsMin..kSyncDelayMsMax after the previous one.
inline constexpr uint64_t kSyncDelayMsMin = 1;
inline constexpr uint64_t kSyncDelayMsMax = 5;
// The application executes one committed block in kExecDelayMsMin..kExecDelayMsMax.
inline constexpr uint64_t kExecDelayMsMin = 1;
inline constexpr uint64_t kExecDelayMsMax = 5;
// Recent app hashes a restarted core recovers.
inline constexpr size_t kRecoveredAppHashesMax = 64;
// SeededRandom::Derive streams of a run: validator keys, the strategies' randomness (one
// per instance), and the signing randomness (one per instance and incarnation).
// The raw signers of the strategies take one stream per instance too.
inline constexpr uint64_t kKeyStream = 0;
inline constexpr uint64_t kStrategyStreamBase = 1;
inline constexpr uint64_t kRawSignerStreamBase = kStrategyStreamBase + kSimValidatorsMax;
inline constexpr uint64_t kSignerStreamBase = kRawSignerStreamBase + kSimValidatorsMax;

struct SeedResult {
  uint64_t seed = 0;
  SignatureScheme scheme = SignatureScheme::kTestOnlyKeyedHash;
  std::optional<Violation> violation;
  std::string trace;  // the last events, when a checker fired
  std::optional<uint32_t> down_for_good;
  Height committed_min = 0;  // lowest committed height among validators not down for good
  Height committed_max = 0;
  Round rounds = 0;  // highest round any validator entered
  uint64_t timeouts_sent = 0;
  uint64_t timeout_sends_after_gst = 0;  // Timeout broadcasts (fresh or re-sent) after GST
  uint64_t tcs_formed = 0;
  uint64_t crashes = 0;
  uint64_t txs_committed = 0;  // by the validator that committed the most
  // Of the honest validators: invalid messages dropped, by reason; evidence recorded.
  std::array<uint64_t, static_cast<size_t>(DropReason::kCount)> dropped{};
  uint64_t evidence_recorded = 0;
  uint64_t evidence_required = 0;   // equivocations that reached an honest validator
  uint64_t evidence_committed = 0;  // pieces in committed blocks, by the honest validator with most
  // Exactly-once: client transactions honest validators admitted, took effect on honest
  // chains (counted per validator), and executed there as duplicates.
  uint64_t txs_admitted = 0;
  uint64_t txs_took_effect = 0;
  uint64_t txs_duplicates = 0;
  Height exec_height_max = 0;  // the highest exec_height in a committed header
  bool liveness_checked = true;
  std::vector<uint32_t> byzantine;
  std::vector<byzantine::StrategyKind> strategies;
  bool twins = false;
  uint64_t virtual_ms = 0;
  uint64_t events = 0;
  std::vector<Hash32> commit_log_hashes;  // per validator: chained hash of committed ids
};

class Simulation {
 public:
  Simulation(SimConfig config, uint64_t seed);
  ~Simulation();
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  // Runs to config.duration_ms or the first violation. Call once.
  SeedResult Run();

  // For a crash handler: the seed and the trace of the run in progress on the calling
  // thread, or "" if none. Not async-signal-safe (it allocates); meant for a SIGABRT handler
  // in a test tool that is about to die anyway, so an assertion inside the core still
  // leaves the seed and the last events behind.
  static std::string InProgressReport();

 private:
  struct DeliverEvent {
    uint32_t from = 0;  // instances
    uint32_t to = 0;
    std::shared_ptr<const Message> message;
  };
  struct StrategyTickEvent {
    uint32_t node = 0;
  };
  struct ExecuteEvent {
    uint32_t node = 0;
    uint32_t incarnation = 0;  // stale after a crash
  };
  struct TickEvent {
    uint32_t node = 0;
    uint64_t generation = 0;  // stale unless it matches the node's deadline generation
  };
  struct SyncEvent {
    uint32_t node = 0;
    uint32_t incarnation = 0;  // stale after a crash
  };
  struct SubmitEvent {};
  struct CheckEvent {};
  struct GstEvent {};
  // A transaction gossiped by instance `from` (a client's, admitted there) reaching `to`.
  struct GossipEvent {
    uint32_t from = 0;  // instances
    uint32_t to = 0;
    std::shared_ptr<const Bytes> tx;
  };
  using EventBody =
      std::variant<DeliverEvent, TickEvent, SyncEvent, StrategyTickEvent, ExecuteEvent, SubmitEvent,
                   CheckEvent, GstEvent, Fault, GossipEvent>;
  struct Event {
    uint64_t at_ms = 0;
    uint64_t seq = 0;
    EventBody body;
  };

  struct Node {
    uint32_t validator = 0;  // whose key this instance signs with
    bool honest = true;      // false for a Byzantine validator's instances (twins too)
    std::unique_ptr<byzantine::Strategy> strategy;  // null: follows the protocol
    std::unique_ptr<Signer> raw_signer;             // the strategy's key
    std::unique_ptr<SeededRandom> strategy_rng;
    bool up = false;
    uint32_t incarnation = 0;
    std::unique_ptr<Core> core;
    // The disk: the store, and the app's state. Both outlive crashes.
    std::unique_ptr<SimDisk> disk;
    std::shared_ptr<app::KvMemBackend> app_disk;
    // One incarnation's app (over app_disk) and its executor; null while down.
    std::unique_ptr<app::Application> app;
    std::unique_ptr<node::Executor> executor;
    bool executing = false;  // an ExecuteEvent is scheduled
    // The real mempool over this incarnation's app; in memory, so a crash loses it.
    std::unique_ptr<mempool::Mempool> mempool;
    // The node's evidence pool (what NodeCore keeps): in memory, so a crash loses it.
    std::unique_ptr<node::EvidencePool> evidence_pool;
    uint64_t deadline_generation = 0;
    // Commits this validator made durable and the simulation has recorded (CommitActions,
    // and commits a crash found durable before their CommitAction).
    Height committed_height = 0;
    Hash32 commit_log_hash;
    uint64_t txs_committed = 0;
    uint64_t evidence_committed = 0;  // pieces in the blocks it committed
    // Counters of earlier incarnations (a core's counters start at zero).
    uint64_t timeouts_sent = 0;
    uint64_t tcs_formed = 0;
    Round max_round = 0;
    std::array<uint64_t, static_cast<size_t>(DropReason::kCount)> dropped{};
    uint64_t evidence_recorded = 0;
  };

  // ---- simulation.cc: setup, the event loop, faults, results ----
  void Setup();
  SeedResult RunEvents();
  void Schedule(uint64_t at_ms, EventBody body);
  void Dispatch(EventBody& body);
  void StartNode(uint32_t i);
  // Executor::Recover, then the core's execution state; false after a violation.
  bool RecoverExecution(uint32_t i, RecoveryState& recovery);
  void CrashNode(uint32_t i);
  void OnFault(const Fault& fault);
  void OnSubmit();
  // Gossip of a client's transaction admitted by instance i to every other validator.
  void GossipFrom(uint32_t i);
  void OnGossip(const GossipEvent& event);
  // Tells the core when its mempool went from empty to non-empty.
  void AfterAdmission(uint32_t i);
  // Every transaction of an executed height into the exactly-once checker; false after a
  // violation.
  bool RecordExecutedTxs(uint32_t i, Height height, const std::vector<Hash32>& hashes,
                         const std::vector<uint32_t>& codes);
  void OnCheck();
  void Fail(Violation violation);
  void HarvestCounters(Node& node);
  SeedResult Result();

  // ---- sim_actions.cc: carrying out a core's actions ----
  void Apply(uint32_t i, std::vector<Action> actions);
  void OnSendAction(uint32_t i, uint32_t to, std::shared_ptr<const Message> message);
  void OnBroadcastAction(uint32_t i, std::shared_ptr<const Message> message);
  void OnPersistAction(uint32_t i, PersistAction persist);
  void OnRequestPayload(uint32_t i, const RequestPayloadAction& request);
  void OnCommitAction(uint32_t i, const CommitAction& commit);
  // One durably committed block into the checkers and the bookkeeping; false after a
  // violation. REQUIRES: block at height committed_height + 1.
  bool RecordCommit(uint32_t i, const std::shared_ptr<const Block>& block);
  // Commits the store holds that no CommitAction reported (made durable early by an
  // executor write, then the validator crashed).
  void RecordDurableCommits(uint32_t i);
  void TraceCommit(uint32_t i, const Block& top, size_t count);
  void OnDeadline(uint32_t i, uint64_t at_ms);
  void OnEvidenceAction(uint32_t i, const EvidenceAction& action);
  void CheckSigned(uint32_t i, const Message& message);
  // Sends `message` from instance `from` to every instance of validator `to`.
  void Transmit(uint32_t from, uint32_t to, const std::shared_ptr<const Message>& message);
  // A Byzantine instance's outgoing traffic, through its strategy.
  void SendThroughStrategy(uint32_t i, byzantine::Envelope envelope);
  void SendEnvelopes(uint32_t i, std::vector<byzantine::Envelope> envelopes);
  byzantine::Context StrategyContext(uint32_t i);
  void OnStrategyTick(const StrategyTickEvent& event);
  void ScheduleExecution(uint32_t i);
  void OnExecute(const ExecuteEvent& event);
  void OnDeliver(const DeliverEvent& event);
  void CheckAfterDelivery(uint32_t i, const std::optional<EvidenceKey>& required);
  void CheckStateBounds(uint32_t i);
  void OnTick(const TickEvent& event);
  void OnSync(const SyncEvent& event);
  void CheckDurableSafety(uint32_t i, const SafetyData& safety);
  // The block instance i's store holds committed at `height`. REQUIRES: it has one.
  std::shared_ptr<const Block> CommittedBlock(uint32_t i, Height height) const;
  void TraceEvent(TraceKind kind, uint32_t from, uint32_t to, const MessageSummary& message,
                  uint64_t mask = 0);

  const SimConfig config_;
  const uint64_t seed_;
  SimRandom rng_;
  Scenario scenario_;
  CoreConfig core_config_;
  std::vector<std::array<uint8_t, 32>> secrets_;
  node::ExecutorConfig executor_config_;
  std::unique_ptr<ValidatorSet> validators_;
  std::unique_ptr<LeaderElection> election_;
  std::vector<std::vector<uint32_t>> instances_of_;  // per validator
  std::shared_ptr<const Block> genesis_;
  QC genesis_qc_;

  Network network_;
  std::vector<Node> nodes_;
  std::vector<Event> queue_;  // a min-heap on (at_ms, seq)
  uint64_t now_ms_ = 0;
  uint64_t next_seq_ = 0;
  uint64_t events_ = 0;
  uint64_t next_tx_ = 0;
  uint64_t crashes_ = 0;
  uint64_t timeout_sends_after_gst_ = 0;
  uint64_t evidence_required_ = 0;
  Height exec_height_max_ = 0;

  std::optional<AgreementChecker> agreement_;
  DoubleSignChecker double_sign_;
  ValidityChecker validity_;
  std::optional<ExactlyOnceChecker> exactly_once_;
  std::optional<LivenessChecker> liveness_;
  std::optional<EvidenceChecker> evidence_;
  AppHashChecker app_hashes_;
  std::optional<Violation> violation_;
  Trace trace_;
};

}  // namespace hotbft::sim
