// Byzantine strategies: how a misbehaving validator deviates from the protocol.
//
// A Byzantine validator runs an honest Core and puts a Strategy between the core and the
// network: every message the core sends passes through OnSend, every message that arrives
// passes through OnReceive, and OnTick may inject messages of its own. A strategy signs
// with the validator's raw key (Context::signer), bypassing SafetyRules, so it can sign
// what an honest validator never would.
//
// This code exists to test that honest validators survive such behaviour. It is linked by
// the simulator, the tests and the hotbft-byzantine binary, never by the production node.
//
// Pure like the core: no I/O, clock or global randomness; time and randomness come in
// through the Context, so a simulated run replays bit for bit. Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "consensus/core.h"
#include "consensus/messages.h"
#include "crypto/random.h"
#include "crypto/signer.h"

namespace hotbft::byzantine {

enum class StrategyKind : uint8_t {
  kSilent,             // sends nothing at all
  kEquivocate,         // as leader, conflicting proposals to two halves of the validators
  kDoubleVote,         // votes for two blocks of one round
  kWithholdVotes,      // never votes (timeouts carry no vote either)
  kInvalidSignatures,  // corrupts the signature of what it sends
  kForgeCert,          // fabricated QCs and TCs: bad signatures, too few or repeated signers
  kReplayOld,          // re-sends old messages, its own and others'
  kTimeoutSpam,        // signed timeouts for rounds far ahead
  kForkFromOldQC,      // as leader, proposes on an old QC instead of its high QC
  kReplayTxs,          // as leader, puts transactions already in blocks into its proposals
  kCount,
};

// The strategy's name on command lines: silent, equivocate, double-vote, withhold-votes,
// invalid-signatures, forge-qc, replay-old, timeout-spam, fork-from-old-qc, replay-txs.
std::string_view StrategyName(StrategyKind kind);
std::optional<StrategyKind> ParseStrategy(std::string_view name);
// Every strategy, in enum order.
std::vector<StrategyKind> AllStrategies();

// What a strategy may use. The signer is the validator's raw key (no safety rules).
struct Context {
  uint32_t self = 0;        // REQUIRES: self < validators
  uint32_t validators = 0;  // the set size; forge-qc assumes round-robin leaders
  std::string chain_id;
  Epoch epoch = 0;
  Signer* signer = nullptr;     // REQUIRES: non-null
  RandomSource* rng = nullptr;  // REQUIRES: non-null
  const Core* core = nullptr;   // this validator's own honest core, read-only; may be null
  uint64_t now_ms = 0;
};

// A message and who gets it (never the sender itself).
struct Envelope {
  std::vector<uint32_t> to;
  Message message;
};

// What to do with a message that arrived.
struct ReceiveResult {
  bool deliver = true;         // pass it on to the core
  std::vector<Envelope> send;  // messages to send in response
};

class Strategy {
 public:
  virtual ~Strategy() = default;
  virtual StrategyKind kind() const = 0;

  // The honest core sends `honest` (a broadcast arrives with every other validator in
  // `to`). Returns what to send instead: nothing, the same, altered or extra messages.
  virtual std::vector<Envelope> OnSend(Envelope honest, Context& ctx) = 0;

  // `message` arrived from `from`. By default: delivered, nothing sent.
  virtual ReceiveResult OnReceive(uint32_t from, const Message& message, Context& ctx);

  // Called every kTickIntervalMs or so by the driver: messages to inject (by default none).
  virtual std::vector<Envelope> OnTick(Context& ctx);
};

// How often drivers call Strategy::OnTick.
inline constexpr uint64_t kTickIntervalMs = 50;

// A fresh strategy of `kind`. Whatever it remembers between calls is bounded by a named
// constant (tests/byzantine/strategies.h). REQUIRES: kind != StrategyKind::kCount.
std::unique_ptr<Strategy> MakeStrategy(StrategyKind kind);

}  // namespace hotbft::byzantine
