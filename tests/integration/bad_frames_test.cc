// Integration tests of the p2p port against bad input (real validator processes, as in
// integration_test.cc, whose header says how to run them):
//
//   BadFramesBeforeHandshake malformed, truncated and oversized frames and out-of-order or
//   BadFramesAfterHandshake  bad handshake messages on a validator's p2p port, before and
//                            after an authenticated handshake (with a validator's key): each
//                            connection is closed with the reason logged, the validator keeps
//                            running, reconnects and commits
//
// About 7 s each.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "crypto/key_file.h"
#include "crypto/random.h"
#include "crypto/sha256.h"
#include "network/frame.h"
#include "network/handshake.h"
#include "node/client.h"
#include "node/config.h"
#include "node/genesis.h"
#include "node/home.h"
#include "node/rpc_json.h"
#include "tests/integration/cluster.h"
#include "tests/integration/integration_util.h"
#include "tests/integration/raw_peer.h"

namespace hotbft::integration {
namespace {

using nlohmann::json;

// Raw frames for the p2p port: what is sent, whether the test then half-closes, and how
// long the validator may take to close the connection.
struct FrameCase {
  std::string name;
  Bytes bytes;
  bool shutdown_write = false;
  uint64_t close_ms = 5'000;
};

Bytes WithBody(uint32_t length, const Bytes& body) {
  Bytes out = FrameHeader(length);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

Bytes FrameOf(const wire::PeerMessage& message) {
  const std::string body = message.SerializeAsString();
  return WithBody(static_cast<uint32_t>(body.size()), Bytes(body.begin(), body.end()));
}

wire::PeerMessage HelloOf(const std::string& chain_id, const std::string& key) {
  wire::PeerMessage m;
  m.mutable_hello()->set_protocol_version(network::kProtocolVersion);
  m.mutable_hello()->set_chain_id(chain_id);
  m.mutable_hello()->set_node_key(key);
  m.mutable_hello()->set_challenge(std::string(32, '\x03'));
  return m;
}

// 64 bytes that no protobuf parser accepts: every byte is a tag of wire type 7 or a varint
// that never ends.
Bytes Garbage(std::mt19937_64& rng) {
  Bytes garbage(64);
  for (uint8_t& b : garbage) b = static_cast<uint8_t>(0xF0 | (rng() & 0x0F));
  return garbage;
}

// Node 0 accepts connections from every other validator.
constexpr uint32_t kFrameTarget = 0;

// The target logged each reason, still runs, has its 3 peers, and the four commit and agree.
void ExpectRecovered(Cluster& cluster, std::mt19937_64& rng,
                     const std::vector<std::string>& reasons) {
  // The node closes a connection before it logs why: the line may trail the close a little.
  for (const std::string& reason : reasons) {
    EXPECT_TRUE(cluster.WaitUntil("node0's log names '" + reason + "'", 5'000, [&](std::string*) {
      return cluster.Log(kFrameTarget).find(reason) != std::string::npos;
    }));
  }
  const auto all = cluster.AllValidators();
  ASSERT_TRUE(AllHealthy(cluster, all));
  ASSERT_TRUE(cluster.WaitUntil("node0 has 3 peers", kSettleMs, [&](std::string* detail) {
    auto view = cluster.View(kFrameTarget);
    *detail = view.ok() ? view->raw.dump() : view.status().ToString();
    return view.ok() && view->peers == 3;
  }));
  std::vector<PortSubmitter> submitters(1);
  const auto txs = MakeTxs(rng, "afterwards", 40);
  std::vector<const TestTx*> pointers;
  for (const TestTx& tx : txs) pointers.push_back(&tx);
  ASSERT_TRUE(SubmitOverPort(cluster, kFrameTarget, pointers, 20, &submitters[0]));
  ASSERT_TRUE(AwaitPortCommits(cluster, submitters, kCommitMs));
  EXPECT_TRUE(cluster.WaitForAgreement(all, 1, kSettleMs));
  EXPECT_TRUE(AllHealthy(cluster, all));
}

TEST_F(IntegrationTest, BadFramesBeforeHandshake) {
  SEED_TRACE();
  auto cluster = StartCluster();
  ASSERT_NE(cluster, nullptr);
  ASSERT_TRUE(SubmitAndAwait(*cluster, cluster->AllValidators(), MakeTxs(rng_, "warmup", 10)));
  const Bytes garbage = Garbage(rng_);
  wire::PeerMessage ping;
  ping.mutable_ping()->set_nonce(7);
  const std::vector<FrameCase> cases = {
      {"zero length", FrameHeader(0)},
      {"length above the handshake limit", FrameHeader(network::kHandshakeFrameBytesMax + 1)},
      {"length 2^32-1", FrameHeader(0xFFFFFFFFu)},
      {"length above the ceiling, with bytes", WithBody(network::kFrameBytesCeiling + 1, garbage)},
      {"body that is no PeerMessage", WithBody(static_cast<uint32_t>(garbage.size()), garbage)},
      {"ping before the handshake", FrameOf(ping)},
      {"hello of another chain", FrameOf(HelloOf("another-chain", std::string(32, '\x02')))},
      {"hello with a short key", FrameOf(HelloOf(cluster->options().chain_id, "short"))},
      {"truncated frame, then end of stream", WithBody(100, Bytes(10, 0x0A)), true},
      {"half a length prefix, then end of stream", Bytes{0x00, 0x00}, true},
      // Nothing more comes: the handshake timeout (5 s by default) closes it.
      {"truncated frame, then silence", WithBody(100, Bytes(10, 0x0A)), false, 15'000},
  };
  // All at once, then each awaited: the silent one costs one handshake timeout in all.
  std::vector<std::unique_ptr<RawPeer>> peers;
  for (const FrameCase& c : cases) {
    auto peer = RawPeer::Connect(cluster->node(kFrameTarget).p2p_port, 5'000);
    ASSERT_TRUE(peer.ok()) << c.name << ": " << peer.status().ToString();
    // Some cases close the connection before all is written: a send error is fine.
    (void)(*peer)->Send(c.bytes);
    if (c.shutdown_write) (*peer)->ShutdownWrite();
    peers.push_back(std::move(*peer));
  }
  for (size_t k = 0; k < cases.size(); ++k) {
    EXPECT_TRUE(peers[k]->WaitClosed(cases[k].close_ms))
        << cases[k].name << ": the validator kept the connection open\n"
        << cluster->LogTails({kFrameTarget});
  }
  ExpectRecovered(*cluster, rng_,
                  {"malformed_frame: frame length 0", "exceeds the limit of 4096",
                   "malformed_message", "handshake_failed", "handshake_timeout"});
}

// After a handshake as validator 3 (with its key, from its home) the limit is
// frame_bytes_max; each of these still closes the connection. Validator 3 itself is stopped
// meanwhile: it would redial at once and replace the test's connection (a newer connection
// from a peer wins), racing the frames sent on it.
TEST_F(IntegrationTest, BadFramesAfterHandshake) {
  SEED_TRACE();
  auto cluster = StartCluster();
  ASSERT_NE(cluster, nullptr);
  ASSERT_TRUE(SubmitAndAwait(*cluster, cluster->AllValidators(), MakeTxs(rng_, "warmup", 10)));
  ASSERT_TRUE(cluster->Stop(3)) << cluster->LogTails({3});
  auto target_key = PublicKey::FromHex(cluster->node(kFrameTarget).public_key);
  ASSERT_TRUE(target_key.ok()) << target_key.status().ToString();
  PublicKey node_key;
  node_key.bytes = target_key->bytes;
  auto config = node::LoadConfig(node::PathsOf(cluster->node(kFrameTarget).home).config);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  const uint32_t frame_max = static_cast<uint32_t>(config->p2p_frame_bytes_max);
  const Bytes garbage = Garbage(rng_);
  const std::vector<FrameCase> cases = {
      {"zero length", FrameHeader(0)},
      {"length above frame_bytes_max", FrameHeader(frame_max + 1)},
      {"body that is no PeerMessage", WithBody(static_cast<uint32_t>(garbage.size()), garbage)},
      {"a second hello", FrameOf(HelloOf(cluster->options().chain_id, std::string(32, 2)))},
      {"truncated frame, then end of stream", WithBody(1000, Bytes(10, 0x0A)), true},
  };
  for (const FrameCase& c : cases) {
    auto peer = RawPeer::Connect(cluster->node(kFrameTarget).p2p_port, 5'000);
    ASSERT_TRUE(peer.ok()) << c.name << ": " << peer.status().ToString();
    auto key = LoadKeyFile(node::PathsOf(cluster->node(3).home).key);
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    const Status authenticated =
        (*peer)->Authenticate(cluster->options().chain_id, std::move(*key), node_key, 10'000);
    ASSERT_TRUE(authenticated.ok()) << c.name << ": " << authenticated.ToString() << "\n"
                                    << cluster->LogTails({kFrameTarget});
    (void)(*peer)->Send(c.bytes);
    if (c.shutdown_write) (*peer)->ShutdownWrite();
    EXPECT_TRUE((*peer)->WaitClosed(c.close_ms))
        << "after the handshake, " << c.name << ": the validator kept the connection open\n"
        << cluster->LogTails({kFrameTarget});
  }
  ASSERT_TRUE(cluster->Start(3).ok());
  ASSERT_TRUE(cluster->WaitForStatus(3, kStartMs));
  // The refusals name the authenticated validator, and the limit after the handshake (the
  // node logs just after it closes: the lines may trail a little).
  std::set<std::string> named;
  EXPECT_TRUE(
      cluster->WaitUntil("node0 names 3 reasons for validator 3", 5'000, [&](std::string* detail) {
        std::istringstream lines(cluster->Log(kFrameTarget));
        for (std::string line; std::getline(lines, line);) {
          if (line.find("disconnecting validator 3 (") == std::string::npos) {
            continue;
          }
          for (const char* reason :
               {"malformed_frame", "malformed_message", "protocol_violation"}) {
            if (line.find(reason) != std::string::npos) {
              named.insert(reason);
            }
          }
        }
        *detail = " " + std::to_string(named.size()) + " named";
        return named.size() == 3;
      }));
  ExpectRecovered(*cluster, rng_,
                  {"malformed_frame: frame length " + std::to_string(frame_max + 1) +
                   " bytes exceeds the limit of " + std::to_string(frame_max)});
}

}  // namespace
}  // namespace hotbft::integration
