#include "tests/byzantine/craft.h"

#include <limits>
#include <utility>

namespace hotbft::byzantine {

uint32_t QuorumOf(uint32_t n) {
  HOTBFT_ASSERT(n > 0);
  const uint32_t quorum = 2 * n / 3 + 1;
  HOTBFT_ASSERT(quorum <= n);
  return quorum;
}

uint32_t MaxFaultyOf(uint32_t n) {
  HOTBFT_ASSERT(n > 0);
  return (n - 1) / 3;
}

std::vector<uint32_t> OtherValidators(const Context& ctx) {
  HOTBFT_ASSERT(ctx.self < ctx.validators);
  std::vector<uint32_t> out;
  out.reserve(ctx.validators - 1);
  for (uint32_t v = 0; v < ctx.validators; ++v) {
    if (v != ctx.self) out.push_back(v);
  }
  return out;
}

uint64_t RandomBelow(RandomSource& rng, uint64_t bound) {
  HOTBFT_ASSERT(bound > 0);
  // Rejection sampling: draws at or above the last whole multiple of `bound` would favour
  // small results.
  const uint64_t max = std::numeric_limits<uint64_t>::max();
  const uint64_t limit = max - max % bound;
  uint64_t draw = rng.NextU64();
  while (draw >= limit) draw = rng.NextU64();
  return draw % bound;
}

Hash32 RandomHash(RandomSource& rng) {
  Hash32 h;
  rng.Fill(h.bytes);
  return h;
}

Signature RandomSignature(RandomSource& rng) {
  Signature s;
  rng.Fill(s.bytes);
  return s;
}

void FlipBits(Signature& signature, RandomSource& rng) {
  const uint64_t index = RandomBelow(rng, Signature::kSize);
  const auto mask = static_cast<uint8_t>(1 + RandomBelow(rng, 255));
  HOTBFT_ASSERT(mask != 0);
  signature.bytes[index] ^= mask;
}

void Shuffle(std::vector<uint32_t>& items, RandomSource& rng) {
  for (size_t i = items.size(); i > 1; --i) {
    std::swap(items[i - 1], items[RandomBelow(rng, i)]);
  }
}

uint64_t AddChecked(uint64_t a, uint64_t b) {
  HOTBFT_ASSERT(a <= std::numeric_limits<uint64_t>::max() - b);
  return a + b;
}

std::shared_ptr<const Block> Reseal(std::shared_ptr<Block> block, const Context& ctx) {
  HOTBFT_ASSERT(block != nullptr);
  HOTBFT_ASSERT(block->payload != nullptr);
  block->header.payload_hash =
      PayloadHash(ctx.chain_id, block->payload->txs, block->payload->evidence);
  block->id = block->header.Id(ctx.chain_id);
  return block;
}

Proposal SignProposal(std::shared_ptr<const Block> block, std::optional<TC> tc, Context& ctx) {
  HOTBFT_ASSERT(block != nullptr);
  HOTBFT_ASSERT(ctx.signer != nullptr);
  Proposal p;
  p.signature = ctx.signer->Sign(ProposalDigest(ctx.chain_id, block->id));
  p.block = std::move(block);
  p.tc = std::move(tc);
  return p;
}

Vote SignVote(const VoteData& data, Context& ctx) {
  HOTBFT_ASSERT(ctx.signer != nullptr);
  Vote v;
  v.data = data;
  v.voter = ctx.self;
  v.signature = ctx.signer->Sign(data.SigningDigest(ctx.chain_id));
  return v;
}

Timeout SignTimeout(Round round, QC high_qc, std::variant<QC, TC> entry, Context& ctx) {
  HOTBFT_ASSERT(ctx.signer != nullptr);
  Timeout t;
  t.data = TimeoutData{ctx.epoch, round, high_qc.vote_data.round};
  t.sender = ctx.self;
  t.signature = ctx.signer->Sign(t.data.SigningDigest(ctx.chain_id));
  t.high_qc = std::move(high_qc);
  t.entry = std::move(entry);
  return t;
}

std::optional<Round> MessageRound(const Message& message) {
  if (const auto* p = std::get_if<Proposal>(&message)) {
    if (!p->block) return std::nullopt;
    return p->block->header.round;
  }
  if (const auto* v = std::get_if<Vote>(&message)) return v->data.round;
  if (const auto* t = std::get_if<Timeout>(&message)) return t->data.round;
  return std::nullopt;
}

Round CurrentRound(const Context& ctx, Round fallback) {
  return ctx.core != nullptr ? ctx.core->current_round() : fallback;
}

QC HighestKnownQC(const Context& ctx) {
  if (ctx.core != nullptr) return ctx.core->tree().high_qc();
  return MakeGenesisQC(*MakeGenesisBlock(ctx.chain_id, ctx.epoch, ctx.validators));
}

}  // namespace hotbft::byzantine
