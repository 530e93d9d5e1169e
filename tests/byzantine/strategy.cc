#include "tests/byzantine/strategy.h"

#include <array>

#include "tests/byzantine/strategies.h"

namespace hotbft::byzantine {
namespace {

constexpr size_t kStrategyCount = static_cast<size_t>(StrategyKind::kCount);

// Indexed by StrategyKind.
constexpr std::array<std::string_view, kStrategyCount> kNames = {
    "silent",   "equivocate", "double-vote",  "withhold-votes",   "invalid-signatures",
    "forge-qc", "replay-old", "timeout-spam", "fork-from-old-qc", "replay-txs",
};

}  // namespace

std::string_view StrategyName(StrategyKind kind) {
  const auto index = static_cast<size_t>(kind);
  HOTBFT_ASSERT(index < kStrategyCount);
  return kNames[index];
}

std::optional<StrategyKind> ParseStrategy(std::string_view name) {
  for (size_t i = 0; i < kStrategyCount; ++i) {
    if (kNames[i] == name) return static_cast<StrategyKind>(i);
  }
  return std::nullopt;
}

std::vector<StrategyKind> AllStrategies() {
  std::vector<StrategyKind> out;
  out.reserve(kStrategyCount);
  for (size_t i = 0; i < kStrategyCount; ++i) out.push_back(static_cast<StrategyKind>(i));
  return out;
}

ReceiveResult Strategy::OnReceive(uint32_t from, const Message& message, Context& ctx) {
  (void)from;
  (void)message;
  (void)ctx;
  return ReceiveResult{};
}

std::vector<Envelope> Strategy::OnTick(Context& ctx) {
  (void)ctx;
  return {};
}

std::unique_ptr<Strategy> MakeStrategy(StrategyKind kind) {
  std::unique_ptr<Strategy> strategy;
  switch (kind) {
    case StrategyKind::kSilent: strategy = MakeSilent(); break;
    case StrategyKind::kEquivocate: strategy = MakeEquivocate(); break;
    case StrategyKind::kDoubleVote: strategy = MakeDoubleVote(); break;
    case StrategyKind::kWithholdVotes: strategy = MakeWithholdVotes(); break;
    case StrategyKind::kInvalidSignatures: strategy = MakeInvalidSignatures(); break;
    case StrategyKind::kForgeCert: strategy = MakeForgeCert(); break;
    case StrategyKind::kReplayOld: strategy = MakeReplayOld(); break;
    case StrategyKind::kTimeoutSpam: strategy = MakeTimeoutSpam(); break;
    case StrategyKind::kForkFromOldQC: strategy = MakeForkFromOldQC(); break;
    case StrategyKind::kReplayTxs: strategy = MakeReplayTxs(); break;
    case StrategyKind::kCount: break;
  }
  HOTBFT_ASSERT(strategy != nullptr);
  HOTBFT_ASSERT(strategy->kind() == kind);
  return strategy;
}

}  // namespace hotbft::byzantine
