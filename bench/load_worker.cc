#include "bench/load_worker.h"

#include <algorithm>
#include <cmath>
#include <thread>

#include "crypto/assert.h"
#include "crypto/sha256.h"

namespace hotbft::bench {
namespace {

constexpr uint64_t kSendTimeoutMs = 10'000;
constexpr auto kReconnectPause = std::chrono::milliseconds(250);
// How long a Receive waits when there is nothing to send: it returns as soon as a message
// arrives, so this only bounds how late a rate's next batch or the stop flag is seen.
constexpr uint64_t kIdleWaitMs = 20;
constexpr uint64_t kRatedWaitMs = 5;  // with a rate: short, to keep to the schedule
constexpr uint64_t kBusyWaitMs = 1;   // a batch just went out and there is room for more
// The rate's bucket holds at most this much of a second's worth, so a stall (a full
// in-flight window) is not followed by a burst above the rate.
constexpr double kBucketSeconds = 0.05;

// PortClient::Receive's timeout leaves the connection usable; it is an IoError like a
// broken connection, told apart by its message (node/client.cc).
bool IsReceiveTimeout(const Status& status) {
  return status.code() == Status::Code::kIoError &&
         status.message().find("no message within the timeout") != std::string::npos;
}

// The node took the transaction and it may execute.
bool MayExecute(mempool::AddOutcome outcome) {
  return outcome == mempool::AddOutcome::kAdded || outcome == mempool::AddOutcome::kInPool ||
         outcome == mempool::AddOutcome::kCommitted;
}

LoadError ErrorOf(mempool::AddOutcome outcome) {
  switch (outcome) {
    case mempool::AddOutcome::kFull: return LoadError::kMempoolFull;
    case mempool::AddOutcome::kRejected:
    case mempool::AddOutcome::kRejectedBefore: return LoadError::kRefusedCheckTx;
    default: return LoadError::kOther;
  }
}

uint64_t Micros(Clock::duration d) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  return us > 0 ? static_cast<uint64_t>(us) : 0;
}

}  // namespace

uint64_t LoadTally::errors_total() const {
  uint64_t total = 0;
  for (const auto& e : errors) total += e.load();
  return total;
}

void LoadTally::SetLastError(std::string error) {
  std::lock_guard lock(mutex_);
  last_error_ = std::move(error);
}

std::string LoadTally::last_error() const {
  std::lock_guard lock(mutex_);
  return last_error_;
}

LoadWorker::LoadWorker(WorkerConfig config, LoadTally& tally,
                       std::unique_ptr<node::PortClient> client)
    : config_(std::move(config)),
      tally_(tally),
      client_(std::move(client)),
      factory_(config_.format, config_.run_id, config_.stream, config_.tx_bytes) {
  HOTBFT_ASSERT(client_ != nullptr);
  HOTBFT_ASSERT(config_.inflight_max >= 1);
  HOTBFT_ASSERT(config_.batch_txs_max >= 1);
  inflight_.reserve(config_.inflight_max);
}

void LoadWorker::Run(const std::atomic<bool>& sending, const std::atomic<bool>& stop) {
  tokens_at_ = Clock::now();
  while (!stop.load()) {
    const bool send_phase = sending.load();
    if (!client_) {
      if (!send_phase) break;  // a disconnect ended everything that was in flight
      if (!Reconnect(stop)) continue;
    }
    if (!send_phase && inflight_.empty() && batches_unanswered_ == 0) break;
    const size_t n = SendAllowance(send_phase);
    if (n > 0) {
      SendBatch(n);
      if (!client_) continue;
    }
    const uint64_t wait_ms = !send_phase                 ? kIdleWaitMs
                             : n > 0                     ? kBusyWaitMs
                             : config_.rate_tx_per_s > 0 ? kRatedWaitMs
                                                         : kIdleWaitMs;
    auto message = client_->Receive(wait_ms);
    if (message.ok()) {
      Handle(*message);
    } else if (!IsReceiveTimeout(message.status())) {
      Disconnect(message.status().message());
    }
  }
}

bool LoadWorker::Reconnect(const std::atomic<bool>& stop) {
  auto client = node::PortClient::Connect(config_.target, config_.connect_timeout_ms);
  if (client.ok()) {
    client_ = std::move(*client);
    return true;
  }
  tally_.SetLastError(client.status().message());
  const auto until = Clock::now() + kReconnectPause;
  while (!stop.load() && Clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

size_t LoadWorker::SendAllowance(bool sending) {
  if (!sending || inflight_.size() >= config_.inflight_max) return 0;
  size_t n = std::min(config_.inflight_max - inflight_.size(), config_.batch_txs_max);
  if (config_.rate_tx_per_s > 0) {
    const auto now = Clock::now();
    const double elapsed_s = std::chrono::duration<double>(now - tokens_at_).count();
    const double bucket = std::max(1.0, config_.rate_tx_per_s * kBucketSeconds);
    tokens_ = std::min(bucket, tokens_ + elapsed_s * config_.rate_tx_per_s);
    tokens_at_ = now;
    n = std::min(n, static_cast<size_t>(std::floor(tokens_)));
  }
  return n;
}

void LoadWorker::SendBatch(size_t n) {
  HOTBFT_ASSERT(n >= 1);
  HOTBFT_ASSERT(n <= config_.batch_txs_max);
  batch_.clear();
  std::vector<Hash32> hashes;
  hashes.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    batch_.push_back(factory_.Next());
    hashes.push_back(Sha256(batch_.back()));
  }
  const auto sent_at = Clock::now();
  auto id = client_->Send(batch_, /*notify=*/true, kSendTimeoutMs);
  if (!id.ok()) return Disconnect(id.status().message());
  for (const Hash32& hash : hashes) {
    const bool inserted = inflight_.emplace(hash, sent_at).second;
    HOTBFT_ASSERT_MSG(inserted, "the load generator made the same transaction twice");
  }
  ++batches_unanswered_;
  if (config_.rate_tx_per_s > 0) tokens_ -= static_cast<double>(n);
  tally_.submitted += n;
  tally_.inflight += n;
}

void LoadWorker::Handle(const node::PortMessage& message) {
  if (const auto* result = std::get_if<node::BatchResult>(&message)) return OnAdmitted(*result);
  if (const auto* notice = std::get_if<node::CommitNotice>(&message)) return OnCommits(*notice);
  const auto& error = std::get<node::PortError>(message);
  Disconnect("client port " + config_.target + " closed the connection: " + error.reason);
}

void LoadWorker::OnAdmitted(const node::BatchResult& result) {
  if (batches_unanswered_ > 0) --batches_unanswered_;
  uint64_t admitted = 0;
  bool first_error = true;
  for (const node::Admission& a : result.results) {
    const auto it = inflight_.find(a.hash);
    // Not in flight any more: its commit notification came first (the port then says it
    // is not watched, having reported it already).
    if (MayExecute(a.outcome) && (a.watched || it == inflight_.end())) {
      ++admitted;
      continue;
    }
    if (it == inflight_.end()) continue;
    if (first_error) {
      tally_.SetLastError(MayExecute(a.outcome)
                              ? "admitted but not watched (the port's watch bound?)"
                              : "refused (" + std::string(mempool::AddOutcomeName(a.outcome)) +
                                    ", code " + std::to_string(a.code) + "): " + a.log);
      first_error = false;
    }
    Drop(a.hash, ErrorOf(a.outcome));
  }
  tally_.admitted += admitted;
}

void LoadWorker::OnCommits(const node::CommitNotice& notice) {
  const auto now = Clock::now();
  const bool in_window =
      now >= config_.window_begin && now.time_since_epoch().count() <= tally_.window_end.load();
  uint64_t committed = 0, failed = 0;
  {
    std::lock_guard lock(histogram_mutex_);
    for (const node::CommittedTx& c : notice.committed) {
      auto it = inflight_.find(c.hash);
      if (it == inflight_.end()) continue;  // not ours, or ended already
      const uint64_t latency_us = Micros(now - it->second);
      window_.Record(latency_us);
      total_.Record(latency_us);
      inflight_.erase(it);
      ++committed;
      if (c.code != 0) ++failed;
      if (config_.on_committed) config_.on_committed(c);
    }
  }
  tally_.committed += committed;
  tally_.committed_failed += failed;
  if (in_window) tally_.committed_in_window += committed;
  tally_.inflight -= committed;
  for (const Hash32& hash : notice.expired) Drop(hash, LoadError::kExpired);
}

void LoadWorker::Drop(const Hash32& hash, LoadError error) {
  auto it = inflight_.find(hash);
  if (it == inflight_.end()) return;
  inflight_.erase(it);
  tally_.AddError(error, 1);
  tally_.inflight -= 1;
}

void LoadWorker::Disconnect(const std::string& why) {
  tally_.AddError(LoadError::kDisconnected, inflight_.size());
  tally_.inflight -= inflight_.size();
  inflight_.clear();
  batches_unanswered_ = 0;
  ++tally_.disconnects;
  tally_.SetLastError(why);
  client_.reset();
}

void LoadWorker::TakeWindow(LatencyHistogram& out) {
  std::lock_guard lock(histogram_mutex_);
  out.Merge(window_);
  window_.Reset();
}

void LoadWorker::MergeTotal(LatencyHistogram& out) const {
  std::lock_guard lock(histogram_mutex_);
  out.Merge(total_);
}

}  // namespace hotbft::bench
