// Building blocks for Byzantine strategies: signing with the raw key, resealing edited
// blocks, random ids and signatures, and what a strategy can learn about the protocol's
// state from its Context. Private to tests/byzantine.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <variant>
#include <vector>

#include "tests/byzantine/strategy.h"

namespace hotbft::byzantine {

// Quorum size and fault bound of a set of `n` validators, as ValidatorSet computes them
// (the Context carries the count, not the set).
uint32_t QuorumOf(uint32_t n);
uint32_t MaxFaultyOf(uint32_t n);

// Every validator but ctx.self, ascending.
std::vector<uint32_t> OtherValidators(const Context& ctx);

// A uniform draw in [0, bound). REQUIRES: bound > 0.
uint64_t RandomBelow(RandomSource& rng, uint64_t bound);
Hash32 RandomHash(RandomSource& rng);
Signature RandomSignature(RandomSource& rng);
// Flips at least one bit of `signature` (a random byte, a random non-zero mask), so the
// result differs from the input and no longer verifies.
void FlipBits(Signature& signature, RandomSource& rng);
// Shuffles `items` in place (Fisher-Yates) with `rng`.
void Shuffle(std::vector<uint32_t>& items, RandomSource& rng);

// `a + b` for rounds and heights. Asserts that it does not overflow.
uint64_t AddChecked(uint64_t a, uint64_t b);

// `block` after its header or payload was edited: recomputes payload_hash and id.
// REQUIRES: block->payload is non-null.
std::shared_ptr<const Block> Reseal(std::shared_ptr<Block> block, const Context& ctx);

// Messages signed with ctx.signer, whatever SafetyRules would say.
Proposal SignProposal(std::shared_ptr<const Block> block, std::optional<TC> tc, Context& ctx);
Vote SignVote(const VoteData& data, Context& ctx);
// A timeout of `round` whose TimeoutData names high_qc's round, carrying no vote.
Timeout SignTimeout(Round round, QC high_qc, std::variant<QC, TC> entry, Context& ctx);

// The round a consensus message is about; nullopt for block requests and responses.
std::optional<Round> MessageRound(const Message& message);

// The round this validator's core is in, or `fallback` without a core.
Round CurrentRound(const Context& ctx, Round fallback);
// The highest QC this validator's core knows, or the genesis QC without a core.
QC HighestKnownQC(const Context& ctx);

}  // namespace hotbft::byzantine
