// The peer handshake as a pure state machine: messages in, messages out, no sockets.
//
// Both sides run the same steps, in parallel:
//   1. send Hello{protocol_version, chain_id, node_key, challenge}: 32 fresh random bytes;
//   2. on the peer's Hello: check its version and chain id, and that its key belongs to
//      the validator set (and is not this node's own); then send HelloAuth, a signature
//      over HandshakeDigest(chain_id, peer's challenge, own key, peer's key);
//   3. on the peer's HelloAuth: verify it over HandshakeDigest(chain_id, own challenge,
//      peer's key, own key). The peer is now authenticated as its validator index.
// The digest is Domain::kHandshake's tagged hash of fixed(32) challenge, fixed(32) signer
// key, fixed(32) receiver key (docs/wire.md, consensus/types.h). Because the challenge is
// fresh per connection, a HelloAuth recorded on one connection fails on any other.
//
// Anything else (another message before the handshake completes, a second Hello, a
// HelloAuth before Hello) fails it. A failure is final and names the reason; the
// transport then closes the connection. Not thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "crypto/random.h"
#include "crypto/signer.h"
#include "crypto/validator_set.h"
#include "proto/p2p.pb.h"

namespace hotbft::network {

// The peer protocol version this code speaks; a peer with another one is refused.
inline constexpr uint32_t kProtocolVersion = 1;
inline constexpr size_t kChallengeBytes = 32;
// The largest frame accepted before the handshake completes: a Hello or HelloAuth is about
// 150 bytes plus the chain id, so an unauthenticated peer cannot make a node buffer more.
inline constexpr uint32_t kHandshakeFrameBytesMax = 4096;

struct HandshakeConfig {
  uint32_t protocol_version = kProtocolVersion;
  std::string chain_id;  // non-empty
};

class Handshake {
 public:
  enum class State : uint8_t { kAwaitHello, kAwaitAuth, kDone, kFailed };

  // `validators`, `signer` and `verifier` must outlive the handshake; `signer` signs as
  // this node, whose key must be in `validators`. Draws the challenge from `rng` at once.
  Handshake(HandshakeConfig config, const ValidatorSet& validators, Signer& signer,
            const Verifier& verifier, RandomSource& rng);

  // This side's Hello: the first message to send on the connection.
  const wire::PeerMessage& hello() const { return hello_; }

  // Feeds the peer's next message. Returns what to send in reply (the HelloAuth after the
  // peer's Hello; nothing after its HelloAuth), or why the handshake failed. After a
  // failure every call fails with the same reason.
  Result<std::vector<wire::PeerMessage>> OnMessage(const wire::PeerMessage& message);

  State state() const { return state_; }
  bool done() const { return state_ == State::kDone; }
  // The authenticated peer. REQUIRES: done().
  ValidatorIndex peer() const;
  // The peer's claimed identity, known once its Hello was accepted (for logs).
  std::optional<ValidatorIndex> claimed_peer() const { return peer_; }

 private:
  Result<std::vector<wire::PeerMessage>> OnHello(const wire::Hello& hello);
  Status OnHelloAuth(const wire::HelloAuth& auth);
  Status Fail(Status status);

  const HandshakeConfig config_;
  const ValidatorSet& validators_;
  Signer& signer_;
  const Verifier& verifier_;
  Hash32 challenge_;
  wire::PeerMessage hello_;
  State state_ = State::kAwaitHello;
  std::optional<ValidatorIndex> peer_;
  Hash32 peer_challenge_;
  Status error_;
};

}  // namespace hotbft::network
