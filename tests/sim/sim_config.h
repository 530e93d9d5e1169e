// SimConfig: what one simulated run (one seed) looks like, and the bounds every run keeps.
//
// A run has two phases. Before GST (the global stabilisation time, at a third of the
// run) links drop, duplicate and delay messages, partitions come and go, validators
// crash and restart. From GST on every link delivers each message within
// kLatencyMsMax, nobody is partitioned and every crashed validator (but at most one that
// stays down for the whole run) is running again: the liveness checker then expects
// every running validator to commit within every window of
// (2n + 2) * CoreConfig::RoundTimeoutMaxMs().
//
// Byzantine validators (`byzantine` of them, drawn per seed) each run one strategy of
// tests/byzantine, drawn per seed from `strategies`, or, with `twins`, run as two honest
// instances sharing one key (twins.h). The checkers watch the honest validators only;
// liveness is checked in seeds where at most f validators are faulty after GST (the
// Byzantine ones and the one that may stay crashed).
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "consensus/core.h"
#include "consensus/safety_rules.h"
#include "tests/byzantine/strategy.h"

namespace hotbft::sim {

inline constexpr char kSimChainId[] = "sim-chain";
// Partitions are bitmasks over validator indices.
inline constexpr uint32_t kSimValidatorsMax = 64;

// ---- The core's configuration in the simulator (timeouts scaled to the simulated links) ----
inline constexpr uint64_t kSimRoundTimeoutBaseMs = 250;
inline constexpr double kSimRoundTimeoutFactor = 1.2;
inline constexpr uint32_t kSimRoundTimeoutExponentMax = 6;
inline constexpr uint64_t kSimEmptyBlockIntervalMs = 100;
static_assert(kSimEmptyBlockIntervalMs < kSimRoundTimeoutBaseMs);

// GST is at duration / kGstDivisor.
inline constexpr uint64_t kGstDivisor = 3;
// Default run length: GST at 20 s leaves several liveness windows after it for n <= 7.
inline constexpr uint64_t kDefaultDurationMs = 60'000;
inline constexpr double kDefaultDropProbability = 0.05;
inline constexpr double kDefaultRealCryptoShare = 0.05;

// Builds a validator's SafetyRules (a seam for test-only unsafe variants). `stored` is
// what the validator recovered (nullopt on a fresh start or when the safety data is
// lost); the factory must return rules that are initialised.
using SafetyRulesFactory = std::function<std::unique_ptr<SafetyRules>(
    std::unique_ptr<Signer> signer, uint32_t self, const std::string& chain_id,
    std::optional<SafetyData> stored)>;

struct SimConfig {
  uint32_t validators = 4;  // REQUIRES: 1 <= validators <= kSimValidatorsMax
  uint64_t duration_ms = kDefaultDurationMs;
  bool crashes = false;     // crash and restart up to f validators before GST
  bool partitions = false;  // split the validators in two groups, healed before GST
  double drop_probability = kDefaultDropProbability;   // per message, before GST
  double real_crypto_share = kDefaultRealCryptoShare;  // share of seeds signing with BIP-340

  // Byzantine validators per seed. More than f only to show the checkers firing.
  uint32_t byzantine = 0;  // REQUIRES: byzantine <= validators
  // Each Byzantine validator draws its strategy per seed from these (empty: all of them).
  std::vector<byzantine::StrategyKind> strategies;
  // The Byzantine validators run as twins instead of strategies.
  bool twins = false;

  // ---- Test-only fault injection: each one makes a checker fire ----
  // A restarted validator loses its safety data and is initialised fresh, so it may
  // sign again in rounds it already signed (no double-sign checker).
  bool test_forget_safety_on_restart = false;
  // Validators [0, n/2) and [n/2, n) are cut apart from t = 0 to the end of the run
  // (liveness checker). Replaces the random partitions.
  bool test_partition_never_heals = false;

  // Every trace line is written here as it happens, if set (debugging one seed).
  std::ostream* live_trace = nullptr;

  // Validator 0's application computes a different app hash from this height on (0: off):
  // the app-hash checker and the core's halt on divergence must catch it.
  uint64_t test_diverge_app_at = 0;

  // Validator 0's mempool loses every transaction a client hands it right after admitting
  // it (and gossips none): the exactly-once checker must catch an admitted transaction
  // that never takes effect.
  bool test_lose_admitted_txs = false;

  // Set by UseUnsafeRules (for the replay command).
  bool test_unsafe_rules = false;

  // ---- Seams for test-only protocol variants (unset: the real ones) ----
  std::function<void(CoreConfig&)> core_config_hook;  // edits the simulator's CoreConfig
  SafetyRulesFactory safety_rules_factory;

  uint64_t gst_ms() const { return duration_ms / kGstDivisor; }
  // Validator instances: a twin adds one.
  uint32_t instances() const { return validators + (twins ? byzantine : 0); }
};

// The CoreConfig every simulated validator runs with (before config.core_config_hook).
CoreConfig SimCoreConfig();

// TEST ONLY: sets the seams so every validator runs the unsafe variant of the protocol
// (SafetyRulesOptions::test_only_unsafe_no_lock, CoreConfig::test_only_unsafe_skip_tc_check),
// which can fork: for showing the agreement checker fire.
void UseUnsafeRules(SimConfig& config);

}  // namespace hotbft::sim
