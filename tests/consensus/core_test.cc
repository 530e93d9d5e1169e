// Core: driven by hand through its inputs. A tiny in-order cluster (instant delivery,
// instant persistence) checks the happy path; single-core tests check the pacemaker,
// round jumps, persist-then-send ordering and restart.
#include "consensus/core.h"

#include <gtest/gtest.h>

#include <deque>
#include <set>

#include "tests/consensus/core_harness.h"

namespace hotbft {
namespace {

using testing::Collect;
using testing::CoreTestBase;
using testing::Fixture;
using testing::kChainId;
using testing::TestConfig;

// N cores with instant delivery and persistence, processed in FIFO order.
class Cluster {
 public:
  explicit Cluster(uint32_t n, CoreConfig config = TestConfig())
      : config_(config), fx_(n), election_(n) {
    for (uint32_t i = 0; i < n; ++i) cores_.push_back(MakeCore(i, std::nullopt));
  }

  std::unique_ptr<Core> MakeCore(uint32_t i, std::optional<SafetyData> safety) {
    auto rules =
        std::make_unique<SafetyRules>(fx_.MakeValidatorSigner(i, 1000 + i), i, kChainId, safety);
    if (!rules->initialized()) rules->InitializeFresh(0);
    RecoveryState rec;
    rec.root = fx_.genesis();
    rec.root_qc = fx_.genesis_qc();
    return std::make_unique<Core>(config_, i, fx_.validators(), fx_.verifier(), election_,
                                  std::move(rules), std::move(rec));
  }

  void Start() {
    for (uint32_t i = 0; i < cores_.size(); ++i) Apply(i, cores_[i]->Start(now_));
    Run();
  }

  // Carries out actions; messages are queued, persistence completes at once.
  void Apply(uint32_t i, const std::vector<Action>& actions) {
    for (const Action& a : actions) {
      if (auto* s = std::get_if<SendAction>(&a)) queue_.push_back({i, s->to, s->message});
      if (auto* b = std::get_if<BroadcastAction>(&a)) {
        for (uint32_t j = 0; j < cores_.size(); ++j) {
          if (j != i) queue_.push_back({i, j, b->message});
        }
      }
      if (auto* p = std::get_if<PersistAction>(&a)) {
        persisted_.push_back({i, p->token});
        EXPECT_EQ(p->committed.empty(), !p->root_qc.has_value());
        if (p->root_qc && !p->committed.empty()) {
          EXPECT_EQ(p->committed.back(), p->root_qc->vote_data.block_id);
        }
        for (const Hash32& id : p->committed) persisted_commits_[i].push_back(id);
      }
      if (auto* r = std::get_if<RequestPayloadAction>(&a)) {
        auto payload = std::make_shared<Payload>();
        if (!pending_txs_.empty()) {
          payload->txs = pending_txs_;
          pending_txs_.clear();
        }
        payloads_.push_back({i, r->round, payload});
      }
      if (auto* c = std::get_if<CommitAction>(&a)) {
        for (const auto& block : c->blocks) commits_[i].push_back(block);
      }
    }
  }

  // Delivers until quiet or `steps` run out.
  void Run(size_t steps = 10'000) {
    while (steps-- > 0) {
      if (!persisted_.empty()) {
        auto [i, token] = persisted_.front();
        persisted_.pop_front();
        Apply(i, cores_[i]->OnPersisted(token, now_));
      } else if (!payloads_.empty()) {
        auto [i, round, payload] = payloads_.front();
        payloads_.pop_front();
        Apply(i, cores_[i]->OnPayloadReady(round, payload, now_));
      } else if (!queue_.empty()) {
        auto [from, to, msg] = queue_.front();
        queue_.pop_front();
        Apply(to, cores_[to]->OnMessage(from, msg, now_));
      } else {
        return;
      }
    }
  }

  void Tick(uint64_t now) {
    now_ = now;
    for (uint32_t i = 0; i < cores_.size(); ++i) Apply(i, cores_[i]->OnTick(now_));
    Run();
  }

  CoreConfig config_;
  Fixture fx_;
  RoundRobinElection election_;
  std::vector<std::unique_ptr<Core>> cores_;
  struct Msg {
    uint32_t from, to;
    Message message;
  };
  std::deque<Msg> queue_;
  std::deque<std::pair<uint32_t, uint64_t>> persisted_;
  struct PayloadRequest {
    uint32_t node;
    Round round;
    std::shared_ptr<const Payload> payload;
  };
  std::deque<PayloadRequest> payloads_;
  std::vector<Bytes> pending_txs_;
  std::map<uint32_t, std::vector<std::shared_ptr<const Block>>> commits_;
  std::map<uint32_t, std::vector<Hash32>> persisted_commits_;  // PersistAction::committed
  uint64_t now_ = 1;
};

TEST(CoreCluster, CommitsATransactionOnEveryValidator) {
  Cluster c(4);
  c.pending_txs_ = {{'a'}, {'b'}};
  c.Start();
  // Past the empty-block interval, leaders propose; the non-empty block then commits
  // within three more rounds without further traffic.
  for (uint64_t t = 200; t <= 2000; t += 100) c.Tick(t);
  for (uint32_t i = 0; i < 4; ++i) {
    SCOPED_TRACE("validator " + std::to_string(i));
    EXPECT_FALSE(c.commits_[i].empty());
    if (c.commits_[i].empty()) continue;
    bool found = false;
    for (const auto& b : c.commits_[i]) {
      if (!b->payload->txs.empty()) found = true;
    }
    EXPECT_TRUE(found);
    EXPECT_EQ(c.commits_[i].front()->header.height, 1u);
    // The persisted commit records name the committed blocks, in order.
    std::vector<Hash32> committed_ids;
    for (const auto& b : c.commits_[i]) committed_ids.push_back(b->id);
    EXPECT_EQ(c.persisted_commits_[i], committed_ids);
  }
  // Agreement on the common prefix.
  for (size_t h = 0; h < c.commits_[0].size() && h < c.commits_[1].size(); ++h) {
    EXPECT_EQ(c.commits_[0][h]->id, c.commits_[1][h]->id);
  }
}

uint64_t TotalProposals(const Cluster& c) {
  uint64_t total = 0;
  for (const auto& core : c.cores_) total += core->counters().proposals_sent;
  return total;
}

// By default an idle chain makes no blocks at all; a transaction ends the wait at once,
// commits, and after it only the two empty blocks its 3-chain needs are proposed.
TEST(CoreCluster, IdleChainMakesNoBlocksUntilATransactionArrives) {
  CoreConfig config = TestConfig();
  config.idle_empty_blocks = false;
  Cluster c(4, config);
  c.Start();
  for (uint64_t t = 100; t <= 10'000; t += 100) c.Tick(t);
  EXPECT_EQ(TotalProposals(c), 0u);
  for (uint32_t i = 0; i < 4; ++i) EXPECT_EQ(c.cores_[i]->committed_height(), 0u);
  EXPECT_GT(c.cores_[0]->counters().tcs_formed, 0u);  // idle rounds time out

  c.pending_txs_ = {{'x'}};
  for (uint32_t i = 0; i < 4; ++i) c.Apply(i, c.cores_[i]->OnTxsAvailable(c.now_));
  c.Run();
  for (uint64_t t = c.now_ + 100; t <= 20'000; t += 100) c.Tick(t);
  for (uint32_t i = 0; i < 4; ++i) {
    SCOPED_TRACE("validator " + std::to_string(i));
    ASSERT_EQ(c.commits_[i].size(), 1u);
    EXPECT_EQ(c.commits_[i][0]->payload->txs, std::vector<Bytes>{{'x'}});
  }
  EXPECT_EQ(TotalProposals(c), 3u);  // the block with x, and two empty ones after it
}

TEST(CoreCluster, IdleEmptyBlocksWhenAskedFor) {
  CoreConfig config = TestConfig();
  config.idle_empty_blocks = true;
  Cluster c(4, config);
  c.Start();
  for (uint64_t t = 100; t <= 3'000; t += 100) c.Tick(t);
  EXPECT_GT(TotalProposals(c), 10u);
  EXPECT_GT(c.cores_[0]->committed_height(), 5u);
}

TEST(CoreCluster, OneCrashedValidatorDoesNotStopCommits) {
  Cluster c(4);
  c.Start();
  const Height before = c.cores_[0]->committed_height();
  // Validator 3 is silent from now on: drop everything to and from it.
  for (uint64_t t = 200; t <= 30'000; t += 100) {
    c.now_ = t;
    for (uint32_t i = 0; i < 3; ++i) c.Apply(i, c.cores_[i]->OnTick(t));
    for (size_t steps = 0; steps < 10'000; ++steps) {
      std::erase_if(c.queue_, [](const auto& m) { return m.to == 3 || m.from == 3; });
      if (c.persisted_.empty() && c.payloads_.empty() && c.queue_.empty()) break;
      c.Run(1);
    }
  }
  for (uint32_t i = 0; i < 3; ++i) {
    const auto& k = c.cores_[i]->counters();
    std::string drops;
    for (size_t r = 0; r < k.dropped.size(); ++r) {
      if (k.dropped[r]) {
        drops += std::string(DropReasonName(static_cast<DropReason>(r))) + "=" +
                 std::to_string(k.dropped[r]) + " ";
      }
    }
    SCOPED_TRACE("validator " + std::to_string(i) + " round " +
                 std::to_string(c.cores_[i]->current_round()) + " tcs " +
                 std::to_string(k.tcs_formed) + " qcs " + std::to_string(k.qcs_formed) +
                 " timeouts " + std::to_string(k.timeouts_sent) + " drops " + drops);
    EXPECT_GT(c.cores_[i]->committed_height(), before + 3);
  }
  EXPECT_GT(c.cores_[0]->counters().tcs_formed + c.cores_[1]->counters().tcs_formed, 0u);
}

// Ticks every 50 ms up to `until`, with every message to or from a validator in `cut`
// dropped.
void RunCut(Cluster& c, const std::set<uint32_t>& cut, uint64_t until) {
  for (uint64_t t = c.now_ + 50; t <= until; t += 50) {
    c.now_ = t;
    for (uint32_t i = 0; i < c.cores_.size(); ++i) {
      if (!cut.contains(i)) c.Apply(i, c.cores_[i]->OnTick(t));
    }
    for (size_t steps = 0; steps < 10'000; ++steps) {
      std::erase_if(c.queue_,
                    [&](const auto& m) { return cut.contains(m.to) || cut.contains(m.from); });
      if (c.persisted_.empty() && c.payloads_.empty() && c.queue_.empty()) break;
      c.Run(1);
    }
  }
}

// An idle chain moves only through timeouts. A validator cut off while the others time
// out more than rounds_ahead_max rounds hears of them only through their timeouts, whose
// certificates bring it to their round. Then, with another validator down, it still makes
// the third of a quorum: the chain commits again.
TEST(CoreCluster, IdleChainValidatorFarBehindRejoinsThroughTimeouts) {
  CoreConfig config = TestConfig();
  config.idle_empty_blocks = false;
  config.round_timeout_base_ms = 100;
  config.round_timeout_factor = 1.0;
  config.empty_block_interval_ms = 50;
  Cluster c(4, config);
  c.Start();
  RunCut(c, {3}, 30'000);
  const Round ahead = c.cores_[0]->current_round();
  ASSERT_GT(ahead, c.cores_[3]->current_round() + config.rounds_ahead_max);

  RunCut(c, {}, 31'000);  // validator 3 is back
  EXPECT_GE(c.cores_[3]->current_round(), ahead);
  // Validator 0 fails: 1, 2 and 3 must make every quorum from now on.
  RunCut(c, {0}, 33'000);
  // As a mempool would, 'x' is offered to every proposer until it commits (a block whose
  // votes went to the failed validator is never certified).
  for (uint64_t until = c.now_ + 500; until <= 43'000 && c.commits_[1].empty(); until += 500) {
    c.pending_txs_ = {{'x'}};
    for (uint32_t i = 1; i < 4; ++i) c.Apply(i, c.cores_[i]->OnTxsAvailable(c.now_));
    RunCut(c, {0}, until);
  }
  RunCut(c, {0}, c.now_ + 2'000);
  for (uint32_t i = 1; i < 4; ++i) {
    const auto& k = c.cores_[i]->counters();
    SCOPED_TRACE("validator " + std::to_string(i) + " round " +
                 std::to_string(c.cores_[i]->current_round()) + " proposals " +
                 std::to_string(k.proposals_sent) + " qcs " + std::to_string(k.qcs_formed) +
                 " tcs " + std::to_string(k.tcs_formed) + " committed height " +
                 std::to_string(c.cores_[i]->committed_height()));
    ASSERT_FALSE(c.commits_[i].empty());
    EXPECT_EQ(c.commits_[i].front()->payload->txs, std::vector<Bytes>{{'x'}});
  }
}

// ---- Single core ----

class SingleCore : public CoreTestBase {};

TEST_F(SingleCore, RoundDeadlinesBackOffExponentially) {
  auto core = Make(3, {}, std::nullopt);  // not the leader of rounds 1..2
  auto actions = core->Start(0);
  auto deadlines = Collect<SetDeadlineAction>(actions);
  ASSERT_EQ(deadlines.size(), 1u);
  EXPECT_EQ(deadlines[0].at_ms, 1000u);  // round 1: base
  // Timeouts from the others carry TCs that move rounds on; each round's deadline is
  // base * 2 ^ min(3, r - committed_round - 3).
  uint64_t now = 1000;
  std::vector<uint64_t> durations;
  for (Round r = 1; r <= 8; ++r) {
    TC tc = fx_.MakeTC(r, 0);
    Timeout t;
    t.data = TimeoutData{0, r + 1, 0};
    t.sender = 0;
    t.signature = fx_.signer(0).Sign(t.data.SigningDigest(kChainId));
    t.high_qc = fx_.genesis_qc();
    t.entry = tc;
    auto out = core->OnMessage(0, t, now);
    EXPECT_EQ(core->current_round(), r + 1) << "round after TC(" << r << ")";
    auto d = Collect<SetDeadlineAction>(out);
    ASSERT_FALSE(d.empty());
    durations.push_back(d.back().at_ms - now);
    now += 10;
  }
  // Rounds 2..9: exponent max(0, r - 3) capped at 3.
  std::vector<uint64_t> expected = {1000, 1000, 2000, 4000, 8000, 8000, 8000, 8000};
  EXPECT_EQ(durations, expected);
}

TEST_F(SingleCore, JumpsToRoundAfterVerifiedQcOnly) {
  auto core = Make(3, {}, std::nullopt);
  core->Start(0);
  auto b1 = fx_.MakeBlock(fx_.genesis_qc(), 1, 1);
  auto qc1 = fx_.MakeQC(*b1);
  auto b5 = fx_.MakeBlock(qc1, 5, 1);
  // A proposal for round 5 led by... round 5's leader is 1: justified by qc1 only (no TC):
  // malformed, and it must not move the round past 2.
  Proposal p = Propose(b5);
  core->OnMessage(1, p, 10);
  EXPECT_EQ(core->current_round(), 2u);
  // A forged QC (signatures of too few validators) moves nothing.
  auto b9 = fx_.MakeBlock(qc1, 9, 1);
  Timeout t;
  t.data = TimeoutData{0, 11, 9};
  t.sender = 0;
  t.high_qc = fx_.MakeQC(*b9, 2);  // 2 < quorum of 3
  t.entry = t.high_qc;
  t.data.round = 10;
  t.signature = fx_.signer(0).Sign(t.data.SigningDigest(kChainId));
  core->OnMessage(0, t, 20);
  EXPECT_EQ(core->current_round(), 2u);
  EXPECT_EQ(core->counters().dropped[static_cast<size_t>(DropReason::kInvalidQC)], 1u);
}

TEST_F(SingleCore, VoteLeavesOnlyAfterPersist) {
  auto core = Make(3, {}, std::nullopt);  // not the next leader
  core->Start(0);
  auto b1 = fx_.MakeBlock(fx_.genesis_qc(), 1, 1, {}, 5);
  Proposal p = Propose(b1);
  auto out = core->OnMessage(1, p, 10);
  EXPECT_TRUE(Collect<SendAction>(out).empty()) << "vote sent before its safety data persisted";
  for (size_t r = 0; r < core->counters().dropped.size(); ++r) {
    EXPECT_EQ(core->counters().dropped[r], 0u) << DropReasonName(static_cast<DropReason>(r));
  }
  auto persists = Collect<PersistAction>(out);
  ASSERT_EQ(persists.size(), 1u);
  ASSERT_TRUE(persists[0].safety.has_value());
  EXPECT_EQ(persists[0].safety->last_voted_round, 1u);
  ASSERT_EQ(persists[0].blocks.size(), 1u);
  auto released = core->OnPersisted(persists[0].token, 11);
  auto sends = Collect<SendAction>(released);
  ASSERT_EQ(sends.size(), 1u);
  EXPECT_EQ(sends[0].to, 2u);  // leader of round 2
  EXPECT_TRUE(std::holds_alternative<Vote>(sends[0].message));
}

TEST_F(SingleCore, RestartResumesRoundAndNeverDoubleVotes) {
  std::optional<SafetyData> stored;
  std::vector<std::shared_ptr<const Block>> blocks;
  auto b1 = fx_.MakeBlock(fx_.genesis_qc(), 1, 1, {}, 5);
  {
    auto core = Make(2, {}, std::nullopt);
    core->Start(0);
    Proposal p = Propose(b1);
    auto out = core->OnMessage(1, p, 10);
    auto persists = Collect<PersistAction>(out);
    ASSERT_EQ(persists.size(), 1u);
    stored = persists[0].safety;
    blocks = persists[0].blocks;
  }
  // Restart with a TC for round 3 persisted: resume at round 4.
  RecoveryState rec;
  rec.blocks = blocks;
  rec.high_tc = fx_.MakeTC(3, 0);
  auto core = Make(2, std::move(rec), stored);
  core->Start(100);
  EXPECT_EQ(core->current_round(), 4u);
  // A conflicting round-1 proposal is never voted for.
  auto b1x = fx_.MakeBlock(fx_.genesis_qc(), 1, 1, {{7}}, 5);
  Proposal px = Propose(b1x);
  auto out = core->OnMessage(1, px, 110);
  EXPECT_TRUE(Collect<SendAction>(out).empty());
}

TEST_F(SingleCore, WithoutSafetyDataNothingIsSigned) {
  auto core = Make(2, {}, std::nullopt, /*init=*/false);
  core->Start(0);
  auto b1 = fx_.MakeBlock(fx_.genesis_qc(), 1, 1, {}, 5);
  Proposal p = Propose(b1);
  auto out = core->OnMessage(1, p, 10);
  EXPECT_TRUE(Collect<SendAction>(out).empty());
  out = core->OnTick(5000);
  EXPECT_TRUE(Collect<BroadcastAction>(out).empty());
  EXPECT_GE(core->counters().dropped[static_cast<size_t>(DropReason::kUnsafe)], 1u);
}

}  // namespace
}  // namespace hotbft
