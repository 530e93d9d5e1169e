// Test fixtures for the consensus core: a validator set with signers, and builders for
// blocks, votes and certificates that are valid unless a test breaks them on purpose.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "consensus/types.h"
#include "crypto/quorum_cert.h"
#include "crypto/random.h"
#include "crypto/signer.h"

namespace hotbft::testing {

inline constexpr char kChainId[] = "test-chain";

class Fixture {
 public:
  // `n` validators whose keys derive from `seed`, signing with `scheme`.
  explicit Fixture(uint32_t n, uint64_t seed = 1,
                   SignatureScheme scheme = SignatureScheme::kTestOnlyKeyedHash)
      : scheme_(scheme) {
    SeededRandom rng(seed);
    std::vector<PublicKey> keys;
    for (uint32_t i = 0; i < n; ++i) {
      SecretKey sk = GenerateSecretKey(scheme, rng);
      secrets_.push_back(sk.bytes());
      auto signer = MakeSigner(scheme, std::move(sk),
                               std::make_unique<SeededRandom>(SeededRandom::Derive(seed, i)));
      keys.push_back((*signer)->public_key());
      signers_.push_back(std::move(signer).value());
    }
    validators_ = std::make_unique<ValidatorSet>(ValidatorSet::Create(keys).value());
    genesis_ = MakeGenesisBlock(kChainId, 0, n);
    genesis_qc_ = MakeGenesisQC(*genesis_);
  }

  const ValidatorSet& validators() const { return *validators_; }
  const Verifier& verifier() const { return VerifierFor(scheme_); }
  SignatureScheme scheme() const { return scheme_; }
  Signer& signer(uint32_t i) { return *signers_.at(i); }
  // A fresh signer for validator i (same key), e.g. to hand to SafetyRules.
  std::unique_ptr<Signer> MakeValidatorSigner(uint32_t i, uint64_t rng_seed) const {
    auto signer =
        MakeSigner(scheme_, SecretKey(secrets_.at(i)), std::make_unique<SeededRandom>(rng_seed));
    return std::move(signer).value();
  }
  const std::shared_ptr<const Block>& genesis() const { return genesis_; }
  const QC& genesis_qc() const { return genesis_qc_; }

  // A block of `round` by `proposer` extending the block `justify` certifies.
  std::shared_ptr<const Block> MakeBlock(const QC& justify, Round round, uint32_t proposer,
                                         std::vector<Bytes> txs = {},
                                         uint64_t timestamp_ms = 0) const {
    auto block = std::make_shared<Block>();
    auto payload = std::make_shared<Payload>();
    payload->txs = std::move(txs);
    BlockHeader& h = block->header;
    h.epoch = justify.vote_data.epoch;
    h.height = justify.vote_data.height + 1;
    h.round = round;
    h.parent_id = justify.vote_data.block_id;
    h.payload_hash = PayloadHash(kChainId, payload->txs, payload->evidence);
    h.proposer = proposer;
    h.justify = justify;
    h.timestamp_ms = timestamp_ms == 0 ? round * 1000 : timestamp_ms;
    block->id = h.Id(kChainId);
    block->payload = std::move(payload);
    return block;
  }

  static VoteData VoteDataFor(const Block& b) {
    return VoteData{b.header.epoch,     b.id,
                    b.header.height,    b.header.round,
                    b.header.parent_id, b.header.justify.vote_data.round};
  }

  Vote MakeVote(const Block& b, uint32_t voter) {
    Vote v;
    v.data = VoteDataFor(b);
    v.voter = voter;
    v.signature = signer(voter).Sign(v.data.SigningDigest(kChainId));
    return v;
  }

  // A QC for `b` signed by validators [first, first + count).
  QC MakeQC(const Block& b, uint32_t count = 0, uint32_t first = 0) {
    if (count == 0) count = validators().quorum();
    QC qc;
    qc.vote_data = VoteDataFor(b);
    qc.signers = SignerBitmap(validators().size());
    const Hash32 digest = qc.vote_data.SigningDigest(kChainId);
    for (uint32_t i = first; i < first + count; ++i) {
      qc.signers.Set(i);
      qc.signatures.push_back(signer(i).Sign(digest));
    }
    return qc;
  }

  // A TC for `round` signed by validators [0, count), each reporting `high_qc_round`.
  TC MakeTC(Round round, Round high_qc_round, uint32_t count = 0) {
    if (count == 0) count = validators().quorum();
    TC tc;
    tc.round = round;
    tc.signers = SignerBitmap(validators().size());
    const TimeoutData data{0, round, high_qc_round};
    for (uint32_t i = 0; i < count; ++i) {
      tc.signers.Set(i);
      tc.high_qc_rounds.push_back(high_qc_round);
      tc.signatures.push_back(signer(i).Sign(data.SigningDigest(kChainId)));
    }
    return tc;
  }

 private:
  SignatureScheme scheme_;
  std::vector<std::array<uint8_t, 32>> secrets_;
  std::vector<std::unique_ptr<Signer>> signers_;
  std::unique_ptr<ValidatorSet> validators_;
  std::shared_ptr<const Block> genesis_;
  QC genesis_qc_;
};

// A linear chain on the genesis block: block h has round h, proposer h % n and the
// transactions txs(h), and qcs[h] certifies it (blocks[0] and qcs[0]: the genesis).
struct LinearChain {
  std::vector<std::shared_ptr<const Block>> blocks;
  std::vector<QC> qcs;
};

inline LinearChain MakeLinearChain(Fixture& fx, Height length,
                                   const std::function<std::vector<Bytes>(Height)>& txs) {
  LinearChain chain;
  chain.blocks.push_back(fx.genesis());
  chain.qcs.push_back(fx.genesis_qc());
  for (Height h = 1; h <= length; ++h) {
    auto block = fx.MakeBlock(chain.qcs.back(), h,
                              static_cast<uint32_t>(h % fx.validators().size()), txs(h));
    chain.qcs.push_back(fx.MakeQC(*block));
    chain.blocks.push_back(std::move(block));
  }
  return chain;
}

}  // namespace hotbft::testing
