#include "network/handshake.h"

#include <string>

#include "consensus/types.h"
#include "network/codec.h"

namespace hotbft::network {
namespace {

constexpr size_t kChainIdEchoMax = 64;  // how much of a wrong chain id a log line repeats

std::string Clip(const std::string& s) {
  if (s.size() <= kChainIdEchoMax) return s;
  return s.substr(0, kChainIdEchoMax) + "... (" + std::to_string(s.size()) + " bytes)";
}

std::string AsString(ByteView b) {
  return std::string(b.begin(), b.end());
}

}  // namespace

Handshake::Handshake(HandshakeConfig config, const ValidatorSet& validators, Signer& signer,
                     const Verifier& verifier, RandomSource& rng)
    : config_(std::move(config)), validators_(validators), signer_(signer), verifier_(verifier) {
  HOTBFT_ASSERT(!config_.chain_id.empty());
  HOTBFT_ASSERT(validators_.IndexOf(signer_.public_key()).has_value());
  rng.Fill(challenge_.bytes);
  wire::Hello* hello = hello_.mutable_hello();
  hello->set_protocol_version(config_.protocol_version);
  hello->set_chain_id(config_.chain_id);
  hello->set_node_key(AsString(signer_.public_key().view()));
  hello->set_challenge(AsString(challenge_.view()));
}

ValidatorIndex Handshake::peer() const {
  HOTBFT_ASSERT(done());
  HOTBFT_ASSERT(peer_.has_value());
  return *peer_;
}

Status Handshake::Fail(Status status) {
  HOTBFT_ASSERT(!status.ok());
  state_ = State::kFailed;
  error_ = status;
  return status;
}

Result<std::vector<wire::PeerMessage>> Handshake::OnMessage(const wire::PeerMessage& message) {
  if (state_ == State::kFailed) return error_;
  if (state_ == State::kDone) {
    return Fail(Status::FailedPrecondition("handshake already complete"));
  }
  if (message.has_hello()) {
    if (state_ != State::kAwaitHello) return Fail(Status::Unauthenticated("second hello"));
    return OnHello(message.hello());
  }
  if (message.has_hello_auth()) {
    if (state_ != State::kAwaitAuth)
      return Fail(Status::Unauthenticated("hello_auth before hello"));
    HOTBFT_RETURN_IF_ERROR(OnHelloAuth(message.hello_auth()));
    return std::vector<wire::PeerMessage>();
  }
  return Fail(Status::Unauthenticated(std::string(PeerMessageName(message)) +
                                      " before the handshake completed"));
}

Result<std::vector<wire::PeerMessage>> Handshake::OnHello(const wire::Hello& hello) {
  if (hello.protocol_version() != config_.protocol_version) {
    return Fail(
        Status::Unauthenticated("protocol version " + std::to_string(hello.protocol_version()) +
                                ", this node speaks " + std::to_string(config_.protocol_version)));
  }
  if (hello.chain_id() != config_.chain_id) {
    return Fail(Status::Unauthenticated("chain id '" + Clip(hello.chain_id()) +
                                        "', this node is on '" + config_.chain_id + "'"));
  }
  auto key = FixedBytes<32>::FromBytes(AsBytes(hello.node_key()));
  if (!key.ok())
    return Fail(Status::Unauthenticated(key.status().With("hello node_key").message()));
  PublicKey peer_key;
  peer_key.bytes = key->bytes;
  const std::optional<ValidatorIndex> index = validators_.IndexOf(peer_key);
  if (!index) {
    return Fail(Status::Unauthenticated("node key " + peer_key.hex() + " is not a validator"));
  }
  if (peer_key == signer_.public_key()) {
    return Fail(Status::Unauthenticated("peer presents this node's own key"));
  }
  auto challenge = Hash32::FromBytes(AsBytes(hello.challenge()));
  if (!challenge.ok()) {
    return Fail(Status::Unauthenticated(challenge.status().With("hello challenge").message()));
  }
  peer_ = *index;
  peer_challenge_ = *challenge;
  state_ = State::kAwaitAuth;
  const Hash32 digest =
      HandshakeDigest(config_.chain_id, peer_challenge_, signer_.public_key(), peer_key);
  std::vector<wire::PeerMessage> out(1);
  out[0].mutable_hello_auth()->set_signature(AsString(signer_.Sign(digest).view()));
  return out;
}

Status Handshake::OnHelloAuth(const wire::HelloAuth& auth) {
  HOTBFT_ASSERT(peer_.has_value());
  auto bytes = FixedBytes<64>::FromBytes(AsBytes(auth.signature()));
  if (!bytes.ok()) {
    return Fail(Status::Unauthenticated(bytes.status().With("hello_auth signature").message()));
  }
  Signature signature;
  signature.bytes = bytes->bytes;
  const PublicKey& peer_key = validators_.key(*peer_);
  const Hash32 digest =
      HandshakeDigest(config_.chain_id, challenge_, peer_key, signer_.public_key());
  if (!verifier_.Verify(peer_key, digest, signature)) {
    return Fail(Status::Unauthenticated("hello_auth signature of validator " +
                                        std::to_string(*peer_) + " does not verify"));
  }
  state_ = State::kDone;
  return Status::Ok();
}

}  // namespace hotbft::network
