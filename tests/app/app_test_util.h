// Helpers for the app layer's tests: temporary directories, transactions, blocks, and
// evidence to carry in them.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "app/application.h"
#include "tests/temp_dir.h"

namespace hotbft::app::testing {

using ::hotbft::testing::TempDir;

inline Bytes Tx(std::string_view text) {
  return Bytes(text.begin(), text.end());
}

inline std::string Text(const Bytes& bytes) {
  return std::string(bytes.begin(), bytes.end());
}

inline Bytes NonceTx(uint64_t nonce) {
  Bytes out(8);
  for (int i = 7; i >= 0; --i, nonce >>= 8) out[static_cast<size_t>(i)] = nonce & 0xFF;
  return out;
}

inline Hash32 BlockId(Height height) {
  Hash32 id;
  id.bytes[0] = 0xB1;
  for (size_t i = 0; i < 8; ++i) id.bytes[31 - i] = static_cast<uint8_t>(height >> (8 * i));
  return id;
}

inline FinalizeBlockRequest Block(Height height, std::vector<Bytes> txs) {
  FinalizeBlockRequest request;
  request.height = height;
  request.block_id = BlockId(height);
  request.timestamp_ms = 1'700'000'000'000 + height;
  request.proposer = static_cast<uint32_t>(height % 4);
  request.txs = std::move(txs);
  return request;
}

struct BlockOutcome {
  FinalizeBlockResult result;
  Bytes app_hash;
};

// FinalizeBlock then Commit; fails the test on an error.
inline BlockOutcome RunBlock(Application& app, Height height, std::vector<Bytes> txs) {
  BlockOutcome outcome;
  auto result = app.FinalizeBlock(Block(height, std::move(txs)));
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  if (!result.ok()) return outcome;
  outcome.result = std::move(result).value();
  auto commit = app.Commit();
  EXPECT_TRUE(commit.ok()) << commit.status().ToString();
  if (commit.ok()) outcome.app_hash = commit->app_hash;
  return outcome;
}

// A signature, hash or id whose bytes all equal `fill`, to tell fields apart.
template <typename T>
T Filled(uint8_t fill) {
  T out;
  out.bytes.fill(fill);
  return out;
}

inline Vote MakeVote(uint32_t voter, uint8_t block_fill) {
  Vote vote;
  vote.data = VoteData{3, Filled<Hash32>(block_fill), 10, 12, Filled<Hash32>(0x22), 11};
  vote.voter = voter;
  vote.signature = Filled<Signature>(static_cast<uint8_t>(block_fill + 1));
  return vote;
}

// A header with a justify QC over a bitmap for `validators` (signers 0 and 2).
inline BlockHeader MakeHeader(uint8_t payload_fill, uint32_t validators) {
  BlockHeader header;
  header.epoch = 3;
  header.height = 10;
  header.round = 12;
  header.parent_id = Filled<Hash32>(0x22);
  header.payload_hash = Filled<Hash32>(payload_fill);
  header.proposer = 1;
  header.justify.vote_data = VoteData{3, Filled<Hash32>(0x22), 9, 11, Filled<Hash32>(0x33), 10};
  header.justify.signers = SignerBitmap(validators);
  header.justify.signers.Set(0);
  header.justify.signers.Set(2);
  header.justify.signatures = {Filled<Signature>(0x44), Filled<Signature>(0x55)};
  header.exec_height = 8;
  header.app_hash = Bytes(32, 0x66);
  header.timestamp_ms = 1'700'000'000'123;
  return header;
}

inline Evidence MakeDoubleVote() {
  return DoubleVote{MakeVote(2, 0xA1), MakeVote(2, 0xA2)};
}

inline Evidence MakeDoubleProposal(uint32_t validators) {
  return DoubleProposal{MakeHeader(0x77, validators), Filled<Signature>(0x88),
                        MakeHeader(0x78, validators), Filled<Signature>(0x89)};
}

}  // namespace hotbft::app::testing
