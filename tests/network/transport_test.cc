// Transports on loopback: connecting, exchanging messages, refusing bad peers and bad
// frames while serving the others, redialling, keepalive, and the queues under pressure.
#include "network/transport.h"

#include <gtest/gtest.h>

#include "tests/network/transport_util.h"

namespace hotbft::network {
namespace {

using testing::Cluster;
using testing::RawPeer;
using testing::WaitFor;

NetworkMessage VoteBy(Cluster& c, uint32_t voter) {
  return Message(testing::SampleVote(c.fx(), voter));
}

// Sends a vote from `from` to `to` and waits until `to` has it.
void ExpectDelivery(Cluster& c, uint32_t from, uint32_t to) {
  const size_t before = c.inbox(to).Count(from, "vote");
  ASSERT_TRUE(c.node(from).Send(to, VoteBy(c, from), Priority::kConsensus).ok());
  EXPECT_TRUE(WaitFor([&] { return c.inbox(to).Count(from, "vote") > before; }))
      << from << " -> " << to;
}

TEST(TransportTest, FourTransportsConnectAndExchangeMessages) {
  Cluster c(4);
  c.StartAll();
  ASSERT_TRUE(WaitFor([&] { return c.AllConnected(); }));
  for (uint32_t from = 0; from < 4; ++from) {
    for (uint32_t to = 0; to < 4; ++to) {
      if (from == to) continue;
      ASSERT_TRUE(c.node(from).Send(to, VoteBy(c, from), Priority::kConsensus).ok());
    }
  }
  c.node(2).Broadcast(testing::SampleTxBatch(), Priority::kGossip);
  c.node(3).Broadcast(Message(testing::SampleProposals(c.fx())[1]), Priority::kConsensus);
  for (uint32_t to = 0; to < 4; ++to) {
    ASSERT_TRUE(WaitFor([&] { return c.inbox(to).size() == (to == 2 || to == 3 ? 4u : 5u); }))
        << "node " << to << " has " << c.inbox(to).size();
    for (uint32_t from = 0; from < 4; ++from) {
      if (from != to) {
        EXPECT_EQ(c.inbox(to).Count(from, "vote"), 1u);
      }
    }
    if (to != 2) {
      EXPECT_EQ(c.inbox(to).Count(2, "tx_gossip"), 1u);
    }
    if (to != 3) {
      EXPECT_EQ(c.inbox(to).Count(3, "proposal"), 1u);
    }
  }
  const TransportStats s = c.node(0).stats();
  EXPECT_EQ(s.connected_peers, 3u);
  EXPECT_TRUE(s.peers[1].connected);
  EXPECT_GT(s.peers[1].bytes_out, 0u);
  EXPECT_GT(s.peers[1].bytes_in, 0u);
  EXPECT_GE(s.peers[1].messages_in, 1u);
  EXPECT_EQ(s.peers[1].connections, 1u);
}

TEST(TransportTest, SenderIsTheAuthenticatedPeerNotAClaimedField) {
  Cluster c(3);
  c.StartNode(0);
  RawPeer raw(c.port(0));
  ASSERT_TRUE(raw.Authenticate(c.fx(), 2, c.fx().signer(2)));
  // A vote signed by validator 1, relayed by validator 2: the sender is 2.
  wire::PeerMessage vote;
  ToProto(VoteBy(c, 1), &vote);
  ASSERT_TRUE(raw.WriteMessage(vote));
  ASSERT_TRUE(WaitFor([&] { return c.inbox(0).size() == 1; }));
  const auto e = c.inbox(0).entries().front();
  EXPECT_EQ(e.from, 2u);
  EXPECT_EQ(std::get<Vote>(std::get<Message>(e.message)).voter, 1u);
}

TEST(TransportTest, BadFramesBeforeTheHandshakeDisconnectWhileOthersAreServed) {
  Cluster c(3);
  c.StartNode(0);
  c.StartNode(1);
  ASSERT_TRUE(WaitFor([&] { return c.Connected(0, 1); }));
  auto disconnects = [&](DisconnectReason r) { return c.node(0).stats().disconnects_of(r); };
  {
    RawPeer raw(c.port(0));
    const uint8_t oversized[4] = {0xff, 0xff, 0xff, 0xff};
    raw.Write(oversized);
    EXPECT_TRUE(raw.WaitClosed());
  }
  {
    RawPeer raw(c.port(0));
    const uint8_t zero[4] = {0, 0, 0, 0};
    raw.Write(zero);
    EXPECT_TRUE(raw.WaitClosed());
  }
  {
    // Far below the frame limit, but above what a handshake message needs.
    RawPeer raw(c.port(0));
    raw.Write(EncodeFrame(Bytes(kHandshakeFrameBytesMax + 1, 0)));
    EXPECT_TRUE(raw.WaitClosed());
  }
  EXPECT_TRUE(WaitFor([&] { return disconnects(DisconnectReason::kMalformedFrame) == 3; }));
  {
    RawPeer raw(c.port(0));
    raw.Write(EncodeFrame(Bytes(10, 0xff)));  // a frame that is not a PeerMessage
    EXPECT_TRUE(raw.WaitClosed());
  }
  EXPECT_TRUE(WaitFor([&] { return disconnects(DisconnectReason::kMalformedMessage) == 1; }));
  {
    RawPeer raw(c.port(0));
    wire::PeerMessage vote;
    ToProto(VoteBy(c, 2), &vote);
    raw.WriteMessage(vote);  // before any Hello
    EXPECT_TRUE(raw.WaitClosed());
  }
  EXPECT_TRUE(WaitFor([&] { return disconnects(DisconnectReason::kHandshakeFailed) == 1; }));
  {
    RawPeer raw(c.port(0));
    const uint8_t truncated[] = {0, 0, 0, 100, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    raw.Write(truncated);
    raw.Close();  // mid-frame
  }
  EXPECT_TRUE(WaitFor([&] { return disconnects(DisconnectReason::kClosedByPeer) >= 1; }));
  ExpectDelivery(c, 1, 0);
  ExpectDelivery(c, 0, 1);
  EXPECT_EQ(c.node(0).stats().peers[1].connections, 1u);
}

TEST(TransportTest, BadMessagesAfterTheHandshakeDisconnectWhileOthersAreServed) {
  TransportConfig config = testing::TestConfig();
  config.frame_bytes_max = 64 << 10;
  Cluster c(3, config);
  c.StartNode(0);
  c.StartNode(1);
  ASSERT_TRUE(WaitFor([&] { return c.Connected(0, 1); }));
  auto disconnects = [&](DisconnectReason r) { return c.node(0).stats().disconnects_of(r); };
  {
    RawPeer raw(c.port(0));
    ASSERT_TRUE(raw.Authenticate(c.fx(), 2, c.fx().signer(2)));
    raw.Write(EncodeFrame(Bytes((64 << 10) + 1, 0)));  // one byte over the limit
    EXPECT_TRUE(raw.WaitClosed());
  }
  EXPECT_TRUE(WaitFor([&] { return disconnects(DisconnectReason::kMalformedFrame) == 1; }));
  {
    RawPeer raw(c.port(0));
    ASSERT_TRUE(raw.Authenticate(c.fx(), 2, c.fx().signer(2)));
    wire::PeerMessage vote;
    ToProto(VoteBy(c, 2), &vote);
    vote.mutable_vote()->set_signature("bad");
    raw.WriteMessage(vote);
    EXPECT_TRUE(raw.WaitClosed());
  }
  EXPECT_TRUE(WaitFor([&] { return disconnects(DisconnectReason::kMalformedMessage) == 1; }));
  {
    RawPeer raw(c.port(0));
    ASSERT_TRUE(raw.Authenticate(c.fx(), 2, c.fx().signer(2)));
    wire::PeerMessage hello;
    hello.mutable_hello()->set_chain_id(testing::kChainId);
    raw.WriteMessage(hello);
    EXPECT_TRUE(raw.WaitClosed());
  }
  EXPECT_TRUE(WaitFor([&] { return disconnects(DisconnectReason::kProtocolViolation) == 1; }));
  EXPECT_EQ(c.inbox(0).Count(2, "vote"), 0u);
  ExpectDelivery(c, 1, 0);
  ExpectDelivery(c, 0, 1);
}

TEST(TransportTest, ConnectionsStillInTheHandshakeAreBounded) {
  TransportConfig config = testing::TestConfig();
  config.pending_connections_max = 2;
  Cluster c(2, config);
  c.StartNode(0);
  RawPeer first(c.port(0));
  RawPeer second(c.port(0));
  ASSERT_TRUE(first.ReadMessage().has_value());  // both got their Hello: both are pending
  ASSERT_TRUE(second.ReadMessage().has_value());
  RawPeer third(c.port(0));
  EXPECT_TRUE(third.WaitClosed());
  EXPECT_TRUE(WaitFor(
      [&] { return c.node(0).stats().disconnects_of(DisconnectReason::kTooManyPending) == 1; }));
  // Once one of them leaves, a validator can connect again.
  first.Close();
  ASSERT_TRUE(WaitFor(
      [&] { return c.node(0).stats().disconnects_of(DisconnectReason::kClosedByPeer) == 1; }));
  RawPeer validator(c.port(0));
  EXPECT_TRUE(validator.Authenticate(c.fx(), 1, c.fx().signer(1)));
}

TEST(TransportTest, PeerOnAnotherChainIsRefused) {
  Cluster c(2);
  c.StartNode(0);
  TransportConfig other = c.ConfigOf(1);
  other.chain_id = "other-chain";
  c.StartNode(1, nullptr, other);
  EXPECT_TRUE(WaitFor([&] {
    return c.node(0).stats().disconnects_of(DisconnectReason::kHandshakeFailed) >= 1 &&
           c.node(1).stats().disconnects_of(DisconnectReason::kHandshakeFailed) >= 1;
  }));
  EXPECT_EQ(c.node(0).stats().connected_peers, 0u);
  EXPECT_EQ(c.node(1).stats().connected_peers, 0u);
}

TEST(TransportTest, LowerIndexDiallingInIsRefused) {
  Cluster c(3);
  c.StartNode(2);  // its peers have no ports yet: it dials nobody
  RawPeer raw(c.port(2));
  ASSERT_TRUE(raw.Authenticate(c.fx(), 0, c.fx().signer(0)));
  EXPECT_TRUE(raw.WaitClosed());
  EXPECT_TRUE(WaitFor(
      [&] { return c.node(2).stats().disconnects_of(DisconnectReason::kWrongDirection) == 1; }));
  EXPECT_EQ(c.node(2).stats().connected_peers, 0u);
}

TEST(TransportTest, RedialsAfterAPeerRestarts) {
  Cluster c(3);
  c.StartAll();
  ASSERT_TRUE(WaitFor([&] { return c.AllConnected(); }));
  // Node 0 is dialled by both others: they must redial it.
  c.StopNode(0);
  ASSERT_TRUE(WaitFor([&] { return c.Connected(1, 1) && c.Connected(2, 1); }));
  c.StartNode(0);
  ASSERT_TRUE(WaitFor([&] { return c.AllConnected(); }));
  EXPECT_EQ(c.node(1).stats().peers[0].connections, 2u);
  ExpectDelivery(c, 1, 0);
  ExpectDelivery(c, 0, 2);
  // Node 2 dials the others itself when it comes back; they take the new connection.
  c.StopNode(2);
  c.StartNode(2);
  ASSERT_TRUE(WaitFor([&] { return c.AllConnected(); }));
  ExpectDelivery(c, 2, 0);
  ExpectDelivery(c, 1, 2);
}

TEST(TransportTest, SilentPeerIsDroppedAfterTheIdleTimeout) {
  TransportConfig config = testing::TestConfig();
  config.ping_interval_ms = 50;
  config.idle_timeout_ms = 500;
  Cluster c(2, config);
  c.StartNode(0);
  RawPeer raw(c.port(0));
  ASSERT_TRUE(raw.Authenticate(c.fx(), 1, c.fx().signer(1)));
  ASSERT_TRUE(WaitFor([&] { return c.Connected(0, 1); }));
  auto ping = raw.ReadMessage();  // keepalive reaches the peer
  ASSERT_TRUE(ping.has_value());
  EXPECT_TRUE(ping->has_ping());
  EXPECT_TRUE(raw.WaitClosed());  // it never answers
  EXPECT_TRUE(
      WaitFor([&] { return c.node(0).stats().disconnects_of(DisconnectReason::kIdle) == 1; }));
  EXPECT_EQ(c.node(0).stats().connected_peers, 0u);
}

TEST(TransportTest, PingIsAnsweredWithPong) {
  Cluster c(2);
  c.StartNode(0);
  RawPeer raw(c.port(0));
  ASSERT_TRUE(raw.Authenticate(c.fx(), 1, c.fx().signer(1)));
  wire::PeerMessage ping;
  ping.mutable_ping()->set_nonce(4242);
  ASSERT_TRUE(raw.WriteMessage(ping));
  bool answered = false;
  for (int i = 0; i < 1000 && !answered; ++i) {
    auto m = raw.ReadMessage();
    ASSERT_TRUE(m.has_value());
    answered = m->has_pong() && m->pong().nonce() == 4242;
  }
  EXPECT_TRUE(answered);
}

TEST(TransportTest, SendsThatCannotBeQueuedAreRefusedAndCounted) {
  TransportConfig config = testing::TestConfig();
  config.frame_bytes_max = 1024;
  Cluster c(2, config);
  c.StartNode(0);
  EXPECT_EQ(c.node(0).Send(1, VoteBy(c, 0), Priority::kConsensus).code(),
            Status::Code::kFailedPrecondition);
  EXPECT_EQ(c.node(0).Send(0, VoteBy(c, 0), Priority::kConsensus).code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(c.node(0).Send(7, VoteBy(c, 0), Priority::kConsensus).code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(c.node(0).Send(1, testing::SampleTxBatch(1, 2048), Priority::kGossip).code(),
            Status::Code::kResourceExhausted);
  EXPECT_EQ(
      c.node(0).Send(1, testing::SampleTxBatch(kGossipTxsMax + 1, 1), Priority::kGossip).code(),
      Status::Code::kInvalidArgument);
  c.node(0).Broadcast(testing::SampleTxBatch(0, 1), Priority::kGossip);
  const TransportStats s = c.node(0).stats();
  EXPECT_EQ(s.drops_of(DropReason::kNotConnected), 1u);
  EXPECT_EQ(s.drops_of(DropReason::kBadPeer), 2u);
  EXPECT_EQ(s.drops_of(DropReason::kTooLarge), 3u);
}

// A peer that stops reading: gossip is dropped first, consensus keeps being queued until
// its own queue overflows, and then the peer is disconnected.
TEST(TransportTest, GossipIsDroppedBeforeConsensusUnderPressure) {
  TransportConfig config = testing::TestConfig();
  config.queue = QueueLimits{1'000, 1'000, 2u << 20};
  config.write_batch_bytes_max = 64 << 10;
  Cluster c(2, config);
  c.StartNode(0);
  RawPeer raw(c.port(0));  // authenticates, then never reads again
  ASSERT_TRUE(raw.Authenticate(c.fx(), 1, c.fx().signer(1)));
  ASSERT_TRUE(WaitFor([&] { return c.Connected(0, 1); }));

  const NetworkMessage gossip = testing::SampleTxBatch(1, 60 << 10);
  const NetworkMessage consensus = testing::SampleTxBatch(1, 60 << 10);
  size_t consensus_sent = 0;
  bool overflowed = false;
  for (int i = 0; i < 100'000 && !overflowed; ++i) {
    (void)c.node(0).Send(1, gossip, Priority::kGossip);
    const Status s = c.node(0).Send(1, consensus, Priority::kConsensus);
    if (s.ok()) {
      ++consensus_sent;
      continue;
    }
    overflowed = true;
    EXPECT_EQ(s.code(), Status::Code::kResourceExhausted) << s.ToString();
    // Every gossip frame had to go before the first consensus frame was refused.
    const TransportStats stats = c.node(0).stats();
    EXPECT_GT(stats.drops_of(DropReason::kGossipQueueFull), 0u);
    EXPECT_EQ(stats.drops_of(DropReason::kConsensusOverflow), 1u);
  }
  ASSERT_TRUE(overflowed);
  EXPECT_GE(consensus_sent, size_t{(2u << 20) / (60u << 10)});
  EXPECT_TRUE(WaitFor(
      [&] { return c.node(0).stats().disconnects_of(DisconnectReason::kConsensusOverflow) == 1; }));
  EXPECT_EQ(c.node(0).stats().connected_peers, 0u);
  EXPECT_EQ(c.node(0).Send(1, consensus, Priority::kConsensus).code(),
            Status::Code::kFailedPrecondition);
}

}  // namespace
}  // namespace hotbft::network
