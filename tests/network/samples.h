// Real, validly signed messages of every kind, for codec tests, transport tests and the
// fuzz seed corpus.
#pragma once

#include <memory>
#include <vector>

#include "network/codec.h"
#include "tests/consensus/fixtures.h"

namespace hotbft::network::testing {

using hotbft::testing::Fixture;
using hotbft::testing::kChainId;

inline WireContext ContextOf(const Fixture& fx) {
  return WireContext{kChainId, fx.validators().size()};
}

// Proposals of rounds 1 (with transactions) and 3 (after a timed-out round 2, with a TC).
inline std::vector<Proposal> SampleProposals(Fixture& fx) {
  std::vector<Proposal> out;
  auto b1 = fx.MakeBlock(fx.genesis_qc(), 1, 1, {{1, 2, 3}, {4}});
  Proposal p1;
  p1.block = b1;
  p1.signature = fx.signer(1).Sign(ProposalDigest(kChainId, b1->id));
  out.push_back(p1);
  const QC qc1 = fx.MakeQC(*b1);
  auto b3 = fx.MakeBlock(qc1, 3, 3);
  Proposal p3;
  p3.block = b3;
  p3.tc = fx.MakeTC(2, 1);
  p3.signature = fx.signer(3).Sign(ProposalDigest(kChainId, b3->id));
  out.push_back(p3);
  return out;
}

inline Vote SampleVote(Fixture& fx, uint32_t voter = 2) {
  auto b1 = fx.MakeBlock(fx.genesis_qc(), 1, 1);
  return fx.MakeVote(*b1, voter);
}

// A timeout entering its round through a QC, with a vote, and one entering through a TC.
inline std::vector<Timeout> SampleTimeouts(Fixture& fx) {
  auto b1 = fx.MakeBlock(fx.genesis_qc(), 1, 1);
  const QC qc1 = fx.MakeQC(*b1);
  std::vector<Timeout> out;
  Timeout t;
  t.data = TimeoutData{0, 2, 1};
  t.sender = 2;
  t.signature = fx.signer(2).Sign(t.data.SigningDigest(kChainId));
  t.high_qc = qc1;
  t.entry = qc1;
  auto b2 = fx.MakeBlock(qc1, 2, 2);
  t.vote = fx.MakeVote(*b2, 2);
  out.push_back(t);
  Timeout u;
  u.data = TimeoutData{0, 3, 1};
  u.sender = 0;
  u.signature = fx.signer(0).Sign(u.data.SigningDigest(kChainId));
  u.high_qc = qc1;
  u.entry = fx.MakeTC(2, 1);
  out.push_back(u);
  return out;
}

inline BlockRequest SampleBlockRequest(Fixture& fx) {
  return BlockRequest{fx.MakeBlock(fx.genesis_qc(), 1, 1)->id, 8};
}

// Two blocks, newest first.
inline BlockResponse SampleBlockResponse(Fixture& fx) {
  auto b1 = fx.MakeBlock(fx.genesis_qc(), 1, 1, {{9, 9}});
  auto b2 = fx.MakeBlock(fx.MakeQC(*b1), 2, 2, {{7}});
  return BlockResponse{{b2, b1}};
}

inline TxBatch SampleTxBatch(size_t txs = 3, size_t tx_bytes = 5) {
  TxBatch batch;
  for (size_t i = 0; i < txs; ++i) {
    batch.txs.push_back(std::make_shared<const Bytes>(tx_bytes, static_cast<uint8_t>(i + 1)));
  }
  return batch;
}

// One message of every kind the node sends.
inline std::vector<NetworkMessage> SampleMessages(Fixture& fx) {
  std::vector<NetworkMessage> out;
  for (Proposal& p : SampleProposals(fx)) out.emplace_back(Message(std::move(p)));
  out.emplace_back(Message(SampleVote(fx)));
  for (Timeout& t : SampleTimeouts(fx)) out.emplace_back(Message(std::move(t)));
  out.emplace_back(Message(SampleBlockRequest(fx)));
  out.emplace_back(Message(SampleBlockResponse(fx)));
  out.emplace_back(SampleTxBatch());
  return out;
}

}  // namespace hotbft::network::testing
