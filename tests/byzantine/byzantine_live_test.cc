// hotbft-byzantine on a live 4-validator testnet (tests/integration/cluster.h): three
// `hotbft start` processes and one `hotbft-byzantine start --misbehave ...`. The honest
// three must keep committing and agree; what they log shows they saw the misbehaviour.
// About 30 s per test.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/integration/cluster.h"

namespace hotbft::integration {
namespace {

constexpr uint32_t kByzantine = 3;
const std::vector<uint32_t> kHonest = {0, 1, 2};
constexpr uint64_t kWaitMs = 60'000;

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class ByzantineLiveTest : public ::testing::Test {
 protected:
  void StartWith(std::vector<std::string> args) {
    ClusterOptions options;
    options.idle_empty_blocks = true;
    auto cluster = Cluster::Create(options);
    ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
    cluster_ = std::move(cluster).value();
    cluster_->SetStartCommand(kByzantine, HOTBFT_BYZANTINE_BINARY, std::move(args));
    Status started = cluster_->StartAll();
    ASSERT_TRUE(started.ok()) << started.ToString() << "\n" << cluster_->LogTails();
    EXPECT_NE(cluster_->Log(kByzantine).find("MISBEHAVES ON PURPOSE"), std::string::npos);
  }

  // The honest validators commit `blocks` more heights and agree on them.
  void ExpectHonestProgress(uint64_t blocks) {
    ASSERT_TRUE(cluster_->WaitForProgress(kHonest, blocks, kWaitMs));
    uint64_t common = 0;
    ASSERT_TRUE(cluster_->WaitForAgreement(kHonest, 1, kWaitMs, &common));
  }

  // Waits until some honest validator's log holds `line`.
  ::testing::AssertionResult WaitForHonestLog(const std::string& line) {
    return cluster_->WaitUntil("an honest log line '" + line + "'", kWaitMs,
                               [&](std::string* detail) {
                                 size_t total = 0;
                                 for (uint32_t i : kHonest) total += Count(cluster_->Log(i), line);
                                 *detail = std::to_string(total) + " so far";
                                 return total > 0;
                               });
  }

  std::unique_ptr<Cluster> cluster_;
};

TEST_F(ByzantineLiveTest, HonestValidatorsRecordADoubleVoterAndKeepCommitting) {
  StartWith({"--misbehave", "double-vote"});
  ExpectHonestProgress(20);
  EXPECT_TRUE(WaitForHonestLog("recorded evidence of equivocation"));
}

// Each honest validator gets only one of the leader's two proposals (the halves are
// disjoint, and honest validators do not forward proposals), so none can prove the
// equivocation; what matters is that they agree and keep committing.
TEST_F(ByzantineLiveTest, HonestValidatorsAgreeAndKeepCommittingUnderAnEquivocatingLeader) {
  StartWith({"--misbehave", "equivocate"});
  ExpectHonestProgress(20);
}

TEST_F(ByzantineLiveTest, HonestValidatorsKeepCommittingUnderAFloodFromHeightFive) {
  StartWith({"--misbehave", "flood", "--from-height", "5"});
  EXPECT_TRUE(
      cluster_->WaitUntil("the byzantine validator to start flooding", kWaitMs, [&](std::string*) {
        return cluster_->Log(kByzantine).find("misbehaving from now on") != std::string::npos;
      }));
  // The raw connections' garbage, refused by the honest transports.
  EXPECT_TRUE(WaitForHonestLog("malformed"));
  ExpectHonestProgress(20);
}

}  // namespace
}  // namespace hotbft::integration
