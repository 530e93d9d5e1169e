// The handshake state machine, driven message by message without sockets.
#include "network/handshake.h"

#include <gtest/gtest.h>

#include "consensus/types.h"
#include "crypto/canonical.h"
#include "crypto/sha256.h"
#include "network/codec.h"
#include "tests/consensus/fixtures.h"

namespace hotbft::network {
namespace {

using hotbft::testing::Fixture;
using hotbft::testing::kChainId;

class HandshakeTest : public ::testing::Test {
 protected:
  HandshakeTest() : fx_(4, 1, SignatureScheme::kSchnorrBip340), rng_(99) {}

  std::unique_ptr<Handshake> Make(uint32_t self, std::string chain_id = kChainId,
                                  uint32_t version = kProtocolVersion) {
    return std::make_unique<Handshake>(HandshakeConfig{version, std::move(chain_id)},
                                       fx_.validators(), fx_.signer(self), fx_.verifier(), rng_);
  }

  // Feeds `message` to `h` and expects it to fail with `reason` in the message.
  static void ExpectFails(Handshake& h, const wire::PeerMessage& message,
                          const std::string& reason) {
    auto r = h.OnMessage(message);
    ASSERT_FALSE(r.ok()) << "expected failure: " << reason;
    EXPECT_NE(r.status().message().find(reason), std::string::npos) << r.status().ToString();
    EXPECT_EQ(h.state(), Handshake::State::kFailed);
  }

  // The single reply `h` sends to `message`.
  static wire::PeerMessage Reply(Handshake& h, const wire::PeerMessage& message) {
    auto r = h.OnMessage(message);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r.ok() ? r->size() : 0u, 1u);
    return r.ok() && !r->empty() ? r->front() : wire::PeerMessage();
  }

  Fixture fx_;
  SeededRandom rng_;
};

TEST_F(HandshakeTest, BothSidesAuthenticateEachOther) {
  auto a = Make(0);
  auto b = Make(3);
  const wire::PeerMessage auth_b = Reply(*b, a->hello());
  const wire::PeerMessage auth_a = Reply(*a, b->hello());
  EXPECT_TRUE(auth_a.has_hello_auth());
  ASSERT_TRUE(a->OnMessage(auth_b).ok());
  ASSERT_TRUE(b->OnMessage(auth_a).ok());
  EXPECT_TRUE(a->done());
  EXPECT_TRUE(b->done());
  EXPECT_EQ(a->peer(), 3u);
  EXPECT_EQ(b->peer(), 0u);
}

TEST_F(HandshakeTest, ChallengesAreFreshPerConnection) {
  auto a1 = Make(0);
  auto a2 = Make(0);
  EXPECT_NE(a1->hello().hello().challenge(), a2->hello().hello().challenge());
  EXPECT_EQ(a1->hello().hello().challenge().size(), kChallengeBytes);
}

TEST_F(HandshakeTest, UnknownKeyIsRefused) {
  Fixture strangers(4, 2, SignatureScheme::kSchnorrBip340);
  Handshake stranger(HandshakeConfig{kProtocolVersion, kChainId}, strangers.validators(),
                     strangers.signer(1), strangers.verifier(), rng_);
  auto a = Make(0);
  ExpectFails(*a, stranger.hello(), "is not a validator");
}

TEST_F(HandshakeTest, OwnKeyIsRefused) {
  auto a = Make(0);
  auto twin = Make(0);
  ExpectFails(*a, twin->hello(), "own key");
}

TEST_F(HandshakeTest, WrongChainIdIsRefused) {
  auto a = Make(0);
  auto b = Make(1, "other-chain");
  ExpectFails(*a, b->hello(), "chain id 'other-chain'");
}

TEST_F(HandshakeTest, WrongVersionIsRefused) {
  auto a = Make(0);
  auto b = Make(1, kChainId, kProtocolVersion + 1);
  ExpectFails(*a, b->hello(), "protocol version 2, this node speaks 1");
}

TEST_F(HandshakeTest, MalformedHelloFieldsAreRefused) {
  auto b = Make(1);
  wire::PeerMessage hello = b->hello();
  hello.mutable_hello()->set_node_key("short");
  ExpectFails(*Make(0), hello, "hello node_key");
  hello = b->hello();
  hello.mutable_hello()->set_challenge(std::string(31, 'c'));
  ExpectFails(*Make(0), hello, "hello challenge");
}

TEST_F(HandshakeTest, BadSignatureIsRefused) {
  auto a = Make(0);
  auto b = Make(1);
  wire::PeerMessage auth_b = Reply(*b, a->hello());
  Reply(*a, b->hello());
  std::string sig = auth_b.hello_auth().signature();
  sig[5] = static_cast<char>(sig[5] ^ 0x01);
  auth_b.mutable_hello_auth()->set_signature(sig);
  ExpectFails(*a, auth_b, "does not verify");
}

TEST_F(HandshakeTest, ShortSignatureIsRefused) {
  auto a = Make(0);
  auto b = Make(1);
  Reply(*a, b->hello());
  wire::PeerMessage auth;
  auth.mutable_hello_auth()->set_signature("sig");
  ExpectFails(*a, auth, "hello_auth signature");
}

TEST_F(HandshakeTest, SignatureByAnotherValidatorIsRefused) {
  // Validator 2 answers the challenge but the Hello claimed validator 1.
  auto a = Make(0);
  auto b = Make(1);
  auto c = Make(2);
  Reply(*a, b->hello());
  const wire::PeerMessage auth_c = Reply(*c, a->hello());
  ExpectFails(*a, auth_c, "of validator 1 does not verify");
}

TEST_F(HandshakeTest, ReplayedHelloAuthFromAnotherConnectionFails) {
  // Connection 1: a and b complete; an eavesdropper records b's Hello and HelloAuth.
  auto a1 = Make(0);
  auto b = Make(1);
  const wire::PeerMessage recorded_hello = b->hello();
  const wire::PeerMessage recorded_auth = Reply(*b, a1->hello());
  Reply(*a1, recorded_hello);
  ASSERT_TRUE(a1->OnMessage(recorded_auth).ok());
  // Connection 2: the eavesdropper replays them to a fresh handshake of a.
  auto a2 = Make(0);
  Reply(*a2, recorded_hello);
  ExpectFails(*a2, recorded_auth, "does not verify");
}

TEST_F(HandshakeTest, AnythingBeforeTheHandshakeCompletesIsRefused) {
  wire::PeerMessage vote;
  ToProto(Message(hotbft::Vote{}), &vote);
  ExpectFails(*Make(0), vote, "vote before the handshake completed");

  wire::PeerMessage ping;
  ping.mutable_ping()->set_nonce(1);
  auto a = Make(0);
  Reply(*a, Make(1)->hello());
  ExpectFails(*a, ping, "ping before the handshake completed");

  ExpectFails(*Make(0), wire::PeerMessage(), "empty before the handshake completed");
}

TEST_F(HandshakeTest, OutOfOrderHandshakeMessagesAreRefused) {
  auto b = Make(1);
  wire::PeerMessage auth;
  auth.mutable_hello_auth()->set_signature(std::string(64, 's'));
  ExpectFails(*Make(0), auth, "hello_auth before hello");

  auto a = Make(0);
  Reply(*a, b->hello());
  ExpectFails(*a, b->hello(), "second hello");
}

TEST_F(HandshakeTest, FailureIsFinal) {
  auto a = Make(0);
  auto b = Make(1, "other-chain");
  ExpectFails(*a, b->hello(), "chain id");
  auto r = a->OnMessage(Make(1)->hello());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("chain id"), std::string::npos);
}

// The exact bytes signed, as docs/wire.md specifies them.
TEST_F(HandshakeTest, DigestMatchesTheDocumentedEncoding) {
  Hash32 challenge;
  for (size_t i = 0; i < 32; ++i) challenge.bytes[i] = static_cast<uint8_t>(i);
  const PublicKey& signer = fx_.validators().key(1);
  const PublicKey& receiver = fx_.validators().key(0);
  const Hash32 tag = Sha256(AsBytes("hotbft/handshake/v1"));
  Bytes preimage(tag.bytes.begin(), tag.bytes.end());
  preimage.insert(preimage.end(), tag.bytes.begin(), tag.bytes.end());
  const std::string chain = kChainId;
  const uint32_t n = static_cast<uint32_t>(chain.size());
  for (int shift : {24, 16, 8, 0}) preimage.push_back(static_cast<uint8_t>(n >> shift));
  preimage.insert(preimage.end(), chain.begin(), chain.end());
  preimage.insert(preimage.end(), challenge.bytes.begin(), challenge.bytes.end());
  preimage.insert(preimage.end(), signer.bytes.begin(), signer.bytes.end());
  preimage.insert(preimage.end(), receiver.bytes.begin(), receiver.bytes.end());
  ASSERT_EQ(preimage.size(), 64u + 4u + chain.size() + 96u);
  EXPECT_EQ(HandshakeDigest(kChainId, challenge, signer, receiver), Sha256(preimage));
}

}  // namespace
}  // namespace hotbft::network
