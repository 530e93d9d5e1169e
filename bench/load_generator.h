// The load generator behind `hotbft bench` (docs/bench.md): transactions over the binary
// client port (node/client_port.h) of one or more nodes, each watched until the node
// reports it executed; throughput and send-to-commit latency.
//
// One thread per connection (targets x connections_per_target), each with its own
// PortClient. A thread pipelines batches (notify = true) while it has fewer than its share
// of inflight_max transactions outstanding and, with a rate, while its token bucket allows;
// it reads admission results and commit notifications in between. A transaction is in
// flight from its send to its end: refused at admission, committed (the node's
// CommitNotification), expired (the node stopped watching it), or lost with its
// connection. Memory is bounded by the in-flight set: latencies go into fixed-size
// histograms (bench/latency_histogram.h).
//
// Phases: sending for duration_s (commits in [warmup_s, duration_s] make the measured
// throughput), then draining: no more sends, and the run ends once nothing is in flight
// or after drain_timeout_s; what is still in flight then is `unfinished`.
// Accounting: submitted = committed + sum(errors) + unfinished.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "bench/tx_factory.h"
#include "crypto/status.h"
#include "node/client.h"

namespace hotbft::bench {

struct LoadOptions {
  std::vector<std::string> targets;  // client ports, HOST:PORT; transactions spread over all
  size_t connections_per_target = 1;
  TxFormat format = TxFormat::kKvstore;
  size_t tx_bytes = 256;
  double rate_tx_per_s = 0;  // 0: as fast as inflight_max allows
  size_t inflight_max = 5'000;
  double duration_s = 10;
  double warmup_s = 0;  // commits before this are left out of the measured throughput
  double drain_timeout_s = 30;
  size_t batch_txs_max = 500;  // per SubmitBatch; the port takes up to 10,000
  uint64_t run_id = 0;         // 0: random (TxFactory::RandomRunId)
  uint64_t connect_timeout_ms = 5'000;
  // Called for each of this run's transactions a node reports executed (its hash, height,
  // position and code), from the connection's thread: several threads call it at once, so
  // it must be thread-safe. For tests that check every acknowledged transaction later.
  std::function<void(const node::CommittedTx&)> on_committed;
  // If set, read while the run goes on (Ctrl-C in `hotbft bench`): at 1, sending stops as
  // if the duration had ended there (the measured window ends there too) and the run drains;
  // at 2 or more, draining stops too and the report follows at once.
  const std::atomic<int>* interrupts = nullptr;
};

// Bounds on the options, checked by ValidateLoadOptions.
inline constexpr size_t kConnectionsMax = 1'024;  // in all; a thread each
inline constexpr size_t kTxBytesMax = size_t{1} << 20;
inline constexpr size_t kInflightMax = 1'000'000;
inline constexpr size_t kBatchTxsMax = 10'000;  // ClientPortConfig::batch_txs_max

// The options are usable: targets given, sizes and durations in range. Names the value.
Status ValidateLoadOptions(const LoadOptions& options);

// Why a transaction did not commit.
enum class LoadError : uint8_t {
  kMempoolFull,     // TX_FULL
  kRefusedCheckTx,  // TX_REJECTED, TX_REJECTED_BEFORE: the app's CheckTx said no
  kExpired,         // admitted, then the node stopped watching it (watch timeout)
  kDisconnected,    // in flight when its connection broke
  kOther,           // too large, the app did not answer, not watched, already known
  kCount,
};
std::string_view LoadErrorName(LoadError error);  // "mempool_full", ...

struct LatencySummary {
  double p50_ms = 0;
  double p90_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
  double mean_ms = 0;
};

// One line a second while running.
struct LoadProgress {
  double elapsed_s = 0;
  uint64_t committed_last_s = 0;  // commits reported in the last second
  double p50_ms = 0;              // of those commits
  double p99_ms = 0;
  uint64_t inflight = 0;
  uint64_t errors = 0;  // since the start
  bool draining = false;
};

struct LoadReport {
  uint64_t run_id = 0;
  std::vector<std::string> targets;
  size_t connections = 0;  // in all
  std::string app;
  size_t tx_bytes = 0;
  double rate_tx_per_s = 0;
  size_t inflight_max = 0;
  double duration_s = 0;
  double elapsed_s = 0;      // sending and draining
  double window_s = 0;       // the measured window: duration_s (or until interrupted) - warmup_s
  bool interrupted = false;  // LoadOptions::interrupts cut the run short
  double sent_s = 0;         // how long it sent: duration_s, or less when interrupted

  uint64_t submitted = 0;
  uint64_t admitted = 0;          // admitted and watched
  uint64_t committed = 0;         // reported executed, whatever the execution code
  uint64_t committed_failed = 0;  // of those, with a non-zero execution code
  uint64_t committed_in_window = 0;
  uint64_t unfinished = 0;        // still in flight when the drain ended
  double committed_tx_per_s = 0;  // committed_in_window / window_s
  LatencySummary latency;         // of every committed transaction
  std::array<uint64_t, static_cast<size_t>(LoadError::kCount)> errors{};
  uint64_t disconnects = 0;
  std::string last_error;  // the last connection failure, if any

  uint64_t errors_total() const;
  uint64_t errors_of(LoadError e) const { return errors[static_cast<size_t>(e)]; }
};

// "h1:p1,h2:p2" -> its addresses. Fails on an empty list or an entry without a port.
Result<std::vector<std::string>> ParseTargets(std::string_view list);
// The client ports of a testnet made by `hotbft testnet`: `rpc_client_listen` of each
// DIR/node<i>/config.toml, in node order. A 0.0.0.0 or :: listen address is dialled on
// loopback.
Result<std::vector<std::string>> TestnetTargets(const std::string& dir);

using ProgressFn = std::function<void(const LoadProgress&)>;

// Runs the load and reports. Connects every connection first and fails, with nothing
// sent, if one cannot connect (the message names the address). `progress`, if given, is
// called from this thread about once a second. Connections that break later are counted
// and re-dialled while sending.
Result<LoadReport> RunLoad(const LoadOptions& options, const ProgressFn& progress = nullptr);

nlohmann::json ReportJson(const LoadReport& report);
std::string FormatReport(const LoadReport& report);        // several lines, for people
std::string FormatProgress(const LoadProgress& progress);  // one line, no newline

}  // namespace hotbft::bench
