// hotbft-sim: runs the deterministic simulator over a range of seeds.
//
//   hotbft-sim --validators 4 --seeds 2000 --crashes --partitions
//   hotbft-sim --validators 4 --byzantine 1 --strategy all --seeds 2000 --crashes --partitions
//   hotbft-sim --validators 4 --byzantine 1 --strategy twins --seeds 10000 --duration 15
//
// Prints progress to stderr, every violation (seed, checker, message, replay command and,
// for the first few, a trace of the last events) to stdout, then one summary line. Exits
// 1 if any seed violated a checker, 2 on bad arguments. A seed replays identically with
// --first-seed S --seeds 1.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <iostream>

#include "tests/sim/sweep.h"

namespace {

// Failures printed with their full trace; later ones get the message and replay line.
constexpr size_t kTracedFailuresMax = 3;

// An assertion inside the core aborts the process: leave the seed and its trace behind.
extern "C" void OnAbort(int) {
  const std::string report = hotbft::sim::Simulation::InProgressReport();
  if (!report.empty()) {
    const std::string text = "ABORT (assertion) in " + report;
    ssize_t ignored = write(STDERR_FILENO, text.data(), text.size());
    (void)ignored;
  }
  std::signal(SIGABRT, SIG_DFL);
}

}  // namespace

int main(int argc, char** argv) {
  using hotbft::sim::SimConfig;
  CLI::App app{"hotbft deterministic simulator: N validators, one seed per run"};
  SimConfig config;
  uint64_t seeds = 100;
  uint64_t first_seed = 1;
  double duration_s = static_cast<double>(config.duration_ms) / 1000.0;
  uint32_t jobs = 1;
  bool verbose = false;
  bool live_trace = false;
  app.add_option("--validators", config.validators, "validators per run")
      ->check(CLI::Range(1u, hotbft::sim::kSimValidatorsMax));
  app.add_option("--seeds", seeds, "number of seeds to run")->check(CLI::Range(1ull, 1ull << 40));
  app.add_option("--first-seed", first_seed, "first seed");
  app.add_option("--duration", duration_s, "virtual seconds per run")
      ->check(CLI::Range(0.1, 86400.0));
  app.add_flag("--crashes", config.crashes, "crash and restart up to f validators before GST");
  app.add_flag("--partitions", config.partitions, "partition the validators before GST");
  app.add_option("--drop", config.drop_probability, "message loss probability before GST")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--real-crypto-share", config.real_crypto_share,
                 "share of seeds signing with BIP-340 Schnorr (the rest: the test-only scheme)")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--jobs", jobs, "threads")->check(CLI::Range(1u, hotbft::sim::kSweepJobsMax));
  app.add_flag("--verbose", verbose, "one line per seed on stderr");
  app.add_flag("--trace", live_trace, "every event of every run on stdout (for one seed)");
  app.add_flag("--test-forget-safety", config.test_forget_safety_on_restart,
               "TEST ONLY: restarted validators lose their safety data (double-signs)");
  app.add_flag("--test-partition-forever", config.test_partition_never_heals,
               "TEST ONLY: a partition in two halves that never heals (no liveness)");
  uint32_t byzantine = 0;
  std::string strategy = "all";
  app.add_option("--byzantine", byzantine,
                 "Byzantine validators per seed (at most f for the guarantees)");
  app.add_option(
      "--strategy", strategy,
      "what the Byzantine validators do: a strategy name, several joined by commas (each "
      "validator draws one per seed), 'all', or 'twins' (two instances per key)");
  app.add_option("--test-diverge-app", config.test_diverge_app_at,
                 "TEST ONLY: validator 0's application computes other app hashes from this height");
  app.add_flag("--test-lose-txs", config.test_lose_admitted_txs,
               "TEST ONLY: validator 0's mempool loses every transaction it admits");
  bool unsafe_rules = false;
  app.add_flag("--test-unsafe-rules", unsafe_rules,
               "TEST ONLY: every validator runs without the lock and the TC high-QC check");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  config.duration_ms = static_cast<uint64_t>(duration_s * 1000.0);
  if (byzantine > 0 && byzantine >= config.validators) {
    std::cerr << "--byzantine " << byzantine << " leaves no honest validator among "
              << config.validators << "; use fewer (at most f = (n - 1) / 3 for the guarantees)\n";
    return 2;
  }
  if (strategy == "twins" && byzantine == 0) {
    std::cerr << "--strategy twins needs --byzantine 1 or more (each Byzantine validator gets a "
                 "twin)\n";
    return 2;
  }
  config.byzantine = byzantine;
  if (strategy == "twins") {
    config.twins = true;
    if (config.instances() > hotbft::sim::kSimValidatorsMax) {
      std::cerr << "--validators plus --byzantine twins exceed " << hotbft::sim::kSimValidatorsMax
                << " instances\n";
      return 2;
    }
  } else if (strategy != "all") {
    std::string_view rest = strategy;
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      const std::string_view name = rest.substr(0, comma);
      auto kind = hotbft::byzantine::ParseStrategy(name);
      if (!kind) {
        std::cerr << "unknown --strategy '" << name << "'; one of: all, twins";
        for (auto k : hotbft::byzantine::AllStrategies()) {
          std::cerr << ", " << hotbft::byzantine::StrategyName(k);
        }
        std::cerr << "\n";
        return 2;
      }
      config.strategies.push_back(*kind);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
  }
  if (unsafe_rules) hotbft::sim::UseUnsafeRules(config);
  if (live_trace) {
    config.live_trace = &std::cout;
    jobs = 1;
  }

  std::signal(SIGABRT, OnAbort);
  hotbft::sim::SweepOptions options;
  options.config = config;
  options.first_seed = first_seed;
  options.seeds = seeds;
  options.jobs = jobs;
  options.progress = &std::cerr;
  options.verbose = verbose ? &std::cerr : nullptr;
  const hotbft::sim::SweepSummary summary = hotbft::sim::RunSweep(options);

  for (size_t k = 0; k < summary.failures.size(); ++k) {
    std::cout << hotbft::sim::FormatFailure(summary.failures[k], config, k < kTracedFailuresMax);
  }
  std::cout << hotbft::sim::FormatSummary(summary) << std::endl;
  return summary.violations == 0 ? 0 : 1;
}
