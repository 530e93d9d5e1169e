// ForwardingApplication: an Application that passes every call to another one. Wrappers
// that change a few answers (test apps that fail, record or alter calls) derive from it and
// override only those.
#pragma once

#include <utility>
#include <vector>

#include "app/application.h"
#include "crypto/assert.h"

namespace hotbft::app {

class ForwardingApplication : public Application {
 public:
  // `inner` is not owned and must outlive the calls. REQUIRES: non-null.
  explicit ForwardingApplication(Application* inner) : inner_(inner) {
    HOTBFT_ASSERT(inner_ != nullptr);
  }

  Result<InfoResult> Info() override { return inner_->Info(); }
  Result<Bytes> InitChain(const InitChainRequest& request) override {
    return inner_->InitChain(request);
  }
  Result<CheckTxResult> CheckTx(ByteView tx, CheckTxKind kind) override {
    return inner_->CheckTx(tx, kind);
  }
  Result<std::vector<Bytes>> PrepareProposal(Height height, std::vector<Bytes> txs,
                                             uint64_t bytes_max) override {
    return inner_->PrepareProposal(height, std::move(txs), bytes_max);
  }
  Result<bool> ProcessProposal(Height height, const Hash32& block_id,
                               const std::vector<Bytes>& txs) override {
    return inner_->ProcessProposal(height, block_id, txs);
  }
  Result<FinalizeBlockResult> FinalizeBlock(const FinalizeBlockRequest& request) override {
    return inner_->FinalizeBlock(request);
  }
  Result<CommitResult> Commit() override { return inner_->Commit(); }
  Result<QueryResult> Query(const QueryRequest& request) override { return inner_->Query(request); }

 protected:
  Application& inner() { return *inner_; }
  // Swaps the app calls go to (as when an app process restarts). REQUIRES: non-null.
  void set_inner(Application* inner) {
    HOTBFT_ASSERT(inner != nullptr);
    inner_ = inner;
  }

 private:
  Application* inner_;
};

}  // namespace hotbft::app
