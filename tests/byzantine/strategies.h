// The strategies behind MakeStrategy, and the bounds they keep. Private to tests/byzantine
// (and its tests, which check the bounds).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "tests/byzantine/strategy.h"

namespace hotbft::byzantine {

// equivocate: conflicting blocks remembered, to serve requests for them.
inline constexpr size_t kConflictingBlocksMax = 8;

// replay-old: messages remembered, messages re-sent per tick, and how many rounds behind
// the current one a message must be to be preferred for a replay.
inline constexpr size_t kReplayBufferMax = 256;
inline constexpr size_t kReplaysPerTick = 2;
inline constexpr Round kReplayAgeRounds = 3;

// timeout-spam: how far past rounds_ahead_max the "just beyond" timeouts go, the largest
// "huge" round, and how far ahead the near timeouts go.
inline constexpr Round kSpamJustBeyondSpread = 8;
inline constexpr Round kSpamHugeRoundMax = Round{1} << 40;
inline constexpr Round kSpamNearRoundsMax = 4;
static_assert(kSpamNearRoundsMax < CoreConfig{}.rounds_ahead_max,
              "near spam timeouts must stay inside the receivers' window");
static_assert(CoreConfig{}.rounds_ahead_max + kSpamJustBeyondSpread < kSpamHugeRoundMax);

// replay-txs: transactions remembered from blocks seen, and how many old ones and how many
// repeats of its own batch each proposal gets.
inline constexpr size_t kReplayTxsRemembered = 1024;
inline constexpr size_t kReplayTxsPerProposal = 8;

// forge-qc: how far ahead of the proposal's round a fabricated "far ahead" QC claims to be.
inline constexpr Round kForgedFarAheadRounds = Round{1} << 20;

std::unique_ptr<Strategy> MakeSilent();
std::unique_ptr<Strategy> MakeEquivocate();
std::unique_ptr<Strategy> MakeDoubleVote();
std::unique_ptr<Strategy> MakeWithholdVotes();
std::unique_ptr<Strategy> MakeInvalidSignatures();
std::unique_ptr<Strategy> MakeForgeCert();
std::unique_ptr<Strategy> MakeReplayOld();
std::unique_ptr<Strategy> MakeTimeoutSpam();
std::unique_ptr<Strategy> MakeForkFromOldQC();
std::unique_ptr<Strategy> MakeReplayTxs();

}  // namespace hotbft::byzantine
