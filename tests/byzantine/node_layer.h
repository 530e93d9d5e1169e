// NodeLayer: the byzantine strategies and flood on a real validator, as the MessageLayer
// (node/message_layer.h) that hotbft-byzantine gives its ValidatorNode.
//
// Until the validator's committed height reaches Misbehaviour::from_height, the layer
// sends what the core sends and delivers what arrives. From then on (for good): what the
// core sends passes through each strategy in turn (Strategy::OnSend), what arrives through
// each strategy's OnReceive (the core gets it if every strategy delivers it), every tick
// adds what each strategy's OnTick returns and, with flood, the flood's invalid
// transactions and messages; raw connections carry the flood's garbage frames.
//
// Thread-safety: as a MessageLayer, on the node's consensus thread only (counters() too).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "node/message_layer.h"
#include "tests/byzantine/flood.h"
#include "tests/byzantine/misbehaviour.h"
#include "tests/byzantine/strategy.h"

namespace hotbft::byzantine {

struct NodeLayerCounters {
  uint64_t messages_sent = 0;     // consensus messages handed to the network, per recipient
  uint64_t messages_dropped = 0;  // received ones the strategies kept from the core
  uint64_t flood_txs_sent = 0;    // invalid transactions, per recipient
};

class NodeLayer final : public node::MessageLayer {
 public:
  // `committed_height` reads the validator's committed height. REQUIRES: env.validators,
  // env.signer and env.net non-null; misbehaviour names a strategy or flood.
  NodeLayer(Misbehaviour misbehaviour, node::MessageLayerEnv env,
            std::function<Height()> committed_height, std::unique_ptr<RandomSource> rng);
  ~NodeLayer() override;

  void OnSend(uint32_t to, const Message& message, uint64_t now_ms) override;
  void OnBroadcast(const Message& message, uint64_t now_ms) override;
  bool OnReceive(uint32_t from, const Message& message, uint64_t now_ms) override;
  void OnTick(uint64_t now_ms) override;
  uint64_t tick_interval_ms() const override { return kTickIntervalMs; }

  bool misbehaving() const { return misbehaving_; }
  const NodeLayerCounters& counters() const { return counters_; }

 private:
  // Starts misbehaving once the committed height reaches from_height. Returns whether it is.
  bool CheckStart();
  Context ContextAt(uint64_t now_ms);
  void SendThroughStrategies(Envelope honest, uint64_t now_ms);
  void SendAll(std::vector<Envelope> envelopes);
  void Flood(Context& ctx);
  void LogCounters(uint64_t now_ms);

  Misbehaviour misbehaviour_;
  node::MessageLayerEnv env_;
  std::function<Height()> committed_height_;
  std::unique_ptr<RandomSource> rng_;
  std::vector<std::unique_ptr<Strategy>> strategies_;
  std::unique_ptr<SeededRandom> flood_rng_;  // transaction bytes (cheaper than the system's)
  std::unique_ptr<RawFlood> raw_flood_;
  bool misbehaving_ = false;
  NodeLayerCounters counters_;
  uint64_t counters_logged_ms_ = 0;
};

// The factory hotbft-byzantine hands ValidatorNode: a NodeLayer reading the node's core.
node::MessageLayerFactory MakeNodeLayerFactory(Misbehaviour misbehaviour);

}  // namespace hotbft::byzantine
