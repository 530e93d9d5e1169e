// NodeCluster: n validators' node cores (everything but the network) on their own RocksDB
// directories, each with its kvstore app, joined by a simulated network on a virtual clock
// with 1 ms steps. Deterministic from the seed without threads: message delays, the gaps
// before a node core's Poll (a crash in such a gap loses the writes not yet carried out),
// the transactions and the crash points all come from it.
//
// Checks as it runs: no validator ever signs two conflicting messages (across restarts), and
// every validator reports the same app hash at every height it executes. A violation is
// recorded, not asserted, so a test can also show them firing.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "app/kvstore.h"
#include "consensus/leader_election.h"
#include "crypto/random.h"
#include "node/node_core.h"
#include "storage/rocks_store.h"
#include "tests/consensus/fixtures.h"
#include "tests/sim/checkers.h"

namespace hotbft::node::testing {

struct ClusterOptions {
  uint32_t validators = 4;
  uint64_t seed = 1;
  bool threads = false;
  uint64_t delay_ms_min = 1;  // network delay of a message
  uint64_t delay_ms_max = 10;
  uint64_t poll_gap_ms_max = 3;  // a node core's Poll comes 1..this after work appears
  uint32_t txs_per_block = 4;
  // One payload in this many repeats a transaction committed earlier (it must execute as a
  // duplicate).
  uint32_t repeat_every = 7;
  // Sync RocksDB writes. The crashes here end the process's use of the files, not the
  // machine, so what a write handed to the OS survives either way; off keeps the test fast.
  bool sync = false;
};

class NodeCluster {
 public:
  // Makes validator i's application; by default the kvstore in `dir`.
  using AppFactory =
      std::function<Result<std::unique_ptr<app::Application>>(uint32_t i, const std::string& dir)>;

  NodeCluster(ClusterOptions options, std::string root)
      : options_(options),
        root_(std::move(root)),
        fx_(options.validators, options.seed, SignatureScheme::kSchnorrBip340),
        election_(options.validators),
        rng_(options.seed),
        nodes_(options.validators),
        checker_(options.validators) {
    for (uint32_t i = 0; i < options.validators; ++i) nodes_[i].output.cluster = this;
    for (uint32_t i = 0; i < options.validators; ++i) nodes_[i].output.self = i;
  }

  void set_app_factory(AppFactory factory) { app_factory_ = std::move(factory); }

  std::string StoreDir(uint32_t i) const { return root_ + "/v" + std::to_string(i) + "/store"; }
  std::string AppDir(uint32_t i) const { return root_ + "/v" + std::to_string(i) + "/app"; }

  // Opens validator i's store, app and node core, and starts it. `init_safety`: the
  // operator's explicit initialisation of a new validator's safety data.
  Status Start(uint32_t i, bool init_safety) {
    Node& n = nodes_.at(i);
    HOTBFT_ASSERT(!n.core);
    std::filesystem::create_directories(root_ + "/v" + std::to_string(i));
    storage::RocksStoreOptions store_options;
    store_options.sync = options_.sync;
    auto store = storage::OpenRocksStore(StoreDir(i), hotbft::testing::kChainId, fx_.genesis(),
                                         fx_.genesis_qc(), store_options);
    if (!store.ok()) return store.status();
    n.store = std::move(store).value();
    if (init_safety) {
      if (Status s = InitializeSafety(*n.store, 0); !s.ok()) {
        n.store.reset();
        return s;
      }
    }
    auto app = app_factory_ ? app_factory_(i, AppDir(i)) : OpenKvStore(AppDir(i));
    if (!app.ok()) {
      n.store.reset();
      return app.status();
    }
    n.app = std::move(app).value();
    NodeCoreConfig config;
    config.core.chain_id = hotbft::testing::kChainId;
    config.core.round_timeout_base_ms = 500;
    config.core.empty_block_interval_ms = 100;
    config.self = i;
    config.execution.chain_id = hotbft::testing::kChainId;
    for (const PublicKey& key : fx_.validators().keys()) {
      config.execution.validators.push_back(
          app::ValidatorUpdate{Bytes(key.bytes.begin(), key.bytes.end()), 1});
    }
    config.threads = options_.threads;
    config.app_retry_ms_min = 20;
    config.app_retry_ms_max = 200;
    NodeCoreDeps deps{&fx_.validators(), &fx_.verifier(), &election_,
                      n.store.get(),     n.app.get(),     &n.output};
    ++n.incarnation;
    auto core = NodeCore::Open(config, deps,
                               fx_.MakeValidatorSigner(i, options_.seed * 1000 + n.incarnation));
    if (!core.ok()) {
      n.app.reset();
      n.store.reset();
      return core.status();
    }
    n.core = std::move(core).value();
    n.core->Start(now_);
    AfterInput(i);
    return Status::Ok();
  }

  // Ends validator i at once, as a crash would: what its node core had not yet carried
  // out is lost; messages in flight to it are dropped.
  void Crash(uint32_t i) {
    Node& n = nodes_.at(i);
    if (n.core && !n.core->idle()) ++crashes_losing_work_;
    n.core.reset();
    n.app.reset();
    n.store.reset();
    n.payload_requests.clear();
  }

  bool up(uint32_t i) const { return nodes_.at(i).core != nullptr; }
  NodeCore& core(uint32_t i) { return *nodes_.at(i).core; }
  storage::Store& store(uint32_t i) { return *nodes_.at(i).store; }
  app::Application& app(uint32_t i) { return *nodes_.at(i).app; }
  uint64_t now() const { return now_; }
  const std::vector<std::string>& violations() const { return violations_; }
  // Signed messages (proposals, votes, timeouts) validator i sent, in all its lives.
  uint64_t signed_sent(uint32_t i) const { return nodes_.at(i).signed_sent; }
  uint64_t duplicates_executed() const { return duplicates_executed_; }
  // Crashes that came while writes or executions were queued (and were lost).
  uint64_t crashes_losing_work() const { return crashes_losing_work_; }
  // Every app hash reported, by height.
  const std::map<Height, Bytes>& app_hashes() const { return app_hashes_; }

  // Advances the virtual clock to `until_ms`, 1 ms at a time.
  void RunUntil(uint64_t until_ms) {
    while (now_ < until_ms) Step();
  }

  // Runs until `done` holds or `until_ms` passes; returns whether `done` held.
  bool RunUntil(uint64_t until_ms, const std::function<bool()>& done) {
    while (now_ < until_ms) {
      if (done()) return true;
      Step();
    }
    return done();
  }

  SeededRandom& rng() { return rng_; }
  hotbft::testing::Fixture& fixture() { return fx_; }

  // Delivers `message` from `from` to `to` after the usual delay, outside the double-sign
  // checker: what a Byzantine validator (holding `from`'s key) sends of its own.
  void Inject(uint32_t from, uint32_t to, Message message) {
    const uint64_t at = now_ + Uniform(options_.delay_ms_min, options_.delay_ms_max);
    in_flight_.emplace(std::make_pair(at, seq_++), InFlight{from, to, std::move(message)});
  }

  // The "misbehaviour" block events validator i's app returned (kvstore reports each piece
  // of evidence it was handed so), with their heights, in all its lives.
  const std::vector<std::pair<Height, app::Event>>& misbehaviour(uint32_t i) const {
    return nodes_.at(i).misbehaviour;
  }

 private:
  struct Output final : NodeOutput {
    NodeCluster* cluster = nullptr;
    uint32_t self = 0;
    void Send(uint32_t to, const Message& message) override { cluster->OnSend(self, to, message); }
    void Broadcast(const Message& message) override {
      for (uint32_t to = 0; to < cluster->nodes_.size(); ++to) {
        if (to != self) cluster->OnSend(self, to, message);
      }
    }
    void RequestPayload(const RequestPayloadAction& request) override {
      cluster->nodes_[self].payload_requests.push_back(request.round);
    }
    void Executed(const Block& block, const ExecutedBlock& result) override {
      cluster->OnExecuted(self, block, result);
    }
  };
  struct Node {
    Output output;
    std::unique_ptr<storage::Store> store;
    std::unique_ptr<app::Application> app;
    std::unique_ptr<NodeCore> core;
    uint32_t incarnation = 0;
    uint64_t poll_at = 0;  // 0: none scheduled
    std::vector<Round> payload_requests;
    uint64_t signed_sent = 0;
    std::vector<std::pair<Height, app::Event>> misbehaviour;
  };
  struct InFlight {
    uint32_t from = 0;
    uint32_t to = 0;
    Message message;
  };

  static Result<std::unique_ptr<app::Application>> OpenKvStore(const std::string& dir) {
    auto kv = app::KvStore::Open(dir);
    if (!kv.ok()) return kv.status();
    return std::unique_ptr<app::Application>(std::move(kv).value());
  }

  uint64_t Uniform(uint64_t lo, uint64_t hi) { return lo + rng_.Next() % (hi - lo + 1); }

  void OnSend(uint32_t from, uint32_t to, const Message& message) {
    if (std::holds_alternative<Proposal>(message) || std::holds_alternative<Vote>(message) ||
        std::holds_alternative<Timeout>(message)) {
      ++nodes_[from].signed_sent;
    }
    if (auto v = checker_.OnSend(from, message)) {
      violations_.push_back(v->checker + ": " + v->message);
    }
    const uint64_t at = now_ + Uniform(options_.delay_ms_min, options_.delay_ms_max);
    in_flight_.emplace(std::make_pair(at, seq_++), InFlight{from, to, message});
  }

  void OnExecuted(uint32_t i, const Block& block, const ExecutedBlock& result) {
    for (const auto& r : result.tx_results) {
      if (r.code == app::kCodeDuplicate) ++duplicates_executed_;
    }
    for (const app::Event& e : result.events) {
      if (e.type == "misbehaviour") nodes_[i].misbehaviour.emplace_back(result.height, e);
    }
    auto [it, inserted] = app_hashes_.emplace(result.height, result.app_hash);
    if (!inserted && it->second != result.app_hash) {
      violations_.push_back("app-hash: validator " + std::to_string(i) + " has " +
                            ToHex(result.app_hash) + " at height " + std::to_string(result.height) +
                            ", another has " + ToHex(it->second));
    }
    (void)block;
  }

  std::shared_ptr<const Payload> MakePayload() {
    auto payload = std::make_shared<Payload>();
    for (uint32_t k = 0; k < options_.txs_per_block; ++k) {
      const uint64_t c = next_tx_++;
      const std::string tx = "k" + std::to_string(c % 64) + "=v" + std::to_string(c);
      payload->txs.emplace_back(tx.begin(), tx.end());
    }
    if (options_.repeat_every > 0 && next_tx_ > options_.txs_per_block * 8 &&
        Uniform(1, options_.repeat_every) == 1) {
      // A transaction of some earlier payload: it commits at most once.
      const uint64_t c = Uniform(0, next_tx_ - options_.txs_per_block * 8);
      const std::string tx = "k" + std::to_string(c % 64) + "=v" + std::to_string(c);
      payload->txs.emplace_back(tx.begin(), tx.end());
    }
    return payload;
  }

  void AfterInput(uint32_t i) {
    Node& n = nodes_[i];
    if (!n.core || n.poll_at != 0 || !n.core->has_work()) return;
    uint64_t at = now_ + Uniform(1, options_.poll_gap_ms_max);
    if (!options_.threads) at = std::max(at, n.core->next_retry_ms());
    n.poll_at = at;
  }

  void Step() {
    ++now_;
    // Messages due now, in the order sent.
    while (!in_flight_.empty() && in_flight_.begin()->first.first <= now_) {
      InFlight m = std::move(in_flight_.begin()->second);
      in_flight_.erase(in_flight_.begin());
      if (!up(m.to)) continue;
      nodes_[m.to].core->OnMessage(m.from, m.message, now_);
      AfterInput(m.to);
    }
    for (uint32_t i = 0; i < nodes_.size(); ++i) {
      Node& n = nodes_[i];
      if (!n.core) continue;
      if (n.core->deadline_ms() <= now_) {
        n.core->OnTick(now_);
        AfterInput(i);
      }
      if (options_.threads) WaitIdle(i);
      if (n.poll_at != 0 && n.poll_at <= now_) {
        n.poll_at = 0;
        n.core->Poll(now_);
        AfterInput(i);
      }
      while (!n.payload_requests.empty()) {
        const Round round = n.payload_requests.front();
        n.payload_requests.erase(n.payload_requests.begin());
        n.core->OnPayloadReady(round, MakePayload(), now_);
        AfterInput(i);
      }
    }
  }

  // Threads: gives the workers a moment to finish what is queued, so runs stay close to
  // the inline ones (a test of the threaded path, not of its timing).
  void WaitIdle(uint32_t i) {
    Node& n = nodes_[i];
    for (int k = 0; k < 200 && !n.core->idle(); ++k) {
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    if (n.core->has_work() && n.poll_at == 0) n.poll_at = now_;
  }

  const ClusterOptions options_;
  const std::string root_;
  hotbft::testing::Fixture fx_;
  RoundRobinElection election_;
  SeededRandom rng_;
  AppFactory app_factory_;
  std::vector<Node> nodes_;
  sim::DoubleSignChecker checker_;
  std::vector<std::string> violations_;
  std::map<Height, Bytes> app_hashes_;
  std::map<std::pair<uint64_t, uint64_t>, InFlight> in_flight_;
  uint64_t seq_ = 0;
  uint64_t now_ = 0;
  uint64_t next_tx_ = 0;
  uint64_t duplicates_executed_ = 0;
  uint64_t crashes_losing_work_ = 0;
};

}  // namespace hotbft::node::testing
