// MessageLayer: an optional layer between a validator's consensus core and its peers.
//
// With a layer, ValidatorNode hands the layer every consensus message the core sends
// (instead of sending it) and every consensus message a peer sent (before the core sees
// it), and ticks it every tick_interval_ms(). The layer decides what actually goes out,
// through the network it is given, and whether the core gets what arrived. Without one,
// which is how `hotbft start` runs, the node sends and delivers directly and pays nothing.
//
// The layer exists for testing: the hotbft-byzantine binary (tests/byzantine) puts a
// misbehaving validator on a real network with it. The production binary never sets one.
//
// Threads: the factory runs in ValidatorNode::Open, before the consensus thread starts;
// every call on the layer after that happens on the consensus thread, which owns the core
// (MessageLayerEnv::core is only safe to read there). The layer is destroyed by
// ValidatorNode::Stop (or the node's destruction) once that thread is joined, before the
// core. A layer must not block: it runs between the core's inputs.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "consensus/messages.h"
#include "crypto/signer.h"
#include "crypto/status.h"
#include "crypto/validator_set.h"
#include "network/peer_network.h"

namespace hotbft {
class Core;
}

namespace hotbft::node {

// What a layer is given when it is made. Everything it points to outlives the layer.
struct MessageLayerEnv {
  uint32_t self = 0;
  const ValidatorSet* validators = nullptr;
  std::string chain_id;
  Epoch epoch = 0;
  // The peers' p2p addresses ("host:port", by validator index; this node's own and peers
  // absent from config.toml's p2p.peers are empty).
  std::vector<std::string> peer_addresses;
  uint32_t frame_bytes_max = 0;  // config.toml's p2p.frame_bytes_max
  // A signer over this validator's node key, without safety rules: it signs whatever the
  // layer asks. Made for the layer alone (the core's SafetyRules keep their own).
  std::unique_ptr<Signer> signer;
  // This validator's core, read-only, on the consensus thread only.
  const Core* core = nullptr;
  // Where the layer's messages go (the transport, or the fault injection around it).
  // Thread-safe.
  network::PeerNetwork* net = nullptr;
};

class MessageLayer {
 public:
  virtual ~MessageLayer() = default;

  // The core sends `message` to validator `to`. The layer sends what it wants instead.
  virtual void OnSend(uint32_t to, const Message& message, uint64_t now_ms) = 0;
  // The core broadcasts `message` to every other validator.
  virtual void OnBroadcast(const Message& message, uint64_t now_ms) = 0;
  // `message` arrived from validator `from` (authenticated by the transport). Returns
  // whether the core gets it.
  virtual bool OnReceive(uint32_t from, const Message& message, uint64_t now_ms) = 0;
  // Every tick_interval_ms(), from the node's start until it stops.
  virtual void OnTick(uint64_t now_ms) = 0;
  virtual uint64_t tick_interval_ms() const = 0;
};

// Called once by ValidatorNode::Open, after the core is open. A failure fails the Open.
using MessageLayerFactory =
    std::function<Result<std::unique_ptr<MessageLayer>>(MessageLayerEnv env)>;

}  // namespace hotbft::node
