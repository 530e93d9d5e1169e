// Byzantine validators in the simulator: the evidence and bounded-state checkers firing on
// real violations, every strategy run against honest validators, twins, and the CI sweeps.
#include <gtest/gtest.h>

#include <iostream>
#include <set>

#include "tests/consensus/fixtures.h"
#include "tests/sim/sweep.h"

namespace hotbft::sim {
namespace {

using byzantine::StrategyKind;
using testing::Fixture;
using testing::kChainId;

CoreConfig CheckerConfig() {
  CoreConfig c;
  c.chain_id = kChainId;
  return c;
}

// ---- The evidence checker, fed directly ----

class EvidenceCheckerTest : public ::testing::Test {
 protected:
  EvidenceCheckerTest()
      : checker_(fx_.validators(), fx_.verifier(), CheckerConfig(), {false, true, false, false},
                 4) {}
  std::pair<Vote, Vote> DoubleVoteBy(uint32_t voter, Round round) {
    auto a = fx_.MakeBlock(fx_.genesis_qc(), round, 1, {{1}});
    auto b = fx_.MakeBlock(fx_.genesis_qc(), round, 1, {{2}});
    return {fx_.MakeVote(*a, voter), fx_.MakeVote(*b, voter)};
  }

  Fixture fx_{4};
  EvidenceChecker checker_;
};

TEST_F(EvidenceCheckerTest, FiresWhenAReceivedEquivocationIsNotRecorded) {
  auto [a, b] = DoubleVoteBy(1, 5);
  EXPECT_FALSE(checker_.OnDeliver(0, 0, 5, a));
  EXPECT_FALSE(checker_.OnDeliver(0, 0, 5, a));  // the same vote again: no equivocation
  auto required = checker_.OnDeliver(0, 0, 5, b);
  ASSERT_TRUE(required);
  EXPECT_EQ(*required, (EvidenceKey{EvidenceKind::kDoubleVote, 1, 0, 5}));
  auto v = checker_.Check(0, *required, {});
  ASSERT_TRUE(v);
  EXPECT_EQ(v->checker, "evidence");
  EXPECT_NE(v->message.find("validator 1"), std::string::npos) << v->message;
  // Held: no violation.
  std::map<EvidenceKey, Evidence> held{{*required, DoubleVote{a, b}}};
  EXPECT_FALSE(checker_.Check(0, *required, held));
}

TEST_F(EvidenceCheckerTest, IgnoresForgedStaleAndRestartedCases) {
  auto [a, b] = DoubleVoteBy(1, 5);
  Vote forged = b;
  forged.signature = fx_.signer(0).Sign(b.data.SigningDigest(kChainId));
  EXPECT_FALSE(checker_.OnDeliver(0, 0, 5, a));
  EXPECT_FALSE(checker_.OnDeliver(0, 0, 5, forged));
  // A restart (new incarnation) forgets what the receiver saw.
  EXPECT_FALSE(checker_.OnDeliver(0, 1, 5, b));
  // Beyond the core's window: a receiver far ahead does not keep round 5.
  auto [c, d] = DoubleVoteBy(1, 6);
  const Round far = 6 + CheckerConfig().evidence_rounds_back + 1;
  EXPECT_FALSE(checker_.OnDeliver(2, 0, far, c));
  EXPECT_FALSE(checker_.OnDeliver(2, 0, far, d));
  // Honest validators' messages are the double-sign checker's business.
  auto [e, f] = DoubleVoteBy(2, 7);
  EXPECT_FALSE(checker_.OnDeliver(3, 0, 7, e));
  EXPECT_FALSE(checker_.OnDeliver(3, 0, 7, f));
}

TEST_F(EvidenceCheckerTest, FiresOnEvidenceAgainstAnHonestValidatorOrThatDoesNotVerify) {
  auto [a, b] = DoubleVoteBy(2, 5);  // validator 2 is honest here
  auto v = checker_.OnEvidence(0, DoubleVote{a, b});
  ASSERT_TRUE(v);
  EXPECT_NE(v->message.find("honest validator 2"), std::string::npos) << v->message;
  auto [c, d] = DoubleVoteBy(1, 5);
  EXPECT_FALSE(checker_.OnEvidence(0, DoubleVote{c, d}));
  auto w = checker_.OnEvidence(0, DoubleVote{c, c});
  ASSERT_TRUE(w);
  EXPECT_NE(w->message.find("does not verify"), std::string::npos) << w->message;
}

// ---- The bounded-state checker, fed directly ----

TEST(StateBoundsTest, FiresOnEachStructureBeyondItsBound) {
  const CoreConfig config = CheckerConfig();
  CoreStateSizes ok;
  ok.tree_blocks = 6;  // rounds 10..13 above a root of round 10: up to 2 per round
  EXPECT_FALSE(CheckStateBounds(0, ok, 13, 10, config, 4));
  CoreStateSizes tree = ok;
  tree.tree_blocks = 7;
  auto v = CheckStateBounds(1, tree, 13, 10, config, 4);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->checker, "bounded-state");
  EXPECT_NE(v->message.find("7 tree_blocks (bound 6)"), std::string::npos) << v->message;
  CoreStateSizes timeouts = ok;
  timeouts.timeout_rounds = config.rounds_ahead_max + 4;
  ASSERT_TRUE(CheckStateBounds(1, timeouts, 13, 10, config, 4));
  CoreStateSizes evidence = ok;
  evidence.evidence = config.evidence_max + 1;
  ASSERT_TRUE(CheckStateBounds(1, evidence, 13, 10, config, 4));
}

// ---- Whole runs with Byzantine validators ----

SimConfig ByzantineConfig(uint32_t validators, uint32_t byzantine, uint64_t duration_ms) {
  SimConfig c;
  c.validators = validators;
  c.byzantine = byzantine;
  c.duration_ms = duration_ms;
  c.crashes = true;
  c.partitions = true;
  return c;
}

SweepSummary Sweep(const SimConfig& config, uint64_t first_seed, uint64_t seeds) {
  SweepOptions options;
  options.config = config;
  options.first_seed = first_seed;
  options.seeds = seeds;
  return RunSweep(options);
}

std::string Failures(const SweepSummary& s, const SimConfig& config) {
  std::string out;
  for (const SeedResult& r : s.failures) out += FormatFailure(r, config, true);
  return out;
}

uint64_t Dropped(const SweepSummary& s, DropReason reason) {
  return s.dropped[static_cast<size_t>(reason)];
}

// Each strategy on its own, a few seeds each: no violation, and the honest validators
// see what the strategy does.
class StrategyRunTest : public ::testing::TestWithParam<StrategyKind> {};

TEST_P(StrategyRunTest, HonestValidatorsStaySafeAndLiveAndSeeIt) {
  SimConfig config = ByzantineConfig(4, 1, 30'000);
  config.strategies = {GetParam()};
  const SweepSummary s = Sweep(config, 1, 12);
  EXPECT_EQ(s.violations, 0u) << Failures(s, config);
  EXPECT_EQ(s.byzantine_seeds, 12u);
  EXPECT_GT(s.committed_min, 0u);
  std::cout << "[" << byzantine::StrategyName(GetParam()) << "] " << FormatSummary(s) << "\n";
  if (GetParam() != StrategyKind::kDoubleVote && GetParam() != StrategyKind::kForgeCert) {
    EXPECT_EQ(s.evidence_recorded, 0u) << "no honest validator saw two signed proposals or votes";
    EXPECT_EQ(s.evidence_committed, 0u);
  }
  switch (GetParam()) {
    // (equivocate sends each half one block: no honest validator holds both proposals, so
    // there is nothing to record; twins, below, put both in front of the same validators.)
    case StrategyKind::kDoubleVote:
      EXPECT_GT(s.evidence_required, 0u) << FormatSummary(s);
      EXPECT_GT(s.evidence_recorded, 0u) << FormatSummary(s);
      // Blocks carry it to the app on every honest validator (the app-hash checker and the
      // agreement checker cover that they agree on it).
      EXPECT_GT(s.evidence_committed, 0u) << FormatSummary(s);
      EXPECT_EQ(Dropped(s, DropReason::kInvalidEvidence), 0u) << "honest leaders propose it";
      break;
    case StrategyKind::kInvalidSignatures:
      EXPECT_GT(Dropped(s, DropReason::kBadSignature), 0u) << FormatSummary(s);
      break;
    case StrategyKind::kForgeCert:  // (its fabricated proposals equivocate too)
      EXPECT_GT(Dropped(s, DropReason::kInvalidQC) + Dropped(s, DropReason::kInvalidTC), 0u)
          << FormatSummary(s);
      break;
    case StrategyKind::kTimeoutSpam:
      EXPECT_GT(Dropped(s, DropReason::kFarFutureRound), 0u) << FormatSummary(s);
      break;
    default: break;
  }
}

INSTANTIATE_TEST_SUITE_P(All, StrategyRunTest, ::testing::ValuesIn(byzantine::AllStrategies()),
                         [](const auto& info) {
                           std::string name(byzantine::StrategyName(info.param));
                           std::erase(name, '-');
                           return name;
                         });

// ---- Twins ----

TEST(TwinsTest, ScheduleIsDeterministicAndCutsOnlyAcrossGroups) {
  SimRandom a(9), b(9);
  const TwinsSchedule s = DrawTwinsSchedule(4, 5, {2}, a);
  const TwinsSchedule t = DrawTwinsSchedule(4, 5, {2}, b);
  EXPECT_EQ(s.leaders, t.leaders);
  EXPECT_EQ(s.groups, t.groups);
  ASSERT_EQ(s.leaders.size(), kTwinsRounds);
  for (uint64_t group : s.groups) {
    // Partitioned rounds split the twins (instance 4 is validator 2's twin).
    if (group != 0b11111) {
      EXPECT_NE((group >> 2) & 1, (group >> 4) & 1) << group;
    }
  }
  TwinsSchedule manual{{0, 1}, {0b00011, 0b11111}};
  EXPECT_FALSE(TwinsCut(manual, 0, 1, 1));
  EXPECT_TRUE(TwinsCut(manual, 0, 4, 1));
  EXPECT_FALSE(TwinsCut(manual, 0, 4, 2));  // everyone in one group
  EXPECT_FALSE(TwinsCut(manual, 0, 4, 3));  // beyond the schedule
  ScheduledElection election(4, {3, 3});
  EXPECT_EQ(election.Leader(1), 3u);
  EXPECT_EQ(election.Leader(2), 3u);
  EXPECT_EQ(election.Leader(5), 1u);  // round robin after the schedule
}

constexpr uint64_t kTwinsDurationMs = 15'000;

SimConfig TwinsConfig() {
  SimConfig c;
  c.validators = 4;
  c.byzantine = 1;
  c.twins = true;
  c.duration_ms = kTwinsDurationMs;
  return c;
}

// The twins find the fork that the unsafe rules allow: the checkers are not blind to
// what twins can do.
TEST(TwinsTest, UnsafeRulesForkUnderTwins) {
  SimConfig config = TwinsConfig();
  UseUnsafeRules(config);
  constexpr uint64_t kSeedsMax = 2'000;
  uint64_t found = 0;
  std::string what;
  for (uint64_t seed = 1; seed <= kSeedsMax && found == 0; ++seed) {
    SeedResult r = Simulation(config, seed).Run();
    if (r.violation && r.violation->checker == "agreement") {
      found = seed;
      what = r.violation->message;
    }
  }
  ASSERT_NE(found, 0u) << "no fork in seeds 1.." << kSeedsMax;
  std::cout << "[twins unsafe] first fork at seed " << found << ": " << what << "\n";
}

// ---- CI sweeps: Byzantine strategies (500 seeds) and twins (1,000 scenarios) ----

void ExpectCleanByzantineSweep(uint32_t validators, uint32_t byzantine, uint64_t first_seed,
                               uint64_t seeds, uint64_t duration_ms) {
  const SimConfig config = ByzantineConfig(validators, byzantine, duration_ms);
  const SweepSummary s = Sweep(config, first_seed, seeds);
  EXPECT_EQ(s.violations, 0u) << Failures(s, config);
  std::cout << "[byzantine n=" << validators << " k=" << byzantine << " seeds " << first_seed
            << ".." << first_seed + seeds - 1 << "] " << FormatSummary(s) << "\n";
}

TEST(ByzantineSweep, N4K1Seeds1To125) {
  ExpectCleanByzantineSweep(4, 1, 1, 125, 40'000);
}
TEST(ByzantineSweep, N4K1Seeds126To250) {
  ExpectCleanByzantineSweep(4, 1, 126, 125, 40'000);
}
TEST(ByzantineSweep, N7K2Seeds1To125) {
  ExpectCleanByzantineSweep(7, 2, 1, 125, 40'000);
}
TEST(ByzantineSweep, N7K2Seeds126To250) {
  ExpectCleanByzantineSweep(7, 2, 126, 125, 40'000);
}

void ExpectCleanTwinsSweep(uint64_t first_seed, uint64_t seeds) {
  const SimConfig config = TwinsConfig();
  const SweepSummary s = Sweep(config, first_seed, seeds);
  EXPECT_EQ(s.violations, 0u) << Failures(s, config);
  EXPECT_GT(s.evidence_recorded, 0u);
  std::cout << "[twins seeds " << first_seed << ".." << first_seed + seeds - 1 << "] "
            << FormatSummary(s) << "\n";
}

TEST(TwinsSweep, Seeds1To250) {
  ExpectCleanTwinsSweep(1, 250);
}
TEST(TwinsSweep, Seeds251To500) {
  ExpectCleanTwinsSweep(251, 250);
}
TEST(TwinsSweep, Seeds501To750) {
  ExpectCleanTwinsSweep(501, 250);
}
TEST(TwinsSweep, Seeds751To1000) {
  ExpectCleanTwinsSweep(751, 250);
}

}  // namespace
}  // namespace hotbft::sim
