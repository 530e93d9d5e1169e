// Prometheus text format: https://prometheus.io/docs/instrumenting/exposition_formats/
#include "node/metrics.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <variant>

#include "crypto/assert.h"

namespace hotbft::node {
namespace {

bool IsNameStart(char c, bool colon_ok) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon_ok && c == ':');
}

bool IsValidName(std::string_view name, bool colon_ok) {
  if (name.empty() || !IsNameStart(name[0], colon_ok)) return false;
  for (char c : name) {
    if (!IsNameStart(c, colon_ok) && !(c >= '0' && c <= '9')) return false;
  }
  return true;
}

bool IsValidLabelName(std::string_view name) {
  return IsValidName(name, false) && !name.starts_with("__") && name != "le";
}

// HELP text escapes backslash and line feed only; we refuse line feeds outright.
std::string EscapeHelp(std::string_view help) {
  std::string out;
  for (char c : help) {
    if (c == '\\')
      out += "\\\\";
    else
      out += c;
  }
  return out;
}

}  // namespace

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
  return out;
}

std::string FormatSampleValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[64];
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    std::snprintf(buffer, sizeof(buffer), "%.0f", value);
    return buffer;
  }
  // The shortest text that parses back to the same double (as Go's clients write them).
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  HOTBFT_ASSERT(ec == std::errc());
  return std::string(buffer, end);
}

// ---- Histogram ----

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      counts_(std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1)) {
  HOTBFT_ASSERT(!bounds_.empty());
  HOTBFT_ASSERT(bounds_.size() <= kBucketsMax);
  for (size_t i = 0; i < bounds_.size(); ++i) {
    HOTBFT_ASSERT(std::isfinite(bounds_[i]));
    HOTBFT_ASSERT(i == 0 || bounds_[i - 1] < bounds_[i]);
  }
}

void Histogram::Observe(double value) {
  // Buckets are few (kBucketsMax): a linear scan beats a binary search at this size.
  size_t i = 0;
  while (i < bounds_.size() && !(value <= bounds_[i])) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  if (!std::isnan(value)) sum_.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.bounds = bounds_;
  s.cumulative.resize(bounds_.size() + 1);
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    s.cumulative[i] = running;
  }
  s.count = running;
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

// ---- CounterFamily ----

Counter& CounterFamily::With(std::string_view value) {
  std::lock_guard lock(mutex_);
  auto find = [this](std::string_view v) -> Counter* {
    for (auto& [name, counter] : counters_) {
      if (name == v) return &counter;
    }
    return nullptr;
  };
  if (Counter* found = find(value)) return *found;
  // The last slot is kept for kOverflowValue.
  if (counters_.size() + 1 >= kValuesMax) {
    value = kOverflowValue;
    if (Counter* found = find(value)) return *found;
  }
  counters_.emplace_back(std::piecewise_construct, std::forward_as_tuple(value),
                         std::forward_as_tuple());
  return counters_.back().second;
}

std::vector<std::pair<std::string, uint64_t>> CounterFamily::values() const {
  std::lock_guard lock(mutex_);
  std::vector<std::pair<std::string, uint64_t>> out;
  out.reserve(counters_.size());
  for (const auto& [v, counter] : counters_) out.emplace_back(v, counter.value());
  return out;
}

// ---- MetricsRegistry ----

struct MetricsRegistry::Entry {
  std::string name;
  std::string help;
  std::variant<std::monostate, Counter, Gauge, std::unique_ptr<Histogram>,
               std::unique_ptr<CounterFamily>>
      metric;
};

MetricsRegistry::MetricsRegistry() = default;
MetricsRegistry::~MetricsRegistry() = default;

MetricsRegistry::Entry& MetricsRegistry::Register(std::string name, std::string help) {
  HOTBFT_ASSERT_MSG(IsValidName(name, true), name.c_str());
  HOTBFT_ASSERT(help.find('\n') == std::string::npos);
  for (const auto& e : entries_) HOTBFT_ASSERT_MSG(e->name != name, name.c_str());
  entries_.push_back(std::make_unique<Entry>());
  entries_.back()->name = std::move(name);
  entries_.back()->help = std::move(help);
  return *entries_.back();
}

Counter& MetricsRegistry::AddCounter(std::string name, std::string help) {
  std::lock_guard lock(mutex_);
  return Register(std::move(name), std::move(help)).metric.emplace<Counter>();
}

Gauge& MetricsRegistry::AddGauge(std::string name, std::string help) {
  std::lock_guard lock(mutex_);
  return Register(std::move(name), std::move(help)).metric.emplace<Gauge>();
}

Histogram& MetricsRegistry::AddHistogram(std::string name, std::string help,
                                         std::vector<double> bounds) {
  std::lock_guard lock(mutex_);
  auto& slot = Register(std::move(name), std::move(help)).metric;
  return *slot.emplace<std::unique_ptr<Histogram>>(std::make_unique<Histogram>(std::move(bounds)));
}

CounterFamily& MetricsRegistry::AddCounterFamily(std::string name, std::string help,
                                                 std::string label) {
  HOTBFT_ASSERT_MSG(IsValidLabelName(label), label.c_str());
  std::lock_guard lock(mutex_);
  auto& slot = Register(std::move(name), std::move(help)).metric;
  return *slot.emplace<std::unique_ptr<CounterFamily>>(
      std::make_unique<CounterFamily>(std::move(label)));
}

namespace {

void RenderHeader(std::string& out, const std::string& name, const std::string& help,
                  std::string_view type) {
  out += "# HELP " + name + " " + EscapeHelp(help) + "\n";
  out += "# TYPE " + name + " ";
  out += type;
  out += "\n";
}

void RenderHistogram(std::string& out, const std::string& name, const Histogram& h) {
  const Histogram::Snapshot s = h.snapshot();
  for (size_t i = 0; i < s.bounds.size(); ++i) {
    out += name + "_bucket{le=\"" + FormatSampleValue(s.bounds[i]) + "\"} " +
           std::to_string(s.cumulative[i]) + "\n";
  }
  out += name + "_bucket{le=\"+Inf\"} " + std::to_string(s.count) + "\n";
  out += name + "_sum " + FormatSampleValue(s.sum) + "\n";
  out += name + "_count " + std::to_string(s.count) + "\n";
}

}  // namespace

std::string MetricsRegistry::Render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& e : entries_) {
    if (const auto* c = std::get_if<Counter>(&e->metric)) {
      RenderHeader(out, e->name, e->help, "counter");
      out += e->name + " " + std::to_string(c->value()) + "\n";
    } else if (const auto* g = std::get_if<Gauge>(&e->metric)) {
      RenderHeader(out, e->name, e->help, "gauge");
      out += e->name + " " + std::to_string(g->value()) + "\n";
    } else if (const auto* h = std::get_if<std::unique_ptr<Histogram>>(&e->metric)) {
      RenderHeader(out, e->name, e->help, "histogram");
      RenderHistogram(out, e->name, **h);
    } else if (const auto* f = std::get_if<std::unique_ptr<CounterFamily>>(&e->metric)) {
      RenderHeader(out, e->name, e->help, "counter");
      for (const auto& [value, count] : (*f)->values()) {
        out += e->name + "{" + (*f)->label() + "=\"" + EscapeLabelValue(value) + "\"} " +
               std::to_string(count) + "\n";
      }
    }
  }
  return out;
}

// ---- NodeMetrics ----

std::vector<double> CommitLatencyBuckets() {
  return {0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60};
}

NodeMetrics::NodeMetrics()
    : height(registry.AddGauge("hotbft_height", "Committed height.")),
      executed_height(
          registry.AddGauge("hotbft_executed_height", "Highest height the application executed.")),
      round(registry.AddGauge("hotbft_round", "Current consensus round.")),
      timeouts(registry.AddCounter("hotbft_timeouts_total", "Timeouts this validator signed.")),
      tcs(registry.AddCounter("hotbft_tcs_total", "Timeout certificates formed or received.")),
      votes_sent(registry.AddCounter("hotbft_votes_sent_total", "Votes this validator signed.")),
      votes_received(registry.AddCounter("hotbft_votes_received_total",
                                         "Votes received from peers (before verification).")),
      proposals_sent(
          registry.AddCounter("hotbft_proposals_sent_total", "Proposals this validator signed.")),
      proposals_received(
          registry.AddCounter("hotbft_proposals_received_total", "Proposals received from peers.")),
      committed_blocks(
          registry.AddCounter("hotbft_committed_blocks_total", "Blocks this validator committed.")),
      committed_txs(registry.AddCounter("hotbft_committed_txs_total",
                                        "Transactions in executed blocks, duplicates included.")),
      proposals_waiting_execution(registry.AddCounter(
          "hotbft_proposals_waiting_execution_total",
          "Proposals held until this validator's execution reached their exec_height.")),
      commit_latency_seconds(registry.AddHistogram(
          "hotbft_commit_latency_seconds",
          "Seconds from a block's header timestamp (the proposer's clock) to its commit here.",
          CommitLatencyBuckets())),
      evidence_recorded(registry.AddCounterFamily(
          "hotbft_evidence_recorded_total",
          "Evidence of equivocation this validator recorded (two conflicting signed messages "
          "of one validator), by kind.",
          "kind")),
      evidence_committed(registry.AddCounter(
          "hotbft_evidence_committed_total",
          "Pieces of evidence in blocks this validator committed (handed to the app).")),
      evidence_pending(registry.AddGauge("hotbft_evidence_pending",
                                         "Pieces of evidence waiting for a block to carry them.")),
      mempool_txs(registry.AddGauge("hotbft_mempool_txs", "Transactions in the mempool.")),
      mempool_bytes(
          registry.AddGauge("hotbft_mempool_bytes", "Bytes of the transactions in the mempool.")),
      peers(registry.AddGauge("hotbft_peers", "Connected, authenticated peers.")),
      invalid_messages(registry.AddCounterFamily(
          "hotbft_invalid_messages_total", "Messages refused from peers, by reason.", "reason")),
      rpc_requests(registry.AddCounter("hotbft_rpc_requests_total",
                                       "HTTP RPC calls (a JSON-RPC batch counts each call).")),
      rpc_errors(registry.AddCounterFamily(
          "hotbft_rpc_errors_total", "HTTP RPC calls answered with an error, by kind.", "error")),
      rpc_connections(registry.AddGauge("hotbft_rpc_connections", "Open HTTP RPC connections.")),
      client_txs_submitted(
          registry.AddCounter("hotbft_client_txs_submitted_total",
                              "Transactions submitted on the binary client port.")),
      client_connections(registry.AddGauge("hotbft_client_connections",
                                           "Open connections on the binary client port.")),
      client_disconnects(registry.AddCounterFamily(
          "hotbft_client_disconnects_total",
          "Binary client port connections closed by the node, by reason.", "reason")) {}

}  // namespace hotbft::node
