#include "tests/sim/sim_app.h"

#include <utility>

#include "app/forwarding_app.h"
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
class DivergingApp final : public app::ForwardingApplication {
 public:
  DivergingApp(std::unique_ptr<app::Application> inner, Height diverge_at)
      : ForwardingApplication(inner.get()), owned_(std::move(inner)), diverge_at_(diverge_at) {
    HOTBFT_ASSERT(diverge_at_ > 0);
  }

  Result<app::InfoResult> Info() override {
    auto info = inner().Info();
    if (info.ok() && info->last_height >= diverge_at_) {
      info->last_app_hash = DivergedAppHash(std::move(info->last_app_hash));
    }
    return info;
  }
  Result<app::FinalizeBlockResult> FinalizeBlock(
      const app::FinalizeBlockRequest& request) override {
    auto result = inner().FinalizeBlock(request);
    if (result.ok()) finalized_height_ = request.height;
    return result;
  }
  Result<app::CommitResult> Commit() override {
    auto result = inner().Commit();
    if (result.ok() && finalized_height_ >= diverge_at_) {
      result->app_hash = DivergedAppHash(std::move(result->app_hash));
    }
    return result;
  }

 private:
  const std::unique_ptr<app::Application> owned_;
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
