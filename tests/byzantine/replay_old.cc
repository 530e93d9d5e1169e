// replay-old: re-sends old proposals, votes and timeouts, its own and others', to random
// peers. Replays are validly signed, so only the receivers' round and duplicate checks
// (and their bounded state) stand between them and the protocol.
#include <algorithm>
#include <deque>
#include <utility>

#include "tests/byzantine/craft.h"
#include "tests/byzantine/strategies.h"

namespace hotbft::byzantine {
namespace {

class ReplayOld final : public Strategy {
 public:
  StrategyKind kind() const override { return StrategyKind::kReplayOld; }

  std::vector<Envelope> OnSend(Envelope honest, Context& ctx) override {
    (void)ctx;
    Remember(honest.message);
    return {std::move(honest)};
  }

  ReceiveResult OnReceive(uint32_t from, const Message& message, Context& ctx) override {
    (void)from;
    (void)ctx;
    Remember(message);
    return ReceiveResult{};
  }

  std::vector<Envelope> OnTick(Context& ctx) override {
    std::vector<Envelope> out;
    if (buffer_.empty() || ctx.validators < 2) return out;
    const Round current = CurrentRound(ctx, round_seen_);
    // Prefer messages at least kReplayAgeRounds behind: those are the ones receivers have
    // long moved past. A young run has none yet; then anything old will do.
    std::vector<size_t> old;
    for (size_t i = 0; i < buffer_.size(); ++i) {
      if (AddChecked(buffer_[i].round, kReplayAgeRounds) <= current) old.push_back(i);
    }
    const std::vector<uint32_t> peers = OtherValidators(ctx);
    for (size_t k = 0; k < kReplaysPerTick; ++k) {
      const size_t index = old.empty() ? RandomBelow(*ctx.rng, buffer_.size())
                                       : old[RandomBelow(*ctx.rng, old.size())];
      const uint32_t to = peers[RandomBelow(*ctx.rng, peers.size())];
      out.push_back(Envelope{{to}, buffer_[index].message});
    }
    return out;
  }

 private:
  struct Recorded {
    Round round = 0;
    Message message;
  };

  // Consensus messages only: block responses would pin whole chains of payloads, and
  // requests carry no round.
  void Remember(const Message& message) {
    const std::optional<Round> round = MessageRound(message);
    if (!round) return;
    round_seen_ = std::max(round_seen_, *round);
    if (buffer_.size() >= kReplayBufferMax) buffer_.pop_front();
    buffer_.push_back(Recorded{*round, message});
    HOTBFT_ASSERT(buffer_.size() <= kReplayBufferMax);
  }

  std::deque<Recorded> buffer_;  // oldest first
  Round round_seen_ = 0;         // the highest round seen (used without a core)
};

}  // namespace

std::unique_ptr<Strategy> MakeReplayOld() {
  return std::make_unique<ReplayOld>();
}

}  // namespace hotbft::byzantine
