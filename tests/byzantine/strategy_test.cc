// Each strategy against honest cores: what the Byzantine validator sends, checked against
// the protocol (signatures, rounds, recipients), and what an honest core makes of it
// (the drop counter for the expected reason, no vote, no state moved).
#include "tests/byzantine/strategy.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "tests/byzantine/strategies.h"
#include "tests/consensus/core_harness.h"

namespace hotbft::byzantine {
namespace {

using hotbft::testing::Collect;
using hotbft::testing::Dropped;
using hotbft::testing::Fixture;
using hotbft::testing::kChainId;

constexpr uint64_t kSeed = 0x5eed'b42e;
// Far enough past genesis that every fixture block's timestamp (round * 1000) is in the past.
constexpr uint64_t kNowMs = 10'000;

// Everything `core` asks to send in `actions`, persists carried out at once, as the
// simulator hands it to a strategy (a broadcast goes to every other validator).
std::vector<Envelope> Outgoing(Core& core, uint32_t self, uint32_t validators,
                               const std::vector<Action>& actions, uint64_t now_ms) {
  std::vector<Envelope> out;
  for (const Action& a : actions) {
    if (const auto* send = std::get_if<SendAction>(&a)) {
      out.push_back(Envelope{{send->to}, send->message});
    } else if (const auto* broadcast = std::get_if<BroadcastAction>(&a)) {
      Envelope e{{}, broadcast->message};
      for (uint32_t v = 0; v < validators; ++v) {
        if (v != self) e.to.push_back(v);
      }
      out.push_back(std::move(e));
    } else if (const auto* persist = std::get_if<PersistAction>(&a)) {
      for (Envelope& e :
           Outgoing(core, self, validators, core.OnPersisted(persist->token, now_ms), now_ms)) {
        out.push_back(std::move(e));
      }
    }
  }
  return out;
}

// The first envelope carrying a T (throws, failing the test, if there is none).
template <typename T>
const Envelope& FirstWith(const std::vector<Envelope>& envelopes) {
  auto it = std::find_if(envelopes.begin(), envelopes.end(),
                         [](const Envelope& e) { return std::holds_alternative<T>(e.message); });
  return envelopes.at(static_cast<size_t>(it - envelopes.begin()));
}

uint64_t TotalDropped(const Core& core) {
  uint64_t total = 0;
  for (uint64_t n : core.counters().dropped) total += n;
  return total;
}

class StrategyTest : public hotbft::testing::CoreTestBase {
 protected:
  static constexpr uint32_t kValidators = 4;

  // The context of Byzantine validator `self`, signing with its raw key.
  Context ContextFor(uint32_t self, const Core* core, uint64_t now_ms = kNowMs) {
    Context ctx;
    ctx.self = self;
    ctx.validators = kValidators;
    ctx.chain_id = kChainId;
    ctx.signer = &fx_.signer(self);
    ctx.rng = &rng_;
    ctx.core = core;
    ctx.now_ms = now_ms;
    return ctx;
  }

  std::vector<Envelope> Send(Core& core, uint32_t self, const std::vector<Action>& actions,
                             uint64_t now_ms = kNowMs) {
    return Outgoing(core, self, kValidators, actions, now_ms);
  }

  // `self` leads round 1 and proposes a block carrying `txs` (once the empty-block wait
  // is over, so an empty payload is proposed too); its proposal broadcast.
  Envelope ProposeRoundOne(Core& core, uint32_t self, std::vector<Bytes> txs = {{'t', 'x'}}) {
    core.Start(kNowMs);
    const uint64_t now_ms = kNowMs + hotbft::testing::TestConfig().empty_block_interval_ms;
    auto payload = std::make_shared<const Payload>(Payload{std::move(txs), {}});
    return FirstWith<Proposal>(Send(core, self, core.OnPayloadReady(1, payload, now_ms), now_ms));
  }

  // `self` (not the leader of round 1) votes for round 1's block; its vote envelope.
  Envelope VoteRoundOne(Core& core, uint32_t self) {
    core.Start(kNowMs);
    return FirstWith<Vote>(Send(core, self, core.OnMessage(1, Propose(b1_), kNowMs)));
  }

  bool ProposalSignatureValid(const Proposal& p) {
    return fx_.verifier().Verify(fx_.validators().key(p.block->header.proposer),
                                 ProposalDigest(kChainId, p.block->id), p.signature);
  }
  bool VoteSignatureValid(const Vote& v) {
    return fx_.verifier().Verify(fx_.validators().key(v.voter), v.data.SigningDigest(kChainId),
                                 v.signature);
  }
  bool TimeoutSignatureValid(const Timeout& t) {
    return fx_.verifier().Verify(fx_.validators().key(t.sender), t.data.SigningDigest(kChainId),
                                 t.signature);
  }

  SeededRandom rng_{kSeed};
  std::shared_ptr<const Block> b1_ = fx_.MakeBlock(fx_.genesis_qc(), 1, 1, {{'a'}}, 10);
};

// ---- Names ----

TEST(StrategyNames, EveryStrategyRoundTripsThroughItsName) {
  const std::vector<StrategyKind> all = AllStrategies();
  ASSERT_EQ(all.size(), static_cast<size_t>(StrategyKind::kCount));
  std::set<std::string_view> names;
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i], static_cast<StrategyKind>(i)) << "not in enum order at " << i;
    const std::string_view name = StrategyName(all[i]);
    EXPECT_EQ(ParseStrategy(name), all[i]) << name;
    EXPECT_EQ(MakeStrategy(all[i])->kind(), all[i]) << name;
    names.insert(name);
  }
  EXPECT_EQ(names.size(), all.size()) << "two strategies share a name";
  EXPECT_EQ(StrategyName(StrategyKind::kForgeCert), "forge-qc");
  EXPECT_EQ(StrategyName(StrategyKind::kForkFromOldQC), "fork-from-old-qc");
  EXPECT_FALSE(ParseStrategy("twins"));
  EXPECT_FALSE(ParseStrategy("Silent"));
  EXPECT_FALSE(ParseStrategy(""));
}

// ---- silent ----

TEST_F(StrategyTest, SilentSendsNothingButStillReceives) {
  auto core = Make(1);
  auto strategy = MakeStrategy(StrategyKind::kSilent);
  Context ctx = ContextFor(1, core.get());
  Envelope proposal = ProposeRoundOne(*core, 1);
  EXPECT_TRUE(strategy->OnSend(proposal, ctx).empty());
  auto vote = Envelope{{2}, fx_.MakeVote(*b1_, 1)};
  EXPECT_TRUE(strategy->OnSend(vote, ctx).empty());
  EXPECT_TRUE(strategy->OnTick(ctx).empty());
  ReceiveResult r = strategy->OnReceive(0, fx_.MakeVote(*b1_, 0), ctx);
  EXPECT_TRUE(r.deliver);
  EXPECT_TRUE(r.send.empty());
}

// ---- equivocate ----

TEST_F(StrategyTest, EquivocateSplitsTheValidatorsBetweenTwoSignedBlocksOfOneRound) {
  auto core = Make(1);
  auto strategy = MakeStrategy(StrategyKind::kEquivocate);
  Context ctx = ContextFor(1, core.get());
  const Envelope honest = ProposeRoundOne(*core, 1);
  auto out = strategy->OnSend(honest, ctx);
  ASSERT_EQ(out.size(), 2u) << "seed " << kSeed;
  std::vector<uint32_t> all = out[0].to;
  all.insert(all.end(), out[1].to.begin(), out[1].to.end());
  std::sort(all.begin(), all.end());
  EXPECT_FALSE(out[0].to.empty());
  EXPECT_FALSE(out[1].to.empty());
  EXPECT_EQ(all, (std::vector<uint32_t>{0, 2, 3})) << "halves overlap or miss someone";

  const Proposal& a = std::get<Proposal>(out[0].message);
  const Proposal& b = std::get<Proposal>(out[1].message);
  EXPECT_EQ(a.block->id, std::get<Proposal>(honest.message).block->id);
  EXPECT_NE(a.block->id, b.block->id);
  EXPECT_EQ(b.block->header.round, 1u);
  EXPECT_EQ(b.block->header.parent_id, a.block->header.parent_id);
  EXPECT_EQ(b.block->id, b.block->header.Id(kChainId));
  EXPECT_TRUE(ProposalSignatureValid(a));
  EXPECT_TRUE(ProposalSignatureValid(b));

  // Each half votes for what it got; whoever sees both records evidence and votes once.
  for (const Envelope& e : out) {
    auto honest_core = Make(e.to.front());
    honest_core->Start(kNowMs);
    honest_core->OnMessage(1, e.message, kNowMs);
    EXPECT_EQ(honest_core->counters().votes_sent, 1u) << "validator " << e.to.front();
    honest_core->OnMessage(1, (&e == &out[0] ? out[1] : out[0]).message, kNowMs);
    EXPECT_EQ(honest_core->counters().votes_sent, 1u);
    EXPECT_EQ(honest_core->counters().equivocations_seen, 1u);
    EXPECT_EQ(honest_core->evidence().size(), 1u);
  }
  // A re-send of the proposal is not a third block.
  auto again = strategy->OnSend(honest, ctx);
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(std::get<Proposal>(again[1].message).block->id, b.block->id);
}

TEST_F(StrategyTest, EquivocateServesTheConflictingBlockSoItsQcCanBeFollowed) {
  auto core = Make(1);
  auto strategy = MakeStrategy(StrategyKind::kEquivocate);
  Context ctx = ContextFor(1, core.get());
  auto out = strategy->OnSend(ProposeRoundOne(*core, 1, {}), ctx);
  ASSERT_EQ(out.size(), 2u);
  const auto twin = std::get<Proposal>(out[1].message).block;
  EXPECT_EQ(twin->header.timestamp_ms,
            std::get<Proposal>(out[0].message).block->header.timestamp_ms - 1)
      << "an empty block differs by its timestamp, still above its parent's";

  // An honest validator that saw only the original learns of a QC on the twin and asks
  // the Byzantine validator for it.
  const uint32_t follower = out[0].to.front();
  auto honest = Make(follower);
  honest->Start(kNowMs);
  honest->OnMessage(1, out[0].message, kNowMs);
  const QC twin_qc = fx_.MakeQC(*twin);
  auto asked = honest->OnMessage(1, MakeTimeout(1, 2, twin_qc, twin_qc), kNowMs);
  auto requests = Collect<SendAction>(asked);
  ASSERT_EQ(requests.size(), 1u);
  ASSERT_EQ(requests[0].to, 1u);
  const auto& request = std::get<BlockRequest>(requests[0].message);
  EXPECT_EQ(request.block_id, twin->id);

  ReceiveResult r = strategy->OnReceive(follower, request, ctx);
  EXPECT_TRUE(r.deliver);
  ASSERT_EQ(r.send.size(), 1u);
  EXPECT_EQ(r.send[0].to, std::vector<uint32_t>{follower});
  honest->OnMessage(1, r.send[0].message, kNowMs);
  EXPECT_TRUE(honest->tree().Contains(twin->id));
  EXPECT_EQ(honest->tree().high_qc().vote_data.block_id, twin->id);
  EXPECT_EQ(TotalDropped(*honest), 0u);

  // A block it never made is not served by the strategy (the core answers for its own).
  ReceiveResult unknown = strategy->OnReceive(follower, BlockRequest{b1_->id, 4}, ctx);
  EXPECT_TRUE(unknown.deliver);
  EXPECT_TRUE(unknown.send.empty());
}

// ---- double-vote ----

TEST_F(StrategyTest, DoubleVoteSignsASecondVoteOfTheRoundForEveryone) {
  auto core = Make(3);
  auto strategy = MakeStrategy(StrategyKind::kDoubleVote);
  Context ctx = ContextFor(3, core.get());
  const Envelope honest = VoteRoundOne(*core, 3);
  auto out = strategy->OnSend(honest, ctx);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].to, honest.to);
  const Vote& first = std::get<Vote>(out[0].message);
  const Vote& second = std::get<Vote>(out[1].message);
  EXPECT_EQ(first, std::get<Vote>(honest.message));
  EXPECT_EQ(out[1].to, (std::vector<uint32_t>{0, 1, 2}));
  EXPECT_EQ(second.voter, 3u);
  EXPECT_EQ(second.data.round, first.data.round);
  EXPECT_EQ(second.data.height, first.data.height);
  EXPECT_EQ(second.data.parent_id, first.data.parent_id);
  EXPECT_NE(second.data, first.data);
  EXPECT_TRUE(VoteSignatureValid(first));
  EXPECT_TRUE(VoteSignatureValid(second));

  // The next leader records the double vote and certifies only the real block.
  auto leader = Make(2);
  leader->Start(kNowMs);
  leader->OnMessage(1, Propose(b1_), kNowMs);
  leader->OnMessage(3, first, kNowMs);
  leader->OnMessage(3, second, kNowMs);
  EXPECT_EQ(leader->counters().equivocations_seen, 1u);
  ASSERT_EQ(leader->evidence().size(), 1u);
  EXPECT_EQ(leader->evidence().begin()->first.kind, EvidenceKind::kDoubleVote);
  EXPECT_EQ(leader->evidence().begin()->first.validator, 3u);
  for (uint32_t v : {0u, 1u}) leader->OnMessage(v, fx_.MakeVote(*b1_, v), kNowMs);
  EXPECT_EQ(leader->counters().qcs_formed, 1u);
  EXPECT_EQ(leader->tree().high_qc().vote_data, first.data);
  EXPECT_EQ(Dropped(*leader, DropReason::kBadSignature), 0u);
}

// ---- withhold-votes ----

TEST_F(StrategyTest, WithholdVotesSendsNoVoteAndStripsItFromTimeouts) {
  auto core = Make(3);
  auto strategy = MakeStrategy(StrategyKind::kWithholdVotes);
  Context ctx = ContextFor(3, core.get());
  EXPECT_TRUE(strategy->OnSend(VoteRoundOne(*core, 3), ctx).empty());

  // Its round times out; the core's timeout carries its round-1 vote.
  const uint64_t late = kNowMs + 10 * 1000;
  const Envelope timeout = FirstWith<Timeout>(Send(*core, 3, core->OnTick(late), late));
  const Timeout& honest = std::get<Timeout>(timeout.message);
  ASSERT_TRUE(honest.vote.has_value());
  auto out = strategy->OnSend(timeout, ctx);
  ASSERT_EQ(out.size(), 1u);
  const Timeout& stripped = std::get<Timeout>(out[0].message);
  EXPECT_FALSE(stripped.vote.has_value());
  EXPECT_EQ(stripped.data, honest.data);
  EXPECT_TRUE(TimeoutSignatureValid(stripped));

  // The stripped timeout still counts: with one more (f + 1), an honest validator joins.
  auto receiver = Make(2);
  receiver->Start(kNowMs);
  receiver->OnMessage(0, MakeTimeout(0, 1, fx_.genesis_qc(), fx_.genesis_qc()), kNowMs);
  EXPECT_EQ(receiver->counters().timeouts_sent, 0u);
  receiver->OnMessage(3, stripped, kNowMs);
  EXPECT_EQ(receiver->counters().timeouts_sent, 1u);
  EXPECT_EQ(TotalDropped(*receiver), 0u);
}

// ---- invalid-signatures ----

TEST_F(StrategyTest, InvalidSignaturesBreaksProposalSignaturesButNotBlocks) {
  auto core = Make(1);
  auto strategy = MakeStrategy(StrategyKind::kInvalidSignatures);
  Context ctx = ContextFor(1, core.get());
  const Envelope honest = ProposeRoundOne(*core, 1);
  auto out = strategy->OnSend(honest, ctx);
  ASSERT_EQ(out.size(), 1u);
  const Proposal& bad = std::get<Proposal>(out[0].message);
  EXPECT_EQ(bad.block, std::get<Proposal>(honest.message).block);
  EXPECT_FALSE(ProposalSignatureValid(bad)) << "seed " << kSeed;
  auto receiver = Make(0);
  receiver->Start(kNowMs);
  receiver->OnMessage(1, bad, kNowMs);
  EXPECT_EQ(Dropped(*receiver, DropReason::kBadSignature), 1u);
  EXPECT_EQ(receiver->counters().votes_sent, 0u);
  EXPECT_EQ(receiver->tree().size(), 0u);
}

TEST_F(StrategyTest, InvalidSignaturesBreaksVotesAndTimeoutsWithTheirVotes) {
  auto core = Make(3);
  auto strategy = MakeStrategy(StrategyKind::kInvalidSignatures);
  Context ctx = ContextFor(3, core.get());
  auto votes = strategy->OnSend(VoteRoundOne(*core, 3), ctx);
  ASSERT_EQ(votes.size(), 1u);
  EXPECT_FALSE(VoteSignatureValid(std::get<Vote>(votes[0].message))) << "seed " << kSeed;

  const uint64_t late = kNowMs + 10 * 1000;
  auto out = strategy->OnSend(FirstWith<Timeout>(Send(*core, 3, core->OnTick(late), late)), ctx);
  ASSERT_EQ(out.size(), 1u);
  const Timeout& bad = std::get<Timeout>(out[0].message);
  EXPECT_FALSE(TimeoutSignatureValid(bad));
  ASSERT_TRUE(bad.vote.has_value());
  EXPECT_FALSE(VoteSignatureValid(*bad.vote));

  auto receiver = Make(2);
  receiver->Start(kNowMs);
  receiver->OnMessage(3, votes[0].message, kNowMs);
  receiver->OnMessage(3, bad, kNowMs);
  EXPECT_EQ(Dropped(*receiver, DropReason::kBadSignature), 2u);
  // Without its vote the timeout still fails on its own signature.
  Timeout no_vote = bad;
  no_vote.vote.reset();
  receiver->OnMessage(3, no_vote, kNowMs);
  EXPECT_EQ(Dropped(*receiver, DropReason::kBadSignature), 3u);
  EXPECT_EQ(receiver->state_sizes().timeout_rounds, 0u);
}

// ---- forge-qc ----

class ForgeCertTest : public StrategyTest {
 protected:
  // Both the Byzantine validator (2, leader of round 2) and the honest one (3) hold b1 and
  // its QC and are in round 2.
  void SetUp() override {
    qc1_ = fx_.MakeQC(*b1_);
    byzantine_ = Make(2, Recovered());
    honest_ = Make(3, Recovered());
    byzantine_->Start(kNowMs);
    honest_->Start(kNowMs);
    ASSERT_EQ(honest_->current_round(), 2u);
  }

  RecoveryState Recovered() const {
    RecoveryState rec;
    rec.blocks = {b1_};
    rec.high_qc = qc1_;
    return rec;
  }

  // Delivers `m` from the Byzantine validator; expects exactly one certificate drop.
  void DeliverForged(const Message& m) {
    const uint64_t qc_before = Dropped(*honest_, DropReason::kInvalidQC);
    const uint64_t tc_before = Dropped(*honest_, DropReason::kInvalidTC);
    const uint64_t all_before = TotalDropped(*honest_);
    honest_->OnMessage(2, m, kNowMs);
    const uint64_t qc = Dropped(*honest_, DropReason::kInvalidQC) - qc_before;
    const uint64_t tc = Dropped(*honest_, DropReason::kInvalidTC) - tc_before;
    EXPECT_EQ(qc + tc, 1u) << "seed " << kSeed << ", message " << delivered_;
    EXPECT_EQ(TotalDropped(*honest_) - all_before, 1u) << "seed " << kSeed;
    ++delivered_;
  }

  QC qc1_;
  std::unique_ptr<Core> byzantine_;
  std::unique_ptr<Core> honest_;
  size_t delivered_ = 0;
};

TEST_F(ForgeCertTest, ForgedCertificatesInValidlySignedMessagesAreDroppedByTheCertCheck) {
  constexpr int kRounds = 25;
  auto strategy = MakeStrategy(StrategyKind::kForgeCert);
  Context ctx = ContextFor(2, byzantine_.get());
  auto payload = std::make_shared<const Payload>(Payload{{{'p'}}, {}});
  const Envelope proposal =
      FirstWith<Proposal>(Send(*byzantine_, 2, byzantine_->OnPayloadReady(2, payload, kNowMs)));
  const uint64_t late = kNowMs + 10 * 1000;
  const Envelope timeout = FirstWith<Timeout>(Send(*byzantine_, 2, byzantine_->OnTick(late), late));

  size_t proposals = 0;
  size_t timeouts = 0;
  for (int i = 0; i < kRounds; ++i) {
    std::vector<Envelope> out = strategy->OnSend(proposal, ctx);
    for (Envelope& e : strategy->OnSend(timeout, ctx)) out.push_back(std::move(e));
    for (Envelope& e : strategy->OnTick(ctx)) out.push_back(std::move(e));
    for (const Envelope& e : out) {
      EXPECT_EQ(e.to, (std::vector<uint32_t>{0, 1, 3}));
      if (const auto* p = std::get_if<Proposal>(&e.message)) {
        EXPECT_EQ(p->block->id, p->block->header.Id(kChainId));
        EXPECT_TRUE(ProposalSignatureValid(*p)) << "only the certificate may be bad";
        ++proposals;
      } else {
        EXPECT_TRUE(TimeoutSignatureValid(std::get<Timeout>(e.message)));
        ++timeouts;
      }
      DeliverForged(e.message);
    }
  }
  // Round 2 is the Byzantine validator's: every tick adds a fabricated proposal of it
  // whenever it draws round 2 rather than 3.
  EXPECT_GT(proposals, static_cast<size_t>(kRounds));
  EXPECT_GE(timeouts, static_cast<size_t>(2 * kRounds));
  EXPECT_GT(Dropped(*honest_, DropReason::kInvalidQC), 0u);
  EXPECT_GT(Dropped(*honest_, DropReason::kInvalidTC), 0u);
  EXPECT_EQ(honest_->current_round(), 2u) << "a forged certificate moved the round";
  EXPECT_EQ(honest_->tree().high_qc(), qc1_);
  EXPECT_EQ(honest_->tree().size(), 1u);
  EXPECT_EQ(honest_->counters().votes_sent, 0u);
}

// ---- replay-old ----

TEST_F(StrategyTest, ReplayOldResendsOldMessagesUnchangedAndHonestCoresDropThemAsStale) {
  auto strategy = MakeStrategy(StrategyKind::kReplayOld);
  Context ctx = ContextFor(0, nullptr);
  constexpr Round kLastRound = 12;
  std::vector<Vote> traffic;
  for (Round r = 1; r <= kLastRound; ++r) {
    auto block = fx_.MakeBlock(fx_.genesis_qc(), r, static_cast<uint32_t>(r % 4));
    traffic.push_back(fx_.MakeVote(*block, 1));
    strategy->OnReceive(1, traffic.back(), ctx);
    traffic.push_back(fx_.MakeVote(*block, 0));
    EXPECT_EQ(strategy->OnSend(Envelope{{2}, traffic.back()}, ctx).size(), 1u);
  }
  // An honest validator far past those rounds (TC(11) took it to round 12).
  auto receiver = Make(3);
  receiver->Start(kNowMs);
  receiver->OnMessage(2, MakeTimeout(2, kLastRound, fx_.genesis_qc(), fx_.MakeTC(11, 0)), kNowMs);
  ASSERT_EQ(receiver->current_round(), kLastRound);

  size_t replays = 0;
  for (int tick = 0; tick < 20; ++tick) {
    for (const Envelope& e : strategy->OnTick(ctx)) {
      ASSERT_EQ(e.to.size(), 1u);
      EXPECT_NE(e.to[0], 0u) << "replayed to itself";
      const Vote& v = std::get<Vote>(e.message);
      EXPECT_NE(std::find(traffic.begin(), traffic.end(), v), traffic.end())
          << "not a copy of an earlier message (seed " << kSeed << ")";
      EXPECT_LE(v.data.round + kReplayAgeRounds, kLastRound) << "not old";
      receiver->OnMessage(0, v, kNowMs);
      ++replays;
    }
  }
  EXPECT_EQ(replays, 20 * kReplaysPerTick);
  EXPECT_EQ(Dropped(*receiver, DropReason::kStaleRound), replays);
  EXPECT_EQ(receiver->current_round(), kLastRound);
}

TEST_F(StrategyTest, ReplayOldRemembersOnlyTheLatestMessages) {
  auto strategy = MakeStrategy(StrategyKind::kReplayOld);
  Context ctx = ContextFor(0, nullptr);
  const Round last = kReplayBufferMax + 100;
  for (Round r = 1; r <= last; ++r) {
    Vote v;
    v.data.round = r;
    v.voter = 1;
    strategy->OnReceive(1, v, ctx);
  }
  for (int tick = 0; tick < 50; ++tick) {
    for (const Envelope& e : strategy->OnTick(ctx)) {
      EXPECT_GT(std::get<Vote>(e.message).data.round, last - kReplayBufferMax)
          << "replayed a message it should have forgotten (seed " << kSeed << ")";
    }
  }
  EXPECT_TRUE(strategy->OnReceive(1, BlockRequest{}, ctx).deliver);
}

// ---- timeout-spam ----

TEST_F(StrategyTest, TimeoutSpamIsDroppedOutsideTheWindowAndCannotMoveAnyone) {
  constexpr int kTicks = 10;
  auto core = Make(0);
  core->Start(kNowMs);
  auto strategy = MakeStrategy(StrategyKind::kTimeoutSpam);
  Context ctx = ContextFor(0, core.get());
  auto receiver = Make(2);
  receiver->Start(kNowMs);
  const Round window = CoreConfig{}.rounds_ahead_max;
  ASSERT_EQ(hotbft::testing::TestConfig().rounds_ahead_max, window)
      << "the harness and the spammer disagree on the window";

  size_t beyond = 0;
  size_t near = 0;
  for (int tick = 0; tick < kTicks; ++tick) {
    for (const Envelope& e : strategy->OnTick(ctx)) {
      EXPECT_EQ(e.to, (std::vector<uint32_t>{1, 2, 3}));
      const Timeout& t = std::get<Timeout>(e.message);
      EXPECT_TRUE(TimeoutSignatureValid(t));
      EXPECT_GT(t.data.round, 1u);
      EXPECT_LE(t.data.round, 1 + window + 1 + kSpamHugeRoundMax);
      (t.data.round > 1 + window ? beyond : near) += 1;
      receiver->OnMessage(0, t, kNowMs);
    }
  }
  EXPECT_EQ(beyond, 2u * kTicks);
  EXPECT_EQ(near, 1u * kTicks);
  EXPECT_EQ(Dropped(*receiver, DropReason::kFarFutureRound), beyond);
  // The near ones carry a TC only the spammer signed.
  EXPECT_EQ(Dropped(*receiver, DropReason::kInvalidTC), near);
  EXPECT_EQ(receiver->current_round(), 1u);
  EXPECT_EQ(receiver->state_sizes().timeout_rounds, 0u);
  EXPECT_EQ(receiver->counters().timeouts_sent, 0u);
}

// ---- fork-from-old-qc ----

class ForkFromOldQCTest : public StrategyTest {
 protected:
  // A chain b1..b5 (rounds 1..5) with QCs qc1..qc4.
  void SetUp() override {
    blocks_.push_back(b1_);
    qcs_.push_back(fx_.MakeQC(*b1_));
    for (Round r = 2; r <= 5; ++r) {
      blocks_.push_back(fx_.MakeBlock(qcs_.back(), r, static_cast<uint32_t>(r % 4)));
      qcs_.push_back(fx_.MakeQC(*blocks_.back()));
    }
  }

  // The Byzantine validator 2 knows b1..b3 (high QC qc3, b1 committed) and reaches round 6,
  // which it leads, through TC(5); its core proposes on qc3.
  Envelope ByzantineProposal(Core& core) {
    core.Start(kNowMs);
    core.OnMessage(0, EntryToRoundSix(), kNowMs);
    EXPECT_EQ(core.current_round(), 6u) << "TC(5) did not bring the leader to round 6";
    auto payload = std::make_shared<const Payload>(Payload{{{'f'}}, {}});
    return FirstWith<Proposal>(Send(core, 2, core.OnPayloadReady(6, payload, kNowMs)));
  }

  RecoveryState KnowsUpTo(size_t last_block, size_t high_qc) const {
    RecoveryState rec;
    rec.blocks.assign(blocks_.begin(), blocks_.begin() + last_block);
    rec.high_qc = qcs_.at(high_qc - 1);
    return rec;
  }

  // An honest validator 3 that voted for b5 (so it is locked on round 3, its preferred
  // round), in round 6. b2 is its committed root.
  std::unique_ptr<Core> LockedHonest() {
    SafetyData safety;
    safety.last_voted_round = 5;
    safety.preferred_round = 3;
    safety.highest_qc_round = 4;
    auto core = Make(3, KnowsUpTo(5, 4), safety);
    core->Start(kNowMs);
    core->OnMessage(0, EntryToRoundSix(), kNowMs);
    EXPECT_EQ(core->current_round(), 6u);
    EXPECT_EQ(core->tree().root()->id, blocks_[1]->id) << "b2 is not the committed root";
    return core;
  }

  // A timeout of round 6 carrying TC(5), whose signers all reported a round-1 high QC.
  Timeout EntryToRoundSix() { return MakeTimeout(0, 6, qcs_[2], fx_.MakeTC(5, 1)); }

  std::vector<std::shared_ptr<const Block>> blocks_;
  std::vector<QC> qcs_;
};

TEST_F(ForkFromOldQCTest, ProposesOnAnOlderQcAndALockedHonestCoreRefuses) {
  // Control: the honest proposal (on qc3) is one the locked validator votes for.
  {
    auto byzantine = Make(2, KnowsUpTo(3, 3));
    const Envelope honest = ByzantineProposal(*byzantine);
    auto locked = LockedHonest();
    locked->OnMessage(2, honest.message, kNowMs);
    ASSERT_EQ(locked->counters().votes_sent, 1u);
  }
  std::set<Round> justify_rounds;
  for (uint64_t seed = kSeed; seed < kSeed + 16; ++seed) {
    rng_ = SeededRandom(seed);
    auto byzantine = Make(2, KnowsUpTo(3, 3));
    const Envelope honest = ByzantineProposal(*byzantine);
    auto strategy = MakeStrategy(StrategyKind::kForkFromOldQC);
    Context ctx = ContextFor(2, byzantine.get());
    auto out = strategy->OnSend(honest, ctx);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].to, honest.to);
    const Proposal& fork = std::get<Proposal>(out[0].message);
    const BlockHeader& h = fork.block->header;
    const Round justify_round = h.justify.vote_data.round;
    EXPECT_LT(justify_round, byzantine->tree().high_qc().vote_data.round) << "seed " << seed;
    EXPECT_EQ(h.round, 6u);
    EXPECT_EQ(h.parent_id, h.justify.vote_data.block_id);
    EXPECT_EQ(h.height, h.justify.vote_data.height + 1);
    EXPECT_EQ(fork.block->payload, std::get<Proposal>(honest.message).block->payload);
    EXPECT_TRUE(fork.tc.has_value());
    EXPECT_TRUE(ProposalSignatureValid(fork));
    justify_rounds.insert(justify_round);

    auto locked = LockedHonest();
    locked->OnMessage(2, fork, kNowMs);
    EXPECT_EQ(locked->counters().votes_sent, 0u) << "seed " << seed;
    // Above the honest root the lock refuses it; below, it cannot even join the tree.
    const DropReason expected = justify_round >= locked->tree().root()->header.round
                                    ? DropReason::kUnsafe
                                    : DropReason::kMalformed;
    EXPECT_EQ(Dropped(*locked, expected), 1u)
        << "seed " << seed << ", justify round " << justify_round;
  }
  // Both older certified blocks were tried: qc2 (b3's parent) and qc1 (the root).
  EXPECT_EQ(justify_rounds, (std::set<Round>{1, 2}));
}

TEST_F(ForkFromOldQCTest, WithoutAnOlderQcTheProposalPassesUnchanged) {
  auto core = Make(1);
  auto strategy = MakeStrategy(StrategyKind::kForkFromOldQC);
  Context ctx = ContextFor(1, core.get());
  const Envelope honest = ProposeRoundOne(*core, 1);
  auto out = strategy->OnSend(honest, ctx);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(std::get<Proposal>(out[0].message).block, std::get<Proposal>(honest.message).block);
}

}  // namespace
}  // namespace hotbft::byzantine
