// The live fault suite: real validator processes (cluster.h) under a steady load from the
// load generator (bench/load_generator.h), each case on a fresh 4-validator kvstore testnet:
//
//   KillRandomValidator      SIGKILL of a validator every few seconds (every other time the
//                            current leader), restarted two seconds later, for a minute
//   PartitionOneValidator    one validator cut off from the other three for 10 s through the
//                            fault injection (the unsafe_faults admin RPC), then healed
//   WholeClusterCrash        all four SIGKILLed at once, then restarted
//   ByzantineFault/*         one validator restarted as hotbft-byzantine --misbehave STRATEGY
//                            for 8 s, one case per strategy (equivocate, double-vote,
//                            withhold-votes, invalid-signatures, forge-qc, replay-old,
//                            timeout-spam, fork-from-old-qc, silent, flood), then restarted
//                            honest; the other three commit throughout
//   EndChecksFireOnDoctoredStores
//                            a short clean run whose stores pass every end check, then three
//                            doctored copies of one store, each failing its check: a block id
//                            changed at one height, an acknowledged transaction deleted, an app
//                            hash changed at one height (RocksDB edited directly); and load
//                            samples with no commits after a fault fail the recovery check
//
// At the end of each run (end_checks.h): once the load has drained and the honest validators
// settled, they are stopped and their stores must hold one committed chain, the same app
// hashes, and every transaction the load generator was told is committed; and the committed
// rate in a window after the fault ended must reach kRecoveredShare of the offered rate.
// Each run prints one "fault-summary" line: committed rate before, during and after the
// fault, latencies, errors by kind.
//
// Run alone:
//   ctest --test-dir BUILD -L faults
//   BUILD/bin/fault_test [--gtest_filter=*Partition*]
// Environment: HOTBFT_FAULTS_LONG=1 runs the long version (the kill phase five minutes, the
// partition and each Byzantine strategy a minute); HOTBFT_FAULTS_SEED=N replays the choice of
// validators and intervals (printed on failure); HOTBFT_INTEGRATION_KEEP=1 keeps the testnet
// directories.
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/load_generator.h"
#include "node/home.h"
#include "storage/encoding.h"
#include "tests/integration/cluster.h"
#include "tests/integration/end_checks.h"

namespace hotbft::integration {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr uint64_t kStartMs = 30'000;
constexpr uint64_t kSettleMs = 60'000;
// The offered load: far below a testnet's capacity, so a recovered chain keeps up with it
// even on a loaded 2-core machine, and a stalled one shows at once.
constexpr double kOfferedTxPerS = 300;
constexpr size_t kTxBytes = 256;
// After a fault: the committed rate must come back to this share of the offered rate.
constexpr double kRecoveredShare = 0.7;
// Seconds after the fault ends before the recovery window opens (a restarted validator
// reconnects, the backlog clears), and the window's length.
constexpr double kRecoveryGraceS = 6;
constexpr double kRecoveryWindowS = 10;

bool Long() {
  const char* env = std::getenv("HOTBFT_FAULTS_LONG");
  return env != nullptr && std::string(env) == "1";
}

uint64_t Seed() {
  const char* env = std::getenv("HOTBFT_FAULTS_SEED");
  return env != nullptr ? std::strtoull(env, nullptr, 10) : 20261125;
}

// The load generator on a thread of its own, recording its per-second samples and every
// transaction a node acknowledged as committed.
class Load {
 public:
  // Starts sending `rate` tx/s to the client ports of `nodes` for `duration_s`.
  void Start(Cluster& cluster, const std::vector<uint32_t>& nodes, double rate, double duration_s) {
    bench::LoadOptions options;
    for (uint32_t i : nodes) options.targets.push_back(cluster.node(i).client);
    options.format = bench::TxFormat::kKvstore;
    options.tx_bytes = kTxBytes;
    options.rate_tx_per_s = rate;
    options.inflight_max = 20'000;
    options.duration_s = duration_s;
    options.drain_timeout_s = 30;
    options.on_committed = [this](const node::CommittedTx& tx) {
      std::lock_guard lock(mutex_);
      acked_.push_back(tx);
    };
    start_ = std::chrono::steady_clock::now();
    thread_ = std::thread([this, options] {
      auto report = bench::RunLoad(options, [this](const bench::LoadProgress& p) {
        std::lock_guard lock(mutex_);
        samples_.push_back(p);
      });
      std::lock_guard lock(mutex_);
      report_ = std::move(report);
    });
  }
  ~Load() {
    if (thread_.joinable()) thread_.join();
  }

  // Seconds since Start, on the load generator's clock (its samples' elapsed_s).
  double Elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  void SleepUntil(double elapsed_s) const {
    const double left = elapsed_s - Elapsed();
    if (left > 0) std::this_thread::sleep_for(std::chrono::duration<double>(left));
  }
  // Waits for the run to end (sending and draining).
  Result<bench::LoadReport> Join() {
    if (thread_.joinable()) thread_.join();
    std::lock_guard lock(mutex_);
    return report_;
  }
  std::vector<bench::LoadProgress> samples() const {
    std::lock_guard lock(mutex_);
    return samples_;
  }
  std::vector<node::CommittedTx> acked() const {
    std::lock_guard lock(mutex_);
    return acked_;
  }

 private:
  std::chrono::steady_clock::time_point start_;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::vector<bench::LoadProgress> samples_;
  std::vector<node::CommittedTx> acked_;
  Result<bench::LoadReport> report_ = Status::Internal("the load has not ended");
};

ClusterOptions FaultClusterOptions() {
  ClusterOptions options;
  options.rpc_admin = true;  // unsafe_faults, for partitions
  return options;
}

// The stores of `nodes`, opened after their processes stopped.
struct OpenedStores {
  std::vector<std::unique_ptr<storage::Store>> owned;
  std::vector<NodeStore> stores;
};
Result<OpenedStores> OpenStores(const Cluster& cluster, const std::vector<uint32_t>& nodes) {
  OpenedStores out;
  for (uint32_t i : nodes) {
    auto store = node::OpenHomeStore(cluster.node(i).home);
    if (!store.ok()) return store.status().With("node " + std::to_string(i));
    out.stores.push_back(NodeStore{i, store->get()});
    out.owned.push_back(std::move(store).value());
  }
  return out;
}

// What a run's fault was, for the recovery window and the summary line.
struct FaultWindow {
  std::string name;
  double begin_s = 0;  // on the load's clock
  double end_s = 0;
};

// The end of every run: the load drains; every honest validator runs again, catches up
// and agrees; all stop; their stores pass the end checks; throughput recovered.
void FinishAndCheck(Cluster& cluster, Load& load, const std::vector<uint32_t>& honest,
                    const FaultWindow& fault, double load_duration_s) {
  auto report = load.Join();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  const std::vector<bench::LoadProgress> samples = load.samples();
  const std::vector<node::CommittedTx> acked = load.acked();
  ASSERT_GT(acked.size(), 0u) << "no transaction was acknowledged\n" << cluster.LogTails();

  for (uint32_t i : honest) {
    if (!cluster.Running(i)) {
      ASSERT_TRUE(cluster.Start(i).ok());
    }
  }
  uint64_t top = 0;
  for (const node::CommittedTx& tx : acked) top = std::max<uint64_t>(top, tx.height);
  ASSERT_TRUE(cluster.WaitForAgreement(honest, top, kSettleMs));

  // Latency while the fault lasted: the median of the per-second p50s and the worst p99.
  std::vector<double> p50s;
  double p99_worst = 0;
  for (const bench::LoadProgress& p : samples) {
    if (p.elapsed_s <= fault.begin_s || p.elapsed_s > fault.end_s + 1 || p.committed_last_s == 0)
      continue;
    p50s.push_back(p.p50_ms);
    p99_worst = std::max(p99_worst, p.p99_ms);
  }
  std::sort(p50s.begin(), p50s.end());
  const double p50_during = p50s.empty() ? 0 : p50s[p50s.size() / 2];
  const double before = CommittedRate(samples, 1, fault.begin_s);
  const double during = CommittedRate(samples, fault.begin_s, fault.end_s);
  const double from = fault.end_s + kRecoveryGraceS;
  const double to = std::min(load_duration_s, from + kRecoveryWindowS);
  double after = 0;
  const auto recovered =
      ThroughputRecovered(samples, from, to, kOfferedTxPerS, kRecoveredShare, &after);

  for (uint32_t i = 0; i < cluster.size(); ++i) cluster.Stop(i);
  auto opened = OpenStores(cluster, honest);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  uint64_t heights = 0, hashes = 0;
  EXPECT_TRUE(SameCommittedChain(opened->stores, &heights));
  EXPECT_TRUE(SameAppHashes(opened->stores, &hashes));
  EXPECT_TRUE(AcknowledgedTxsPresent(opened->stores, acked));
  EXPECT_TRUE(recovered) << "samples:\n"
                         << [&] {
                              std::string s;
                              for (const auto& p : samples)
                                s += "  " + bench::FormatProgress(p) + "\n";
                              return s;
                            }();

  std::string errors;
  for (size_t e = 0; e < static_cast<size_t>(bench::LoadError::kCount); ++e) {
    if (report->errors[e] == 0) continue;
    errors += " " + std::string(bench::LoadErrorName(static_cast<bench::LoadError>(e))) + "=" +
              std::to_string(report->errors[e]);
  }
  std::printf(
      "fault-summary %s: fault %.1f-%.1f s; committed tx/s before %.0f, during %.0f, after %.0f "
      "(offered %.0f); acknowledged %zu; latency during p50 %.0f ms p99 %.0f ms, whole run p50 "
      "%.0f ms p99 %.0f ms max %.0f ms; chain %llu heights, %llu app hashes agree; errors:%s\n",
      fault.name.c_str(), fault.begin_s, fault.end_s, before, during, after, kOfferedTxPerS,
      acked.size(), p50_during, p99_worst, report->latency.p50_ms, report->latency.p99_ms,
      report->latency.max_ms, static_cast<unsigned long long>(heights),
      static_cast<unsigned long long>(hashes), errors.empty() ? " none" : errors.c_str());
  std::fflush(stdout);
}

// The current leader as node `asker` sees it, or nullopt.
std::optional<uint32_t> LeaderSeenBy(Cluster& cluster, uint32_t asker) {
  auto view = cluster.View(asker);
  if (!view.ok()) return std::nullopt;
  try {
    return view->raw.at("consensus").at("leader").get<uint32_t>();
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// Each case: a fresh testnet, every validator started, and the generator of the seed (printed
// when the case fails, for HOTBFT_FAULTS_SEED).
class FaultCase {
 protected:
  void StartTestnet() {
    rng_.seed(seed_);
    auto cluster = Cluster::Create(FaultClusterOptions());
    ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
    cluster_ = std::move(cluster).value();
    ASSERT_TRUE(cluster_->StartAll(kStartMs).ok()) << cluster_->LogTails();
  }
  void PrintSeedOnFailure() const {
    if (::testing::Test::HasFailure()) {
      std::printf("fault_test: HOTBFT_FAULTS_SEED=%llu replays this case\n",
                  static_cast<unsigned long long>(seed_));
    }
  }

  const uint64_t seed_ = Seed();
  std::mt19937_64 rng_;
  std::unique_ptr<Cluster> cluster_;
};

class FaultSuite : public ::testing::Test, protected FaultCase {
 protected:
  void SetUp() override { StartTestnet(); }
  void TearDown() override { PrintSeedOnFailure(); }
};

TEST_F(FaultSuite, KillRandomValidator) {
  Cluster& c = *cluster_;

  const double begin = 5;
  const double phase = Long() ? 300 : 60;
  const double duration = begin + phase + kRecoveryGraceS + kRecoveryWindowS + 2;
  Load load;
  load.Start(c, c.AllValidators(), kOfferedTxPerS, duration);
  load.SleepUntil(begin);
  uint32_t kills = 0, leader_kills = 0;
  while (load.Elapsed() < begin + phase) {
    // Every other kill hits the leader of the moment, as a running validator sees it.
    uint32_t victim = static_cast<uint32_t>(rng_() % c.validators());
    if (kills % 2 == 0) {
      const uint32_t asker = (victim + 1) % c.validators();
      if (auto leader = LeaderSeenBy(c, asker)) {
        victim = *leader;
        ++leader_kills;
      }
    }
    c.Kill(victim);
    ++kills;
    std::this_thread::sleep_for(std::chrono::milliseconds(2'000));
    ASSERT_TRUE(c.Start(victim).ok()) << c.LogTails();
    // Up for 2 to 4 s before the next kill: time to reconnect and catch up.
    std::this_thread::sleep_for(std::chrono::milliseconds(2'000 + rng_() % 2'000));
  }
  const double end = load.Elapsed();
  std::printf("fault-kill: %u kills (%u of the leader of the moment) in %.0f s\n", kills,
              leader_kills, end - begin);
  FinishAndCheck(c, load, c.AllValidators(), {"kill-random-validator", begin, end}, duration);
}

TEST_F(FaultSuite, PartitionOneValidator) {
  Cluster& c = *cluster_;

  const uint32_t cut = static_cast<uint32_t>(rng_() % c.validators());
  std::string others;
  for (uint32_t i = 0; i < c.validators(); ++i) {
    if (i == cut) continue;
    others += (others.empty() ? "" : ",") + std::to_string(i);
  }
  const double begin = 5;
  const double length = Long() ? 60 : 10;
  const double duration = begin + length + kRecoveryGraceS + kRecoveryWindowS + 2;
  Load load;
  load.Start(c, c.AllValidators(), kOfferedTxPerS, duration);
  load.SleepUntil(begin);
  auto cut_off = c.Call(cut, "unsafe_faults", json{{"partition", others}});
  ASSERT_TRUE(cut_off.ok()) << cut_off.status().ToString();
  std::vector<uint32_t> rest;
  for (uint32_t i = 0; i < c.validators(); ++i) {
    if (i != cut) rest.push_back(i);
  }
  // The other three keep committing while it is cut off.
  EXPECT_TRUE(c.WaitForProgress(rest, 3, static_cast<uint64_t>(length * 1'000)));
  load.SleepUntil(begin + length);
  auto healed = c.Call(cut, "unsafe_faults", json{{"partition", ""}});
  ASSERT_TRUE(healed.ok()) << healed.status().ToString();
  const double end = load.Elapsed();
  FinishAndCheck(c, load, c.AllValidators(),
                 {"partition-validator-" + std::to_string(cut), begin, end}, duration);
}

TEST_F(FaultSuite, WholeClusterCrash) {
  Cluster& c = *cluster_;

  const double begin = 5;
  const double duration = begin + 2 + kRecoveryGraceS + kRecoveryWindowS + 4;
  Load load;
  load.Start(c, c.AllValidators(), kOfferedTxPerS, duration);
  load.SleepUntil(begin);
  for (uint32_t i = 0; i < c.validators(); ++i) c.Kill(i);
  std::this_thread::sleep_for(std::chrono::milliseconds(1'000));
  for (uint32_t i = 0; i < c.validators(); ++i) ASSERT_TRUE(c.Start(i).ok()) << c.LogTails();
  for (uint32_t i = 0; i < c.validators(); ++i) ASSERT_TRUE(c.WaitForStatus(i, kStartMs));
  const double end = load.Elapsed();
  FinishAndCheck(c, load, c.AllValidators(), {"whole-cluster-crash", begin, end}, duration);
}

// ---- One Byzantine validator per strategy ----

// The strategies of hotbft-byzantine (tests/byzantine/node_layer.h), one run each.
const char* const kStrategies[] = {
    "equivocate", "double-vote", "withhold-votes", "invalid-signatures",
    "forge-qc",   "replay-old",  "timeout-spam",   "fork-from-old-qc",
    "silent",     "flood",
};

// The samples of node i's /metrics (Prometheus text): "name{labels}" -> value. Empty if the
// node does not answer.
std::map<std::string, double> Metrics(Cluster& c, uint32_t i) {
  std::map<std::string, double> out;
  auto rpc = c.Rpc(i);
  if (!rpc.ok()) return out;
  auto reply = (*rpc)->Get("/metrics");
  if (!reply.ok() || reply->status != 200) return out;
  std::istringstream lines(reply->body);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    if (space == std::string::npos) continue;
    out[line.substr(0, space)] = std::strtod(line.c_str() + space + 1, nullptr);
  }
  return out;
}

// The counters that tell an honest validator of misbehaviour, with how much each grew
// between two samples: "timeouts_total +12, invalid_messages_total{reason="..."} +3".
std::string SeenDuring(const std::map<std::string, double>& before,
                       const std::map<std::string, double>& after) {
  static const char* const kTelling[] = {
      "hotbft_timeouts_total",           "hotbft_tcs_total",
      "hotbft_invalid_messages_total",   "hotbft_evidence_recorded_total",
      "hotbft_evidence_committed_total", "hotbft_client_disconnects_total",
  };
  std::string out;
  for (const auto& [name, value] : after) {
    bool telling = false;
    for (const char* prefix : kTelling) telling = telling || name.rfind(prefix, 0) == 0;
    const auto it = before.find(name);
    const double grew = value - (it == before.end() ? 0 : it->second);
    if (!telling || grew <= 0) continue;
    out += (out.empty() ? "" : ", ") + name.substr(std::string("hotbft_").size()) + " +" +
           std::to_string(static_cast<uint64_t>(grew));
  }
  return out.empty() ? "nothing" : out;
}

double Sum(const std::map<std::string, double>& metrics, const std::string& prefix) {
  double sum = 0;
  for (const auto& [name, value] : metrics) {
    if (name.rfind(prefix, 0) == 0) sum += value;
  }
  return sum;
}

class ByzantineFault : public ::testing::TestWithParam<const char*>, protected FaultCase {
 protected:
  void SetUp() override { StartTestnet(); }
  void TearDown() override { PrintSeedOnFailure(); }
};

// One validator runs hotbft-byzantine --misbehave STRATEGY for a while under load, then
// is restarted honest. The other three keep committing throughout; at the end they agree
// (the end checks), and throughput is back once the Byzantine one runs honest again.
TEST_P(ByzantineFault, HonestValidatorsCarryOn) {
  const std::string strategy = GetParam();
  Cluster& c = *cluster_;
  const uint32_t byzantine = static_cast<uint32_t>(rng_() % c.validators());
  std::vector<uint32_t> honest;
  for (uint32_t i = 0; i < c.validators(); ++i) {
    if (i != byzantine) honest.push_back(i);
  }

  const double begin = 4;
  const double length = Long() ? 60 : 8;
  const double duration = begin + length + kRecoveryGraceS + kRecoveryWindowS + 2;
  Load load;
  load.Start(c, honest, kOfferedTxPerS, duration);
  load.SleepUntil(begin);
  const uint32_t observer = honest.front();
  const std::map<std::string, double> before = Metrics(c, observer);
  c.Stop(byzantine);
  c.SetStartCommand(byzantine, HOTBFT_BYZANTINE_BINARY, {"--misbehave", strategy});
  ASSERT_TRUE(c.Start(byzantine).ok()) << c.LogTails();
  // The honest three keep committing while it misbehaves.
  EXPECT_TRUE(c.WaitForProgress(honest, 3, static_cast<uint64_t>(length * 1'000) + 10'000));
  load.SleepUntil(begin + length);
  const std::map<std::string, double> after = Metrics(c, observer);
  std::printf("fault-seen byzantine-%s: validator %u saw %s\n", strategy.c_str(), observer,
              SeenDuring(before, after).c_str());
  if (strategy == "double-vote") {
    // Conflicting votes reach honest validators directly: evidence is recorded, and a later
    // leader puts it in a block.
    EXPECT_GT(Sum(after, "hotbft_evidence_recorded_total"), 0) << SeenDuring(before, after);
    EXPECT_TRUE(c.WaitUntil(
        "every honest validator lists committed evidence against validator " +
            std::to_string(byzantine),
        20'000, [&](std::string* detail) {
          for (uint32_t i : honest) {
            auto evidence = c.Call(i, "evidence");
            if (!evidence.ok()) {
              *detail = "node " + std::to_string(i) + ": " + evidence.status().ToString();
              return false;
            }
            bool found = false;
            for (const json& item : evidence->value("committed", json::array())) {
              found = found || (item.value("validator", 99u) == byzantine &&
                                item.value("type", "") == "double_vote");
            }
            if (!found) {
              *detail = "node " + std::to_string(i) + ": " + evidence->dump();
              return false;
            }
          }
          return true;
        }));
  }
  c.Stop(byzantine);
  c.SetStartCommand(byzantine, HOTBFT_BINARY, {});
  ASSERT_TRUE(c.Start(byzantine).ok()) << c.LogTails();
  const double end = load.Elapsed();
  FinishAndCheck(c, load, honest, {"byzantine-" + strategy, begin, end}, duration);
}

INSTANTIATE_TEST_SUITE_P(Strategies, ByzantineFault, ::testing::ValuesIn(kStrategies),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           std::string name = info.param;
                           for (char& ch : name) {
                             if (ch == '-') ch = '_';
                           }
                           return name;
                         });

// ---- The end checks fire ----

// A copy of node `i`'s home (its store included) in `dir`, after the node stopped.
std::string CopyHome(const Cluster& cluster, uint32_t i, const std::string& dir) {
  const std::string copy = dir + "/doctored-node" + std::to_string(i);
  fs::remove_all(copy);
  fs::copy(cluster.node(i).home, copy, fs::copy_options::recursive);
  return copy;
}

// Edits the RocksDB store of `home` directly (the node's code is not involved): `edit`
// gets the database and the handle of each column family by name.
using RawEdit = std::function<rocksdb::Status(
    rocksdb::DB&, const std::map<std::string, rocksdb::ColumnFamilyHandle*>&)>;
Status EditStore(const std::string& home, const RawEdit& edit) {
  const std::string path = node::PathsOf(home).store;
  std::vector<std::string> names;
  rocksdb::Status s = rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &names);
  if (!s.ok()) return Status::IoError("listing column families: " + s.ToString());
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const std::string& name : names) families.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  s = rocksdb::DB::Open(rocksdb::DBOptions(), path, families, &handles, &raw);
  if (!s.ok()) return Status::IoError("opening " + path + ": " + s.ToString());
  std::unique_ptr<rocksdb::DB> db(raw);
  std::map<std::string, rocksdb::ColumnFamilyHandle*> by_name;
  for (size_t k = 0; k < names.size(); ++k) by_name[names[k]] = handles[k];
  s = edit(*db, by_name);
  for (auto* handle : handles) (void)db->DestroyColumnFamilyHandle(handle);
  if (!s.ok()) return Status::IoError("editing " + path + ": " + s.ToString());
  return Status::Ok();
}

// One value, with its last byte flipped.
rocksdb::Status FlipLastByte(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* family,
                             const std::string& key) {
  std::string value;
  rocksdb::Status s = db.Get(rocksdb::ReadOptions(), family, key, &value);
  if (!s.ok()) return s;
  if (value.empty()) return rocksdb::Status::InvalidArgument("empty value");
  value.back() = static_cast<char>(value.back() ^ 0x01);
  return db.Put(rocksdb::WriteOptions(), family, key, value);
}

TEST_F(FaultSuite, EndChecksFireOnDoctoredStores) {
  Cluster& c = *cluster_;
  Load load;
  load.Start(c, c.AllValidators(), kOfferedTxPerS, 5);
  auto report = load.Join();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  const std::vector<node::CommittedTx> acked = load.acked();
  ASSERT_GT(acked.size(), 10u) << c.LogTails();
  uint64_t top = 0;
  for (const node::CommittedTx& tx : acked) top = std::max<uint64_t>(top, tx.height);
  ASSERT_TRUE(c.WaitForAgreement(c.AllValidators(), top, kSettleMs));
  for (uint32_t i = 0; i < c.validators(); ++i) c.Stop(i);

  // The clean stores pass.
  {
    auto opened = OpenStores(c, c.AllValidators());
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    ASSERT_TRUE(SameCommittedChain(opened->stores));
    ASSERT_TRUE(SameAppHashes(opened->stores));
    ASSERT_TRUE(AcknowledgedTxsPresent(opened->stores, acked));
  }
  // Node 2's store against three doctored copies of itself and the clean others.
  const node::CommittedTx victim = acked[acked.size() / 2];
  const uint64_t height = victim.height;
  // Runs `check` on node 2's doctored copy and the other three clean stores: it must fail,
  // and its message must hold `expected`.
  using Check = std::function<::testing::AssertionResult(const std::vector<NodeStore>&)>;
  auto expect_fails = [&](const std::string& home, const Check& check,
                          const std::string& expected) {
    OpenedStores opened;
    for (uint32_t i = 0; i < c.validators(); ++i) {
      auto store = node::OpenHomeStore(i == 2 ? home : c.node(i).home);
      ASSERT_TRUE(store.ok()) << store.status().ToString();
      opened.stores.push_back(NodeStore{i, store->get()});
      opened.owned.push_back(std::move(store).value());
    }
    const auto result = check(opened.stores);
    EXPECT_FALSE(result) << "doctored: " << expected;
    EXPECT_NE(std::string(result.message()).find(expected), std::string::npos) << result.message();
  };
  auto chain = [](const std::vector<NodeStore>& s) { return SameCommittedChain(s); };
  auto hashes = [](const std::vector<NodeStore>& s) { return SameAppHashes(s); };
  auto txs = [&](const std::vector<NodeStore>& s) { return AcknowledgedTxsPresent(s, acked); };

  const std::string chain_home = CopyHome(c, 2, c.dir());
  ASSERT_TRUE(EditStore(chain_home, [&](rocksdb::DB& db, const auto& cf) {
                return FlipLastByte(db, cf.at("heights"), storage::HeightKey(height));
              }).ok());
  expect_fails(chain_home, chain, "differ at height " + std::to_string(height));

  const std::string tx_home = CopyHome(c, 2, c.dir());
  ASSERT_TRUE(EditStore(tx_home, [&](rocksdb::DB& db, const auto& cf) {
                return db.Delete(rocksdb::WriteOptions(), cf.at("txs"),
                                 storage::IdKey(victim.hash));
              }).ok());
  expect_fails(tx_home, txs, "missing from node 2");

  const std::string hash_home = CopyHome(c, 2, c.dir());
  ASSERT_TRUE(EditStore(hash_home, [&](rocksdb::DB& db, const auto& cf) {
                return FlipLastByte(db, cf.at("results"), storage::HeightKey(height));
              }).ok());
  expect_fails(hash_home, hashes, "app hashes differ at height " + std::to_string(height));

  // Load that stops committing at the fault and never comes back.
  std::vector<bench::LoadProgress> stalled;
  for (int s = 1; s <= 20; ++s) {
    bench::LoadProgress p;
    p.elapsed_s = s;
    p.committed_last_s = s <= 5 ? static_cast<uint64_t>(kOfferedTxPerS) : (s <= 12 ? 0 : 40);
    stalled.push_back(p);
  }
  EXPECT_TRUE(ThroughputRecovered(stalled, 0, 5, kOfferedTxPerS, kRecoveredShare));
  const auto stall = ThroughputRecovered(stalled, 12, 20, kOfferedTxPerS, kRecoveredShare);
  EXPECT_FALSE(stall);
  EXPECT_NE(std::string(stall.message()).find("did not recover"), std::string::npos);
}

}  // namespace
}  // namespace hotbft::integration
