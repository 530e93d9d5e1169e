#include "tests/byzantine/node_layer.h"

#include <spdlog/spdlog.h>

#include <utility>

#include "consensus/core.h"
#include "tests/byzantine/craft.h"

namespace hotbft::byzantine {
namespace {

// How often the layer logs what it sent (info).
constexpr uint64_t kCountersLogIntervalMs = 10'000;

}  // namespace

NodeLayer::NodeLayer(Misbehaviour misbehaviour, node::MessageLayerEnv env,
                     std::function<Height()> committed_height, std::unique_ptr<RandomSource> rng)
    : misbehaviour_(std::move(misbehaviour)),
      env_(std::move(env)),
      committed_height_(std::move(committed_height)),
      rng_(std::move(rng)) {
  HOTBFT_ASSERT(env_.validators != nullptr);
  HOTBFT_ASSERT(env_.signer != nullptr);
  HOTBFT_ASSERT(env_.net != nullptr);
  HOTBFT_ASSERT(misbehaviour_.flood || !misbehaviour_.strategies.empty());
  HOTBFT_ASSERT(misbehaviour_.flood_txs_per_s <= kFloodTxsPerSecondMax);
  for (StrategyKind kind : misbehaviour_.strategies) strategies_.push_back(MakeStrategy(kind));
  if (misbehaviour_.flood) {
    flood_rng_ = std::make_unique<SeededRandom>(rng_->NextU64());
    raw_flood_ = std::make_unique<RawFlood>(env_.peer_addresses, env_.chain_id);
  }
}

NodeLayer::~NodeLayer() = default;

bool NodeLayer::CheckStart() {
  if (misbehaving_) return true;
  const Height committed = committed_height_();
  if (committed < misbehaviour_.from_height) return false;
  misbehaving_ = true;
  spdlog::warn("BYZANTINE: committed height {} reached {}: misbehaving from now on: {}", committed,
               misbehaviour_.from_height, Describe(misbehaviour_));
  if (raw_flood_) raw_flood_->Start();
  return true;
}

Context NodeLayer::ContextAt(uint64_t now_ms) {
  Context ctx;
  ctx.self = env_.self;
  ctx.validators = static_cast<uint32_t>(env_.validators->size());
  ctx.chain_id = env_.chain_id;
  ctx.epoch = env_.epoch;
  ctx.signer = env_.signer.get();
  ctx.rng = rng_.get();
  ctx.core = env_.core;
  ctx.now_ms = now_ms;
  return ctx;
}

void NodeLayer::OnSend(uint32_t to, const Message& message, uint64_t now_ms) {
  if (!CheckStart()) {
    ++counters_.messages_sent;
    env_.net->Send(to, message, network::Priority::kConsensus);
    return;
  }
  SendThroughStrategies(Envelope{{to}, message}, now_ms);
}

void NodeLayer::OnBroadcast(const Message& message, uint64_t now_ms) {
  if (!CheckStart()) {
    counters_.messages_sent += env_.validators->size() - 1;
    env_.net->Broadcast(message, network::Priority::kConsensus);
    return;
  }
  Context ctx = ContextAt(now_ms);
  SendThroughStrategies(Envelope{OtherValidators(ctx), message}, now_ms);
}

// Each strategy alters every envelope the one before it let out.
void NodeLayer::SendThroughStrategies(Envelope honest, uint64_t now_ms) {
  Context ctx = ContextAt(now_ms);
  std::vector<Envelope> envelopes;
  envelopes.push_back(std::move(honest));
  for (auto& strategy : strategies_) {
    std::vector<Envelope> next;
    for (Envelope& e : envelopes) {
      for (Envelope& out : strategy->OnSend(std::move(e), ctx)) next.push_back(std::move(out));
    }
    envelopes = std::move(next);
  }
  SendAll(std::move(envelopes));
}

bool NodeLayer::OnReceive(uint32_t from, const Message& message, uint64_t now_ms) {
  if (!CheckStart()) return true;
  Context ctx = ContextAt(now_ms);
  bool deliver = true;
  for (auto& strategy : strategies_) {
    ReceiveResult r = strategy->OnReceive(from, message, ctx);
    deliver = deliver && r.deliver;
    SendAll(std::move(r.send));
  }
  if (!deliver) ++counters_.messages_dropped;
  return deliver;
}

void NodeLayer::OnTick(uint64_t now_ms) {
  if (!CheckStart()) return;
  Context ctx = ContextAt(now_ms);
  for (auto& strategy : strategies_) SendAll(strategy->OnTick(ctx));
  if (misbehaviour_.flood) Flood(ctx);
  LogCounters(now_ms);
}

void NodeLayer::Flood(Context& ctx) {
  const size_t txs = FloodTxsPerTick(misbehaviour_.flood_txs_per_s);
  if (txs > 0) {
    env_.net->Broadcast(InvalidTxBatch(txs, *flood_rng_), network::Priority::kGossip);
    counters_.flood_txs_sent += txs * (env_.validators->size() - 1);
  }
  SendAll(BadSignatureMessages(ctx));
}

// Whole broadcasts go out encoded once; the others to each recipient but this validator.
void NodeLayer::SendAll(std::vector<Envelope> envelopes) {
  const size_t others = env_.validators->size() - 1;
  for (Envelope& e : envelopes) {
    bool has_self = false;
    for (uint32_t to : e.to) has_self |= to == env_.self;
    if (!has_self && e.to.size() == others && others > 1) {
      env_.net->Broadcast(e.message, network::Priority::kConsensus);
      counters_.messages_sent += others;
      continue;
    }
    for (uint32_t to : e.to) {
      HOTBFT_ASSERT(to < env_.validators->size());
      if (to == env_.self) continue;
      env_.net->Send(to, e.message, network::Priority::kConsensus);
      ++counters_.messages_sent;
    }
  }
}

void NodeLayer::LogCounters(uint64_t now_ms) {
  if (now_ms < counters_logged_ms_ + kCountersLogIntervalMs) return;
  counters_logged_ms_ = now_ms;
  spdlog::info(
      "BYZANTINE: {} consensus messages sent, {} received kept from the core, {} invalid "
      "transactions and {} raw connections so far",
      counters_.messages_sent, counters_.messages_dropped, counters_.flood_txs_sent,
      raw_flood_ ? raw_flood_->connections() : 0);
}

node::MessageLayerFactory MakeNodeLayerFactory(Misbehaviour misbehaviour) {
  return [misbehaviour](node::MessageLayerEnv env) -> Result<std::unique_ptr<node::MessageLayer>> {
    const Core* core = env.core;
    HOTBFT_ASSERT(core != nullptr);
    return std::unique_ptr<node::MessageLayer>(std::make_unique<NodeLayer>(
        misbehaviour, std::move(env), [core] { return core->committed_height(); },
        std::make_unique<SystemRandom>()));
  };
}

}  // namespace hotbft::byzantine
