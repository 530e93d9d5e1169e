#include "tests/sim/sweep.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iomanip>
#include <mutex>
#include <sstream>
#include <thread>

namespace hotbft::sim {
namespace {

std::string ReplayCommand(const SimConfig& c, uint64_t seed) {
  std::ostringstream s;
  s << "hotbft-sim --validators " << c.validators << " --first-seed " << seed
    << " --seeds 1 --duration " << static_cast<double>(c.duration_ms) / 1000.0;
  if (c.crashes) s << " --crashes";
  if (c.partitions) s << " --partitions";
  if (c.byzantine > 0) {
    s << " --byzantine " << c.byzantine << " --strategy ";
    if (c.twins) {
      s << "twins";
    } else if (c.strategies.empty()) {
      s << "all";
    } else {
      for (size_t k = 0; k < c.strategies.size(); ++k) {
        s << (k ? "," : "") << byzantine::StrategyName(c.strategies[k]);
      }
    }
  }
  s << " --drop " << c.drop_probability << " --real-crypto-share " << c.real_crypto_share;
  if (c.test_forget_safety_on_restart) s << " --test-forget-safety";
  if (c.test_partition_never_heals) s << " --test-partition-forever";
  if (c.test_unsafe_rules) s << " --test-unsafe-rules";
  if (c.test_diverge_app_at) s << " --test-diverge-app " << c.test_diverge_app_at;
  return s.str();
}

void Accumulate(SweepSummary& sum, const SeedResult& r) {
  ++sum.seeds;
  if (r.scheme == SignatureScheme::kSchnorrBip340) ++sum.real_crypto_seeds;
  if (r.violation) {
    ++sum.violations;
    sum.failures.push_back(r);
  }
  sum.rounds += r.rounds;
  sum.timeouts_sent += r.timeouts_sent;
  sum.tcs_formed += r.tcs_formed;
  sum.crashes += r.crashes;
  sum.virtual_ms += r.virtual_ms;
  sum.events += r.events;
  for (size_t k = 0; k < r.dropped.size(); ++k) sum.dropped[k] += r.dropped[k];
  sum.evidence_recorded += r.evidence_recorded;
  sum.evidence_required += r.evidence_required;
  sum.evidence_committed += r.evidence_committed;
  sum.txs_admitted += r.txs_admitted;
  sum.txs_took_effect += r.txs_took_effect;
  sum.txs_duplicates += r.txs_duplicates;
  if (r.liveness_checked) ++sum.liveness_checked_seeds;
  if (!r.byzantine.empty()) ++sum.byzantine_seeds;
}

// Invalid messages dropped by reason, without the harmless and the empty ones:
// "bad_signature:12,invalid_qc:3".
std::string FormatDropped(const std::array<uint64_t, static_cast<size_t>(DropReason::kCount)>& d) {
  std::ostringstream o;
  bool first = true;
  for (size_t k = 0; k < d.size(); ++k) {
    const auto reason = static_cast<DropReason>(k);
    if (d[k] == 0 || reason == DropReason::kStaleRound) continue;
    o << (first ? "" : ",") << DropReasonName(reason) << ":" << d[k];
    first = false;
  }
  return first ? "none" : o.str();
}

}  // namespace

SweepSummary RunSweep(const SweepOptions& options) {
  HOTBFT_ASSERT(options.jobs >= 1);
  HOTBFT_ASSERT(options.jobs <= kSweepJobsMax);
  const auto start = std::chrono::steady_clock::now();
  std::vector<SeedResult> results(options.seeds);
  std::atomic<uint64_t> next{0};
  std::mutex mu;  // guards `done` and the output streams
  uint64_t done = 0;
  auto worker = [&] {
    for (uint64_t k = next++; k < options.seeds; k = next++) {
      Simulation sim(options.config, options.first_seed + k);
      results[k] = sim.Run();
      std::lock_guard<std::mutex> lock(mu);
      ++done;
      if (options.verbose) *options.verbose << FormatSeedLine(results[k]) << "\n";
      if (options.progress && options.progress_every && done % options.progress_every == 0) {
        *options.progress << "[hotbft-sim] " << done << "/" << options.seeds << " seeds\n";
      }
    }
  };
  std::vector<std::thread> threads;
  for (uint32_t j = 1; j < std::min<uint64_t>(options.jobs, options.seeds); ++j) {
    threads.emplace_back(worker);
  }
  worker();
  for (auto& t : threads) t.join();

  SweepSummary sum;
  std::vector<Height> mins;
  for (const SeedResult& r : results) {
    Accumulate(sum, r);
    if (r.liveness_checked) mins.push_back(r.committed_min);
  }
  if (!mins.empty()) {
    std::sort(mins.begin(), mins.end());
    sum.committed_min = mins.front();
    sum.committed_median = mins[mins.size() / 2];
  }
  sum.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return sum;
}

std::string FormatSummary(const SweepSummary& s) {
  std::ostringstream o;
  const double wall = std::max(s.wall_s, 1e-9);
  o << std::fixed << std::setprecision(1) << "seeds=" << s.seeds << " violations=" << s.violations
    << " real_crypto_seeds=" << s.real_crypto_seeds
    << " committed_blocks(min/median)=" << s.committed_min << "/" << s.committed_median
    << " timeouts=" << s.timeouts_sent << " tcs=" << s.tcs_formed << " crashes=" << s.crashes
    << " rounds=" << s.rounds << " liveness_checked=" << s.liveness_checked_seeds
    << " byzantine_seeds=" << s.byzantine_seeds << " dropped=" << FormatDropped(s.dropped)
    << " evidence=" << s.evidence_recorded << " evidence_required=" << s.evidence_required
    << " evidence_committed=" << s.evidence_committed
    << " txs(admitted/took_effect/duplicates)=" << s.txs_admitted << "/" << s.txs_took_effect << "/"
    << s.txs_duplicates << " virtual=" << static_cast<double>(s.virtual_ms) / 1000.0
    << "s wall=" << std::setprecision(2) << s.wall_s << "s (" << static_cast<double>(s.seeds) / wall
    << " seeds/s, " << std::setprecision(0) << static_cast<double>(s.rounds) / wall << " rounds/s)";
  return o.str();
}

std::string FormatFailure(const SeedResult& r, const SimConfig& config, bool with_trace) {
  std::ostringstream o;
  o << "VIOLATION seed=" << r.seed << " checker=" << r.violation->checker
    << " scheme=" << SchemeName(r.scheme) << "\n  " << r.violation->message
    << "\n  replay: " << ReplayCommand(config, r.seed) << "\n";
  if (with_trace) o << "  last events:\n" << r.trace;
  return o.str();
}

std::string FormatSeedLine(const SeedResult& r) {
  std::ostringstream o;
  o << "seed=" << r.seed << " scheme=" << SchemeName(r.scheme)
    << " committed(min/max)=" << r.committed_min << "/" << r.committed_max << " rounds=" << r.rounds
    << " timeouts=" << r.timeouts_sent << " timeout_sends_after_gst=" << r.timeout_sends_after_gst
    << " tcs=" << r.tcs_formed << " crashes=" << r.crashes << " txs=" << r.txs_committed
    << " events=" << r.events;
  if (r.down_for_good) o << " down_for_good=" << *r.down_for_good;
  for (size_t k = 0; k < r.byzantine.size(); ++k) {
    o << " byzantine=" << r.byzantine[k] << ":"
      << (r.twins ? std::string_view("twins") : byzantine::StrategyName(r.strategies[k]));
  }
  if (!r.liveness_checked) o << " liveness=unchecked";
  o << " evidence=" << r.evidence_recorded << " evidence_committed=" << r.evidence_committed
    << " dropped=" << FormatDropped(r.dropped);
  if (r.violation) o << " VIOLATION(" << r.violation->checker << ")";
  return o.str();
}

}  // namespace hotbft::sim
