#include "tests/sim/sim_app.h"

#include <utility>

#include "app/kvstore.h"

namespace hotbft::sim {
namespace {

// What a diverging app reports in place of `app_hash`.
Bytes DivergedAppHash(Bytes app_hash) {
  HOTBFT_ASSERT(!app_hash.empty());
  app_hash[0] ^= 0xff;
  return app_hash;
}

// Forwards every call to the kvstore, and alters the app hash of heights from diverge_at_
// on wherever it is reported.
class DivergingApp final : public app::Application {
 public:
  DivergingApp(std::unique_ptr<app::Application> inner, Height diverge_at)
      : inner_(std::move(inner)), diverge_at_(diverge_at) {
    HOTBFT_ASSERT(inner_ != nullptr);
    HOTBFT_ASSERT(diverge_at_ > 0);
  }

  Result<app::InfoResult> Info() override {
    auto info = inner_->Info();
    if (info.ok() && info->last_height >= diverge_at_) {
      info->last_app_hash = DivergedAppHash(std::move(info->last_app_hash));
    }
    return info;
  }
  Result<Bytes> InitChain(const app::InitChainRequest& request) override {
    return inner_->InitChain(request);
  }
  Result<app::CheckTxResult> CheckTx(ByteView tx, app::CheckTxKind kind) override {
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
  Result<app::FinalizeBlockResult> FinalizeBlock(
      const app::FinalizeBlockRequest& request) override {
    auto result = inner_->FinalizeBlock(request);
    if (result.ok()) finalized_height_ = request.height;
    return result;
  }
  Result<app::CommitResult> Commit() override {
    auto result = inner_->Commit();
    if (result.ok() && finalized_height_ >= diverge_at_) {
      result->app_hash = DivergedAppHash(std::move(result->app_hash));
    }
    return result;
  }
  Result<app::QueryResult> Query(const app::QueryRequest& request) override {
    return inner_->Query(request);
  }

 private:
  const std::unique_ptr<app::Application> inner_;
  const Height diverge_at_;
  Height finalized_height_ = 0;  // of the last FinalizeBlock the kvstore accepted
};

}  // namespace

std::unique_ptr<app::Application> OpenSimApp(std::shared_ptr<app::KvMemBackend> disk,
                                             Height diverge_at) {
  HOTBFT_ASSERT(disk != nullptr);
  auto kvstore = app::KvStore::OpenWithBackend(std::move(disk));
  HOTBFT_ASSERT(kvstore.ok());  // memory does not fail to read
  std::unique_ptr<app::Application> app = std::move(kvstore).value();
  if (diverge_at == 0) return app;
  return std::make_unique<DivergingApp>(std::move(app), diverge_at);
}

}  // namespace hotbft::sim
