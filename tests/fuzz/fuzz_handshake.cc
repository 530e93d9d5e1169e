// The handshake of validator 0 fed any sequence of messages.
//   input: u8 flags, then frames (u32 length + PeerMessage bytes, at most 64 KiB each).
// Flag bit 0: whenever the handshake waits for the peer's HelloAuth, the harness answers
// with a valid one signed by the validator the Hello claimed, so the fuzzer also reaches
// the completed state (it cannot forge a signature itself); later frames must then fail.
#include <cstddef>
#include <cstdint>

#include "consensus/types.h"
#include "network/frame.h"
#include "network/handshake.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using namespace hotbft;

hotbft::testing::Fixture& Keys() {
  static auto* fx = new hotbft::testing::Fixture(fuzz::kValidators, fuzz::kFixtureSeed,
                                                 SignatureScheme::kSchnorrBip340);
  return *fx;
}

// A valid HelloAuth by `peer` for `self`'s handshake, whose challenge is in `hello`.
wire::PeerMessage AnswerAs(ValidatorIndex peer, const wire::PeerMessage& hello) {
  auto& fx = Keys();
  auto challenge = Hash32::FromBytes(AsBytes(hello.hello().challenge()));
  if (!challenge.ok()) fuzz::Violation("own hello without a 32-byte challenge");
  const Hash32 digest = HandshakeDigest(hotbft::testing::kChainId, *challenge,
                                        fx.validators().key(peer), fx.validators().key(0));
  const Signature sig = fx.signer(peer).Sign(digest);
  wire::PeerMessage out;
  out.mutable_hello_auth()->set_signature(std::string(sig.bytes.begin(), sig.bytes.end()));
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const bool answer = (data[0] & 1) != 0;
  auto& fx = Keys();
  SeededRandom rng(size);
  network::Handshake handshake(
      network::HandshakeConfig{network::kProtocolVersion, hotbft::testing::kChainId},
      fx.validators(), fx.signer(0), fx.verifier(), rng);
  network::FrameDecoder frames(64 << 10);
  frames.Append(ByteView(data + 1, size - 1));
  while (true) {
    auto body = frames.Next();
    if (!body.ok() || !body->has_value()) return 0;
    auto message = network::ParsePeerMessage(**body);
    if (!message.ok()) return 0;
    const bool was_done = handshake.done();
    auto replies = handshake.OnMessage(*message);
    if (!replies.ok()) {
      if (handshake.state() != network::Handshake::State::kFailed) {
        fuzz::Violation("a failed step that left the handshake running");
      }
      return 0;
    }
    if (was_done) fuzz::Violation("a message accepted after the handshake completed");
    if (handshake.state() == network::Handshake::State::kAwaitAuth && answer) {
      const ValidatorIndex claimed = *handshake.claimed_peer();
      if (claimed == 0 || claimed >= fuzz::kValidators) fuzz::Violation("a bad claimed peer");
      if (!handshake.OnMessage(AnswerAs(claimed, handshake.hello())).ok() || !handshake.done() ||
          handshake.peer() != claimed) {
        fuzz::Violation("a valid HelloAuth refused");
      }
    }
  }
}
