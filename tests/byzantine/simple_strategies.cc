// Strategies that only filter or alter what the core sends: silent, double-vote,
// withhold-votes, invalid-signatures.
#include <utility>

#include "tests/byzantine/craft.h"
#include "tests/byzantine/strategies.h"

namespace hotbft::byzantine {
namespace {

// Crashed as far as anyone can tell, yet its core keeps running on what it receives.
class Silent final : public Strategy {
 public:
  StrategyKind kind() const override { return StrategyKind::kSilent; }
  std::vector<Envelope> OnSend(Envelope honest, Context& ctx) override {
    (void)honest;
    (void)ctx;
    return {};
  }
};

// Every vote is followed by a second one of the same round for a block that does not
// exist, to every other validator: the collector must not count both, and the pair is
// evidence. Only the signed VoteData differs, so the detector has to compare content.
class DoubleVote final : public Strategy {
 public:
  StrategyKind kind() const override { return StrategyKind::kDoubleVote; }
  std::vector<Envelope> OnSend(Envelope honest, Context& ctx) override {
    const Vote* vote = std::get_if<Vote>(&honest.message);
    if (vote == nullptr) return {std::move(honest)};
    VoteData other = vote->data;
    other.block_id = RandomHash(*ctx.rng);
    HOTBFT_ASSERT(other.block_id != vote->data.block_id);
    Envelope second{OtherValidators(ctx), SignVote(other, ctx)};
    return {std::move(honest), std::move(second)};
  }
};

// Never lets a vote out, not even inside a timeout. The timeout signature covers
// TimeoutData only, so a stripped timeout still verifies and still counts towards a TC.
class WithholdVotes final : public Strategy {
 public:
  StrategyKind kind() const override { return StrategyKind::kWithholdVotes; }
  std::vector<Envelope> OnSend(Envelope honest, Context& ctx) override {
    (void)ctx;
    if (std::holds_alternative<Vote>(honest.message)) return {};
    if (auto* t = std::get_if<Timeout>(&honest.message)) t->vote.reset();
    return {std::move(honest)};
  }
};

// Everything it signs arrives with a broken signature (proposals keep their block, so
// only the signature check can catch them); receivers must verify before they act.
class InvalidSignatures final : public Strategy {
 public:
  StrategyKind kind() const override { return StrategyKind::kInvalidSignatures; }
  std::vector<Envelope> OnSend(Envelope honest, Context& ctx) override {
    Message& m = honest.message;
    if (auto* p = std::get_if<Proposal>(&m)) FlipBits(p->signature, *ctx.rng);
    if (auto* v = std::get_if<Vote>(&m)) FlipBits(v->signature, *ctx.rng);
    if (auto* t = std::get_if<Timeout>(&m)) {
      FlipBits(t->signature, *ctx.rng);
      if (t->vote) FlipBits(t->vote->signature, *ctx.rng);
    }
    return {std::move(honest)};
  }
};

}  // namespace

std::unique_ptr<Strategy> MakeSilent() {
  return std::make_unique<Silent>();
}
std::unique_ptr<Strategy> MakeDoubleVote() {
  return std::make_unique<DoubleVote>();
}
std::unique_ptr<Strategy> MakeWithholdVotes() {
  return std::make_unique<WithholdVotes>();
}
std::unique_ptr<Strategy> MakeInvalidSignatures() {
  return std::make_unique<InvalidSignatures>();
}

}  // namespace hotbft::byzantine
