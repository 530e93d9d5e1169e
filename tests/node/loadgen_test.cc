// The load generator of `hotbft bench` (bench/): its percentile math, its transactions, its
// targets, and short runs against a binary client port on loopback over the scripted
// backend: every transaction accounted for, errors counted by kind, interrupts. No assertion
// on a rate, and durations only against bounds far from any machine's speed (an interrupted
// 60 s run ends within 30 s): the checks hold however slow the machine is.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <random>
#include <set>
#include <thread>

#include "app/kv_backend_mem.h"
#include "app/kvstore.h"
#include "bench/latency_histogram.h"
#include "bench/load_generator.h"
#include "bench/tx_factory.h"
#include "node/client_port.h"
#include "node/home.h"
#include "tests/node/rpc_fake_backend.h"
#include "tests/temp_dir.h"

namespace hotbft::bench {
namespace {

using node::testing::FakeBackend;

// ---- LatencyHistogram ----

TEST(LatencyHistogramTest, EmptyReportsZero) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.Percentile(50), 0u);
  EXPECT_EQ(h.max_us(), 0u);
  EXPECT_EQ(h.min_us(), 0u);
  EXPECT_EQ(h.mean_us(), 0.0);
}

TEST(LatencyHistogramTest, SmallValuesAreExactNearestRank) {
  LatencyHistogram h;
  for (uint64_t v = 100; v >= 1; --v) h.Record(v);  // order does not matter
  EXPECT_EQ(h.count(), 100u);
  EXPECT_EQ(h.Percentile(0), 1u);  // the first value
  EXPECT_EQ(h.Percentile(1), 1u);
  EXPECT_EQ(h.Percentile(50), 50u);
  EXPECT_EQ(h.Percentile(90), 90u);
  EXPECT_EQ(h.Percentile(99), 99u);
  EXPECT_EQ(h.Percentile(99.5), 100u);  // rank ceil(99.5) = 100
  EXPECT_EQ(h.Percentile(100), 100u);
  EXPECT_EQ(h.min_us(), 1u);
  EXPECT_EQ(h.max_us(), 100u);
  EXPECT_DOUBLE_EQ(h.mean_us(), 50.5);
}

TEST(LatencyHistogramTest, NearestRankWithFewValues) {
  LatencyHistogram h;
  for (uint64_t v : {10, 20, 30, 40}) h.Record(v);
  EXPECT_EQ(h.Percentile(25), 10u);  // rank 1
  EXPECT_EQ(h.Percentile(26), 20u);  // rank ceil(1.04) = 2
  EXPECT_EQ(h.Percentile(50), 20u);  // rank 2
  EXPECT_EQ(h.Percentile(75), 30u);
  EXPECT_EQ(h.Percentile(99), 40u);
}

TEST(LatencyHistogramTest, ASingleLargeValueIsReportedExactly) {
  LatencyHistogram h;
  h.Record(123'456'789);
  for (double p : {0.0, 50.0, 99.0, 100.0}) EXPECT_EQ(h.Percentile(p), 123'456'789u) << p;
}

TEST(LatencyHistogramTest, BucketsCoverEveryValueWithinOneSixtyFourth) {
  const uint64_t seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  std::vector<uint64_t> values = {0,         1, 127, 128, 129, 255, 256, 1'000'000, UINT64_MAX - 1,
                                  UINT64_MAX};
  for (int i = 0; i < 10'000; ++i) values.push_back(rng() >> (rng() % 64));
  for (uint64_t v : values) {
    const size_t bucket = LatencyHistogram::BucketOf(v);
    ASSERT_LT(bucket, LatencyHistogram::kBucketCount) << v;
    const uint64_t highest = LatencyHistogram::BucketHighest(bucket);
    ASSERT_GE(highest, v);
    ASSERT_LE(static_cast<long double>(highest - v), static_cast<long double>(v) / 64) << v;
    if (bucket > 0) {
      ASSERT_LT(LatencyHistogram::BucketHighest(bucket - 1), v) << v;
    }
  }
  EXPECT_EQ(LatencyHistogram::BucketHighest(LatencyHistogram::kBucketCount - 1), UINT64_MAX);
}

TEST(LatencyHistogramTest, LargeValuesArePercentilesWithinOneSixtyFourth) {
  LatencyHistogram h;
  for (uint64_t v = 1; v <= 100'000; ++v) h.Record(v * 10);  // 10 us .. 1 s
  for (double p : {50.0, 90.0, 99.0, 99.9}) {
    const double exact = p / 100 * 1'000'000;
    const double got = static_cast<double>(h.Percentile(p));
    EXPECT_GE(got, exact) << p;
    EXPECT_LE(got, exact * (1 + 1.0 / 64)) << p;
  }
  EXPECT_EQ(h.Percentile(100), 1'000'000u);
}

TEST(LatencyHistogramTest, MergingEqualsRecordingInOne) {
  LatencyHistogram a, b, all;
  for (uint64_t v = 0; v < 5'000; ++v) {
    (v % 3 == 0 ? a : b).Record(v * 37);
    all.Record(v * 37);
  }
  a.Merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.max_us(), all.max_us());
  EXPECT_EQ(a.min_us(), all.min_us());
  for (double p : {1.0, 50.0, 90.0, 99.0}) EXPECT_EQ(a.Percentile(p), all.Percentile(p));
  a.Reset();
  EXPECT_EQ(a.count(), 0u);
  EXPECT_EQ(a.Percentile(50), 0u);
}

// ---- TxFactory ----

TEST(TxFactoryTest, KvstoreTransactionsAreValidUniqueAndSized) {
  auto store = app::KvStore::OpenWithBackend(std::make_shared<app::KvMemBackend>());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  std::set<Bytes> seen;
  for (uint16_t stream : {0, 1, 0xffff}) {
    TxFactory factory(TxFormat::kKvstore, 0xabcdef012345, stream, 64);
    for (int i = 0; i < 1'000; ++i) {
      const Bytes tx = factory.Next();
      ASSERT_EQ(tx.size(), 64u);
      ASSERT_EQ(tx[TxFactory::kIdBytes], '=');
      auto check = (*store)->CheckTx(tx, app::CheckTxKind::kNew);
      ASSERT_TRUE(check.ok());
      ASSERT_EQ(check->code, 0u) << check->log;
      ASSERT_TRUE(seen.insert(tx).second);
    }
  }
  // Another run makes other transactions.
  TxFactory other(TxFormat::kKvstore, 0xabcdef012346, 0, 64);
  EXPECT_FALSE(seen.count(other.Next()));
}

TEST(TxFactoryTest, NoopTransactionsHaveTheIdAndTheSize) {
  TxFactory a(TxFormat::kNoop, 1, 2, TxFactory::kTxBytesMin);
  const Bytes first = a.Next(), second = a.Next();
  EXPECT_EQ(first.size(), TxFactory::kTxBytesMin);
  EXPECT_NE(first, second);
  EXPECT_EQ(std::string(first.begin(), first.begin() + TxFactory::kIdBytes),
            "0000000000010002000000000000");
  EXPECT_EQ(a.made(), 2u);
  EXPECT_LE(TxFactory::RandomRunId(), TxFactory::kRunIdMax);
}

// ---- Targets and options ----

TEST(LoadTargetsTest, ParsesAListOfAddresses) {
  auto targets = ParseTargets("127.0.0.1:26658, node1:26668,[::1]:9");
  ASSERT_TRUE(targets.ok()) << targets.status().ToString();
  EXPECT_EQ(*targets, (std::vector<std::string>{"127.0.0.1:26658", "node1:26668", "[::1]:9"}));
  for (const char* bad : {"", "host", "host:", ":80", "a:1,,b:2", "h:0", "h:70000", "h:8x"}) {
    EXPECT_FALSE(ParseTargets(bad).ok()) << bad;
  }
}

TEST(LoadTargetsTest, ReadsATestnetsClientPortsInNodeOrder) {
  hotbft::testing::TempDir dir;
  node::TestnetOptions options;
  options.validators = 11;  // node10 sorts after node9, not after node1
  options.output = dir.path();
  options.base_port = 40000;
  ASSERT_TRUE(node::CreateTestnet(options).ok());
  auto targets = TestnetTargets(dir.path());
  ASSERT_TRUE(targets.ok()) << targets.status().ToString();
  ASSERT_EQ(targets->size(), 11u);
  EXPECT_EQ(targets->front(), "127.0.0.1:40002");
  EXPECT_EQ((*targets)[9], "127.0.0.1:40092");
  EXPECT_EQ(targets->back(), "127.0.0.1:40102");
  auto none = TestnetTargets(dir.Sub("missing"));
  EXPECT_FALSE(none.ok());
}

TEST(LoadOptionsTest, RefusesOptionsOutOfRange) {
  LoadOptions ok;
  ok.targets = {"127.0.0.1:1"};
  EXPECT_TRUE(ValidateLoadOptions(ok).ok());
  auto with = [&](auto change) {
    LoadOptions o = ok;
    change(o);
    return ValidateLoadOptions(o);
  };
  EXPECT_FALSE(with([](LoadOptions& o) { o.targets.clear(); }).ok());
  EXPECT_FALSE(with([](LoadOptions& o) { o.tx_bytes = 8; }).ok());
  EXPECT_FALSE(with([](LoadOptions& o) { o.rate_tx_per_s = -1; }).ok());
  EXPECT_FALSE(with([](LoadOptions& o) { o.inflight_max = 0; }).ok());
  EXPECT_FALSE(with([](LoadOptions& o) { o.duration_s = 0; }).ok());
  EXPECT_FALSE(with([](LoadOptions& o) { o.warmup_s = o.duration_s; }).ok());
  EXPECT_FALSE(with([](LoadOptions& o) { o.connections_per_target = 0; }).ok());
  EXPECT_FALSE(with([](LoadOptions& o) { o.batch_txs_max = 10'001; }).ok());
}

TEST(LoadConnectTest, AnUnreachableTargetFailsBeforeSending) {
  LoadOptions o;
  o.targets = {"127.0.0.1:1"};
  o.duration_s = 1;
  auto report = RunLoad(o);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("127.0.0.1:1"), std::string::npos);
  EXPECT_NE(report.status().message().find("is the node running?"), std::string::npos);
}

// ---- Runs against a client port ----

// Admits every third transaction, refuses the others in turn as a full pool and as CheckTx
// would, in the order they arrive (over every connection).
class RefusingBackend : public FakeBackend {
 public:
  void SubmitTxs(std::vector<Bytes> txs, mempool::Sender from, node::SubmitCallback done) override {
    for (const Bytes& tx : txs) {
      switch (arrived_++ % 3) {
        case 0: Script(tx, mempool::AddOutcome::kFull, 0, "mempool full"); break;
        case 1: Script(tx, mempool::AddOutcome::kRejected, 7, "no"); break;
        default: break;
      }
    }
    FakeBackend::SubmitTxs(std::move(txs), from, std::move(done));
  }

 private:
  uint64_t arrived_ = 0;  // the port's io thread only
};

class LoadRunTest : public ::testing::Test {
 protected:
  void StartPort(node::RpcBackend& backend, node::ClientPortConfig config = {}) {
    config.listen = "127.0.0.1:0";
    port_ = std::make_unique<node::ClientPort>(config, backend);
    ASSERT_TRUE(port_->Start().ok());
  }
  LoadOptions Options() const {
    LoadOptions o;
    o.targets = {"127.0.0.1:" + std::to_string(port_->port())};
    o.connections_per_target = 2;
    o.tx_bytes = 64;
    o.inflight_max = 64;
    o.batch_txs_max = 16;
    o.duration_s = 1;
    o.drain_timeout_s = 60;  // ends as soon as nothing is in flight
    o.run_id = 0x5eed;
    return o;
  }
  static void ExpectAccounted(const LoadReport& r) {
    EXPECT_EQ(r.submitted, r.committed + r.errors_total() + r.unfinished);
    EXPECT_LE(r.committed_in_window, r.committed);
    EXPECT_LE(r.latency.p50_ms, r.latency.p90_ms);
    EXPECT_LE(r.latency.p90_ms, r.latency.p99_ms);
    EXPECT_LE(r.latency.p99_ms, r.latency.max_ms);
  }

  // A 60 s run whose interrupt count goes up by one after each of `delays_ms` (each counted
  // from the previous one). *took_s is how long RunLoad took.
  Result<LoadReport> RunInterrupted(const std::vector<int>& delays_ms, double* took_s) {
    LoadOptions options = Options();
    options.duration_s = 60;
    std::atomic<int> interrupts{0};
    options.interrupts = &interrupts;
    std::thread interrupter([&] {
      for (int delay : delays_ms) {
        std::this_thread::sleep_for(std::chrono::milliseconds(delay));
        ++interrupts;
      }
    });
    const auto start = std::chrono::steady_clock::now();
    auto report = RunLoad(options);
    *took_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    interrupter.join();
    return report;
  }

  std::unique_ptr<node::ClientPort> port_;
};

TEST_F(LoadRunTest, EveryTransactionIsAdmittedAndCommitted) {
  FakeBackend backend;
  backend.AutoExecute(true);
  StartPort(backend);
  std::vector<LoadProgress> lines;
  auto report = RunLoad(Options(), [&](const LoadProgress& p) { lines.push_back(p); });
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  const LoadReport& r = *report;
  ExpectAccounted(r);
  EXPECT_GT(r.submitted, 0u);
  EXPECT_EQ(r.admitted, r.submitted);
  EXPECT_EQ(r.committed, r.submitted);
  EXPECT_EQ(r.committed_failed, 0u);
  EXPECT_EQ(r.errors_total(), 0u);
  EXPECT_EQ(r.unfinished, 0u);
  EXPECT_EQ(r.disconnects, 0u);
  EXPECT_EQ(r.connections, 2u);
  EXPECT_GT(r.latency.max_ms, 0.0);
  EXPECT_EQ(backend.submitted().size(), r.submitted);
  // Every transaction the backend saw is a kvstore transaction of this run.
  for (const Bytes& tx : backend.submitted()) {
    ASSERT_EQ(tx.size(), 64u);
    ASSERT_EQ(std::string(tx.begin(), tx.begin() + 12), "000000005eed");
  }
  const nlohmann::json json = ReportJson(r);
  EXPECT_EQ(json["run_id"], "000000005eed");
  EXPECT_EQ(json["submitted"], r.submitted);
  EXPECT_EQ(json["committed"], r.committed);
  EXPECT_EQ(json["errors"]["mempool_full"], 0u);
  EXPECT_TRUE(json["latency_ms"].contains("p99"));
  EXPECT_NE(FormatReport(r).find("committed   " + std::to_string(r.committed)), std::string::npos);
  for (const LoadProgress& p : lines) EXPECT_FALSE(FormatProgress(p).empty());
}

TEST_F(LoadRunTest, AnInterruptEndsSendingAndTheWindowThenDrains) {
  FakeBackend backend;
  backend.AutoExecute(true);
  StartPort(backend);
  double took = 0;
  auto report = RunInterrupted({500}, &took);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  const LoadReport& r = *report;
  ExpectAccounted(r);
  EXPECT_TRUE(r.interrupted);
  EXPECT_LT(took, 30.0);  // far short of the 60 s asked for
  EXPECT_GT(r.window_s, 0.4);
  EXPECT_LT(r.window_s, took);
  EXPECT_GT(r.committed, 0u);
  EXPECT_EQ(r.unfinished, 0u);  // drained
  EXPECT_NEAR(r.committed_tx_per_s, static_cast<double>(r.committed_in_window) / r.window_s, 1e-6);
  EXPECT_TRUE(ReportJson(r)["interrupted"].get<bool>());
  EXPECT_NE(FormatReport(r).find("interrupted"), std::string::npos);
}

TEST_F(LoadRunTest, ASecondInterruptStopsTheDrain) {
  FakeBackend backend;  // never executes: everything stays in flight
  StartPort(backend);
  double took = 0;
  auto report = RunInterrupted({300, 300}, &took);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ExpectAccounted(*report);
  EXPECT_TRUE(report->interrupted);
  EXPECT_LT(took, 30.0);  // neither the 60 s of sending nor the 60 s drain
  EXPECT_GT(report->unfinished, 0u);
  port_->Stop();  // its watches are the backend's, which goes first
}

TEST_F(LoadRunTest, RefusalsAreCountedByKind) {
  RefusingBackend backend;
  backend.AutoExecute(true);
  StartPort(backend);
  auto report = RunLoad(Options());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  const LoadReport& r = *report;
  ExpectAccounted(r);
  ASSERT_GT(r.submitted, 0u);
  // Transaction i in arrival order: full when i % 3 == 0, refused when 1, committed when 2.
  const uint64_t n = r.submitted;
  EXPECT_EQ(r.errors_of(LoadError::kMempoolFull), (n + 2) / 3);
  EXPECT_EQ(r.errors_of(LoadError::kRefusedCheckTx), (n + 1) / 3);
  EXPECT_EQ(r.committed, n / 3);
  EXPECT_EQ(r.admitted, n / 3);
  EXPECT_EQ(r.unfinished, 0u);
  EXPECT_EQ(r.errors_of(LoadError::kDisconnected), 0u);
  EXPECT_NE(r.last_error.find("refused"), std::string::npos);
}

TEST_F(LoadRunTest, UnexecutedTransactionsExpire) {
  FakeBackend backend;  // admits, never executes
  node::ClientPortConfig config;
  config.watch_timeout_ms = 100;
  StartPort(backend, config);
  auto report = RunLoad(Options());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  const LoadReport& r = *report;
  ExpectAccounted(r);
  ASSERT_GT(r.submitted, 0u);
  EXPECT_EQ(r.admitted, r.submitted);
  EXPECT_EQ(r.committed, 0u);
  EXPECT_EQ(r.errors_of(LoadError::kExpired), r.submitted);
  EXPECT_EQ(r.unfinished, 0u);
}

TEST_F(LoadRunTest, TransactionsInFlightOnABrokenConnectionAreCountedAsDisconnected) {
  FakeBackend backend;  // admits, never executes: everything stays in flight
  StartPort(backend);
  LoadOptions options = Options();
  options.duration_s = 2;
  std::atomic<bool> stopped{false};
  std::thread stopper([&] {
    node::testing::WaitFor([&] { return backend.submitted().size() >= 2 * 16; });
    port_->Stop();
    stopped = true;
  });
  auto report = RunLoad(options);
  stopper.join();
  ASSERT_TRUE(stopped);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  const LoadReport& r = *report;
  ExpectAccounted(r);
  EXPECT_EQ(r.committed, 0u);
  EXPECT_EQ(r.errors_of(LoadError::kDisconnected), r.submitted);
  EXPECT_EQ(r.unfinished, 0u);
  EXPECT_GE(r.disconnects, 2u);  // both connections
  EXPECT_FALSE(r.last_error.empty());
}

}  // namespace
}  // namespace hotbft::bench
