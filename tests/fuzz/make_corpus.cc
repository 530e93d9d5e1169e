// Writes the seed corpus of every fuzz target: real encoded messages from the same
// fixture the targets decode against.
//   make_corpus <dir>   writes <dir>/<target>/<seed name>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "network/frame.h"
#include "network/handshake.h"
#include "tests/fuzz/fuzz_util.h"
#include "tests/network/samples.h"

namespace {

using namespace hotbft;
namespace fs = std::filesystem;

void Write(const fs::path& dir, const std::string& target, const std::string& name,
           const Bytes& bytes) {
  fs::create_directories(dir / target);
  std::ofstream out(dir / target / name, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

template <typename Proto>
Bytes Serialize(const Proto& p) {
  const std::string s = p.SerializeAsString();
  return Bytes(s.begin(), s.end());
}

void AppendFrame(Bytes& stream, const wire::PeerMessage& m) {
  const Bytes f = network::EncodeFrame(network::SerializePeerMessage(m));
  stream.insert(stream.end(), f.begin(), f.end());
}

void WriteMessages(const fs::path& dir, hotbft::testing::Fixture& fx) {
  int i = 0;
  for (const network::NetworkMessage& m : network::testing::SampleMessages(fx)) {
    wire::PeerMessage pb;
    network::ToProto(m, &pb);
    const std::string name = std::to_string(i++) + "-" + network::MessageName(m);
    Write(dir, "peer_message", name, network::SerializePeerMessage(pb));
    switch (pb.msg_case()) {
      case wire::PeerMessage::kProposal:
        Write(dir, "proposal", name, Serialize(pb.proposal()));
        break;
      case wire::PeerMessage::kVote: Write(dir, "vote", name, Serialize(pb.vote())); break;
      case wire::PeerMessage::kTimeout: Write(dir, "timeout", name, Serialize(pb.timeout())); break;
      case wire::PeerMessage::kSyncRequest:
        Write(dir, "sync_request", name, Serialize(pb.sync_request()));
        break;
      case wire::PeerMessage::kSyncResponse:
        Write(dir, "sync_response", name, Serialize(pb.sync_response()));
        break;
      case wire::PeerMessage::kTxGossip:
        Write(dir, "tx_gossip", name, Serialize(pb.tx_gossip()));
        break;
      default: break;
    }
    // Frames: a limit of 4096 (0x0fff % 4096 + 1), reads of 7 bytes, two frames.
    Bytes stream = {0x0f, 0xff, 0x06};
    AppendFrame(stream, pb);
    AppendFrame(stream, pb);
    Write(dir, "frame", name, stream);
  }
}

void WriteHandshakes(const fs::path& dir) {
  hotbft::testing::Fixture fx(fuzz::kValidators, fuzz::kFixtureSeed,
                              SignatureScheme::kSchnorrBip340);
  SeededRandom rng(5);
  for (uint32_t peer = 1; peer < fuzz::kValidators; ++peer) {
    network::Handshake other(
        network::HandshakeConfig{network::kProtocolVersion, hotbft::testing::kChainId},
        fx.validators(), fx.signer(peer), fx.verifier(), rng);
    for (uint8_t flags : {0, 1}) {
      Bytes stream = {flags};
      AppendFrame(stream, other.hello());
      wire::PeerMessage ping;
      ping.mutable_ping()->set_nonce(7);
      AppendFrame(stream, ping);
      Write(dir, "handshake", "hello-" + std::to_string(peer) + "-" + std::to_string(flags),
            stream);
    }
  }
  wire::PeerMessage auth;
  auth.mutable_hello_auth()->set_signature(std::string(64, 's'));
  Bytes stream = {0};
  AppendFrame(stream, auth);
  Write(dir, "handshake", "auth-first", stream);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus dir>\n", argv[0]);
    return 2;
  }
  const fs::path dir = argv[1];
  hotbft::testing::Fixture fx(fuzz::kValidators, fuzz::kFixtureSeed);
  WriteMessages(dir, fx);
  WriteHandshakes(dir);
  return 0;
}
