// libhotbft_kvstore.so: the kvstore sample app as a plugin. Config: its data directory.
#include "app/kvstore.h"
#include "app/plugin_export.h"

namespace {

hotbft::Result<std::unique_ptr<hotbft::app::Application>> MakeKvStore(const std::string& dir) {
  auto store = hotbft::app::KvStore::Open(dir);
  if (!store.ok()) return store.status();
  return std::unique_ptr<hotbft::app::Application>(std::move(store).value());
}

}  // namespace

HOTBFT_EXPORT_APP(MakeKvStore);
