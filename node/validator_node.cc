#include "node/validator_node.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "app/samples.h"
#include "consensus/leader_election.h"
#include "crypto/key_file.h"
#include "crypto/random.h"
#include "crypto/sha256.h"
#include "network/transport.h"
#include "node/genesis.h"
#include "node/home.h"
#include "storage/rocks_store.h"

namespace hotbft::node {
namespace asio = boost::asio;

namespace {

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

class ValidatorNode::Impl final : public NodeOutput {
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

  asio::io_context consensus_io;
  asio::executor_work_guard<asio::io_context::executor_type> consensus_work{
      consensus_io.get_executor()};
  asio::steady_timer timer{consensus_io};
  std::thread consensus_thread;
  asio::io_context mempool_io;
  asio::executor_work_guard<asio::io_context::executor_type> mempool_work{
      mempool_io.get_executor()};
  std::thread mempool_thread;
  std::atomic<bool> poll_posted{false};
  bool running = false;

  // The recheck thread.
  std::thread recheck_thread;
  std::mutex recheck_mutex;
  std::condition_variable recheck_cv;
  bool recheck_due = false;
  bool stopping = false;

  mutable std::mutex status_mutex;
  NodeStatus snapshot;

  // ---- NodeOutput (the consensus thread, except Wake) ----

  void Send(uint32_t to, const Message& message) override {
    transport->Send(to, message, network::Priority::kConsensus);
  }
  void Broadcast(const Message& message) override {
    transport->Broadcast(message, network::Priority::kConsensus);
  }
  void RequestPayload(const RequestPayloadAction& request) override {
    // Leaves out the transactions of the uncommitted blocks the new block extends.
    mempool::HashSet exclude;
    const BlockTree& tree = core->core().tree();
    for (auto block = tree.Get(tree.high_qc().vote_data.block_id);
         block && block->id != tree.root()->id; block = tree.Get(block->header.parent_id)) {
      for (const Bytes& tx : block->payload->txs) exclude.insert(Sha256(tx));
    }
    std::shared_ptr<const Payload> payload =
        pool->Reap(request.bytes_max, request.txs_max, exclude);
    const Round round = request.round;
    asio::post(consensus_io, [this, round, payload] {
      core->OnPayloadReady(round, payload, NowMs());
      AfterInput();
    });
  }
  void Executed(const Block& block, const ExecutedBlock& result) override {
    pool->Update(result.tx_hashes);
    {
      std::lock_guard lock(recheck_mutex);
      recheck_due = true;
    }
    recheck_cv.notify_one();
    if (!block.payload->txs.empty()) {
      spdlog::debug("height {}: executed {} transactions, app hash {}", result.height,
                    result.tx_results.size(), ToHex(result.app_hash));
    }
  }
  void NewEvidence(const Evidence& evidence) override {
    (void)evidence;
    spdlog::warn("recorded evidence of equivocation");
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

  // After every input: the round timer, the status snapshot, a halt.
  void AfterInput() {
    const uint64_t deadline = core->deadline_ms();
    const uint64_t now = NowMs();
    timer.expires_after(std::chrono::milliseconds(deadline > now ? deadline - now : 0));
    timer.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      core->OnTick(NowMs());
      AfterInput();
    });
    std::lock_guard lock(status_mutex);
    const Core& c = core->core();
    const Height committed = c.committed_height();
    if (committed != snapshot.committed_height && committed % 100 == 0) {
      spdlog::info("height {} committed; round {}, leader {}", committed, c.current_round(),
                   election->Leader(c.current_round()));
    }
    snapshot.committed_height = committed;
    snapshot.executed_height = core->executed_height();
    snapshot.round = c.current_round();
    snapshot.leader = election->Leader(c.current_round());
    snapshot.can_sign = core->can_sign();
    snapshot.halted = core->halted();
    snapshot.execution = core->execution_status();
  }

  void OnPeerMessage(ValidatorIndex from, network::NetworkMessage message) {
    if (auto* m = std::get_if<Message>(&message)) {
      asio::post(consensus_io, [this, from, m = std::move(*m)] {
        core->OnMessage(from, m, NowMs());
        AfterInput();
      });
      return;
    }
    auto batch = std::get<network::TxBatch>(std::move(message));
    asio::post(mempool_io, [this, from, batch = std::move(batch)] {
      for (const auto& tx : batch.txs) pool->Add(*tx, mempool::Sender::Peer(from));
      AfterAdmission();
    });
  }

  // After admissions: gossip what clients sent, wake an idle leader.
  void AfterAdmission() {
    std::vector<mempool::GossipTx> gossip = pool->TakeGossip();
    for (size_t i = 0; i < gossip.size(); i += network::kGossipTxsMax) {
      network::TxBatch batch;
      for (size_t j = i; j < gossip.size() && j < i + network::kGossipTxsMax; ++j) {
        batch.txs.push_back(gossip[j].tx);
      }
      transport->Broadcast(batch, network::Priority::kGossip);
    }
    if (pool->TakeBecameNonEmpty()) {
      asio::post(consensus_io, [this] {
        core->OnTxsAvailable(NowMs());
        AfterInput();
      });
    }
  }

  void RecheckLoop() {
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
  storage::Store* store_ptr = n.store.get();
  n.pool = std::make_unique<mempool::Mempool>(
      MempoolConfigOf(n.config), *n.app,
      [store_ptr](const Hash32& hash) { return store_ptr->GetTx(hash).has_value(); });

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
  {
    std::lock_guard lock(n.status_mutex);
    n.snapshot.moniker = n.config.moniker;
    n.snapshot.chain_id = n.genesis.chain_id;
    n.snapshot.self = n.self;
    n.snapshot.validators = n.validators.size();
  }
  return std::unique_ptr<ValidatorNode>(new ValidatorNode(std::move(impl)));
}

Status ValidatorNode::Start() {
  Impl& n = *impl_;
  HOTBFT_ASSERT(!n.running);
  Status started = n.transport->Start([&n](ValidatorIndex from, network::NetworkMessage m) {
    n.OnPeerMessage(from, std::move(m));
  });
  if (!started.ok()) return started.With("starting the p2p transport on " + n.config.p2p_listen);
  n.running = true;
  n.consensus_thread = std::thread([&n] { n.consensus_io.run(); });
  n.mempool_thread = std::thread([&n] { n.mempool_io.run(); });
  n.recheck_thread = std::thread([&n] { n.RecheckLoop(); });
  asio::post(n.consensus_io, [&n] {
    n.core->Start(NowMs());
    n.AfterInput();
  });
  spdlog::info("validator {} of {} ({}) on chain {}: p2p {}", n.self, n.validators.size(),
               n.config.moniker, n.genesis.chain_id, n.config.p2p_listen);
  return Status::Ok();
}

void ValidatorNode::Stop() {
  Impl& n = *impl_;
  if (!n.running) return;
  n.running = false;
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
  if (n.consensus_thread.joinable()) n.consensus_thread.join();
  if (n.mempool_thread.joinable()) n.mempool_thread.join();
  if (n.recheck_thread.joinable()) n.recheck_thread.join();
  // The node core's destructor joins its storage writer (finishing a write in progress)
  // and executor; what was only queued is dropped, as a crash would (nothing was sent on
  // its account).
  n.core.reset();
  spdlog::info("validator {} stopped", n.self);
}

mempool::AddResult ValidatorNode::SubmitTx(Bytes tx, uint64_t client_id) {
  mempool::AddResult result = impl_->pool->Add(std::move(tx), mempool::Sender::Client(client_id));
  if (result.ok() && impl_->running) impl_->AfterAdmission();
  return result;
}

NodeStatus ValidatorNode::status() const {
  std::lock_guard lock(impl_->status_mutex);
  NodeStatus s = impl_->snapshot;
  s.connected_peers = impl_->transport->stats().connected_peers;
  if (auto hash = impl_->store->AppHashAt(s.executed_height)) s.last_app_hash = *hash;
  return s;
}

const NodeConfig& ValidatorNode::config() const {
  return impl_->config;
}

const storage::Store& ValidatorNode::store() const {
  return *impl_->store;
}

}  // namespace hotbft::node
