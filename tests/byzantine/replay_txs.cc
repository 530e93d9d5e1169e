// replay-txs: as leader, puts transactions it has already seen in blocks (most of them
// committed by now) back into its proposals, and repeats some of its own batch inside the
// same block. The blocks are valid, so they get certified and committed; only the
// execution rule (a repeat gets the DUPLICATE code and no effect) keeps a transaction from
// taking effect twice, and the exactly-once checker watches for it.
#include <deque>
#include <utility>

#include "tests/byzantine/craft.h"
#include "tests/byzantine/strategies.h"

namespace hotbft::byzantine {
namespace {

class ReplayTxs final : public Strategy {
 public:
  StrategyKind kind() const override { return StrategyKind::kReplayTxs; }

  std::vector<Envelope> OnSend(Envelope honest, Context& ctx) override {
    const Proposal* original = std::get_if<Proposal>(&honest.message);
    if (original == nullptr || !original->block || !original->block->payload) {
      return {std::move(honest)};
    }
    const Payload& own = *original->block->payload;
    auto payload = std::make_shared<Payload>(own);
    // Old transactions first, so that the replay comes before any fresh copy in the block.
    std::vector<Bytes> replayed;
    for (size_t k = 0; k < kReplayTxsPerProposal && !seen_.empty(); ++k) {
      replayed.push_back(seen_[RandomBelow(*ctx.rng, seen_.size())]);
    }
    for (size_t k = 0; k < kReplayTxsPerProposal && !own.txs.empty(); ++k) {
      payload->txs.push_back(own.txs[RandomBelow(*ctx.rng, own.txs.size())]);
    }
    payload->txs.insert(payload->txs.begin(), replayed.begin(), replayed.end());
    Remember(own);
    if (payload->txs.size() == own.txs.size()) return {std::move(honest)};

    auto block = std::make_shared<Block>(*original->block);
    block->payload = std::move(payload);
    Proposal replay = SignProposal(Reseal(std::move(block), ctx), original->tc, ctx);
    return {Envelope{std::move(honest.to), std::move(replay)}};
  }

  ReceiveResult OnReceive(uint32_t from, const Message& message, Context& ctx) override {
    (void)from;
    (void)ctx;
    if (const auto* p = std::get_if<Proposal>(&message);
        p != nullptr && p->block && p->block->payload) {
      Remember(*p->block->payload);
    }
    return ReceiveResult{};
  }

 private:
  void Remember(const Payload& payload) {
    for (const Bytes& tx : payload.txs) {
      if (seen_.size() >= kReplayTxsRemembered) seen_.pop_front();
      seen_.push_back(tx);
    }
    HOTBFT_ASSERT(seen_.size() <= kReplayTxsRemembered);
  }

  std::deque<Bytes> seen_;  // oldest first
};

}  // namespace

std::unique_ptr<Strategy> MakeReplayTxs() {
  return std::make_unique<ReplayTxs>();
}

}  // namespace hotbft::byzantine
