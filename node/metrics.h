// Metrics: counters, gauges and histograms the node updates from any thread, rendered in the
// Prometheus text exposition format (version 0.0.4) for GET /metrics (docs/rpc.md).
//
// Updates are lock-free (relaxed atomics): a counter increment costs one atomic add, so
// the consensus, executor and io threads update them on their hot paths. Registration takes
// a mutex and happens at start; rendering takes it too and reads the atomics one by one, so
// a scrape that races updates may see a histogram's sum a little ahead of or behind its
// buckets (never buckets that fail to add up: the count is the sum of the buckets).
//
// No Prometheus client library is used: Debian's prometheus-cpp-dev pulls in an embedded
// web server (civetweb) and libcurl for its pull and push modes, and its histogram takes a
// mutex per observation; the node already serves HTTP, so this renderer is all it needs.
//
// Thread-safety: every member of every class here may be called from any thread. Metric
// objects live as long as their registry; the references Add* return stay valid until then.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace hotbft::node {

// A monotonically increasing count (rendered with TYPE counter).
class Counter {
 public:
  void Inc(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// A value that goes up and down (rendered with TYPE gauge). Integers only: every gauge the
// node has (heights, rounds, sizes, peers) is one.
class Gauge {
 public:
  void Set(int64_t v) { value_.store(v, std::memory_order_relaxed); }
  void Add(int64_t n) { value_.fetch_add(n, std::memory_order_relaxed); }
  int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

// Observations counted in buckets by upper bound (rendered with TYPE histogram: cumulative
// `_bucket{le="..."}` lines ending with le="+Inf", then `_sum` and `_count`).
class Histogram {
 public:
  // REQUIRES: bounds non-empty, finite, strictly ascending, at most kBucketsMax of them.
  explicit Histogram(std::vector<double> bounds);

  void Observe(double value);

  struct Snapshot {
    std::vector<double> bounds;
    std::vector<uint64_t> cumulative;  // per bound, then one for +Inf (== count)
    double sum = 0;
    uint64_t count = 0;
  };
  Snapshot snapshot() const;

  static constexpr size_t kBucketsMax = 64;

 private:
  const std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // per bucket (not cumulative), +Inf last
  std::atomic<double> sum_{0};
};

// Counters that share a name and differ by the value of one label
// (`hotbft_invalid_messages_total{reason="bad_signature"}`).
class CounterFamily {
 public:
  explicit CounterFamily(std::string label) : label_(std::move(label)) {}

  // The counter for `value`, created on first use. Look it up once and keep the reference
  // on hot paths: this takes a mutex. Beyond kValuesMax distinct values every further one
  // shares the counter of kOverflowValue, so a misbehaving caller cannot grow the set.
  Counter& With(std::string_view value);

  const std::string& label() const { return label_; }
  // (value, count) pairs in the order the values were first used.
  std::vector<std::pair<std::string, uint64_t>> values() const;

  static constexpr size_t kValuesMax = 128;
  static constexpr std::string_view kOverflowValue = "other";

 private:
  const std::string label_;
  mutable std::mutex mutex_;
  std::deque<std::pair<std::string, Counter>> counters_;  // guarded by mutex_; stable addresses
};

// Owns the metrics and renders them. Names must match [a-zA-Z_:][a-zA-Z0-9_:]* and be
// unique, label names [a-zA-Z_][a-zA-Z0-9_]* (not starting with "__", not "le"); breaking
// either is a programming error (assertion), as is a help text with a line break.
class MetricsRegistry {
 public:
  MetricsRegistry();
  ~MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  Counter& AddCounter(std::string name, std::string help);
  Gauge& AddGauge(std::string name, std::string help);
  Histogram& AddHistogram(std::string name, std::string help, std::vector<double> bounds);
  CounterFamily& AddCounterFamily(std::string name, std::string help, std::string label);

  // Every metric in registration order, each preceded by its # HELP and # TYPE lines.
  std::string Render() const;

 private:
  struct Entry;
  Entry& Register(std::string name, std::string help);

  mutable std::mutex mutex_;
  std::deque<std::unique_ptr<Entry>> entries_;  // guarded by mutex_
};

// Escapes a label value for the text format: backslash, double quote and line feed.
std::string EscapeLabelValue(std::string_view value);
// A sample value as the text format writes it: integers without a fraction, +Inf, -Inf, NaN.
std::string FormatSampleValue(double value);

// The node's metrics, all named hotbft_* (docs/rpc.md lists them with their meaning). The
// composition root owns one, updates it from the threads that see each event, and renders
// registry() for the RPC's /metrics.
struct NodeMetrics {
  NodeMetrics();

  MetricsRegistry registry;
  // Consensus (consensus thread).
  Gauge& height;           // committed height
  Gauge& executed_height;  // executed height
  Gauge& round;            // current round
  Counter& timeouts;       // timeouts this validator signed
  Counter& tcs;            // timeout certificates formed or received
  Counter& votes_sent;
  Counter& votes_received;
  Counter& proposals_sent;
  Counter& proposals_received;
  Counter& committed_blocks;
  Counter& committed_txs;  // transactions executed (duplicates included)
  // Proposals held until this validator's execution reached their exec_height.
  Counter& proposals_waiting_execution;
  Histogram& commit_latency_seconds;
  // Evidence of equivocation: pieces recorded (label "kind": double_vote, double_proposal),
  // pieces in blocks this validator committed, and pieces waiting for a block.
  CounterFamily& evidence_recorded;
  Counter& evidence_committed;
  Gauge& evidence_pending;
  // Mempool and network (sampled, or updated by their threads).
  Gauge& mempool_txs;
  Gauge& mempool_bytes;
  Gauge& peers;
  CounterFamily& invalid_messages;  // label "reason"
  // Client-facing (updated by the RPC server and the client port themselves).
  Counter& rpc_requests;
  CounterFamily& rpc_errors;  // label "error"
  Gauge& rpc_connections;
  Counter& client_txs_submitted;
  Gauge& client_connections;
  CounterFamily& client_disconnects;  // label "reason"
};

// Bounds of hotbft_commit_latency_seconds.
std::vector<double> CommitLatencyBuckets();

}  // namespace hotbft::node
