// The simulator's own tests: determinism, a healthy run, each checker firing on a real
// violation, and the CI sweep over many seeds with crashes and partitions.
#include <gtest/gtest.h>

#include <iostream>
#include <set>

#include "tests/sim/disk.h"
#include "tests/sim/sweep.h"

namespace hotbft::sim {
namespace {

// ---- Hand-made values for the checker tests ----

Hash32 IdOf(uint8_t tag) {
  Hash32 id;
  id.bytes.fill(tag);
  return id;
}

std::shared_ptr<const Block> MakeBlock(Height height, uint8_t id_tag, const Hash32& parent,
                                       std::vector<std::string> txs = {}) {
  auto block = std::make_shared<Block>();
  block->header.height = height;
  block->header.round = height;
  block->header.parent_id = parent;
  auto payload = std::make_shared<Payload>();
  for (const auto& tx : txs) payload->txs.emplace_back(tx.begin(), tx.end());
  block->payload = std::move(payload);
  block->id = IdOf(id_tag);
  return block;
}

Vote MakeVote(uint32_t voter, Round round, uint8_t block_tag) {
  Vote v;
  v.voter = voter;
  v.data.round = round;
  v.data.height = round;
  v.data.block_id = IdOf(block_tag);
  return v;
}

Timeout MakeTimeout(uint32_t sender, Round round, std::optional<Vote> vote = std::nullopt) {
  Timeout t;
  t.sender = sender;
  t.data.round = round;
  t.vote = std::move(vote);
  return t;
}

Proposal MakeProposal(uint32_t proposer, Round round, uint8_t block_tag) {
  auto block = std::make_shared<Block>(*MakeBlock(round, block_tag, IdOf(0)));
  block->header.proposer = proposer;
  Proposal p;
  p.block = std::move(block);
  return p;
}

SimConfig FaultyConfig(uint32_t validators, uint64_t duration_ms) {
  SimConfig c;
  c.validators = validators;
  c.duration_ms = duration_ms;
  c.crashes = true;
  c.partitions = true;
  return c;
}

// ---- Checkers, fed directly ----

TEST(AgreementCheckerTest, FiresOnTwoBlocksAtOneHeightNamingBoth) {
  auto genesis = MakeBlock(0, 0x00, Hash32());
  AgreementChecker checker(4, *genesis);
  auto a = MakeBlock(1, 0x3f, genesis->id);
  auto b = MakeBlock(1, 0x77, genesis->id);
  EXPECT_FALSE(checker.OnCommit(1, *a));
  EXPECT_FALSE(checker.OnCommit(2, *a));  // the same block: fine
  auto v = checker.OnCommit(3, *b);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->checker, "agreement");
  EXPECT_NE(v->message.find("height 1"), std::string::npos) << v->message;
  EXPECT_NE(v->message.find(ShortId(a->id)), std::string::npos) << v->message;
  EXPECT_NE(v->message.find(ShortId(b->id)), std::string::npos) << v->message;
  EXPECT_NE(v->message.find("validator 1"), std::string::npos) << v->message;
  EXPECT_NE(v->message.find("validator 3"), std::string::npos) << v->message;
}

TEST(AgreementCheckerTest, FiresOnAGapOrABrokenParentLinkInOneValidatorsLog) {
  auto genesis = MakeBlock(0, 0x00, Hash32());
  AgreementChecker checker(4, *genesis);
  auto b1 = MakeBlock(1, 0x01, genesis->id);
  auto b2 = MakeBlock(2, 0x02, b1->id);
  EXPECT_FALSE(checker.OnCommit(0, *b1));
  auto gap = checker.OnCommit(1, *b2);  // validator 1 never committed height 1
  ASSERT_TRUE(gap);
  EXPECT_EQ(gap->checker, "agreement");
  auto stranger = MakeBlock(2, 0x09, IdOf(0x55));  // claims a parent nobody committed
  AgreementChecker fresh(4, *genesis);
  EXPECT_FALSE(fresh.OnCommit(0, *b1));
  EXPECT_TRUE(fresh.OnCommit(0, *stranger));
}

TEST(ValidityCheckerTest, FiresOnAnUnsubmittedTransaction) {
  ValidityChecker checker(4);
  checker.OnSubmit("tx-a");
  EXPECT_FALSE(checker.OnCommit(0, *MakeBlock(1, 0x01, IdOf(0), {"tx-a"})));
  auto v = checker.OnCommit(1, *MakeBlock(1, 0x01, IdOf(0), {"tx-a", "tx-forged"}));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->checker, "validity");
  EXPECT_NE(v->message.find("tx-forged"), std::string::npos) << v->message;
}

TEST(ValidityCheckerTest, FiresOnATransactionCommittedTwiceOnOneChain) {
  ValidityChecker checker(4);
  checker.OnSubmit("tx-a");
  EXPECT_FALSE(checker.OnCommit(0, *MakeBlock(1, 0x01, IdOf(0), {"tx-a"})));
  EXPECT_FALSE(checker.OnCommit(1, *MakeBlock(1, 0x01, IdOf(0), {"tx-a"})));  // other chain
  auto v = checker.OnCommit(0, *MakeBlock(2, 0x02, IdOf(1), {"tx-a"}));
  ASSERT_TRUE(v);
  EXPECT_NE(v->message.find("twice"), std::string::npos) << v->message;
}

TEST(ValidityCheckerTest, LetsAByzantineProposerRepeatATransaction) {
  // Validator 3 is Byzantine: its block repeating tx-a is left to the exactly-once checker,
  // while the same repeat from honest validator 0 is a violation.
  ValidityChecker checker(4, {false, false, false, true});
  checker.OnSubmit("tx-a");
  EXPECT_FALSE(checker.OnCommit(0, *MakeBlock(1, 0x01, IdOf(0), {"tx-a"})));
  auto replayed = MakeBlock(2, 0x02, IdOf(1), {"tx-a"});
  auto edited = std::make_shared<Block>(*replayed);
  edited->header.proposer = 3;
  EXPECT_FALSE(checker.OnCommit(0, *edited));
  auto honest = std::make_shared<Block>(*replayed);
  honest->header.proposer = 0;
  auto v = checker.OnCommit(0, *honest);
  ASSERT_TRUE(v);
  EXPECT_NE(v->message.find("honest validator 0"), std::string::npos) << v->message;
}

TEST(DoubleSignCheckerTest, FiresOnTwoDifferentVotesInOneRound) {
  DoubleSignChecker checker(4);
  EXPECT_FALSE(checker.OnSend(2, MakeVote(2, 17, 0xaa)));
  EXPECT_FALSE(checker.OnSend(2, MakeVote(2, 17, 0xaa)));  // re-sent as stored
  EXPECT_FALSE(checker.OnSend(3, MakeVote(3, 17, 0xbb)));  // another validator
  auto v = checker.OnSend(2, MakeVote(2, 17, 0xbb));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->checker, "no-double-sign");
  EXPECT_NE(v->message.find("round 17"), std::string::npos) << v->message;
}

TEST(DoubleSignCheckerTest, FiresOnAVoteAfterATimeoutOfTheSameRound) {
  DoubleSignChecker checker(4);
  // A timeout carrying the vote cast before it is fine, and so is sending both again.
  EXPECT_FALSE(checker.OnSend(1, MakeVote(1, 5, 0xaa)));
  EXPECT_FALSE(checker.OnSend(1, MakeTimeout(1, 5, MakeVote(1, 5, 0xaa))));
  EXPECT_FALSE(checker.OnSend(1, MakeVote(1, 5, 0xaa)));
  EXPECT_FALSE(checker.OnSend(1, MakeTimeout(1, 6)));
  auto v = checker.OnSend(1, MakeVote(1, 6, 0xcc));
  ASSERT_TRUE(v);
  EXPECT_NE(v->message.find("after timing it out"), std::string::npos) << v->message;
}

TEST(DoubleSignCheckerTest, FiresOnTwoProposalsInOneRound) {
  DoubleSignChecker checker(4);
  EXPECT_FALSE(checker.OnSend(1, MakeProposal(1, 9, 0x01)));
  EXPECT_FALSE(checker.OnSend(1, MakeProposal(1, 9, 0x01)));
  auto v = checker.OnSend(1, MakeProposal(1, 9, 0x02));
  ASSERT_TRUE(v);
  EXPECT_NE(v->message.find("two proposals in round 9"), std::string::npos) << v->message;
}

TEST(LivenessCheckerTest, FiresOnlyAfterAWindowWithoutProgressPastStability) {
  LivenessChecker checker(2, /*stable_ms=*/1000, /*window_ms=*/500);
  checker.Exclude(1);
  const std::vector<bool> running{true, true};
  EXPECT_FALSE(checker.Check(900, running));   // before stability nothing is expected
  EXPECT_FALSE(checker.Check(1500, running));  // exactly one window
  checker.OnCommitHeight(0, 3, 1400);
  EXPECT_FALSE(checker.Check(1900, running));
  auto v = checker.Check(1901, running);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->checker, "liveness");
  EXPECT_FALSE(checker.Check(5000, {false, true}));  // not running: not expected to commit
}

// ---- The disk ----

PersistAction SafetyWrite(uint64_t token, Round last_voted_round) {
  PersistAction write;
  write.token = token;
  write.safety = SafetyData{};
  write.safety->last_voted_round = last_voted_round;
  return write;
}

TEST(SimDiskTest, ACrashKeepsExactlyWhatWasSynced) {
  auto genesis = MakeGenesisBlock(kSimChainId, 0, 4);
  SimDisk disk(genesis, MakeGenesisQC(*genesis));
  EXPECT_EQ(disk.Write(SafetyWrite(1, 3), 10, 2), 12u);
  EXPECT_EQ(disk.Write(SafetyWrite(2, 4), 10, 2), 14u);  // syncs after the first
  auto synced = disk.Sync();
  ASSERT_TRUE(synced.ok()) << synced.status().ToString();
  EXPECT_EQ(synced->token, 1u);
  EXPECT_EQ(synced->safety->last_voted_round, 3u);
  EXPECT_TRUE(disk.Crash().empty());  // the second write was not durable
  auto r = disk.store().Recover();
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->safety);
  EXPECT_EQ(r->safety->last_voted_round, 3u);
  EXPECT_EQ(r->root->id, genesis->id);
  EXPECT_EQ(disk.queued(), 0u);
  EXPECT_EQ(disk.Write(SafetyWrite(3, 5), 20, 1), 21u);  // idle after the crash
}

// The executor's store writes sync every queued write first; each token is still
// reported once, in order, at its own sync time.
TEST(SimDiskTest, WritesSyncedEarlyByTheStoreAreReportedOnceInOrder) {
  auto genesis = MakeGenesisBlock(kSimChainId, 0, 4);
  SimDisk disk(genesis, MakeGenesisQC(*genesis));
  for (uint64_t token = 1; token <= 3; ++token) disk.Write(SafetyWrite(token, token + 10), 0, 1);
  ASSERT_EQ(disk.Sync()->token, 1u);
  ASSERT_TRUE(disk.store().Write(storage::WriteBatch{}).ok());  // syncs the other two
  EXPECT_EQ(disk.store().unsynced(), 0u);
  disk.Write(SafetyWrite(4, 14), 0, 1);
  for (uint64_t token = 2; token <= 4; ++token) {
    auto synced = disk.Sync();
    ASSERT_TRUE(synced.ok()) << synced.status().ToString();
    EXPECT_EQ(synced->token, token);
    EXPECT_EQ(synced->safety->last_voted_round, token + 10);
  }
  EXPECT_EQ(disk.queued(), 0u);
  EXPECT_EQ(disk.store().unsynced(), 0u);
  EXPECT_EQ(disk.store().Recover()->safety->last_voted_round, 14u);
}

// A crash after a store write synced queued writes early keeps them, a commit among them,
// and names their safety data: signatures on disk the core never heard were durable.
TEST(SimDiskTest, ACrashKeepsWritesSyncedEarlyAndNamesTheirSafetyData) {
  auto genesis = MakeGenesisBlock(kSimChainId, 0, 4);
  SimDisk disk(genesis, MakeGenesisQC(*genesis));
  auto block = MakeBlock(1, 0x01, genesis->id);
  PersistAction commit = SafetyWrite(1, 7);
  commit.blocks.push_back(block);
  commit.root_qc = QC{};
  commit.root_qc->vote_data.block_id = block->id;
  commit.root_qc->vote_data.height = 1;
  commit.root_qc->vote_data.round = 1;
  commit.committed.push_back(block->id);
  disk.Write(std::move(commit), 0, 5);
  ASSERT_TRUE(disk.store().Write(storage::WriteBatch{}).ok());
  disk.Write(SafetyWrite(2, 8), 0, 5);  // not durable
  const std::vector<SafetyData> durable = disk.Crash();
  ASSERT_EQ(durable.size(), 1u);
  EXPECT_EQ(durable[0].last_voted_round, 7u);
  EXPECT_EQ(disk.store().CommittedHeight(), 1u);
  auto r = disk.store().Recover();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->root->id, block->id);
  EXPECT_EQ(r->safety->last_voted_round, 7u);
}

// ---- Whole runs ----

TEST(SimulationTest, SameSeedSameCommitLogsOtherSeedOtherLogs) {
  const SimConfig config = FaultyConfig(4, 15'000);
  SeedResult a = Simulation(config, 42).Run();
  SeedResult b = Simulation(config, 42).Run();
  SeedResult c = Simulation(config, 43).Run();
  ASSERT_FALSE(a.violation) << FormatFailure(a, config, true);
  ASSERT_FALSE(c.violation) << FormatFailure(c, config, true);
  EXPECT_GT(a.committed_max, 0u);
  EXPECT_EQ(a.commit_log_hashes, b.commit_log_hashes);
  EXPECT_EQ(a.events, b.events);
  EXPECT_EQ(a.timeouts_sent, b.timeouts_sent);
  EXPECT_NE(a.commit_log_hashes, c.commit_log_hashes);
}

TEST(SimulationTest, AHealthyRunCommitsManyBlocks) {
  SimConfig config;
  config.validators = 4;
  config.duration_ms = 20'000;
  config.drop_probability = 0;
  config.real_crypto_share = 0;
  SeedResult r = Simulation(config, 7).Run();
  ASSERT_FALSE(r.violation) << FormatFailure(r, config, true);
  EXPECT_GT(r.committed_min, 100u) << FormatSeedLine(r);
  EXPECT_GT(r.txs_committed, 100u) << FormatSeedLine(r);
  // Before GST a message delayed past its round may time the round out legitimately; after
  // GST every message arrives within kLatencyMsMax, far below the round timeout.
  EXPECT_LT(r.timeouts_sent, r.rounds) << FormatSeedLine(r);
  EXPECT_EQ(r.timeout_sends_after_gst, 0u) << FormatSeedLine(r);
}

TEST(SimulationTest, RealCryptoRunsCommitToo) {
  SimConfig config = FaultyConfig(4, 10'000);
  config.real_crypto_share = 1;
  SeedResult r = Simulation(config, 3).Run();
  EXPECT_EQ(r.scheme, SignatureScheme::kSchnorrBip340);
  ASSERT_FALSE(r.violation) << FormatFailure(r, config, true);
  EXPECT_GT(r.committed_min, 0u) << FormatSeedLine(r);
}

// A restart that forgets its safety data lets a validator sign a round again: the
// no-double-sign checker must catch it in some seed.
TEST(SimulationTest, ForgettingSafetyDataOnRestartIsCaughtAsADoubleSign) {
  SimConfig config = FaultyConfig(4, 12'000);
  config.partitions = false;
  config.test_forget_safety_on_restart = true;
  std::set<std::string> checkers;
  uint64_t first_seed = 0;
  for (uint64_t seed = 1; seed <= 60 && first_seed == 0; ++seed) {
    SeedResult r = Simulation(config, seed).Run();
    if (r.violation) {
      checkers.insert(r.violation->checker);
      if (r.violation->checker == "no-double-sign") first_seed = seed;
    }
  }
  EXPECT_NE(first_seed, 0u) << "no seed in 1..60 double-signed";
  EXPECT_EQ(checkers, std::set<std::string>{"no-double-sign"});
}

TEST(AppHashCheckerTest, FiresOnTwoHashesAtOneHeightNamingBoth) {
  AppHashChecker checker;
  EXPECT_FALSE(checker.OnExecuted(0, 5, Bytes{0xaa}));
  EXPECT_FALSE(checker.OnExecuted(1, 5, Bytes{0xaa}));
  EXPECT_FALSE(checker.OnExecuted(1, 6, Bytes{0xbb}));
  auto v = checker.OnExecuted(2, 5, Bytes{0xcc});
  ASSERT_TRUE(v);
  EXPECT_EQ(v->checker, "app-hash");
  EXPECT_NE(v->message.find("height 5"), std::string::npos) << v->message;
  EXPECT_NE(v->message.find("aa"), std::string::npos) << v->message;
  EXPECT_NE(v->message.find("cc"), std::string::npos) << v->message;
}

// Every committed block is executed, in order, and its app hash carried by later headers.
TEST(SimulationTest, ExecutionKeepsUpAndHeadersCarryIt) {
  SimConfig config = FaultyConfig(4, 20'000);
  SeedResult r = Simulation(config, 11).Run();
  ASSERT_FALSE(r.violation) << FormatFailure(r, config, true);
  EXPECT_GT(r.committed_min, 20u) << FormatSeedLine(r);
  EXPECT_GT(r.exec_height_max, 10u) << FormatSeedLine(r);
  EXPECT_LT(r.exec_height_max, r.committed_max) << FormatSeedLine(r);
}

// One validator's application diverges from height 10 on: the app-hash checker (or its
// core's halt) catches it.
TEST(SimulationTest, ADivergingApplicationIsCaught) {
  SimConfig config = FaultyConfig(4, 20'000);
  config.test_diverge_app_at = 10;
  SeedResult r = Simulation(config, 11).Run();
  ASSERT_TRUE(r.violation);
  EXPECT_EQ(r.violation->checker, "app-hash") << r.violation->message;
  EXPECT_NE(r.violation->message.find("height 10"), std::string::npos) << r.violation->message;
}

// Validator 0's mempool loses what clients hand it: the exactly-once checker catches a
// transaction admitted by an honest validator that never takes effect.
TEST(SimulationTest, ALostTransactionIsCaughtByTheExactlyOnceChecker) {
  SimConfig config;
  config.validators = 4;
  config.duration_ms = 60'000;
  config.test_lose_admitted_txs = true;
  SeedResult r = Simulation(config, 3).Run();
  ASSERT_TRUE(r.violation);
  EXPECT_EQ(r.violation->checker, "exactly-once") << r.violation->message;
  EXPECT_NE(r.violation->message.find("admitted by validator 0"), std::string::npos)
      << r.violation->message;
}

// Without the test fault, the same run delivers every admitted transaction exactly once.
TEST(SimulationTest, EveryAdmittedTransactionTakesEffectOnce) {
  SimConfig config;
  config.validators = 4;
  config.duration_ms = 60'000;
  SeedResult r = Simulation(config, 3).Run();
  EXPECT_FALSE(r.violation) << r.violation->message;
  EXPECT_GT(r.txs_admitted, 500u);
  EXPECT_GE(r.txs_took_effect, 4 * (r.txs_admitted / 2));
}

TEST(SimulationTest, APartitionThatNeverHealsIsCaughtByTheLivenessChecker) {
  SimConfig config;
  config.validators = 4;
  config.duration_ms = 40'000;
  config.test_partition_never_heals = true;
  SeedResult r = Simulation(config, 5).Run();
  ASSERT_TRUE(r.violation);
  EXPECT_EQ(r.violation->checker, "liveness") << r.violation->message;
  EXPECT_NE(r.violation->message.find("committed height stayed at 0"), std::string::npos)
      << r.violation->message;
  EXPECT_NE(r.trace.find("dropped(partition)"), std::string::npos) << r.trace;
}

// ---- The CI sweep: many seeds with crashes and partitions, zero violations ----

// Seeds per sweep case: several cases so that ctest -j spreads them over the cores.
constexpr uint64_t kSweepSeedsPerCase = 125;
constexpr uint64_t kSweepDurationMs = 60'000;

void ExpectCleanSweep(uint32_t validators, uint64_t first_seed) {
  SweepOptions options;
  options.config = FaultyConfig(validators, kSweepDurationMs);
  options.first_seed = first_seed;
  options.seeds = kSweepSeedsPerCase;
  SweepSummary s = RunSweep(options);
  std::string failures;
  for (const SeedResult& r : s.failures) failures += FormatFailure(r, options.config, true);
  EXPECT_EQ(s.violations, 0u) << failures;
  std::cout << "[sweep n=" << validators << " seeds " << first_seed << ".."
            << first_seed + kSweepSeedsPerCase - 1 << "] " << FormatSummary(s) << "\n";
}

TEST(SimSweep, N4Seeds1To125) {
  ExpectCleanSweep(4, 1);
}
TEST(SimSweep, N4Seeds126To250) {
  ExpectCleanSweep(4, 126);
}
TEST(SimSweep, N4Seeds251To375) {
  ExpectCleanSweep(4, 251);
}
TEST(SimSweep, N4Seeds376To500) {
  ExpectCleanSweep(4, 376);
}
TEST(SimSweep, N7Seeds1To125) {
  ExpectCleanSweep(7, 1);
}
TEST(SimSweep, N7Seeds126To250) {
  ExpectCleanSweep(7, 126);
}
TEST(SimSweep, N7Seeds251To375) {
  ExpectCleanSweep(7, 251);
}
TEST(SimSweep, N7Seeds376To500) {
  ExpectCleanSweep(7, 376);
}

}  // namespace
}  // namespace hotbft::sim
