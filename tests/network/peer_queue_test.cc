// The per-peer queue: consensus before gossip, gossip dropped first, consensus overflow.
#include "network/peer_queue.h"

#include <gtest/gtest.h>

namespace hotbft::network {
namespace {

Frame F(size_t n, uint8_t tag) {
  return std::make_shared<const Bytes>(n, tag);
}

std::vector<uint8_t> Tags(const std::vector<Frame>& frames) {
  std::vector<uint8_t> out;
  for (const Frame& f : frames) out.push_back(f->front());
  return out;
}

TEST(PeerQueueTest, ConsensusLeavesBeforeGossipInOrder) {
  PeerQueue q(QueueLimits{10, 10, 1000});
  EXPECT_EQ(q.Push(F(10, 1), Priority::kGossip).outcome, PeerQueue::Outcome::kQueued);
  EXPECT_EQ(q.Push(F(10, 2), Priority::kConsensus).outcome, PeerQueue::Outcome::kQueued);
  EXPECT_EQ(q.Push(F(10, 3), Priority::kGossip).outcome, PeerQueue::Outcome::kQueued);
  EXPECT_EQ(q.Push(F(10, 4), Priority::kConsensus).outcome, PeerQueue::Outcome::kQueued);
  EXPECT_EQ(q.bytes(), 40u);
  EXPECT_EQ(Tags(q.Take(1000)), (std::vector<uint8_t>{2, 4, 1, 3}));
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.bytes(), 0u);
}

TEST(PeerQueueTest, TakeRespectsTheByteBudgetButAlwaysTakesOne) {
  PeerQueue q(QueueLimits{10, 10, 1000});
  q.Push(F(100, 1), Priority::kConsensus);
  q.Push(F(30, 2), Priority::kConsensus);
  q.Push(F(30, 3), Priority::kGossip);
  EXPECT_EQ(Tags(q.Take(50)), (std::vector<uint8_t>{1}));
  EXPECT_EQ(Tags(q.Take(60)), (std::vector<uint8_t>{2, 3}));
}

TEST(PeerQueueTest, GossipIsDroppedWhenItsQueueIsFull) {
  PeerQueue q(QueueLimits{10, 2, 1000});
  q.Push(F(1, 1), Priority::kGossip);
  q.Push(F(1, 2), Priority::kGossip);
  EXPECT_EQ(q.Push(F(1, 3), Priority::kGossip).outcome, PeerQueue::Outcome::kGossipDropped);
  EXPECT_EQ(q.gossip_frames(), 2u);
  EXPECT_EQ(q.Push(F(1, 4), Priority::kConsensus).outcome, PeerQueue::Outcome::kQueued);
}

TEST(PeerQueueTest, GossipIsDroppedWhenBytesRunOut) {
  PeerQueue q(QueueLimits{10, 10, 100});
  q.Push(F(90, 1), Priority::kConsensus);
  EXPECT_EQ(q.Push(F(20, 2), Priority::kGossip).outcome, PeerQueue::Outcome::kGossipDropped);
}

TEST(PeerQueueTest, ConsensusEvictsOldestGossipUnderPressure) {
  PeerQueue q(QueueLimits{10, 10, 100});
  q.Push(F(40, 1), Priority::kGossip);
  q.Push(F(40, 2), Priority::kGossip);
  const auto r = q.Push(F(50, 3), Priority::kConsensus);
  EXPECT_EQ(r.outcome, PeerQueue::Outcome::kQueued);
  EXPECT_EQ(r.gossip_evicted, 1u);
  EXPECT_EQ(Tags(q.Take(1000)), (std::vector<uint8_t>{3, 2}));
}

TEST(PeerQueueTest, ConsensusOverflowByCount) {
  PeerQueue q(QueueLimits{2, 10, 1000});
  q.Push(F(1, 1), Priority::kGossip);
  q.Push(F(1, 2), Priority::kConsensus);
  q.Push(F(1, 3), Priority::kConsensus);
  EXPECT_EQ(q.Push(F(1, 4), Priority::kConsensus).outcome, PeerQueue::Outcome::kConsensusOverflow);
}

TEST(PeerQueueTest, ConsensusOverflowByBytesAfterEvictingAllGossip) {
  PeerQueue q(QueueLimits{10, 10, 100});
  q.Push(F(60, 1), Priority::kConsensus);
  q.Push(F(30, 2), Priority::kGossip);
  const auto r = q.Push(F(50, 3), Priority::kConsensus);
  EXPECT_EQ(r.outcome, PeerQueue::Outcome::kConsensusOverflow);
  EXPECT_EQ(r.gossip_evicted, 1u);
  EXPECT_EQ(q.Clear(), 1u);
  EXPECT_TRUE(q.empty());
}

}  // namespace
}  // namespace hotbft::network
