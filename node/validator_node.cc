#include "node/validator_node.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "app/samples.h"
#include "consensus/leader_election.h"
#include "crypto/key_file.h"
#include "crypto/random.h"
#include "crypto/sha256.h"
#include "crypto/thread_name.h"
#include "network/fault_injection.h"
#include "network/transport.h"
#include "node/client_port.h"
#include "node/genesis.h"
#include "node/home.h"
#include "node/metrics.h"
#include "node/rpc_server.h"
#include "storage/rocks_store.h"

namespace hotbft::node {
namespace asio = boost::asio;

namespace {

// The recheck thread's nice value (relative priority, Linux: per thread).
constexpr int kRecheckNice = 10;

uint64_t NowMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

// "host:port" (checked by the config already).
network::PeerAddress ParseAddress(const std::string& address) {
  const size_t colon = address.rfind(':');
  return network::PeerAddress{address.substr(0, colon),
                              static_cast<uint16_t>(std::stoul(address.substr(colon + 1)))};
}

CoreConfig CoreConfigOf(const NodeConfig& c, const Genesis& g) {
  CoreConfig core;
  core.chain_id = g.chain_id;
  core.epoch = g.epoch;
  core.genesis_commitment = g.Commitment();
  core.genesis_time_ms = g.genesis_time_ms;
  core.round_timeout_base_ms = c.round_timeout_base_ms;
  core.round_timeout_factor = c.round_timeout_factor;
  core.round_timeout_exponent_max = c.round_timeout_exponent_max;
  core.idle_empty_blocks = c.idle_empty_blocks;
  core.empty_block_interval_ms = c.empty_block_interval_ms;
  core.payload_bytes_max = c.payload_bytes_max;
  core.payload_txs_max = c.payload_txs_max;
  // Catch-up responses stay well inside a p2p frame (8 MiB with the 16 MiB default).
  core.sync_response_bytes_max = c.p2p_frame_bytes_max / 2;
  return core;
}

mempool::MempoolConfig MempoolConfigOf(const NodeConfig& c) {
  mempool::MempoolConfig m;
  m.tx_bytes_max = c.mempool_tx_bytes_max;
  m.txs_max = c.mempool_txs_max;
  m.bytes_max = c.mempool_bytes_max;
  m.committed_cache_max = c.mempool_cache_max;
  m.rejected_cache_max = c.mempool_cache_max / 2;
  return m;
}

}  // namespace

class ValidatorNode::Impl final : public NodeOutput, public RpcBackend {
 public:
  NodeConfig config;
  Genesis genesis;
  ValidatorSet validators = *ValidatorSet::Create({PublicKey{}});
  uint32_t self = 0;
  std::unique_ptr<RoundRobinElection> election;
  std::unique_ptr<storage::Store> store;
  std::unique_ptr<app::Application> app;
  std::unique_ptr<mempool::Mempool> pool;
  std::unique_ptr<NodeCore> core;
  std::unique_ptr<network::Transport> transport;
  // With [faults] enabled or [rpc] admin: the fault injection around the transport.
  std::unique_ptr<network::FaultyNetwork> faulty;
  network::PeerNetwork* net = nullptr;  // where messages to peers go: faulty or transport
  // Only with ValidatorNodeOptions::message_layer: what the core sends and receives passes
  // through it (consensus thread), and it is ticked by layer_timer.
  std::unique_ptr<MessageLayer> layer;

  asio::io_context consensus_io;
  asio::executor_work_guard<asio::io_context::executor_type> consensus_work{
      consensus_io.get_executor()};
  asio::steady_timer timer{consensus_io};
  asio::steady_timer layer_timer{consensus_io};
  bool timer_armed = false;  // consensus thread: a wait for timer_deadline is pending
  uint64_t timer_deadline = 0;
  std::thread consensus_thread;
  asio::io_context mempool_io;
  asio::executor_work_guard<asio::io_context::executor_type> mempool_work{
      mempool_io.get_executor()};
  std::thread mempool_thread;
  std::atomic<bool> poll_posted{false};
  std::atomic<bool> txs_available_posted{false};
  bool running = false;

  // The recheck thread.
  std::thread recheck_thread;
  std::mutex recheck_mutex;
  std::condition_variable recheck_cv;
  bool recheck_due = false;
  bool stopping = false;

  // The query thread: the app's query connection (RpcBackend::Query).
  asio::io_context query_io;
  asio::executor_work_guard<asio::io_context::executor_type> query_work{query_io.get_executor()};
  std::thread query_thread;

  NodeMetrics metrics;
  CommitWaiters commit_waiters;
  std::unique_ptr<RpcServer> rpc;
  std::unique_ptr<ClientPort> client_port;

  mutable std::mutex status_mutex;
  NodeSnapshot snapshot;  // guarded by status_mutex, refreshed by the consensus thread

  // The height up to which the mempool has removed committed transactions (set by the
  // mempool thread after each Update), and, consensus thread, the transaction hashes of
  // blocks above it (TxHashesOf).
  std::atomic<Height> pool_height{0};
  struct BlockTxHashes {
    Height height = 0;
    std::vector<Hash32> hashes;
  };
  std::unordered_map<Hash32, BlockTxHashes, Hash32Hasher> tx_hashes;

  // Consensus thread: what the metrics last took from the core's counters.
  CoreCounters counted;
  Height latency_height = 0;  // the last committed height observed for commit latency
  // Guarded by status_mutex: the transport's counts already added to the metrics.
  std::array<uint64_t, static_cast<size_t>(network::DropReason::kCount)> transport_drops{};
  std::array<uint64_t, static_cast<size_t>(network::DisconnectReason::kCount)>
      transport_disconnects{};

  // ---- NodeOutput (the consensus thread, except Wake) ----

  void Send(uint32_t to, const Message& message) override {
    if (layer) return layer->OnSend(to, message, NowMs());
    net->Send(to, message, network::Priority::kConsensus);
  }
  void Broadcast(const Message& message) override {
    if (layer) return layer->OnBroadcast(message, NowMs());
    net->Broadcast(message, network::Priority::kConsensus);
  }
  void RequestPayload(const RequestPayloadAction& request) override {
    // Leaves out the transactions of the blocks the new block extends that the mempool has
    // not removed yet: the uncommitted ones, and the committed ones the mempool thread has
    // not removed (Executed); a height it is removing now counts as not removed.
    const Height removed = pool_height.load();
    for (auto it = tx_hashes.begin(); it != tx_hashes.end();) {
      it = it->second.height <= removed ? tx_hashes.erase(it) : std::next(it);
    }
    mempool::HashSet exclude;
    const BlockTree& tree = core->core().tree();
    for (auto block = tree.Get(tree.high_qc().vote_data.block_id);
         block && block->header.height > removed; block = tree.Get(block->header.parent_id)) {
      for (const Hash32& hash : TxHashesOf(*block)) exclude.insert(hash);
    }
    std::shared_ptr<const Payload> payload =
        pool->Reap(request.bytes_max, request.txs_max, exclude);
    const Round round = request.round;
    asio::post(consensus_io, [this, round, payload] {
      core->OnPayloadReady(round, payload, NowMs());
      AfterInput();
    });
  }
  // The mempool's removal of the block's transactions and the commit notifications run on
  // the mempool thread, off the consensus thread, in that order (rpc_backend.h,
  // CommitWaiters); admissions there see the removal done.
  void Executed(const Block& block, const ExecutedBlock& result) override {
    metrics.committed_txs.Inc(result.tx_results.size());
    metrics.executed_height.Set(static_cast<int64_t>(result.height));
    if (!block.payload->txs.empty()) {
      spdlog::debug("height {}: executed {} transactions, app hash {}", result.height,
                    result.tx_results.size(), ToHex(result.app_hash));
    }
    asio::post(mempool_io, [this, result] {
      pool->Update(result.tx_hashes);
      pool_height = result.height;
      commit_waiters.OnExecuted(result);
      if (!result.tx_hashes.empty() && pool->size() > 0) NotifyTxsAvailable();
      if (pool->config().recheck) {  // else nothing is ever due: no need to wake the thread
        {
          std::lock_guard lock(recheck_mutex);
          recheck_due = true;
        }
        recheck_cv.notify_one();
      }
    });
  }
  void NewEvidence(const Evidence& evidence) override {
    const EvidenceKey key = KeyOf(evidence);
    metrics.evidence_recorded.With(EvidenceKindName(key.kind)).Inc();
    spdlog::warn("recorded evidence of equivocation: {} by validator {} in epoch {} round {}",
                 EvidenceKindName(key.kind), key.validator, key.epoch, key.round);
  }
  void Wake() override {
    if (poll_posted.exchange(true)) return;
    asio::post(consensus_io, [this] {
      poll_posted = false;
      core->Poll(NowMs());
      AfterInput();
    });
  }

  // ---- The consensus thread ----

  // The transaction hashes of a block on the path a proposal extends, computed once per
  // block (a full block is 10,000 hashes, and the same blocks are on the next few paths).
  const std::vector<Hash32>& TxHashesOf(const Block& block) {
    auto [it, inserted] = tx_hashes.try_emplace(block.id);
    if (inserted) {
      it->second.height = block.header.height;
      it->second.hashes.reserve(block.payload->txs.size());
      for (const Bytes& tx : block.payload->txs) it->second.hashes.push_back(Sha256(tx));
    }
    return it->second.hashes;
  }

  // The message layer's tick, every tick_interval_ms() until the node stops.
  void ArmLayerTimer() {
    layer_timer.expires_after(std::chrono::milliseconds(layer->tick_interval_ms()));
    layer_timer.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      layer->OnTick(NowMs());
      ArmLayerTimer();
    });
  }

  // After every input: the round timer, the status snapshot, a halt.
  void AfterInput() {
    const uint64_t now = NowMs();
    ArmTimer(now);
    UpdateMetrics(now);
    UpdateSnapshot();
  }

  // The round timer, set again only when the core's deadline moved (most inputs leave it
  // where it was; setting a timer is a system call).
  void ArmTimer(uint64_t now) {
    const uint64_t deadline = core->deadline_ms();
    if (timer_armed && deadline == timer_deadline) return;
    timer_armed = true;
    timer_deadline = deadline;
    timer.expires_after(std::chrono::milliseconds(deadline > now ? deadline - now : 0));
    timer.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;  // set again meanwhile
      timer_armed = false;
      const Core& c = core->core();
      const Round round = c.current_round();
      const uint64_t timeouts = c.counters().timeouts_sent;
      core->OnTick(NowMs());
      if (c.counters().timeouts_sent > timeouts) LogTimeout(round);
      AfterInput();
    });
  }

  void UpdateSnapshot() {
    std::lock_guard lock(status_mutex);
    const Core& c = core->core();
    const Height committed = c.committed_height();
    if (committed / 100 != snapshot.committed_height / 100) {
      spdlog::info("height {} committed; round {}, leader {}", committed, c.current_round(),
                   election->Leader(c.current_round()));
    }
    if (!core->halted().ok() && snapshot.halted.ok()) {
      spdlog::critical("validator halted: {}", core->halted().ToString());
    }
    const BlockTree& tree = c.tree();
    snapshot.committed_height = committed;
    snapshot.committed_block_id = tree.root()->id;
    snapshot.committed_time_ms = tree.root()->header.timestamp_ms;
    snapshot.executed_height = core->executed_height();
    snapshot.round = c.current_round();
    snapshot.leader = election->Leader(c.current_round());
    snapshot.high_qc_round = tree.high_qc().vote_data.round;
    snapshot.can_sign = core->can_sign();
    snapshot.halted = core->halted();
    snapshot.execution = core->execution_status();
    const CoreStateSizes sizes = c.state_sizes();
    snapshot.catching_up = sizes.missing_blocks > 0 || sizes.fetched_blocks > 0;
  }

  // This validator gave up on `round`: what an operator needs to see why.
  // An idle chain (no transactions, no empty blocks) moves through rounds by timeouts, so
  // those are debug lines; with transactions waiting, a timeout is news.
  void LogTimeout(Round round) {
    const Core& c = core->core();
    const size_t waiting = pool->size();
    spdlog::log(waiting > 0 ? spdlog::level::info : spdlog::level::debug,
                "round {} timed out (leader {}) with {} transactions in the pool: high QC round "
                "{}, committed height {}, executed height {}, proposals held for execution so "
                "far {}",
                round, election->Leader(round), waiting, c.tree().high_qc().vote_data.round,
                c.committed_height(), core->executed_height(),
                c.counters().proposals_waiting_execution);
  }

  // The consensus metrics, from the core's counters (consensus thread).
  void UpdateMetrics(uint64_t now) {
    const Core& c = core->core();
    const CoreCounters& k = c.counters();
    metrics.timeouts.Inc(k.timeouts_sent - counted.timeouts_sent);
    metrics.tcs.Inc(k.tcs_formed - counted.tcs_formed);
    metrics.votes_sent.Inc(k.votes_sent - counted.votes_sent);
    metrics.proposals_sent.Inc(k.proposals_sent - counted.proposals_sent);
    metrics.committed_blocks.Inc(k.blocks_committed - counted.blocks_committed);
    metrics.proposals_waiting_execution.Inc(k.proposals_waiting_execution -
                                            counted.proposals_waiting_execution);
    metrics.evidence_committed.Inc(k.evidence_committed - counted.evidence_committed);
    metrics.evidence_pending.Set(static_cast<int64_t>(core->evidence_pool().size()));
    for (size_t r = 0; r < k.dropped.size(); ++r) {
      if (k.dropped[r] == counted.dropped[r]) continue;
      metrics.invalid_messages.With(DropReasonName(static_cast<DropReason>(r)))
          .Inc(k.dropped[r] - counted.dropped[r]);
    }
    counted = k;
    const Height committed = c.committed_height();
    metrics.height.Set(static_cast<int64_t>(committed));
    metrics.round.Set(static_cast<int64_t>(c.current_round()));
    if (committed > latency_height) {
      latency_height = committed;
      const uint64_t stamp = c.tree().root()->header.timestamp_ms;
      metrics.commit_latency_seconds.Observe(now > stamp ? static_cast<double>(now - stamp) / 1e3
                                                         : 0.0);
    }
  }

  void OnPeerMessage(ValidatorIndex from, network::NetworkMessage message) {
    if (auto* m = std::get_if<Message>(&message)) {
      if (std::holds_alternative<Vote>(*m)) metrics.votes_received.Inc();
      if (std::holds_alternative<Proposal>(*m)) metrics.proposals_received.Inc();
      asio::post(consensus_io, [this, from, m = std::move(*m)] {
        if (layer && !layer->OnReceive(from, m, NowMs())) return;
        core->OnMessage(from, m, NowMs());
        AfterInput();
      });
      return;
    }
    auto batch = std::get<network::TxBatch>(std::move(message));
    asio::post(mempool_io, [this, from, batch = std::move(batch)] {
      bool admitted = false;
      for (const auto& tx : batch.txs) admitted |= pool->Add(*tx, mempool::Sender::Peer(from)).ok();
      AfterAdmission(admitted);
    });
  }

  // After admissions: gossip what clients sent, wake an idle leader.
  void AfterAdmission(bool admitted) {
    std::vector<mempool::GossipTx> gossip = pool->TakeGossip();
    for (size_t i = 0; i < gossip.size(); i += network::kGossipTxsMax) {
      network::TxBatch batch;
      for (size_t j = i; j < gossip.size() && j < i + network::kGossipTxsMax; ++j) {
        batch.txs.push_back(gossip[j].tx);
      }
      net->Broadcast(batch, network::Priority::kGossip);
    }
    for (uint64_t peer : pool->TakePenalties()) {
      spdlog::warn(
          "peer {} sent a flood of transactions the app refuses; its gossip is counted "
          "as invalid",
          peer);
      metrics.invalid_messages.With("invalid_txs").Inc();
    }
    if (pool->TakeBecameNonEmpty() || admitted) NotifyTxsAvailable();
  }

  // Tells a leader that waits for transactions that some may be proposable now. Not only
  // when the pool stops being empty: a pool whose every transaction is in the blocks a
  // proposal extends reaps nothing, so new admissions, and each executed height (which
  // takes a block off the path), may end the wait. Coalesced: one post at a time; a core
  // that is not waiting ignores it.
  void NotifyTxsAvailable() {
    if (txs_available_posted.exchange(true)) return;
    asio::post(consensus_io, [this] {
      txs_available_posted = false;
      core->OnTxsAvailable(NowMs());
      AfterInput();
    });
  }

  // ---- RpcBackend (any thread) ----

  void SubmitTxs(std::vector<Bytes> txs, mempool::Sender from, SubmitCallback done) override {
    asio::post(mempool_io, [this, txs = std::move(txs), from, done = std::move(done)]() mutable {
      std::vector<mempool::AddResult> results;
      results.reserve(txs.size());
      bool admitted = false;
      for (Bytes& tx : txs) {
        results.push_back(pool->Add(std::move(tx), from));
        admitted |= results.back().ok();
      }
      AfterAdmission(admitted);
      done(std::move(results));
    });
  }

  void Query(app::QueryRequest request, QueryCallback done) override {
    asio::post(query_io, [this, request = std::move(request), done = std::move(done)] {
      done(app->Query(request));
    });
  }

  uint64_t WatchTx(const Hash32& hash, CommitCallback on_commit) override {
    return commit_waiters.Watch(hash, std::move(on_commit));
  }
  void UnwatchTx(uint64_t watch_id) override { commit_waiters.Unwatch(watch_id); }

  NodeSnapshot GetStatus() override {
    NodeSnapshot s;
    {
      std::lock_guard lock(status_mutex);
      s = snapshot;
    }
    if (auto hash = store->AppHashAt(s.executed_height)) s.app_hash = *hash;
    s.peers_connected = transport->stats().connected_peers;
    const mempool::MempoolStats pool_stats = pool->stats();
    s.mempool_txs = pool_stats.txs;
    s.mempool_bytes = pool_stats.bytes;
    return s;
  }

  Height CommittedHeight() override { return store->CommittedHeight(); }
  std::shared_ptr<const Block> CommittedBlock(Height height) override {
    auto id = store->CommittedAt(height);
    return id ? store->GetBlock(*id) : nullptr;
  }
  std::optional<storage::TxRecord> Tx(const Hash32& hash) override { return store->GetTx(hash); }
  Height ExecutedHeight() override { return store->ExecutedHeight(); }

  std::string MetricsText() override {
    const mempool::MempoolStats pool_stats = pool->stats();
    metrics.mempool_txs.Set(static_cast<int64_t>(pool_stats.txs));
    metrics.mempool_bytes.Set(static_cast<int64_t>(pool_stats.bytes));
    const network::TransportStats t = transport->stats();
    metrics.peers.Set(t.connected_peers);
    {
      // The transport's refusals: frames it dropped and peers it disconnected, by reason.
      std::lock_guard lock(status_mutex);
      for (size_t r = 0; r < t.drops.size(); ++r) {
        if (t.drops[r] <= transport_drops[r]) continue;
        metrics.invalid_messages.With(network::DropReasonName(static_cast<network::DropReason>(r)))
            .Inc(t.drops[r] - transport_drops[r]);
        transport_drops[r] = t.drops[r];
      }
      for (size_t r = 0; r < t.disconnects.size(); ++r) {
        if (t.disconnects[r] <= transport_disconnects[r]) continue;
        metrics.invalid_messages
            .With(network::DisconnectReasonName(static_cast<network::DisconnectReason>(r)))
            .Inc(t.disconnects[r] - transport_disconnects[r]);
        transport_disconnects[r] = t.disconnects[r];
      }
    }
    return metrics.registry.Render();
  }

  Result<network::FaultConfig> Faults(const std::optional<network::FaultConfig>& change) override {
    if (!faulty) {
      return Status::FailedPrecondition(
          "fault injection is off: start the node with [faults] enabled = true or [rpc] admin = "
          "true in config.toml");
    }
    if (change) {
      for (ValidatorIndex v : change->partitioned) {
        if (v >= validators.size() || v == self) {
          return Status::InvalidArgument(
              "partition: " + std::to_string(v) + " is not another validator (0.." +
              std::to_string(validators.size() - 1) + ", not " + std::to_string(self) + ")");
        }
      }
      if (Status s = faulty->Configure(*change); !s.ok()) return s;
      spdlog::warn("fault injection {}: drop {}, duplicate {}, delay {}..{} ms, {} peers cut off",
                   change->enabled ? "on" : "off", change->drop_probability,
                   change->duplicate_probability, change->delay_ms_min, change->delay_ms_max,
                   change->partitioned.size());
    }
    return faulty->config();
  }

  // Any thread: the pool is thread-safe, and the store's getters may run alongside writes.
  Result<EvidenceReport> ListEvidence(Round round_min, size_t committed_max) override {
    EvidenceReport report;
    for (PendingEvidence& p : core->evidence_pool().Pending()) {
      report.pending.push_back(EvidenceRecord{p.key, std::nullopt, std::move(p.canonical)});
    }
    auto committed = store->ListEvidence(genesis.epoch, round_min, committed_max);
    if (!committed.ok()) return committed.status().With("reading the committed evidence");
    for (storage::StoredEvidence& e : *committed) {
      report.committed.push_back(EvidenceRecord{e.key, e.height, std::move(e.evidence)});
    }
    return report;
  }

  // The message layer, given a signer of its own over the node key (no safety rules).
  // `peers`: the transport's addresses by validator index (empty host: not configured).
  Status OpenLayer(const MessageLayerFactory& factory, const KeyFile& key,
                   const std::vector<network::PeerAddress>& peers) {
    MessageLayerEnv env;
    env.self = self;
    env.validators = &validators;
    env.chain_id = genesis.chain_id;
    env.epoch = genesis.epoch;
    for (const network::PeerAddress& peer : peers) {
      env.peer_addresses.push_back(peer.host.empty() ? std::string()
                                                     : peer.host + ":" + std::to_string(peer.port));
    }
    env.frame_bytes_max = static_cast<uint32_t>(config.p2p_frame_bytes_max);
    auto signer =
        MakeSigner(key.scheme, SecretKey(key.secret_key.bytes()), std::make_unique<SystemRandom>());
    if (!signer.ok()) return signer.status();
    env.signer = std::move(signer).value();
    env.core = &core->core();
    env.net = net;
    auto made = factory(std::move(env));
    if (!made.ok()) return made.status().With("making the message layer");
    layer = std::move(made).value();
    HOTBFT_ASSERT(layer != nullptr);
    HOTBFT_ASSERT(layer->tick_interval_ms() > 0);
    return Status::Ok();
  }

  void RecheckLoop() {
    // Background work: below consensus, execution and admission when the CPU is short. A
    // recheck that falls behind checks less often (a commit makes every transaction due
    // again), never blocks a commit.
    if (setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), kRecheckNice) != 0) {
      spdlog::debug("recheck thread: setpriority failed; it runs at the node's priority");
    }
    for (;;) {
      {
        std::unique_lock lock(recheck_mutex);
        recheck_cv.wait(lock, [&] { return stopping || recheck_due; });
        if (stopping) return;
        recheck_due = false;
      }
      while (pool->Recheck(1'000) > 0) {
        std::lock_guard lock(recheck_mutex);
        if (stopping) return;
      }
    }
  }
};

ValidatorNode::ValidatorNode(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ValidatorNode::~ValidatorNode() {
  Stop();
}

Result<std::unique_ptr<ValidatorNode>> ValidatorNode::Open(const ValidatorNodeOptions& options) {
  auto impl = std::make_unique<Impl>();
  Impl& n = *impl;
  const HomePaths paths = PathsOf(options.home);
  auto config = LoadConfig(paths.config);
  if (!config.ok()) return config.status();
  n.config = std::move(config).value();
  if (!options.app.empty()) n.config.app = options.app;
  auto genesis = LoadGenesis(paths.genesis);
  if (!genesis.ok()) return genesis.status();
  n.genesis = std::move(genesis).value();
  auto validators = n.genesis.Validators();
  if (!validators.ok()) return validators.status();
  n.validators = std::move(validators).value();
  auto key = LoadKeyFile(paths.key);
  if (!key.ok()) return key.status();
  auto self = n.validators.IndexOf(key->public_key);
  if (!self) {
    return Status::FailedPrecondition("the key in " + paths.key + " (" + key->public_key.hex() +
                                      ") is not a validator of chain " + n.genesis.chain_id + " (" +
                                      paths.genesis + ")");
  }
  n.self = *self;
  n.election = std::make_unique<RoundRobinElection>(n.validators.size());

  storage::RocksStoreOptions store_options;
  store_options.sync = n.config.storage_sync;
  auto block = n.genesis.GenesisBlock();
  auto store = storage::OpenRocksStore(paths.store, n.genesis.chain_id, block,
                                       MakeGenesisQC(*block), store_options);
  if (!store.ok()) return store.status().With("opening the store");
  n.store = std::move(store).value();
  auto app = app::OpenApp(n.config.app, paths.app_data, options.version);
  if (!app.ok()) return app.status().With("opening the app " + n.config.app);
  n.app = std::move(app).value();
  auto info = n.app->Info();
  if (!info.ok()) return info.status().With("asking the app " + n.config.app + " for its info");
  mempool::MempoolConfig pool_config = MempoolConfigOf(n.config);
  pool_config.recheck = !info->check_tx_stateless;
  spdlog::info("app {} {}: mempool recheck after commits {}", info->app_name, info->app_version,
               pool_config.recheck ? "on" : "off (its CheckTx is stateless)");
  storage::Store* store_ptr = n.store.get();
  n.pool = std::make_unique<mempool::Mempool>(pool_config, *n.app, [store_ptr](const Hash32& hash) {
    return store_ptr->GetTx(hash).has_value();
  });

  NodeCoreConfig core_config;
  core_config.core = CoreConfigOf(n.config, n.genesis);
  core_config.self = n.self;
  core_config.execution.chain_id = n.genesis.chain_id;
  for (const GenesisValidator& v : n.genesis.validators) {
    core_config.execution.validators.push_back(
        app::ValidatorUpdate{Bytes(v.public_key.bytes.begin(), v.public_key.bytes.end()), 1});
  }
  core_config.execution.app_state = n.genesis.app_state;
  core_config.threads = true;
  auto signer =
      MakeSigner(key->scheme, SecretKey(key->secret_key.bytes()), std::make_unique<SystemRandom>());
  if (!signer.ok()) return signer.status();
  NodeCoreDeps deps{
      &n.validators, &VerifierFor(key->scheme), n.election.get(), n.store.get(), n.app.get(), &n};
  auto core = NodeCore::Open(core_config, deps, std::move(signer).value());
  if (!core.ok()) return core.status();
  n.core = std::move(core).value();
  n.pool_height = n.core->executed_height();

  network::TransportConfig transport;
  transport.chain_id = n.genesis.chain_id;
  const network::PeerAddress listen = ParseAddress(n.config.p2p_listen);
  transport.listen_host = listen.host;
  transport.listen_port = listen.port;
  transport.frame_bytes_max = static_cast<uint32_t>(n.config.p2p_frame_bytes_max);
  transport.peers.resize(n.validators.size());
  for (const std::string& peer : n.config.p2p_peers) {
    const size_t at = peer.find('@');
    auto peer_key = PublicKey::FromHex(peer.substr(0, at));
    auto index = peer_key.ok() ? n.validators.IndexOf(PublicKey{*peer_key}) : std::nullopt;
    if (!index) {
      return Status::InvalidArgument("config " + paths.config + ": p2p.peers: " + peer +
                                     " is not a validator of chain " + n.genesis.chain_id);
    }
    transport.peers[*index] = ParseAddress(peer.substr(at + 1));
  }
  auto handshake_signer =
      MakeSigner(key->scheme, SecretKey(key->secret_key.bytes()), std::make_unique<SystemRandom>());
  if (!handshake_signer.ok()) return handshake_signer.status();
  n.transport = std::make_unique<network::Transport>(transport, n.validators, n.self,
                                                     std::move(handshake_signer).value(),
                                                     std::make_unique<SystemRandom>());
  n.net = n.transport.get();
  if (n.config.faults_enabled || n.config.rpc_admin) {
    network::Transport* t = n.transport.get();
    const uint64_t seed = SystemRandom().NextU64();
    n.faulty = std::make_unique<network::FaultyNetwork>(
        *t,
        [t](uint32_t delay_ms, std::function<void()> fn) { t->RunAfter(delay_ms, std::move(fn)); },
        n.validators.size(), n.self, seed);
    network::FaultConfig faults;
    faults.enabled = n.config.faults_enabled;
    faults.drop_probability = n.config.faults_drop_probability;
    faults.duplicate_probability = n.config.faults_duplicate_probability;
    faults.delay_ms_min = static_cast<uint32_t>(n.config.faults_delay_ms_min);
    faults.delay_ms_max = static_cast<uint32_t>(n.config.faults_delay_ms_max);
    faults.partitioned.insert(n.config.faults_partitioned.begin(),
                              n.config.faults_partitioned.end());
    if (auto applied = n.Faults(faults); !applied.ok()) {
      return applied.status().With("config " + paths.config + ": [faults]");
    }
    n.net = n.faulty.get();
  }
  if (options.message_layer) {
    if (Status s = n.OpenLayer(options.message_layer, *key, transport.peers); !s.ok()) return s;
  }
  {
    std::lock_guard lock(n.status_mutex);
    NodeSnapshot& s = n.snapshot;
    s.moniker = n.config.moniker;
    s.chain_id = n.genesis.chain_id;
    s.version = options.version;
    s.validator_index = n.self;
    const PublicKey& own = n.validators.key(n.self);
    s.public_key.assign(own.bytes.begin(), own.bytes.end());
    for (const PublicKey& k : n.validators.keys())
      s.validators.emplace_back(k.bytes.begin(), k.bytes.end());
    s.peers_total = n.validators.size() - 1;
  }

  RpcServerConfig rpc;
  rpc.listen = n.config.rpc_listen;
  rpc.commit_timeout_ms = n.config.rpc_broadcast_commit_timeout_ms;
  rpc.admin = n.config.rpc_admin;
  n.rpc = std::make_unique<RpcServer>(rpc, n, &n.metrics);
  ClientPortConfig port;
  port.listen = n.config.rpc_client_listen;
  port.frame_bytes_max = static_cast<uint32_t>(n.config.p2p_frame_bytes_max);
  n.client_port = std::make_unique<ClientPort>(port, n, &n.metrics);
  return std::unique_ptr<ValidatorNode>(new ValidatorNode(std::move(impl)));
}

Status ValidatorNode::Start() {
  Impl& n = *impl_;
  HOTBFT_ASSERT(!n.running);
  network::InboundHandler handler = [&n](ValidatorIndex from, network::NetworkMessage m) {
    n.OnPeerMessage(from, std::move(m));
  };
  if (n.faulty) handler = n.faulty->WrapInbound(std::move(handler));
  Status started = n.transport->Start(std::move(handler));
  if (!started.ok()) return started.With("starting the p2p transport on " + n.config.p2p_listen);
  n.running = true;
  n.consensus_thread = std::thread([&n] {
    SetThreadName("consensus");
    n.consensus_io.run();
  });
  n.mempool_thread = std::thread([&n] {
    SetThreadName("mempool");
    n.mempool_io.run();
  });
  n.query_thread = std::thread([&n] {
    SetThreadName("query");
    n.query_io.run();
  });
  n.recheck_thread = std::thread([&n] {
    SetThreadName("recheck");
    n.RecheckLoop();
  });
  asio::post(n.consensus_io, [&n] {
    n.core->Start(NowMs());
    n.AfterInput();
    if (n.layer) n.ArmLayerTimer();
  });
  if (Status s = n.rpc->Start(); !s.ok()) {
    Stop();
    return s.With("starting the HTTP RPC on " + n.config.rpc_listen + " (config [rpc] listen)");
  }
  if (Status s = n.client_port->Start(); !s.ok()) {
    Stop();
    return s.With("starting the client port on " + n.config.rpc_client_listen +
                  " (config [rpc] client_listen)");
  }
  spdlog::info("validator {} of {} ({}) on chain {}: p2p {}, rpc http://{}, client port {}", n.self,
               n.validators.size(), n.config.moniker, n.genesis.chain_id, n.config.p2p_listen,
               n.config.rpc_listen, n.config.rpc_client_listen);
  return Status::Ok();
}

void ValidatorNode::Stop() {
  Impl& n = *impl_;
  if (!n.running) return;
  n.running = false;
  // Clients first: nothing new comes in while the rest stops.
  n.rpc->Stop();
  n.client_port->Stop();
  n.transport->Stop();
  {
    std::lock_guard lock(n.recheck_mutex);
    n.stopping = true;
  }
  n.recheck_cv.notify_all();
  n.mempool_work.reset();
  n.mempool_io.stop();
  n.consensus_work.reset();
  n.consensus_io.stop();
  n.query_work.reset();
  n.query_io.stop();
  if (n.consensus_thread.joinable()) n.consensus_thread.join();
  if (n.mempool_thread.joinable()) n.mempool_thread.join();
  if (n.query_thread.joinable()) n.query_thread.join();
  if (n.recheck_thread.joinable()) n.recheck_thread.join();
  n.layer.reset();  // it reads the core
  // The node core's destructor joins its storage writer (finishing a write in progress)
  // and executor; what was only queued is dropped, as a crash would (nothing was sent on
  // its account).
  n.core.reset();
  spdlog::info("validator {} stopped", n.self);
}

mempool::AddResult ValidatorNode::SubmitTx(Bytes tx, uint64_t client_id) {
  mempool::AddResult result = impl_->pool->Add(std::move(tx), mempool::Sender::Client(client_id));
  if (result.ok() && impl_->running) impl_->AfterAdmission(true);
  return result;
}

NodeSnapshot ValidatorNode::status() const {
  return impl_->GetStatus();
}

RpcBackend& ValidatorNode::backend() {
  return *impl_;
}

uint16_t ValidatorNode::rpc_port() const {
  return impl_->rpc->port();
}

uint16_t ValidatorNode::client_port() const {
  return impl_->client_port->port();
}

const NodeConfig& ValidatorNode::config() const {
  return impl_->config;
}

const storage::Store& ValidatorNode::store() const {
  return *impl_->store;
}

}  // namespace hotbft::node
