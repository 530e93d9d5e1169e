// The codec: every message round-trips through PeerMessage bytes, and each structural
// check rejects with an error naming the field.
#include "network/codec.h"

#include <gtest/gtest.h>

#include "network/frame.h"
#include "tests/network/samples.h"

namespace hotbft::network {
namespace {

using testing::Fixture;

wire::PeerMessage Encode(const NetworkMessage& m) {
  wire::PeerMessage pb;
  ToProto(m, &pb);
  return pb;
}

std::string ErrorOf(const wire::PeerMessage& pb, const WireContext& ctx) {
  auto r = FromProto(pb, ctx);
  EXPECT_FALSE(r.ok()) << pb.ShortDebugString();
  return r.ok() ? "" : r.status().message();
}

class CodecTest : public ::testing::Test {
 protected:
  CodecTest() : fx_(4), ctx_(testing::ContextOf(fx_)) {}
  Fixture fx_;
  WireContext ctx_;
};

TEST_F(CodecTest, EveryMessageRoundTripsThroughBytes) {
  for (const NetworkMessage& m : testing::SampleMessages(fx_)) {
    const Bytes bytes = SerializePeerMessage(Encode(m));
    auto parsed = ParsePeerMessage(bytes);
    ASSERT_TRUE(parsed.ok()) << MessageName(m);
    auto back = FromProto(*parsed, ctx_);
    ASSERT_TRUE(back.ok()) << MessageName(m) << ": " << back.status().ToString();
    EXPECT_STREQ(MessageName(*back), MessageName(m));
    EXPECT_EQ(SerializePeerMessage(Encode(*back)), bytes) << MessageName(m);
  }
}

TEST_F(CodecTest, DecodedValuesMatch) {
  const Vote vote = testing::SampleVote(fx_);
  auto back = FromProto(Encode(Message(vote)), ctx_);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(std::get<Vote>(std::get<Message>(*back)), vote);

  const BlockRequest request = testing::SampleBlockRequest(fx_);
  auto req = FromProto(Encode(Message(request)), ctx_);
  ASSERT_TRUE(req.ok());
  const auto& got = std::get<BlockRequest>(std::get<Message>(*req));
  EXPECT_EQ(got.block_id, request.block_id);
  EXPECT_EQ(got.ancestors, request.ancestors);

  const BlockResponse response = testing::SampleBlockResponse(fx_);
  auto resp = FromProto(Encode(Message(response)), ctx_);
  ASSERT_TRUE(resp.ok());
  const auto& blocks = std::get<BlockResponse>(std::get<Message>(*resp)).blocks;
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[0]->id, response.blocks[0]->id);
  EXPECT_EQ(blocks[1]->id, response.blocks[1]->id);
  EXPECT_EQ(blocks[1]->payload->txs, response.blocks[1]->payload->txs);

  auto txs = FromProto(Encode(testing::SampleTxBatch(4, 9)), ctx_);
  ASSERT_TRUE(txs.ok());
  const auto& batch = std::get<TxBatch>(*txs);
  ASSERT_EQ(batch.txs.size(), 4u);
  EXPECT_EQ(*batch.txs[3], Bytes(9, 4));
}

TEST_F(CodecTest, TransportMessagesAreNotNodeMessages) {
  wire::PeerMessage pb;
  EXPECT_NE(ErrorOf(pb, ctx_).find("empty"), std::string::npos);
  pb.mutable_hello();
  EXPECT_NE(ErrorOf(pb, ctx_).find("hello"), std::string::npos);
  pb.mutable_hello_auth();
  EXPECT_NE(ErrorOf(pb, ctx_).find("hello_auth"), std::string::npos);
  pb.mutable_ping();
  EXPECT_NE(ErrorOf(pb, ctx_).find("ping"), std::string::npos);
  pb.mutable_pong();
  EXPECT_NE(ErrorOf(pb, ctx_).find("pong"), std::string::npos);
  pb.mutable_evidence();
  EXPECT_NE(ErrorOf(pb, ctx_).find("evidence"), std::string::npos);
}

TEST_F(CodecTest, ConsensusRejectionsNameTheField) {
  wire::PeerMessage pb = Encode(Message(testing::SampleVote(fx_)));
  pb.mutable_vote()->set_voter(4);
  EXPECT_NE(ErrorOf(pb, ctx_).find("vote voter 4"), std::string::npos);

  pb = Encode(Message(testing::SampleProposals(fx_)[0]));
  pb.mutable_proposal()->mutable_block()->mutable_payload()->add_txs("x");
  EXPECT_NE(ErrorOf(pb, ctx_).find("payload hash"), std::string::npos);

  pb = Encode(Message(testing::SampleTimeouts(fx_)[0]));
  pb.mutable_timeout()->clear_entry_qc();
  EXPECT_NE(ErrorOf(pb, ctx_).find("entered its round"), std::string::npos);
}

TEST_F(CodecTest, SyncRequestRejections) {
  wire::PeerMessage pb = Encode(Message(testing::SampleBlockRequest(fx_)));
  pb.mutable_sync_request()->set_count(kSyncAncestorsMax + 1);
  EXPECT_NE(ErrorOf(pb, ctx_).find("sync_request.count"), std::string::npos);
  pb.mutable_sync_request()->set_block_id("short");
  EXPECT_NE(ErrorOf(pb, ctx_).find("sync_request.block_id"), std::string::npos);
  pb.mutable_sync_request()->mutable_heights()->set_to_height(5);
  EXPECT_NE(ErrorOf(pb, ctx_).find("sync_request.heights"), std::string::npos);
  pb.mutable_sync_request()->Clear();
  EXPECT_NE(ErrorOf(pb, ctx_).find("no target"), std::string::npos);
}

TEST_F(CodecTest, SyncResponseRejections) {
  const wire::PeerMessage good = Encode(Message(testing::SampleBlockResponse(fx_)));
  wire::PeerMessage pb = good;
  pb.mutable_sync_response()->mutable_blocks(1)->mutable_header()->set_proposer(9);
  EXPECT_NE(ErrorOf(pb, ctx_).find("sync_response.blocks[1]"), std::string::npos);
  pb = good;
  pb.mutable_sync_response()->set_error("not found");
  EXPECT_NE(ErrorOf(pb, ctx_).find("both blocks and an error"), std::string::npos);
  pb = good;
  pb.mutable_sync_response()->mutable_commit_qc();
  EXPECT_NE(ErrorOf(pb, ctx_).find("commit_qc"), std::string::npos);
  pb = good;
  for (size_t i = 0; i < kSyncBlocksMax; ++i) {
    *pb.mutable_sync_response()->add_blocks() = good.sync_response().blocks(0);
  }
  EXPECT_NE(ErrorOf(pb, ctx_).find("blocks; at most"), std::string::npos);
  pb.mutable_sync_response()->Clear();
  pb.mutable_sync_response()->set_error(std::string(kSyncErrorBytesMax + 1, 'e'));
  EXPECT_NE(ErrorOf(pb, ctx_).find("sync_response.error"), std::string::npos);

  // An error alone is an empty answer, not a fault.
  pb.mutable_sync_response()->set_error("unknown block");
  auto ok = FromProto(pb, ctx_);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_TRUE(std::get<BlockResponse>(std::get<Message>(*ok)).blocks.empty());
}

TEST_F(CodecTest, TxGossipRejections) {
  wire::PeerMessage pb;
  pb.mutable_tx_gossip();
  EXPECT_NE(ErrorOf(pb, ctx_).find("no transactions"), std::string::npos);
  pb.mutable_tx_gossip()->add_txs("ok");
  pb.mutable_tx_gossip()->add_txs("");
  EXPECT_NE(ErrorOf(pb, ctx_).find("tx_gossip.txs[1] is empty"), std::string::npos);
  pb.mutable_tx_gossip()->set_txs(1, std::string(kTxBytesMax + 1, 't'));
  EXPECT_NE(ErrorOf(pb, ctx_).find("tx_gossip.txs[1] has 1048577 bytes"), std::string::npos);
  pb.mutable_tx_gossip()->Clear();
  for (size_t i = 0; i <= kGossipTxsMax; ++i) pb.mutable_tx_gossip()->add_txs("t");
  EXPECT_NE(ErrorOf(pb, ctx_).find("10001 transactions"), std::string::npos);
}

TEST_F(CodecTest, ParseRejectsBytesThatAreNotAPeerMessage) {
  const uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 0x0f};
  auto r = ParsePeerMessage(junk);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("5 bytes"), std::string::npos);
}

TEST_F(CodecTest, DecodingRandomMutationsNeverCrashes) {
  SeededRandom rng(11);
  std::vector<Bytes> seeds;
  for (const NetworkMessage& m : testing::SampleMessages(fx_)) {
    seeds.push_back(SerializePeerMessage(Encode(m)));
  }
  for (int i = 0; i < 3000; ++i) {
    Bytes b = seeds[rng.Next() % seeds.size()];
    for (int flips = 1 + static_cast<int>(rng.Next() % 4); flips > 0; --flips) {
      b[rng.Next() % b.size()] ^= static_cast<uint8_t>(1 + rng.Next() % 255);
    }
    auto parsed = ParsePeerMessage(b);
    if (parsed.ok()) (void)FromProto(*parsed, ctx_);
  }
}

}  // namespace
}  // namespace hotbft::network
