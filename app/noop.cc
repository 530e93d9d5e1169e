#include "app/noop.h"

#include <limits>

namespace hotbft::app {
namespace {

constexpr char kAppName[] = "noop";
constexpr char kAppVersion[] = "1";
constexpr size_t kAppHashBytes = 32;

Bytes AppHash() {
  return Bytes(kAppHashBytes, 0);
}

}  // namespace

Height Noop::NextHeight() const {
  if (last_height_ == 0) return initial_height_;
  HOTBFT_ASSERT(last_height_ < std::numeric_limits<Height>::max());
  return last_height_ + 1;
}

Result<InfoResult> Noop::Info() {
  std::lock_guard<std::mutex> lock(mutex_);
  return InfoResult{kAppName, kAppVersion, last_height_, last_height_ == 0 ? Bytes() : AppHash(),
                    /*check_tx_stateless=*/true};
}

Result<Bytes> Noop::InitChain(const InitChainRequest& request) {
  if (request.initial_height == 0) {
    return Status::InvalidArgument("initial_height is 0; heights start at 1");
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (last_height_ != 0 || pending_height_ != 0) {
    return Status::FailedPrecondition("noop: InitChain on a chain already at height " +
                                      std::to_string(last_height_));
  }
  initial_height_ = request.initial_height;
  return AppHash();
}

Result<CheckTxResult> Noop::CheckTx(ByteView /*tx*/, CheckTxKind /*kind*/) {
  return CheckTxResult{};
}

Result<std::vector<Bytes>> Noop::PrepareProposal(Height /*height*/, std::vector<Bytes> txs,
                                                 uint64_t bytes_max) {
  uint64_t total = 0;
  size_t kept = 0;
  while (kept < txs.size() && txs[kept].size() <= bytes_max - total) {
    total += txs[kept].size();
    ++kept;
  }
  txs.resize(kept);
  return txs;
}

Result<bool> Noop::ProcessProposal(Height /*height*/, const Hash32& /*block_id*/,
                                   const std::vector<Bytes>& /*txs*/) {
  return true;
}

Result<FinalizeBlockResult> Noop::FinalizeBlock(const FinalizeBlockRequest& request) {
  std::lock_guard<std::mutex> lock(mutex_);
  // The height checks keep even this app honest about the contract the node must keep.
  if (pending_height_ != 0) {
    return Status::FailedPrecondition("noop: FinalizeBlock at height " +
                                      std::to_string(request.height) + " while height " +
                                      std::to_string(pending_height_) + " awaits Commit");
  }
  if (request.height != NextHeight()) {
    return Status::FailedPrecondition("noop: FinalizeBlock at height " +
                                      std::to_string(request.height) + ", expected height " +
                                      std::to_string(NextHeight()));
  }
  pending_height_ = request.height;
  FinalizeBlockResult result;
  result.tx_results.resize(request.txs.size());
  return result;
}

Result<CommitResult> Noop::Commit() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (pending_height_ == 0)
    return Status::FailedPrecondition("noop: Commit without a FinalizeBlock");
  last_height_ = pending_height_;
  pending_height_ = 0;
  return CommitResult{AppHash(), 0};
}

Result<QueryResult> Noop::Query(const QueryRequest& request) {
  std::lock_guard<std::mutex> lock(mutex_);
  return QueryResult{kCodeOk, request.data, {}, last_height_, {}};
}

}  // namespace hotbft::app
