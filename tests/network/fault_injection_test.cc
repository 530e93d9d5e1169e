// The fault-injection wrapper: off by default, drop, duplicate, delay and partition in
// both directions, changeable at run time; on a fake network and on real transports.
#include "network/fault_injection.h"

#include <gtest/gtest.h>

#include "tests/network/transport_util.h"

namespace hotbft::network {
namespace {

using testing::Cluster;
using testing::WaitFor;

// Records sends; scheduled functions wait until the test runs them.
class FakeNetwork final : public PeerNetwork {
 public:
  Status Send(ValidatorIndex to, const NetworkMessage&, Priority) override {
    sent.push_back(to);
    return Status::Ok();
  }
  void Broadcast(const NetworkMessage&, Priority) override { ++broadcasts; }

  FaultyNetwork::Scheduler Scheduler() {
    return [this](uint32_t delay_ms, std::function<void()> fn) {
      delays.push_back(delay_ms);
      scheduled.push_back(std::move(fn));
    };
  }
  void RunScheduled() {
    auto fns = std::move(scheduled);
    scheduled.clear();
    for (auto& fn : fns) fn();
  }

  std::vector<ValidatorIndex> sent;
  int broadcasts = 0;
  std::vector<uint32_t> delays;
  std::vector<std::function<void()>> scheduled;
};

const NetworkMessage kTxs = testing::SampleTxBatch();

TEST(FaultInjectionTest, OffByDefaultPassesEverythingThrough) {
  FakeNetwork inner;
  FaultyNetwork f(inner, inner.Scheduler(), 4, 0, 1);
  EXPECT_FALSE(f.config().enabled);
  ASSERT_TRUE(f.Send(2, kTxs, Priority::kGossip).ok());
  f.Broadcast(kTxs, Priority::kGossip);
  EXPECT_EQ(inner.sent, std::vector<ValidatorIndex>{2});
  EXPECT_EQ(inner.broadcasts, 1);
  int delivered = 0;
  auto handler = f.WrapInbound([&](ValidatorIndex, NetworkMessage) { ++delivered; });
  handler(1, kTxs);
  EXPECT_EQ(delivered, 1);
}

TEST(FaultInjectionTest, RejectsBadSettings) {
  FakeNetwork inner;
  FaultyNetwork f(inner, inner.Scheduler(), 4, 0, 1);
  FaultConfig bad;
  bad.drop_probability = 1.5;
  EXPECT_FALSE(f.Configure(bad).ok());
  bad = FaultConfig{};
  bad.delay_ms_min = 10;
  bad.delay_ms_max = 5;
  EXPECT_NE(f.Configure(bad).message().find("delay_ms_min 10"), std::string::npos);
}

TEST(FaultInjectionTest, DropsEverythingAtProbabilityOne) {
  FakeNetwork inner;
  FaultyNetwork f(inner, inner.Scheduler(), 4, 0, 1);
  FaultConfig c;
  c.enabled = true;
  c.drop_probability = 1.0;
  ASSERT_TRUE(f.Configure(c).ok());
  EXPECT_TRUE(f.Send(1, kTxs, Priority::kGossip).ok());  // looks sent, as on a lossy link
  f.Broadcast(kTxs, Priority::kGossip);
  int delivered = 0;
  f.WrapInbound([&](ValidatorIndex, NetworkMessage) { ++delivered; })(1, kTxs);
  EXPECT_TRUE(inner.sent.empty());
  EXPECT_EQ(inner.broadcasts, 0);
  EXPECT_EQ(delivered, 0);
  EXPECT_EQ(f.stats().dropped_out, 4u);
  EXPECT_EQ(f.stats().dropped_in, 1u);
}

TEST(FaultInjectionTest, DropRateFollowsTheSeed) {
  auto run = [](uint64_t seed) {
    FakeNetwork inner;
    FaultyNetwork f(inner, inner.Scheduler(), 4, 0, seed);
    FaultConfig c;
    c.enabled = true;
    c.drop_probability = 0.5;
    EXPECT_TRUE(f.Configure(c).ok());
    for (int i = 0; i < 1000; ++i) (void)f.Send(1 + i % 3, kTxs, Priority::kGossip);
    return inner.sent;
  };
  const auto a = run(9);
  EXPECT_EQ(a, run(9));
  EXPECT_NE(a, run(10));
  EXPECT_GT(a.size(), 400u);
  EXPECT_LT(a.size(), 600u);
}

TEST(FaultInjectionTest, DuplicatesAndDelays) {
  FakeNetwork inner;
  FaultyNetwork f(inner, inner.Scheduler(), 4, 0, 1);
  FaultConfig c;
  c.enabled = true;
  c.duplicate_probability = 1.0;
  c.delay_ms_min = 10;
  c.delay_ms_max = 20;
  ASSERT_TRUE(f.Configure(c).ok());
  ASSERT_TRUE(f.Send(3, kTxs, Priority::kGossip).ok());
  EXPECT_TRUE(inner.sent.empty());  // both copies wait for their delay
  ASSERT_EQ(inner.delays.size(), 2u);
  for (uint32_t d : inner.delays) {
    EXPECT_GE(d, 10u);
    EXPECT_LE(d, 20u);
  }
  inner.RunScheduled();
  EXPECT_EQ(inner.sent, (std::vector<ValidatorIndex>{3, 3}));
  int delivered = 0;
  f.WrapInbound([&](ValidatorIndex, NetworkMessage) { ++delivered; })(2, kTxs);
  EXPECT_EQ(delivered, 0);
  inner.RunScheduled();
  EXPECT_EQ(delivered, 2);
  EXPECT_EQ(f.stats().duplicated, 2u);
  EXPECT_EQ(f.stats().delayed, 4u);
}

TEST(FaultInjectionTest, PartitionCutsBothDirectionsUntilHealed) {
  FakeNetwork inner;
  FaultyNetwork f(inner, inner.Scheduler(), 4, 0, 1);
  std::vector<ValidatorIndex> heard;
  auto handler = f.WrapInbound([&](ValidatorIndex from, NetworkMessage) { heard.push_back(from); });
  f.Partition({1, 3});
  EXPECT_EQ(f.Send(1, kTxs, Priority::kConsensus).code(), Status::Code::kFailedPrecondition);
  f.Broadcast(kTxs, Priority::kConsensus);
  handler(1, kTxs);
  handler(2, kTxs);
  handler(3, kTxs);
  EXPECT_EQ(inner.sent, std::vector<ValidatorIndex>{2});
  EXPECT_EQ(heard, std::vector<ValidatorIndex>{2});
  f.Heal();
  inner.sent.clear();
  f.Broadcast(kTxs, Priority::kConsensus);
  handler(1, kTxs);
  EXPECT_EQ(inner.sent, (std::vector<ValidatorIndex>{1, 2, 3}));
  EXPECT_EQ(heard, (std::vector<ValidatorIndex>{2, 1}));
  EXPECT_EQ(f.stats().partitioned_out, 3u);
  EXPECT_EQ(f.stats().partitioned_in, 2u);
}

// On real transports: node 0 behind the wrapper, partitioned from node 1, then healed.
TEST(FaultInjectionTest, PartitionAndHealOnRealTransports) {
  Cluster c(3);
  std::unique_ptr<FaultyNetwork> faulty;
  c.StartNode(0, [&](Transport& t, InboundHandler inbox) {
    faulty = std::make_unique<FaultyNetwork>(
        t,
        [&t](uint32_t delay_ms, std::function<void()> fn) { t.RunAfter(delay_ms, std::move(fn)); },
        3, 0, 42);
    return faulty->WrapInbound(std::move(inbox));
  });
  c.StartNode(1);
  c.StartNode(2);
  ASSERT_TRUE(WaitFor([&] { return c.AllConnected(); }));
  const NetworkMessage vote0 = Message(testing::SampleVote(c.fx(), 0));
  const NetworkMessage vote1 = Message(testing::SampleVote(c.fx(), 1));

  faulty->Partition({1});
  EXPECT_FALSE(faulty->Send(1, vote0, Priority::kConsensus).ok());
  ASSERT_TRUE(c.node(1).Send(0, vote1, Priority::kConsensus).ok());
  ASSERT_TRUE(WaitFor([&] { return faulty->stats().partitioned_in == 1; }));  // heard, dropped
  // Node 2 is not partitioned: both directions work.
  ASSERT_TRUE(faulty->Send(2, vote0, Priority::kConsensus).ok());
  ASSERT_TRUE(c.node(2).Send(0, vote0, Priority::kConsensus).ok());
  EXPECT_TRUE(WaitFor([&] { return c.inbox(2).Count(0, "vote") == 1; }));
  EXPECT_TRUE(WaitFor([&] { return c.inbox(0).Count(2, "vote") == 1; }));

  faulty->Heal();
  ASSERT_TRUE(faulty->Send(1, vote0, Priority::kConsensus).ok());
  ASSERT_TRUE(c.node(1).Send(0, vote1, Priority::kConsensus).ok());
  EXPECT_TRUE(WaitFor([&] { return c.inbox(1).Count(0, "vote") == 1; }));
  EXPECT_TRUE(WaitFor([&] { return c.inbox(0).Count(1, "vote") == 1; }));
  EXPECT_EQ(c.inbox(1).Count(0, "vote"), 1u);  // the one sent during the partition is gone

  // Drop everything outbound: nothing reaches node 2; then switch faults off again.
  FaultConfig drop_all;
  drop_all.enabled = true;
  drop_all.drop_probability = 1.0;
  ASSERT_TRUE(faulty->Configure(drop_all).ok());
  faulty->Broadcast(vote0, Priority::kConsensus);
  EXPECT_EQ(faulty->stats().dropped_out, 2u);
  ASSERT_TRUE(faulty->Configure(FaultConfig{}).ok());
  faulty->Broadcast(vote0, Priority::kConsensus);
  EXPECT_TRUE(WaitFor([&] { return c.inbox(2).Count(0, "vote") == 2; }));
  EXPECT_TRUE(WaitFor([&] { return c.inbox(1).Count(0, "vote") == 2; }));

  // Delayed and duplicated: arrives twice, later.
  FaultConfig slow;
  slow.enabled = true;
  slow.duplicate_probability = 1.0;
  slow.delay_ms_min = 20;
  slow.delay_ms_max = 60;
  ASSERT_TRUE(faulty->Configure(slow).ok());
  ASSERT_TRUE(faulty->Send(2, vote0, Priority::kConsensus).ok());
  EXPECT_TRUE(WaitFor([&] { return c.inbox(2).Count(0, "vote") == 4; }));
  c.StopNode(0);  // before the wrapper goes
}

}  // namespace
}  // namespace hotbft::network
