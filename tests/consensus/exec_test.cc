// Execution results in headers: what a proposer puts there, what a voter checks (and
// waits for), and the halt when this validator's own execution disagrees with what the
// chain committed.
#include <gtest/gtest.h>

#include "tests/consensus/core_harness.h"

namespace hotbft {
namespace {

using testing::Collect;
using testing::CoreTestBase;
using testing::Dropped;

const Bytes kHashAt1{0x11, 0x11};
const Bytes kOther{0x66};
constexpr uint64_t kNowMs = 4'000;

class ExecTest : public CoreTestBase {
 protected:
  ExecTest() {
    b1_ = fx_.MakeBlock(fx_.genesis_qc(), 1, 1);
    b2_ = fx_.MakeBlock(fx_.MakeQC(*b1_), 2, 2);
    b3_ = fx_.MakeBlock(fx_.MakeQC(*b2_), 3, 3);
  }

  // Blocks 1..3 of rounds 1..3 stored and certified: block 1 is committed (by the 3-chain
  // 1, 2, 3) and executed up to `executed` (0 or 1).
  RecoveryState Recovered(Height executed = 1) {
    RecoveryState rec;
    rec.root = fx_.genesis();
    rec.root_qc = fx_.genesis_qc();
    rec.blocks = {b1_, b2_, b3_};
    rec.high_qc = fx_.MakeQC(*b3_);
    rec.executed_height = executed;
    if (executed == 1) rec.app_hashes = {{1, kHashAt1}};
    return rec;
  }

  // A block of `round` by its leader on `parent` carrying (exec_height, app_hash).
  std::shared_ptr<const Block> Child(const std::shared_ptr<const Block>& parent, Round round,
                                     Height exec_height, Bytes app_hash) {
    auto base = fx_.MakeBlock(fx_.MakeQC(*parent), round, static_cast<uint32_t>(round % 4));
    auto block = std::make_shared<Block>(*base);
    block->header.exec_height = exec_height;
    block->header.app_hash = std::move(app_hash);
    return Rehash(block);
  }

  // The votes `core` sends once `actions`' persist is durable.
  std::vector<SendAction> VotesAfterPersist(Core& core, const std::vector<Action>& actions) {
    std::vector<SendAction> votes;
    for (const auto& p : Collect<PersistAction>(actions)) {
      for (auto& s : Collect<SendAction>(core.OnPersisted(p.token, kNowMs))) {
        if (std::holds_alternative<Vote>(s.message)) votes.push_back(s);
      }
    }
    return votes;
  }

  std::shared_ptr<const Block> b1_, b2_, b3_;
};

TEST_F(ExecTest, ProposerCarriesItsLatestExecution) {
  auto core = Make(0, Recovered());  // leads round 4
  auto start = core->Start(kNowMs);
  auto requests = Collect<RequestPayloadAction>(start);
  ASSERT_EQ(requests.size(), 1u);
  // An empty payload, after the empty-block interval: proposed at once.
  auto out = core->OnPayloadReady(4, std::make_shared<const Payload>(), kNowMs + 200);
  std::vector<Proposal> proposals;
  for (const auto& p : Collect<PersistAction>(out)) {
    for (auto& b : Collect<BroadcastAction>(core->OnPersisted(p.token, kNowMs))) {
      if (auto* proposal = std::get_if<Proposal>(&b.message)) proposals.push_back(*proposal);
    }
  }
  ASSERT_EQ(proposals.size(), 1u);
  EXPECT_EQ(proposals[0].block->header.exec_height, 1u);
  EXPECT_EQ(proposals[0].block->header.app_hash, kHashAt1);
}

TEST_F(ExecTest, VoterVotesOnlyForItsOwnAppHash) {
  auto good = Make(2, Recovered());
  good->Start(kNowMs);
  auto out = good->OnMessage(0, Propose(Child(b3_, 4, 1, kHashAt1)), kNowMs);
  EXPECT_EQ(VotesAfterPersist(*good, out).size(), 1u);

  auto bad = Make(2, Recovered());
  bad->Start(kNowMs);
  out = bad->OnMessage(0, Propose(Child(b3_, 4, 1, kOther)), kNowMs);
  EXPECT_TRUE(VotesAfterPersist(*bad, out).empty());
  EXPECT_EQ(Dropped(*bad, DropReason::kBadAppHash), 1u);
}

TEST_F(ExecTest, VoterWaitsForItsExecutionThenChecks) {
  auto core = Make(2, Recovered(/*executed=*/0));
  core->Start(kNowMs);
  auto out = core->OnMessage(0, Propose(Child(b3_, 4, 1, kHashAt1)), kNowMs);
  EXPECT_TRUE(VotesAfterPersist(*core, out).empty()) << "voted before executing height 1";
  EXPECT_EQ(core->counters().proposals_waiting_execution, 1u);
  out = core->OnExecuted(1, kHashAt1, kNowMs + 1);
  EXPECT_EQ(VotesAfterPersist(*core, out).size(), 1u);
  EXPECT_EQ(core->executed_height(), 1u);

  auto other = Make(2, Recovered(/*executed=*/0));
  other->Start(kNowMs);
  other->OnMessage(0, Propose(Child(b3_, 4, 1, kHashAt1)), kNowMs);
  out = other->OnExecuted(1, kOther, kNowMs + 1);
  EXPECT_TRUE(VotesAfterPersist(*other, out).empty());
  EXPECT_EQ(Dropped(*other, DropReason::kBadAppHash), 1u);
}

TEST_F(ExecTest, ExecutionFieldsMustFollowTheParent) {
  // b4 says height 1. A child of b4 proves height 2 committed (the 3-chain 2, 3, 4 in its
  // ancestry): it may not go back, claim height 3, or change the hash of height 1.
  auto b4 = Child(b3_, 4, 1, kHashAt1);
  struct Case {
    Height exec_height;
    Bytes app_hash;
  };
  for (const Case& c : {Case{0, {}}, Case{3, kHashAt1}, Case{1, kOther}}) {
    auto core = Make(3, Recovered());  // not the leader of round 5
    core->Start(kNowMs);
    core->OnMessage(0, Propose(b4), kNowMs);
    const uint64_t malformed = Dropped(*core, DropReason::kMalformed);
    core->OnMessage(1, Propose(Child(b4, 5, c.exec_height, c.app_hash)), kNowMs + 1'000);
    EXPECT_EQ(Dropped(*core, DropReason::kMalformed), malformed + 1)
        << "exec_height " << c.exec_height;
  }
}

TEST_F(ExecTest, DivergedExecutionHaltsNamingBothHashes) {
  auto core = Make(2, Recovered(/*executed=*/0));
  core->Start(kNowMs);
  // The chain commits blocks whose headers say height 1 has kHashAt1.
  auto b4 = Child(b3_, 4, 1, kHashAt1);
  auto b5 = Child(b4, 5, 1, kHashAt1);
  auto b6 = Child(b5, 6, 1, kHashAt1);
  auto b7 = Child(b6, 7, 1, kHashAt1);
  core->OnMessage(0, Propose(b4), kNowMs);
  core->OnMessage(1, Propose(b5), kNowMs + 1'000);
  core->OnMessage(2, Propose(b6), kNowMs + 2'000);
  core->OnMessage(3, Propose(b7), kNowMs + 3'000);
  ASSERT_EQ(core->committed_height(), 4u);
  ASSERT_TRUE(core->halted().ok());
  // This validator's own execution of height 1 disagrees.
  auto out = core->OnExecuted(1, kOther, kNowMs + 3'001);
  EXPECT_TRUE(out.empty());
  ASSERT_FALSE(core->halted().ok());
  const std::string message = core->halted().message();
  EXPECT_NE(message.find(ToHex(kOther)), std::string::npos) << message;
  EXPECT_NE(message.find(ToHex(kHashAt1)), std::string::npos) << message;
  EXPECT_NE(message.find("height 1"), std::string::npos) << message;
  // Halted: nothing more is signed or sent.
  EXPECT_TRUE(core->OnTick(kNowMs + 100'000).empty());
  EXPECT_TRUE(core->OnMessage(0, Propose(Child(b7, 8, 1, kHashAt1)), kNowMs + 4'000).empty());
}

TEST_F(ExecTest, AgreeingExecutionOfACommittedClaimDoesNotHalt) {
  auto core = Make(2, Recovered(/*executed=*/0));
  core->Start(kNowMs);
  auto b4 = Child(b3_, 4, 1, kHashAt1);
  auto b5 = Child(b4, 5, 1, kHashAt1);
  auto b6 = Child(b5, 6, 1, kHashAt1);
  core->OnMessage(0, Propose(b4), kNowMs);
  core->OnMessage(1, Propose(b5), kNowMs + 1'000);
  core->OnMessage(2, Propose(b6), kNowMs + 2'000);
  core->OnMessage(3, Propose(Child(b6, 7, 1, kHashAt1)), kNowMs + 3'000);
  ASSERT_EQ(core->committed_height(), 4u);
  core->OnExecuted(1, kHashAt1, kNowMs + 3'001);
  core->OnExecuted(2, kOther, kNowMs + 3'002);  // nothing committed claims height 2
  EXPECT_TRUE(core->halted().ok()) << core->halted().ToString();
  EXPECT_EQ(core->state_sizes().exec_claims, 0u);
}

}  // namespace
}  // namespace hotbft
