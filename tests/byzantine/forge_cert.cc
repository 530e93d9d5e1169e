// forge-qc: fabricated QCs and TCs in otherwise well-formed, validly signed proposals and
// timeouts. Each forgery is placed where the honest core's earlier checks (epoch, round
// window, leader, shape, the message's own signature) pass, so only the certificate check
// can stop it: receivers count invalid_qc or invalid_tc, never merely malformed.
#include <algorithm>
#include <utility>

#include "tests/byzantine/craft.h"
#include "tests/byzantine/strategies.h"

namespace hotbft::byzantine {
namespace {

enum class Forgery : uint8_t {
  kRandomSignatures,  // a quorum of signers, every signature random bytes
  kTooFewSigners,     // f real signatures copied from a real QC, or its own alone
  kRepeatedSigner,    // its own signature standing in for several signers
  kBadTC,             // a TC forged in one of the ways above
  kFarAhead,          // a QC for a block that does not exist, many rounds ahead
  kCount,
};

Forgery DrawForgery(RandomSource& rng) {
  return static_cast<Forgery>(RandomBelow(rng, static_cast<uint64_t>(Forgery::kCount)));
}

// `count` distinct validators including ctx.self, ascending. REQUIRES: 1 <= count <= n.
SignerBitmap SignersWithSelf(uint32_t count, Context& ctx) {
  HOTBFT_ASSERT(count >= 1);
  HOTBFT_ASSERT(count <= ctx.validators);
  std::vector<uint32_t> others = OtherValidators(ctx);
  Shuffle(others, *ctx.rng);
  SignerBitmap signers(ctx.validators);
  signers.Set(ctx.self);
  for (uint32_t k = 0; k + 1 < count; ++k) signers.Set(others[k]);
  HOTBFT_ASSERT(signers.Count() == count);
  return signers;
}

// The vote data of a block nobody proposed, of `round`, extending `base`'s block.
VoteData FabricatedVoteData(const QC& base, Round round, Context& ctx) {
  return VoteData{ctx.epoch, RandomHash(*ctx.rng),    AddChecked(base.vote_data.height, 1),
                  round,     base.vote_data.block_id, base.vote_data.round};
}

// f of `donor`'s real signatures (it must certify `data`), or this validator's own alone.
void TooFewSigners(const QC* donor, const Hash32& digest, QC& qc, Context& ctx) {
  const uint32_t keep =
      donor == nullptr ? 0 : std::min(MaxFaultyOf(ctx.validators), donor->signers.Count());
  if (keep == 0 || donor->signatures.size() != donor->signers.Count()) {
    qc.signers.Set(ctx.self);
    qc.signatures.push_back(ctx.signer->Sign(digest));
    return;
  }
  const std::vector<ValidatorIndex> indexes = donor->signers.Indexes();
  for (uint32_t k = 0; k < keep; ++k) {
    qc.signers.Set(indexes[k]);
    qc.signatures.push_back(donor->signatures[k]);
  }
}

// A QC over `data` that must not verify. `donor`, if non-null, is a real QC for `data`.
QC ForgeQC(Forgery kind, const VoteData& data, const QC* donor, Context& ctx) {
  HOTBFT_ASSERT(donor == nullptr || donor->vote_data == data);
  const uint32_t quorum = QuorumOf(ctx.validators);
  const Hash32 digest = data.SigningDigest(ctx.chain_id);
  QC qc;
  qc.vote_data = data;
  qc.signers = SignerBitmap(ctx.validators);
  switch (kind) {
    case Forgery::kRandomSignatures:
      qc.signers = SignersWithSelf(quorum, ctx);
      for (uint32_t k = 0; k < quorum; ++k) qc.signatures.push_back(RandomSignature(*ctx.rng));
      break;
    case Forgery::kTooFewSigners:
      TooFewSigners(donor, digest, qc, ctx);
      HOTBFT_ASSERT(qc.signers.Count() < QuorumOf(ctx.validators));
      break;
    case Forgery::kRepeatedSigner: {
      const Signature own = ctx.signer->Sign(digest);
      // Either one signer listed with a quorum of signatures, or a quorum of signers all
      // carrying this validator's signature.
      const bool one_signer = RandomBelow(*ctx.rng, 2) == 0;
      qc.signers = SignersWithSelf(one_signer ? 1 : quorum, ctx);
      qc.signatures.assign(quorum, own);
      break;
    }
    case Forgery::kFarAhead:
      // Its own valid signature among random ones: only a full check finds the rest.
      qc.signers = SignersWithSelf(quorum, ctx);
      for (ValidatorIndex i : qc.signers.Indexes()) {
        qc.signatures.push_back(i == ctx.self ? ctx.signer->Sign(digest)
                                              : RandomSignature(*ctx.rng));
      }
      break;
    case Forgery::kBadTC:
    case Forgery::kCount: HOTBFT_ASSERT_MSG(false, "not a QC forgery"); break;
  }
  return qc;
}

// A forged QC of `round`: over `base`'s vote data when `base` is a real QC of that round
// (so real signatures can be reused), else, and always for kFarAhead, over a fabricated
// block extending `base`.
QC ForgeQCAt(Forgery kind, Round round, const QC& base, Context& ctx) {
  if (kind != Forgery::kFarAhead && base.vote_data.round == round && round > 0) {
    return ForgeQC(kind, base.vote_data, &base, ctx);
  }
  return ForgeQC(kind, FabricatedVoteData(base, round, ctx), nullptr, ctx);
}

// A TC of `round` that must not verify: random signatures, its own signature alone, or its
// own signature for a quorum of signers. Reports `high_qc_round` (kept below `round` so the
// shape checks pass) for every signer.
TC ForgeTC(Round round, Round high_qc_round, Context& ctx) {
  const uint32_t quorum = QuorumOf(ctx.validators);
  TC tc;
  tc.epoch = ctx.epoch;
  tc.round = round;
  const Round reported = round == 0 ? 0 : std::min(high_qc_round, round - 1);
  const Hash32 digest = TimeoutData{ctx.epoch, round, reported}.SigningDigest(ctx.chain_id);
  const uint64_t variant = RandomBelow(*ctx.rng, 3);
  tc.signers = SignersWithSelf(variant == 1 ? 1 : quorum, ctx);
  const std::vector<ValidatorIndex> indexes = tc.signers.Indexes();
  const Signature own = ctx.signer->Sign(digest);
  for (size_t k = 0; k < indexes.size(); ++k) {
    tc.high_qc_rounds.push_back(reported);
    tc.signatures.push_back(variant == 0 ? RandomSignature(*ctx.rng) : own);
  }
  HOTBFT_ASSERT(!tc.signatures.empty());
  HOTBFT_ASSERT(tc.high_qc_rounds.size() == tc.signatures.size());
  return tc;
}

// Round-robin election, as the simulator and the node use: a proposal for a round this
// validator does not lead would be dropped as wrong_leader before its QC is looked at.
bool LeadsRound(const Context& ctx, Round round) {
  return round % ctx.validators == ctx.self;
}

class ForgeCert final : public Strategy {
 public:
  StrategyKind kind() const override { return StrategyKind::kForgeCert; }

  std::vector<Envelope> OnSend(Envelope honest, Context& ctx) override {
    Observe(honest.message);
    if (auto* p = std::get_if<Proposal>(&honest.message)) {
      if (p->block && p->block->payload) *p = ForgeInProposal(*p, ctx);
    } else if (auto* t = std::get_if<Timeout>(&honest.message)) {
      if (t->data.round > 0) *t = ForgeInTimeout(*t, ctx);
    }
    return {std::move(honest)};
  }

  ReceiveResult OnReceive(uint32_t from, const Message& message, Context& ctx) override {
    (void)from;
    (void)ctx;
    Observe(message);
    return ReceiveResult{};
  }

  // A fabricated timeout, and a fabricated proposal when it leads the round, for the
  // current round or the next.
  std::vector<Envelope> OnTick(Context& ctx) override {
    const QC base = HighestKnownQC(ctx);
    Round round = AddChecked(CurrentRound(ctx, round_seen_), RandomBelow(*ctx.rng, 2));
    round = std::max(round, AddChecked(base.vote_data.round, 1));
    std::vector<Envelope> out;
    out.push_back(Envelope{OtherValidators(ctx), FabricatedTimeout(round, base, ctx)});
    if (LeadsRound(ctx, round)) {
      out.push_back(Envelope{OtherValidators(ctx), FabricatedProposal(round, base, ctx)});
    }
    return out;
  }

 private:
  void Observe(const Message& message) {
    if (auto round = MessageRound(message)) round_seen_ = std::max(round_seen_, *round);
  }

  // The same block on a forged justify (re-signed, so only the certificate is bad), or the
  // same block with a forged TC.
  Proposal ForgeInProposal(const Proposal& p, Context& ctx) {
    const BlockHeader& h = p.block->header;
    const Forgery kind = DrawForgery(*ctx.rng);
    if (kind == Forgery::kBadTC) {
      Proposal out = p;  // the TC is outside the signed header: the signature stays valid
      const Round tc_round = h.round == 0 ? 0 : h.round - 1;
      out.tc = ForgeTC(tc_round, h.justify.vote_data.round, ctx);
      return out;
    }
    const Round qc_round = kind == Forgery::kFarAhead ? AddChecked(h.round, kForgedFarAheadRounds)
                                                      : h.justify.vote_data.round;
    auto block = std::make_shared<Block>(*p.block);
    block->header.justify = ForgeQCAt(kind, qc_round, h.justify, ctx);
    block->header.parent_id = block->header.justify.vote_data.block_id;
    return SignProposal(Reseal(std::move(block), ctx), p.tc, ctx);
  }

  // A forged high QC (re-signing TimeoutData when its round changes) or entry certificate.
  Timeout ForgeInTimeout(const Timeout& t, Context& ctx) {
    const Round entry_round = t.data.round - 1;
    const Forgery kind = DrawForgery(*ctx.rng);
    Timeout out = t;
    if (kind == Forgery::kBadTC) {
      out.entry = ForgeTC(entry_round, t.high_qc.vote_data.round, ctx);
      return out;
    }
    const QC* entry_qc = std::get_if<QC>(&t.entry);
    if (entry_qc != nullptr && kind != Forgery::kFarAhead && RandomBelow(*ctx.rng, 2) == 0) {
      out.entry = ForgeQCAt(kind, entry_round, *entry_qc, ctx);
      return out;
    }
    // A far-ahead QC can only be as far ahead as the timeout's round allows.
    const Round qc_round = kind == Forgery::kFarAhead ? entry_round : t.high_qc.vote_data.round;
    QC forged = ForgeQCAt(kind, qc_round, t.high_qc, ctx);
    Timeout resigned = SignTimeout(t.data.round, std::move(forged), t.entry, ctx);
    resigned.vote = t.vote;
    return resigned;
  }

  Timeout FabricatedTimeout(Round round, const QC& base, Context& ctx) {
    HOTBFT_ASSERT(base.vote_data.round < round);
    const Forgery kind = DrawForgery(*ctx.rng);
    if (kind == Forgery::kBadTC) {
      return SignTimeout(round, base, ForgeTC(round - 1, base.vote_data.round, ctx), ctx);
    }
    if (kind == Forgery::kFarAhead) {
      // At the edge of the receivers' window: a QC that, if believed, jumps them there.
      const Round far = AddChecked(round, CoreConfig{}.rounds_ahead_max - 1);
      return SignTimeout(far, base, ForgeQCAt(kind, far - 1, base, ctx), ctx);
    }
    return SignTimeout(round, base, ForgeQCAt(kind, round - 1, base, ctx), ctx);
  }

  Proposal FabricatedProposal(Round round, const QC& base, Context& ctx) {
    const Forgery kind = DrawForgery(*ctx.rng);
    auto block = std::make_shared<Block>();
    block->payload = std::make_shared<const Payload>();
    BlockHeader& h = block->header;
    h.epoch = ctx.epoch;
    h.round = round;
    h.proposer = ctx.self;
    h.timestamp_ms = ctx.now_ms;
    std::optional<TC> tc;
    if (kind == Forgery::kBadTC) {
      h.justify = base;
      tc = ForgeTC(round - 1, base.vote_data.round, ctx);
    } else {
      const Round qc_round = kind == Forgery::kFarAhead ? AddChecked(round, kForgedFarAheadRounds)
                                                        : base.vote_data.round;
      h.justify = ForgeQCAt(kind, qc_round, base, ctx);
    }
    h.height = AddChecked(h.justify.vote_data.height, 1);
    h.parent_id = h.justify.vote_data.block_id;
    return SignProposal(Reseal(std::move(block), ctx), std::move(tc), ctx);
  }

  Round round_seen_ = 0;  // the highest round in any message seen (used without a core)
};

}  // namespace

std::unique_ptr<Strategy> MakeForgeCert() {
  return std::make_unique<ForgeCert>();
}

}  // namespace hotbft::byzantine
