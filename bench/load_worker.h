// LoadWorker: one connection of the load generator (load_generator.h), run on a thread of
// its own. Internal to bench/.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "bench/latency_histogram.h"
#include "bench/load_generator.h"
#include "bench/tx_factory.h"
#include "node/client.h"

namespace hotbft::bench {

using Clock = std::chrono::steady_clock;

// Counters every worker adds to and the reporter reads. Thread-safe.
struct LoadTally {
  std::atomic<uint64_t> submitted{0};
  std::atomic<uint64_t> admitted{0};
  std::atomic<uint64_t> committed{0};
  std::atomic<uint64_t> committed_failed{0};
  std::atomic<uint64_t> committed_in_window{0};
  std::atomic<uint64_t> inflight{0};
  std::atomic<uint64_t> disconnects{0};
  // Commits at or before this instant (Clock ticks) are in the measured window; the run
  // moves it earlier when interrupted.
  std::atomic<Clock::rep> window_end{0};
  std::array<std::atomic<uint64_t>, static_cast<size_t>(LoadError::kCount)> errors{};

  void AddError(LoadError e, uint64_t n) { errors[static_cast<size_t>(e)] += n; }
  uint64_t errors_total() const;
  void SetLastError(std::string error);
  std::string last_error() const;

 private:
  mutable std::mutex mutex_;
  std::string last_error_;  // GUARDED_BY(mutex_)
};

struct WorkerConfig {
  std::string target;
  uint16_t stream = 0;
  TxFormat format = TxFormat::kKvstore;
  uint64_t run_id = 0;
  size_t tx_bytes = 256;
  double rate_tx_per_s = 0;  // this worker's share; 0: unlimited
  size_t inflight_max = 1;   // this worker's share
  size_t batch_txs_max = 500;
  uint64_t connect_timeout_ms = 5'000;
  Clock::time_point window_begin;  // commits in [window_begin, tally.window_end] are measured
  std::function<void(const node::CommittedTx&)> on_committed;  // LoadOptions::on_committed
};

class LoadWorker {
 public:
  // `tally` must outlive the worker. `client` is connected.
  LoadWorker(WorkerConfig config, LoadTally& tally, std::unique_ptr<node::PortClient> client);

  // Sends while `sending`, then waits for what is in flight; returns once nothing is in
  // flight and every batch is answered after `sending` went false, or when `stop` is set. What is
  // still in flight on return stays counted in tally.inflight (the run's `unfinished`).
  void Run(const std::atomic<bool>& sending, const std::atomic<bool>& stop);

  // Moves the latencies recorded since the last call into `out`. Thread-safe.
  void TakeWindow(LatencyHistogram& out);
  // Adds every latency recorded so far to `out`. Thread-safe.
  void MergeTotal(LatencyHistogram& out) const;

 private:
  bool Reconnect(const std::atomic<bool>& stop);
  size_t SendAllowance(bool sending);
  void SendBatch(size_t n);
  void Handle(const node::PortMessage& message);
  void OnAdmitted(const node::BatchResult& result);
  void OnCommits(const node::CommitNotice& notice);
  void Drop(const Hash32& hash, LoadError error);
  void Disconnect(const std::string& why);

  const WorkerConfig config_;
  LoadTally& tally_;
  std::unique_ptr<node::PortClient> client_;  // null after a disconnect
  TxFactory factory_;
  // Transactions sent and not ended, by hash: when each was sent. At most inflight_max.
  std::unordered_map<Hash32, Clock::time_point, Hash32Hasher> inflight_;
  size_t batches_unanswered_ = 0;  // sent, their SubmitBatchResult not read yet
  double tokens_ = 0;              // the rate's bucket, in transactions
  Clock::time_point tokens_at_;
  std::vector<Bytes> batch_;  // reused

  mutable std::mutex histogram_mutex_;
  LatencyHistogram window_;  // GUARDED_BY(histogram_mutex_)
  LatencyHistogram total_;   // GUARDED_BY(histogram_mutex_)
};

}  // namespace hotbft::bench
