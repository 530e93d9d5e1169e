// NodeLayer over a recording network: honest until --from-height, then the strategies in
// the order given; flood's transactions, messages and raw garbage; --misbehave parsing.
#include "tests/byzantine/node_layer.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "crypto/sha256.h"
#include "network/frame.h"
#include "network/handshake.h"
#include "tests/byzantine/flood.h"
#include "tests/byzantine/misbehaviour.h"

namespace hotbft::byzantine {
namespace {

constexpr uint32_t kValidators = 4;
constexpr uint32_t kSelf = 2;
constexpr char kChainId[] = "layer-test";
constexpr uint64_t kSeed = 0x1a7e'2b42;

// What the layer handed the network: `to` is nullopt for a broadcast.
struct Sent {
  std::optional<uint32_t> to;
  network::NetworkMessage message;
  network::Priority priority;
};

class RecordingNetwork final : public network::PeerNetwork {
 public:
  Status Send(ValidatorIndex to, const network::NetworkMessage& message,
              network::Priority priority) override {
    sent.push_back(Sent{to, message, priority});
    return Status::Ok();
  }
  void Broadcast(const network::NetworkMessage& message, network::Priority priority) override {
    sent.push_back(Sent{std::nullopt, message, priority});
  }
  std::vector<Sent> sent;
};

class NodeLayerTest : public ::testing::Test {
 protected:
  NodeLayerTest() {
    std::vector<PublicKey> keys;
    for (uint32_t i = 0; i < kValidators; ++i) {
      secrets_.push_back(GenerateSecretKey(SignatureScheme::kSchnorrBip340, rng_));
      keys.push_back(*DerivePublicKey(SignatureScheme::kSchnorrBip340, secrets_.back()));
    }
    validators_ = std::make_unique<ValidatorSet>(*ValidatorSet::Create(keys));
  }

  std::unique_ptr<NodeLayer> MakeLayer(std::string_view names, Height from_height = 0) {
    auto misbehaviour = ParseMisbehaviour(names);
    EXPECT_TRUE(misbehaviour.ok()) << misbehaviour.status().ToString();
    misbehaviour->from_height = from_height;
    node::MessageLayerEnv env;
    env.self = kSelf;
    env.validators = validators_.get();
    env.chain_id = kChainId;
    env.peer_addresses.resize(kValidators);  // no raw connections
    env.signer =
        std::move(MakeSigner(SignatureScheme::kSchnorrBip340, SecretKey(secrets_[kSelf].bytes()),
                             std::make_unique<SeededRandom>(kSeed)))
            .value();
    env.net = &net_;
    return std::make_unique<NodeLayer>(
        *misbehaviour, std::move(env), [this] { return committed_; },
        std::make_unique<SeededRandom>(kSeed + 1));
  }

  Vote SignedVote(Round round) {
    Vote vote;
    vote.data.epoch = 0;
    vote.data.block_id = Sha256(Bytes{1, 2, 3});
    vote.data.height = round;
    vote.data.round = round;
    vote.voter = kSelf;
    auto signer =
        std::move(MakeSigner(SignatureScheme::kSchnorrBip340, SecretKey(secrets_[kSelf].bytes()),
                             std::make_unique<SeededRandom>(kSeed)))
            .value();
    vote.signature = signer->Sign(vote.data.SigningDigest(kChainId));
    return vote;
  }

  bool VoteValid(const Vote& v) {
    return VerifierFor(SignatureScheme::kSchnorrBip340)
        .Verify(validators_->key(v.voter), v.data.SigningDigest(kChainId), v.signature);
  }
  bool TimeoutValid(const Timeout& t) {
    return VerifierFor(SignatureScheme::kSchnorrBip340)
        .Verify(validators_->key(t.sender), t.data.SigningDigest(kChainId), t.signature);
  }

  // The votes sent, in order, with whom they went to.
  std::vector<std::pair<std::optional<uint32_t>, Vote>> SentVotes() const {
    std::vector<std::pair<std::optional<uint32_t>, Vote>> out;
    for (const Sent& s : net_.sent) {
      const auto* m = std::get_if<Message>(&s.message);
      if (m == nullptr) continue;
      if (const auto* v = std::get_if<Vote>(m)) out.emplace_back(s.to, *v);
    }
    return out;
  }

  SeededRandom rng_{kSeed};
  std::vector<SecretKey> secrets_;
  std::unique_ptr<ValidatorSet> validators_;
  RecordingNetwork net_;
  Height committed_ = 0;
};

TEST_F(NodeLayerTest, HonestUntilTheCommittedHeightReachesFromHeight) {
  auto layer = MakeLayer("silent", 5);
  committed_ = 4;
  const Vote vote = SignedVote(7);
  layer->OnSend(1, vote, 0);
  layer->OnBroadcast(vote, 0);
  EXPECT_TRUE(layer->OnReceive(1, vote, 0));
  layer->OnTick(0);
  EXPECT_FALSE(layer->misbehaving());
  ASSERT_EQ(net_.sent.size(), 2u);
  EXPECT_EQ(net_.sent[0].to, std::optional<uint32_t>(1));
  EXPECT_EQ(net_.sent[1].to, std::nullopt);
  EXPECT_EQ(std::get<Vote>(std::get<Message>(net_.sent[1].message)), vote);
  EXPECT_EQ(net_.sent[1].priority, network::Priority::kConsensus);

  committed_ = 5;
  layer->OnBroadcast(vote, 0);
  EXPECT_TRUE(layer->misbehaving());
  EXPECT_EQ(net_.sent.size(), 2u);  // silent from now on
  committed_ = 0;                   // for good, whatever the height says later
  layer->OnSend(1, vote, 0);
  EXPECT_TRUE(layer->misbehaving());
  EXPECT_EQ(net_.sent.size(), 2u);
}

TEST_F(NodeLayerTest, DoubleVoteSendsTheVoteAndASecondOneOfTheRoundToEveryone) {
  auto layer = MakeLayer("double-vote");
  const Vote vote = SignedVote(7);
  layer->OnSend(1, vote, 0);
  const auto votes = SentVotes();
  ASSERT_EQ(votes.size(), 2u);
  EXPECT_EQ(votes[0].first, std::optional<uint32_t>(1));
  EXPECT_EQ(votes[0].second, vote);
  EXPECT_EQ(votes[1].first, std::nullopt);  // every other validator: one broadcast
  EXPECT_EQ(votes[1].second.data.round, 7u);
  EXPECT_NE(votes[1].second.data.block_id, vote.data.block_id);
  EXPECT_TRUE(VoteValid(votes[1].second));
}

TEST_F(NodeLayerTest, StrategiesApplyInTheOrderGiven) {
  // double-vote, then invalid-signatures: both votes go out, both broken.
  auto layer = MakeLayer("double-vote,invalid-signatures");
  layer->OnSend(1, SignedVote(7), 0);
  auto votes = SentVotes();
  ASSERT_EQ(votes.size(), 2u);
  EXPECT_FALSE(VoteValid(votes[0].second));
  EXPECT_FALSE(VoteValid(votes[1].second));

  // withhold-votes first: nothing left for double-vote.
  net_.sent.clear();
  auto withhold = MakeLayer("withhold-votes,double-vote");
  withhold->OnBroadcast(SignedVote(8), 0);
  EXPECT_TRUE(net_.sent.empty());
}

TEST_F(NodeLayerTest, AMessageToThisValidatorIsNeverSent) {
  auto layer = MakeLayer("double-vote");
  layer->OnSend(kSelf, SignedVote(3), 0);
  for (const Sent& s : net_.sent) EXPECT_NE(s.to, std::optional<uint32_t>(kSelf));
}

TEST_F(NodeLayerTest, FloodSendsInvalidTransactionsAndBadSignaturesEachTick) {
  auto layer = MakeLayer("flood");
  layer->OnTick(1'000);
  size_t batches = 0;
  size_t votes = 0;
  size_t timeouts = 0;
  for (const Sent& s : net_.sent) {
    if (const auto* batch = std::get_if<network::TxBatch>(&s.message)) {
      ++batches;
      EXPECT_EQ(s.to, std::nullopt);
      EXPECT_EQ(s.priority, network::Priority::kGossip);
      EXPECT_EQ(batch->txs.size(), FloodTxsPerTick(kFloodTxsPerSecondDefault));
      for (const auto& tx : batch->txs) {
        EXPECT_EQ(tx->size(), kFloodTxBytes);
        EXPECT_EQ(std::count(tx->begin(), tx->end(), '='), 0);
      }
      continue;
    }
    const Message& m = std::get<Message>(s.message);
    if (const auto* v = std::get_if<Vote>(&m)) {
      ++votes;
      EXPECT_EQ(v->voter, kSelf);
      EXPECT_FALSE(VoteValid(*v));
    }
    if (const auto* t = std::get_if<Timeout>(&m)) {
      ++timeouts;
      EXPECT_EQ(t->sender, kSelf);
      EXPECT_FALSE(TimeoutValid(*t));
    }
  }
  EXPECT_EQ(batches, 1u);
  EXPECT_EQ(votes, 1u);
  EXPECT_EQ(timeouts, 1u);
  EXPECT_EQ(layer->counters().flood_txs_sent,
            FloodTxsPerTick(kFloodTxsPerSecondDefault) * (kValidators - 1));
}

TEST(FloodRate, TransactionsPerTickFollowTheRateAndFitOneBatch) {
  EXPECT_EQ(FloodTxsPerTick(0), 0u);
  EXPECT_EQ(FloodTxsPerTick(2'000), 2'000u * kTickIntervalMs / 1000);
  EXPECT_LE(FloodTxsPerTick(kFloodTxsPerSecondMax), network::kGossipTxsMax);
}

TEST(RawGarbage, EveryKindIsRefusedBeforeTheHandshake) {
  SeededRandom rng(kSeed);
  for (size_t k = 0; k < static_cast<size_t>(RawGarbage::kCount); ++k) {
    const auto kind = static_cast<RawGarbage>(k);
    const Bytes bytes = RawGarbageBytes(kind, kChainId, rng);
    network::FrameDecoder decoder(network::kHandshakeFrameBytesMax);
    decoder.Append(bytes);
    auto frame = decoder.Next();
    if (kind == RawGarbage::kOversizedLength || kind == RawGarbage::kZeroLength) {
      EXPECT_FALSE(frame.ok()) << k;
      continue;
    }
    ASSERT_TRUE(frame.ok()) << k;
    ASSERT_TRUE(frame->has_value()) << k;
    auto message = network::ParsePeerMessage(**frame);
    if (kind == RawGarbage::kNotAPeerMessage) {
      EXPECT_FALSE(message.ok());
      continue;
    }
    ASSERT_TRUE(message.ok()) << message.status().ToString();
    ASSERT_TRUE(message->has_hello());
    EXPECT_NE(message->hello().chain_id(), kChainId);
  }
}

TEST(ParseMisbehaviour, TakesStrategiesAndFloodInTheOrderGiven) {
  auto m = ParseMisbehaviour("equivocate,flood,double-vote");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_TRUE(m->flood);
  EXPECT_EQ(m->strategies,
            (std::vector<StrategyKind>{StrategyKind::kEquivocate, StrategyKind::kDoubleVote}));
  for (StrategyKind kind : AllStrategies()) {
    auto one = ParseMisbehaviour(StrategyName(kind));
    ASSERT_TRUE(one.ok()) << StrategyName(kind);
    EXPECT_EQ(one->strategies, std::vector<StrategyKind>{kind});
    EXPECT_FALSE(one->flood);
  }
}

TEST(ParseMisbehaviour, AnUnknownNameIsRefusedWithEveryValidName) {
  auto m = ParseMisbehaviour("equivocate,bogus");
  ASSERT_FALSE(m.ok());
  const std::string error = m.status().ToString();
  EXPECT_NE(error.find("unknown strategy 'bogus'"), std::string::npos) << error;
  for (StrategyKind kind : AllStrategies()) {
    EXPECT_NE(error.find(std::string(StrategyName(kind))), std::string::npos) << error;
  }
  EXPECT_NE(error.find("flood"), std::string::npos) << error;
}

TEST(ParseMisbehaviour, EmptyAndRepeatedNamesAreRefused) {
  EXPECT_FALSE(ParseMisbehaviour("").ok());
  EXPECT_FALSE(ParseMisbehaviour("silent,").ok());
  EXPECT_FALSE(ParseMisbehaviour(",silent").ok());
  EXPECT_FALSE(ParseMisbehaviour("silent,,flood").ok());
  EXPECT_FALSE(ParseMisbehaviour("silent,silent").ok());
  EXPECT_FALSE(ParseMisbehaviour("flood,flood").ok());
}

}  // namespace
}  // namespace hotbft::byzantine
