// Transport: the peer-to-peer network of a validator over TCP (Boost.Asio).
//
// Connections. Every validator listens on one port. Of each pair of validators, the one
// with the higher index dials the lower one, so each pair has exactly one connection: a
// validator dials every peer with a lower index and accepts peers with a higher one. A
// connection starts with the handshake (handshake.h); an inbound peer that authenticates
// with a lower index than this node's, or a dialled one that authenticates as another
// validator than the one dialled, is refused. A newer connection from a peer replaces an
// older one (the peer restarted before the old one timed out). A dialled peer that
// disconnects is redialled after a delay that doubles per failed attempt from
// redial_delay_ms_min up to redial_delay_ms_max (with jitter), and resets on success.
//
// Keepalive. Each side pings every ping_interval_ms; any frame received counts as a sign
// of life, and a peer silent for idle_timeout_ms is dropped (and redialled if ours to
// dial). A connection that has not completed the handshake in handshake_timeout_ms is
// dropped; at most pending_connections_max of them are held at once.
//
// Queues. Each peer has a bounded outbound queue in two priorities (peer_queue.h):
// consensus before gossip, gossip dropped first under pressure, and a peer whose
// consensus queue overflows is disconnected. Sends to a peer that is not connected are
// dropped (counted): the protocol retransmits what matters.
//
// Bad input. A malformed or oversized frame, a message that fails to decode, or a
// handshake message after the handshake closes the connection; the reason is logged
// (spdlog, warn) and counted, and the transport keeps serving every other peer.
//
// Threads. The transport runs one io thread of its own (started by Start, joined by
// Stop): sockets, framing, handshakes, timers, and the inbound handler, which is called
// on that thread and must not block (the node posts each message to its consensus
// thread). Send, Broadcast, stats() and RunAfter are thread-safe; Start and Stop are
// called by the owner, from one thread, never from the inbound handler.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/random.h"
#include "crypto/signer.h"
#include "network/handshake.h"
#include "network/peer_network.h"
#include "network/peer_queue.h"

namespace hotbft::network {

struct PeerAddress {
  std::string host;  // a name or a numeric address
  uint16_t port = 0;
};

struct TransportConfig {
  std::string chain_id;
  uint32_t protocol_version = kProtocolVersion;
  std::string listen_host = "0.0.0.0";
  uint16_t listen_port = 0;  // 0 picks a free port: listen_port() tells which
  // Peer addresses by validator index (this node's own entry and higher indexes are not
  // dialled and may be empty).
  std::vector<PeerAddress> peers;
  uint32_t frame_bytes_max = 16u << 20;
  QueueLimits queue;
  size_t write_batch_bytes_max = 1u << 20;  // bytes handed to one socket write
  size_t pending_connections_max = 64;      // connections still in the handshake
  uint32_t handshake_timeout_ms = 5'000;    // connect and handshake, in all
  uint32_t ping_interval_ms = 1'000;
  uint32_t idle_timeout_ms = 10'000;
  uint32_t redial_delay_ms_min = 100;
  uint32_t redial_delay_ms_max = 10'000;
};

// Why a message was not queued (or left a queue unsent).
enum class DropReason : uint8_t {
  kNotConnected,       // no authenticated connection to the peer
  kBadPeer,            // this node itself, or an index outside the set
  kTooLarge,           // the encoded message exceeds frame_bytes_max
  kGossipQueueFull,    // gossip refused by a full queue
  kGossipEvicted,      // queued gossip dropped to make room for consensus
  kConsensusOverflow,  // consensus refused by a full queue (the peer is disconnected)
  kDisconnected,       // queued when the connection closed
  kCount,
};

// Why a connection was closed.
enum class DisconnectReason : uint8_t {
  kHandshakeFailed,    // wrong chain, version or key, bad signature, message too early
  kHandshakeTimeout,   // connect and handshake not done in handshake_timeout_ms
  kWrongDirection,     // the peer should not have dialled (or is not who was dialled)
  kMalformedFrame,     // zero or oversized length
  kMalformedMessage,   // not a PeerMessage, or a message that fails to decode
  kProtocolViolation,  // a handshake message after the handshake
  kIdle,               // silent for idle_timeout_ms
  kConsensusOverflow,  // its consensus queue overflowed
  kControlOverflow,    // it does not read our handshake and keepalive frames
  kReplaced,           // a newer connection from the same peer
  kTooManyPending,     // pending_connections_max connections already in the handshake
  kClosedByPeer,       // end of stream or a socket error
  kStopped,            // the transport stopped
  kCount,
};

std::string_view DropReasonName(DropReason reason);              // "not_connected", ...
std::string_view DisconnectReasonName(DisconnectReason reason);  // "handshake_failed", ...

struct PeerStats {
  bool connected = false;
  uint64_t connections = 0;  // authenticated connections so far
  uint64_t bytes_in = 0;     // frame bytes, prefix included, once authenticated
  uint64_t bytes_out = 0;
  uint64_t messages_in = 0;  // node messages and keepalives
  uint64_t messages_out = 0;
};

struct TransportStats {
  std::vector<PeerStats> peers;  // by validator index (this node's entry stays empty)
  std::array<uint64_t, static_cast<size_t>(DropReason::kCount)> drops{};
  std::array<uint64_t, static_cast<size_t>(DisconnectReason::kCount)> disconnects{};
  uint32_t connected_peers = 0;
  uint64_t drops_of(DropReason r) const { return drops[static_cast<size_t>(r)]; }
  uint64_t disconnects_of(DisconnectReason r) const { return disconnects[static_cast<size_t>(r)]; }
};

class Transport final : public PeerNetwork {
 public:
  // This node is validator `self` of `validators` (which must outlive the transport);
  // `signer` holds its node key and is used for handshakes only (a separate instance from
  // the consensus signer); `rng` draws handshake challenges, nonces and redial jitter.
  // REQUIRES: self < validators.size(), signer's key is validators.key(self),
  // 0 < config.frame_bytes_max <= kFrameBytesCeiling, non-empty chain id.
  Transport(TransportConfig config, const ValidatorSet& validators, ValidatorIndex self,
            std::unique_ptr<Signer> signer, std::unique_ptr<RandomSource> rng);
  ~Transport() override;  // stops if running
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // Binds and listens, starts the io thread and dials the lower-index peers. Fails, with
  // nothing started, if the address cannot be bound. `on_message` runs on the io thread.
  // REQUIRES: called once.
  Status Start(InboundHandler on_message);

  // Closes every connection and joins the io thread; no handler runs after it returns.
  void Stop();

  // The port listened on (after a successful Start).
  uint16_t listen_port() const;

  Status Send(ValidatorIndex to, const NetworkMessage& message, Priority priority) override;
  void Broadcast(const NetworkMessage& message, Priority priority) override;

  // Runs `fn` on the io thread after `delay_ms` (not at all once stopped).
  void RunAfter(uint32_t delay_ms, std::function<void()> fn);

  TransportStats stats() const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace hotbft::network
