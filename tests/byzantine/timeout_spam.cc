// timeout-spam: validly signed timeouts for rounds ahead of everyone, just past the
// receivers' window, astronomically far, and a few rounds ahead. Timeouts are the one
// message anyone may send for any round, so the window is what keeps receivers' timeout
// state bounded; the near ones carry the best entry certificate it can make alone (a TC
// with its own signature), which must not move anyone.
#include <algorithm>
#include <array>
#include <utility>

#include "tests/byzantine/craft.h"
#include "tests/byzantine/strategies.h"

namespace hotbft::byzantine {
namespace {

class TimeoutSpam final : public Strategy {
 public:
  StrategyKind kind() const override { return StrategyKind::kTimeoutSpam; }

  std::vector<Envelope> OnSend(Envelope honest, Context& ctx) override {
    (void)ctx;
    Observe(honest.message);
    return {std::move(honest)};
  }

  ReceiveResult OnReceive(uint32_t from, const Message& message, Context& ctx) override {
    (void)from;
    (void)ctx;
    Observe(message);
    return ReceiveResult{};
  }

  std::vector<Envelope> OnTick(Context& ctx) override {
    const QC high_qc = HighestKnownQC(ctx);
    const Round current =
        std::max(CurrentRound(ctx, round_seen_), AddChecked(high_qc.vote_data.round, 1));
    const Round beyond = AddChecked(current, AddChecked(CoreConfig{}.rounds_ahead_max, 1));
    const std::array<Round, 3> rounds = {
        AddChecked(beyond, RandomBelow(*ctx.rng, kSpamJustBeyondSpread)),
        AddChecked(beyond, RandomBelow(*ctx.rng, kSpamHugeRoundMax)),
        AddChecked(current, 1 + RandomBelow(*ctx.rng, kSpamNearRoundsMax)),
    };
    std::vector<Envelope> out;
    for (Round round : rounds) {
      HOTBFT_ASSERT(round > high_qc.vote_data.round);
      out.push_back(Envelope{OtherValidators(ctx),
                             SignTimeout(round, high_qc, EntryFor(round, high_qc, ctx), ctx)});
    }
    return out;
  }

 private:
  void Observe(const Message& message) {
    if (auto round = MessageRound(message)) round_seen_ = std::max(round_seen_, *round);
  }

  // The certificate that entered `round`: the high QC if it is of round - 1, else a TC of
  // round - 1 that only this validator signed.
  static std::variant<QC, TC> EntryFor(Round round, const QC& high_qc, Context& ctx) {
    HOTBFT_ASSERT(round > high_qc.vote_data.round);
    if (high_qc.vote_data.round + 1 == round) return high_qc;
    TC tc;
    tc.epoch = ctx.epoch;
    tc.round = round - 1;
    tc.signers = SignerBitmap(ctx.validators);
    tc.signers.Set(ctx.self);
    tc.high_qc_rounds.push_back(high_qc.vote_data.round);
    tc.signatures.push_back(ctx.signer->Sign(
        TimeoutData{ctx.epoch, tc.round, high_qc.vote_data.round}.SigningDigest(ctx.chain_id)));
    return tc;
  }

  Round round_seen_ = 0;  // the highest round in any message seen (used without a core)
};

}  // namespace

std::unique_ptr<Strategy> MakeTimeoutSpam() {
  return std::make_unique<TimeoutSpam>();
}

}  // namespace hotbft::byzantine
