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

const Bytes kHashAt2{0x22, 0x22};
const Bytes kHashAt3{0x33, 0x33};
const Bytes kOther{0x66};
constexpr uint64_t kNowMs = 4'000;

class ExecTest : public CoreTestBase {
 protected:
  ExecTest() {
    b1_ = fx_.MakeBlock(fx_.genesis_qc(), 1, 1);
    b2_ = fx_.MakeBlock(fx_.MakeQC(*b1_), 2, 2);
    b3_ = fx_.MakeBlock(fx_.MakeQC(*b2_), 3, 3);
  }

  // Blocks 1..3 committed, executed up to height 2.
  RecoveryState Recovered() {
    RecoveryState rec;
    rec.root = b3_;
    rec.root_qc = fx_.MakeQC(*b3_);
    rec.executed_height = 2;
    rec.app_hashes = {{2, kHashAt2}};
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
  EXPECT_EQ(proposals[0].block->header.exec_height, 2u);
  EXPECT_EQ(proposals[0].block->header.app_hash, kHashAt2);
}

TEST_F(ExecTest, VoterVotesOnlyForItsOwnAppHash) {
  auto good = Make(2, Recovered());
  good->Start(kNowMs);
  auto out = good->OnMessage(0, Propose(Child(b3_, 4, 2, kHashAt2)), kNowMs);
  EXPECT_EQ(VotesAfterPersist(*good, out).size(), 1u);

  auto bad = Make(2, Recovered());
  bad->Start(kNowMs);
  out = bad->OnMessage(0, Propose(Child(b3_, 4, 2, kOther)), kNowMs);
  EXPECT_TRUE(VotesAfterPersist(*bad, out).empty());
  EXPECT_EQ(Dropped(*bad, DropReason::kBadAppHash), 1u);
}

TEST_F(ExecTest, VoterWaitsForItsExecutionThenChecks) {
  auto core = Make(2, Recovered());
  core->Start(kNowMs);
  auto out = core->OnMessage(0, Propose(Child(b3_, 4, 3, kHashAt3)), kNowMs);
  EXPECT_TRUE(VotesAfterPersist(*core, out).empty()) << "voted before executing height 3";
  EXPECT_EQ(core->counters().proposals_waiting_execution, 1u);
  out = core->OnExecuted(3, kHashAt3, kNowMs + 1);
  EXPECT_EQ(VotesAfterPersist(*core, out).size(), 1u);
  EXPECT_EQ(core->executed_height(), 3u);

  auto other = Make(2, Recovered());
  other->Start(kNowMs);
  other->OnMessage(0, Propose(Child(b3_, 4, 3, kHashAt3)), kNowMs);
  out = other->OnExecuted(3, kOther, kNowMs + 1);
  EXPECT_TRUE(VotesAfterPersist(*other, out).empty());
  EXPECT_EQ(Dropped(*other, DropReason::kBadAppHash), 1u);
}

TEST_F(ExecTest, ExecutionFieldsMustFollowTheParent) {
  // b4 says height 2; its children may not go back, jump above their parent, or change
  // the hash of the same height.
  auto b4 = Child(b3_, 4, 2, kHashAt2);
  struct Case {
    Height exec_height;
    Bytes app_hash;
  };
  for (const Case& c : {Case{1, kHashAt2}, Case{5, kHashAt2}, Case{2, kOther}}) {
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
  auto core = Make(2, Recovered());
  core->Start(kNowMs);
  // The chain commits b4, whose header says height 3 has kHashAt3.
  auto b4 = Child(b3_, 4, 3, kHashAt3);
  auto b5 = Child(b4, 5, 3, kHashAt3);
  auto b6 = Child(b5, 6, 3, kHashAt3);
  auto b7 = Child(b6, 7, 3, kHashAt3);
  core->OnMessage(0, Propose(b4), kNowMs);
  core->OnMessage(1, Propose(b5), kNowMs + 1'000);
  core->OnMessage(2, Propose(b6), kNowMs + 2'000);
  core->OnMessage(3, Propose(b7), kNowMs + 3'000);
  ASSERT_EQ(core->committed_height(), 4u);
  ASSERT_TRUE(core->halted().ok());
  // This validator's own execution of height 3 disagrees.
  auto out = core->OnExecuted(3, kOther, kNowMs + 3'001);
  EXPECT_TRUE(out.empty());
  ASSERT_FALSE(core->halted().ok());
  const std::string message = core->halted().message();
  EXPECT_NE(message.find(ToHex(kOther)), std::string::npos) << message;
  EXPECT_NE(message.find(ToHex(kHashAt3)), std::string::npos) << message;
  EXPECT_NE(message.find("height 3"), std::string::npos) << message;
  // Halted: nothing more is signed or sent.
  EXPECT_TRUE(core->OnTick(kNowMs + 100'000).empty());
  EXPECT_TRUE(core->OnMessage(0, Propose(Child(b7, 8, 3, kHashAt3)), kNowMs + 4'000).empty());
}

TEST_F(ExecTest, AgreeingExecutionOfACommittedClaimDoesNotHalt) {
  auto core = Make(2, Recovered());
  core->Start(kNowMs);
  auto b4 = Child(b3_, 4, 3, kHashAt3);
  auto b5 = Child(b4, 5, 3, kHashAt3);
  auto b6 = Child(b5, 6, 3, kHashAt3);
  auto b7 = Child(b6, 7, 3, kHashAt3);
  core->OnMessage(0, Propose(b4), kNowMs);
  core->OnMessage(1, Propose(b5), kNowMs + 1'000);
  core->OnMessage(2, Propose(b6), kNowMs + 2'000);
  core->OnMessage(3, Propose(b7), kNowMs + 3'000);
  core->OnExecuted(3, kHashAt3, kNowMs + 3'001);
  core->OnExecuted(4, kOther, kNowMs + 3'002);  // nothing committed claims height 4 yet
  EXPECT_TRUE(core->halted().ok()) << core->halted().ToString();
  EXPECT_EQ(core->state_sizes().exec_claims, 0u);
}

}  // namespace
}  // namespace hotbft
