// counter: a sample application that counts transactions which arrive in order.
//
// A transaction is a nonce: exactly 8 bytes, a big-endian u64. The i-th transaction to
// execute (from 0) must carry nonce i; the count is the number executed so far.
//   FinalizeBlock: a transaction whose nonce is not the current count gets
//     kCodeBadNonce and changes nothing; the others raise the count by one each.
//   CheckTx, both kinds: the nonce must equal the count plus the transactions CheckTx
//     accepted since the last Commit (the mempool's view, so a client may send 5, 6, 7
//     back to back); an accepted one raises that view by one. Commit resets the view to
//     the count, and the mempool's recheck of what it still holds, in order, re-admits
//     exactly the transactions that can still execute in sequence. A transaction a
//     mempool lost is accepted again when resubmitted, so no nonce is ever stuck.
// CometBFT's counter example (serial mode) is the model; it is laxer in CheckTx.
//
// App hash = the count as 8 bytes big-endian. State: the count in memory and in a small
// file in the data directory, replaced atomically (write, fsync, rename, fsync the
// directory) on every Commit: two integers need no database.
//
// Thread-safe: the three connections of application.h may call concurrently.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "app/application.h"

namespace hotbft::app {

class Counter final : public Application {
 public:
  static constexpr uint32_t kCodeBadEncoding = 1;  // not 8 bytes
  static constexpr uint32_t kCodeBadNonce = 2;     // not the next nonce
  static constexpr uint32_t kCodeUnknownPath = 10;
  static constexpr uint32_t kCodeHeightUnavailable = 11;  // only the last height is kept

  // Opens (or starts) the counter whose state file lives in `dir` (created if missing).
  static Result<std::unique_ptr<Counter>> Open(const std::string& dir);

  Result<InfoResult> Info() override;
  Result<Bytes> InitChain(const InitChainRequest& request) override;
  Result<CheckTxResult> CheckTx(ByteView tx, CheckTxKind kind) override;
  // Drops badly encoded transactions; keeps the longest prefix of the rest in bytes_max.
  Result<std::vector<Bytes>> PrepareProposal(Height height, std::vector<Bytes> txs,
                                             uint64_t bytes_max) override;
  // Accepts a block iff every transaction is 8 bytes. Nonce order is not judged here: the
  // proposal may run ahead of execution, so the count it will meet is not known yet.
  Result<bool> ProcessProposal(Height height, const Hash32& block_id,
                               const std::vector<Bytes>& txs) override;
  Result<FinalizeBlockResult> FinalizeBlock(const FinalizeBlockRequest& request) override;
  Result<CommitResult> Commit() override;
  // Path "" or "/count", height 0 or the last committed height: the count, 8 bytes.
  Result<QueryResult> Query(const QueryRequest& request) override;

 private:
  // What the state file holds.
  struct State {
    Height last_height = 0;
    Height initial_height = 1;
    uint64_t count = 0;
  };
  struct Pending {
    Height height = 0;
    uint64_t count = 0;
  };

  explicit Counter(std::string path);
  Status Load();
  Status Store(const State& state) const;  // durable when it returns OK
  Height NextHeight() const;               // REQUIRES: mutex_ held

  const std::string path_;
  mutable std::mutex mutex_;
  // Guarded by mutex_.
  State state_;
  uint64_t checked_count_ = 0;  // count + transactions CheckTx accepted since Commit
  std::optional<Pending> pending_;
};

}  // namespace hotbft::app
