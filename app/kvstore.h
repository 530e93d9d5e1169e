// kvstore: a sample application, a key-value store.
//
// A transaction "key=value" sets key to value: the key is what precedes the first '=',
// 1 to kKeyBytesMax bytes of printable ASCII (keys are quoted in events and logs, which
// are text); the value is the rest, 0 to kValueBytesMax bytes of anything.
//
// State lives in a KvBackend (kv_backend.h): its own RocksDB directory in a node (Open),
// memory in the simulator and tests (OpenWithBackend over a KvMemBackend). Both run this
// same code. Every committed version of a key is kept (key and height -> value), so a
// query at an old height answers from that height; the store therefore grows with every
// write, and Commit asks the node to keep all blocks (retain_height 0). Pruning old
// versions below a retain height is left for later.
//
// App hash after height h: SHA-256(app hash after h - 1 || SHA-256(the block's writes in
// order, each as u32 length, key, u32 length, value, big-endian lengths)). It costs
// O(block), not O(state), and still commits to the whole history. The hash before the
// first block (InitChain's answer) is 32 zero bytes.
//
// FinalizeBlock's misbehaviour (evidence of equivocation) becomes one block event
// "misbehaviour" per piece (type, validator, epoch, round); it does not change the state.
//
// Thread-safe: the three connections of application.h may call concurrently.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/application.h"

namespace hotbft::app {

class KvBackend;

class KvStore final : public Application {
 public:
  static constexpr size_t kKeyBytesMax = 256;
  static constexpr size_t kValueBytesMax = size_t{64} << 10;

  // Transaction result codes (CheckTx, FinalizeBlock).
  static constexpr uint32_t kCodeNoSeparator = 1;  // no '='
  static constexpr uint32_t kCodeEmptyKey = 2;
  static constexpr uint32_t kCodeKeyTooLong = 3;
  static constexpr uint32_t kCodeKeyNotPrintable = 4;
  static constexpr uint32_t kCodeValueTooLong = 5;
  // Query result codes.
  static constexpr uint32_t kCodeUnknownPath = 10;
  static constexpr uint32_t kCodeNotFound = 11;
  static constexpr uint32_t kCodeHeightUnavailable = 12;

  // Opens (or creates) the store in `dir`, on RocksDB.
  static Result<std::unique_ptr<KvStore>> Open(const std::string& dir);
  // Opens the store kept in `backend` (an empty one is a new store). The backend is shared:
  // a KvStore made after a simulated crash over the same backend finds what Commit made
  // durable, and nothing of a block finalized but not committed.
  // REQUIRES: backend != nullptr; at most one KvStore uses a backend at a time.
  static Result<std::unique_ptr<KvStore>> OpenWithBackend(std::shared_ptr<KvBackend> backend);
  ~KvStore() override;

  // No genesis state: InitChain refuses a non-empty app_state.
  Result<InfoResult> Info() override;
  Result<Bytes> InitChain(const InitChainRequest& request) override;
  // Stateless: kNew and kRecheck apply the same format rules.
  Result<CheckTxResult> CheckTx(ByteView tx, CheckTxKind kind) override;
  // Drops malformed transactions; keeps the longest prefix of the rest within bytes_max.
  Result<std::vector<Bytes>> PrepareProposal(Height height, std::vector<Bytes> txs,
                                             uint64_t bytes_max) override;
  // Accepts a block iff every transaction is well-formed.
  Result<bool> ProcessProposal(Height height, const Hash32& block_id,
                               const std::vector<Bytes>& txs) override;
  // Buffers the block's writes; nothing reaches the store before Commit.
  Result<FinalizeBlockResult> FinalizeBlock(const FinalizeBlockRequest& request) override;
  // Writes the buffered block, the height and the app hash in one durable backend write.
  Result<CommitResult> Commit() override;
  // Path "" or "/key", data = the key, height 0 for the last committed one: the key's
  // value at that height, and the height answered. Reads committed state only.
  Result<QueryResult> Query(const QueryRequest& request) override;

 private:
  struct Write {
    std::string key;
    std::string value;
  };
  // A finalized block waiting for Commit.
  struct Pending {
    Height height = 0;
    Bytes app_hash;
    std::vector<Write> writes;
  };

  explicit KvStore(std::shared_ptr<KvBackend> backend);
  Status Load();
  Height NextHeight() const;  // REQUIRES: mutex_ held
  Result<QueryResult> Lookup(std::string_view key, Height height) const;

  const std::shared_ptr<KvBackend> backend_;
  mutable std::mutex mutex_;
  // Guarded by mutex_.
  Height last_height_ = 0;
  Bytes last_app_hash_;
  Height initial_height_ = 1;
  std::optional<Pending> pending_;
};

}  // namespace hotbft::app
