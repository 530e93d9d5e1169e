// Helpers for driving one Core by hand in tests.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "consensus/core.h"
#include "consensus/evidence.h"
#include "tests/consensus/fixtures.h"

namespace hotbft::testing {

inline CoreConfig TestConfig() {
  CoreConfig c;
  c.chain_id = kChainId;
  c.round_timeout_base_ms = 1000;
  c.round_timeout_factor = 2.0;
  c.round_timeout_exponent_max = 3;
  // Most tests drive rounds with empty blocks; the IdleChain tests (core_test.cc) cover the
  // default, which makes none when idle.
  c.idle_empty_blocks = true;
  c.empty_block_interval_ms = 100;
  return c;
}

template <typename T>
std::vector<T> Collect(const std::vector<Action>& actions) {
  std::vector<T> out;
  for (const Action& a : actions) {
    if (auto* t = std::get_if<T>(&a)) out.push_back(*t);
  }
  return out;
}

inline uint64_t Dropped(const Core& core, DropReason reason) {
  return core.counters().dropped[static_cast<size_t>(reason)];
}

// Four validators' keys; builds cores for any of them.
class CoreTestBase : public ::testing::Test {
 protected:
  CoreTestBase() : fx_(4), election_(4) {}

  std::unique_ptr<Core> Make(uint32_t self, RecoveryState rec = {},
                             std::optional<SafetyData> safety = std::nullopt, bool init = true) {
    return MakeWith(TestConfig(), self, std::move(rec), std::move(safety), init);
  }
  // Validator `voter` votes for two different blocks of `round`.
  DoubleVote MakeDoubleVote(Round round, uint32_t voter) {
    auto a = fx_.MakeBlock(fx_.genesis_qc(), round, round % 4, {{1}});
    auto b = fx_.MakeBlock(fx_.genesis_qc(), round, round % 4, {{2}});
    return DoubleVote{fx_.MakeVote(*a, voter), fx_.MakeVote(*b, voter)};
  }
  // `block` with `evidence` as its payload's evidence (hash and id computed again).
  static std::shared_ptr<const Block> WithEvidence(const std::shared_ptr<const Block>& block,
                                                   std::vector<Bytes> evidence) {
    auto copy = std::make_shared<Block>(*block);
    auto payload = std::make_shared<Payload>(*block->payload);
    payload->evidence = std::move(evidence);
    copy->header.payload_hash = PayloadHash(kChainId, payload->txs, payload->evidence);
    copy->payload = std::move(payload);
    return Rehash(std::move(copy));
  }

  // As Make, with `config` instead of TestConfig().
  std::unique_ptr<Core> MakeWith(const CoreConfig& config, uint32_t self, RecoveryState rec = {},
                                 std::optional<SafetyData> safety = std::nullopt,
                                 bool init = true) {
    auto rules = std::make_unique<SafetyRules>(fx_.MakeValidatorSigner(self, 7), self, kChainId,
                                               std::move(safety));
    if (init && !rules->initialized()) rules->InitializeFresh(0);
    if (!rec.root) {
      rec.root = fx_.genesis();
      rec.root_qc = fx_.genesis_qc();
    }
    return std::make_unique<Core>(config, self, fx_.validators(), fx_.verifier(), election_,
                                  std::move(rules), std::move(rec));
  }

  Proposal Propose(std::shared_ptr<const Block> block, std::optional<TC> tc = std::nullopt) {
    Proposal p;
    p.block = std::move(block);
    p.tc = std::move(tc);
    p.signature = fx_.signer(p.block->header.proposer).Sign(ProposalDigest(kChainId, p.block->id));
    return p;
  }

  Timeout MakeTimeout(uint32_t sender, Round round, const QC& high_qc, std::variant<QC, TC> entry) {
    Timeout t;
    t.data = TimeoutData{0, round, high_qc.vote_data.round};
    t.sender = sender;
    t.signature = fx_.signer(sender).Sign(t.data.SigningDigest(kChainId));
    t.high_qc = high_qc;
    t.entry = std::move(entry);
    return t;
  }

  // `block` after its header was edited: recompute its id.
  static std::shared_ptr<const Block> Rehash(std::shared_ptr<Block> block) {
    block->id = block->header.Id(kChainId);
    return block;
  }

  Fixture fx_;
  RoundRobinElection election_;
};

}  // namespace hotbft::testing
