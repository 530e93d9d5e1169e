// noop: a sample application that accepts everything and keeps nothing; for benchmarks,
// where the app must cost as little as possible.
//
// Every transaction passes CheckTx and executes with code 0 and an empty result. The app
// hash is always 32 zero bytes. Only the last committed height is kept, in memory: after
// a restart Info reports height 0 and the node replays the chain, which costs nothing.
//
// Thread-safe.
#pragma once

#include <mutex>

#include "app/application.h"

namespace hotbft::app {

class Noop final : public Application {
 public:
  Result<InfoResult> Info() override;
  Result<Bytes> InitChain(const InitChainRequest& request) override;
  Result<CheckTxResult> CheckTx(ByteView tx, CheckTxKind kind) override;
  // The longest prefix of `txs` within bytes_max.
  Result<std::vector<Bytes>> PrepareProposal(Height height, std::vector<Bytes> txs,
                                             uint64_t bytes_max) override;
  Result<bool> ProcessProposal(Height height, const Hash32& block_id,
                               const std::vector<Bytes>& txs) override;
  Result<FinalizeBlockResult> FinalizeBlock(const FinalizeBlockRequest& request) override;
  Result<CommitResult> Commit() override;
  // Any path: code 0, an empty value, at the last committed height.
  Result<QueryResult> Query(const QueryRequest& request) override;

 private:
  Height NextHeight() const;  // REQUIRES: mutex_ held

  mutable std::mutex mutex_;
  // Guarded by mutex_.
  Height last_height_ = 0;
  Height initial_height_ = 1;
  Height pending_height_ = 0;  // finalized, awaiting Commit; 0 if none
};

}  // namespace hotbft::app
