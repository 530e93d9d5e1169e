#include "bench/load_generator.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <thread>

#include "bench/load_worker.h"
#include "crypto/assert.h"

namespace hotbft::bench {
namespace {

constexpr auto kProgressInterval = std::chrono::seconds(1);
constexpr auto kPollInterval = std::chrono::milliseconds(20);

bool Finite(double v) {
  return std::isfinite(v);
}

double Ms(uint64_t us) {
  return static_cast<double>(us) / 1000.0;
}

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

Clock::duration FromSeconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

LatencySummary Summarize(const LatencyHistogram& h) {
  return {Ms(h.Percentile(50)), Ms(h.Percentile(90)), Ms(h.Percentile(99)), Ms(h.max_us()),
          h.mean_us() / 1000.0};
}

// Everything one run holds: its workers and their threads.
class Run {
 public:
  Run(const LoadOptions& options, uint64_t run_id) : options_(options), run_id_(run_id) {}
  ~Run() {
    stop_ = true;
    for (std::thread& t : threads_) t.join();
  }

  Status Connect();
  LoadReport Execute(const ProgressFn& progress);

 private:
  void Start();
  LoadProgress Sample(Clock::time_point now);
  LoadReport Report(Clock::time_point end) const;

  const LoadOptions& options_;
  const uint64_t run_id_;
  std::vector<std::pair<std::string, std::unique_ptr<node::PortClient>>> clients_;
  LoadTally tally_;
  std::vector<std::unique_ptr<LoadWorker>> workers_;
  std::vector<std::thread> threads_;
  std::atomic<bool> sending_{true};
  std::atomic<bool> stop_{false};
  std::atomic<size_t> running_{0};
  Clock::time_point start_;
  Clock::time_point send_end_;  // start + duration, or when interrupted
  bool interrupted_ = false;
  uint64_t committed_reported_ = 0;  // at the last progress line
};

Status Run::Connect() {
  for (const std::string& target : options_.targets) {
    for (size_t c = 0; c < options_.connections_per_target; ++c) {
      auto client = node::PortClient::Connect(target, options_.connect_timeout_ms);
      if (!client.ok()) {
        return Status::IoError("cannot connect to the client port " + target + " (" +
                               client.status().message() +
                               "): is the node running? start it with `hotbft start --home "
                               "DIR`; its client port is rpc_client_listen in DIR/config.toml");
      }
      clients_.emplace_back(target, std::move(*client));
    }
  }
  return Status::Ok();
}

void Run::Start() {
  const size_t n = clients_.size();
  HOTBFT_ASSERT(n >= 1);
  HOTBFT_ASSERT(n <= kConnectionsMax);
  start_ = Clock::now();
  send_end_ = start_ + FromSeconds(options_.duration_s);
  tally_.window_end = send_end_.time_since_epoch().count();
  for (size_t i = 0; i < n; ++i) {
    WorkerConfig config;
    config.target = clients_[i].first;
    config.stream = static_cast<uint16_t>(i);
    config.format = options_.format;
    config.run_id = run_id_;
    config.tx_bytes = options_.tx_bytes;
    config.rate_tx_per_s = options_.rate_tx_per_s / static_cast<double>(n);
    // The in-flight bound split evenly, the remainder to the first workers.
    config.inflight_max =
        std::max<size_t>(1, options_.inflight_max / n + (i < options_.inflight_max % n ? 1 : 0));
    config.batch_txs_max = options_.batch_txs_max;
    config.connect_timeout_ms = options_.connect_timeout_ms;
    config.window_begin = start_ + FromSeconds(options_.warmup_s);
    config.on_committed = options_.on_committed;
    workers_.push_back(
        std::make_unique<LoadWorker>(std::move(config), tally_, std::move(clients_[i].second)));
  }
  running_ = n;
  for (auto& worker : workers_) {
    threads_.emplace_back([this, w = worker.get()] {
      w->Run(sending_, stop_);
      --running_;
    });
  }
}

LoadProgress Run::Sample(Clock::time_point now) {
  LatencyHistogram second;
  for (auto& worker : workers_) worker->TakeWindow(second);
  const uint64_t committed = tally_.committed.load();
  LoadProgress p;
  p.elapsed_s = Seconds(now - start_);
  p.committed_last_s = committed - committed_reported_;
  committed_reported_ = committed;
  p.p50_ms = Ms(second.Percentile(50));
  p.p99_ms = Ms(second.Percentile(99));
  p.inflight = tally_.inflight.load();
  p.errors = tally_.errors_total();
  p.draining = !sending_.load();
  return p;
}

LoadReport Run::Execute(const ProgressFn& progress) {
  Start();
  auto drain_end = send_end_ + FromSeconds(options_.drain_timeout_s);
  auto next_progress = start_ + kProgressInterval;
  while (running_.load() > 0) {
    std::this_thread::sleep_for(kPollInterval);
    const auto now = Clock::now();
    const int interrupts = options_.interrupts != nullptr ? options_.interrupts->load() : 0;
    if (sending_ && interrupts >= 1 && now < send_end_) {
      // The run ends here: the measured window too, and the drain starts now.
      interrupted_ = true;
      send_end_ = now;
      tally_.window_end = now.time_since_epoch().count();
      drain_end = now + FromSeconds(options_.drain_timeout_s);
    }
    if (sending_ && now >= send_end_) sending_ = false;
    if (now >= drain_end || interrupts >= 2) stop_ = true;
    if (now >= next_progress) {
      const LoadProgress p = Sample(now);
      if (progress) progress(p);
      next_progress += kProgressInterval;
    }
  }
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  return Report(Clock::now());
}

LoadReport Run::Report(Clock::time_point end) const {
  LoadReport r;
  r.run_id = run_id_;
  r.targets = options_.targets;
  r.connections = workers_.size();
  r.app = std::string(TxFormatName(options_.format));
  r.tx_bytes = options_.tx_bytes;
  r.rate_tx_per_s = options_.rate_tx_per_s;
  r.inflight_max = options_.inflight_max;
  r.duration_s = options_.duration_s;
  r.elapsed_s = Seconds(end - start_);
  r.interrupted = interrupted_;
  r.sent_s = Seconds(send_end_ - start_);
  r.window_s = std::max(0.0, Seconds(send_end_ - start_) - options_.warmup_s);
  r.submitted = tally_.submitted.load();
  r.admitted = tally_.admitted.load();
  r.committed = tally_.committed.load();
  r.committed_failed = tally_.committed_failed.load();
  r.committed_in_window = tally_.committed_in_window.load();
  r.unfinished = tally_.inflight.load();
  r.committed_tx_per_s =
      r.window_s > 0 ? static_cast<double>(r.committed_in_window) / r.window_s : 0;
  LatencyHistogram total;
  for (const auto& worker : workers_) worker->MergeTotal(total);
  r.latency = Summarize(total);
  for (size_t i = 0; i < r.errors.size(); ++i) r.errors[i] = tally_.errors[i].load();
  r.disconnects = tally_.disconnects.load();
  r.last_error = tally_.last_error();
  HOTBFT_ASSERT(r.submitted == r.committed + r.errors_total() + r.unfinished);
  return r;
}

}  // namespace

std::string_view LoadErrorName(LoadError error) {
  switch (error) {
    case LoadError::kMempoolFull: return "mempool_full";
    case LoadError::kRefusedCheckTx: return "refused_check_tx";
    case LoadError::kExpired: return "expired";
    case LoadError::kDisconnected: return "disconnected";
    case LoadError::kOther: return "other";
    case LoadError::kCount: break;
  }
  return "unknown";
}

uint64_t LoadReport::errors_total() const {
  uint64_t total = 0;
  for (uint64_t e : errors) total += e;
  return total;
}

Status ValidateLoadOptions(const LoadOptions& o) {
  const auto bad = [](const std::string& what) { return Status::InvalidArgument(what); };
  if (o.targets.empty()) return bad("no targets: give client port addresses or a testnet");
  if (o.connections_per_target == 0 ||
      o.connections_per_target > kConnectionsMax / o.targets.size()) {
    return bad("connections: " + std::to_string(o.connections_per_target) + " per target x " +
               std::to_string(o.targets.size()) + " targets; at most " +
               std::to_string(kConnectionsMax) + " in all, at least 1 per target");
  }
  if (o.tx_bytes < TxFactory::kTxBytesMin || o.tx_bytes > kTxBytesMax) {
    return bad("tx bytes " + std::to_string(o.tx_bytes) + " not in [" +
               std::to_string(TxFactory::kTxBytesMin) + ", " + std::to_string(kTxBytesMax) + "]");
  }
  if (!Finite(o.rate_tx_per_s) || o.rate_tx_per_s < 0) {
    return bad("rate " + std::to_string(o.rate_tx_per_s) + " tx/s: must be >= 0");
  }
  if (o.inflight_max == 0 || o.inflight_max > kInflightMax) {
    return bad("in-flight bound " + std::to_string(o.inflight_max) + " not in [1, " +
               std::to_string(kInflightMax) + "]");
  }
  if (!Finite(o.duration_s) || o.duration_s <= 0 || !Finite(o.warmup_s) || o.warmup_s < 0 ||
      o.warmup_s >= o.duration_s) {
    return bad("duration " + std::to_string(o.duration_s) + " s, warmup " +
               std::to_string(o.warmup_s) + " s: need 0 <= warmup < duration");
  }
  if (!Finite(o.drain_timeout_s) || o.drain_timeout_s < 0) {
    return bad("drain timeout " + std::to_string(o.drain_timeout_s) + " s: must be >= 0");
  }
  if (o.batch_txs_max == 0 || o.batch_txs_max > kBatchTxsMax) {
    return bad("batch size " + std::to_string(o.batch_txs_max) + " not in [1, " +
               std::to_string(kBatchTxsMax) + "]");
  }
  if (o.run_id > TxFactory::kRunIdMax) return bad("run id above 2^48 - 1");
  return Status::Ok();
}

Result<LoadReport> RunLoad(const LoadOptions& options, const ProgressFn& progress) {
  HOTBFT_RETURN_IF_ERROR(ValidateLoadOptions(options));
  Run run(options, options.run_id != 0 ? options.run_id : TxFactory::RandomRunId());
  HOTBFT_RETURN_IF_ERROR(run.Connect());
  return run.Execute(progress);
}

}  // namespace hotbft::bench
