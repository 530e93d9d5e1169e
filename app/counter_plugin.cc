// libhotbft_counter.so: the counter sample app as a plugin. Config: its data directory.
#include "app/counter.h"
#include "app/plugin_export.h"

namespace {

hotbft::Result<std::unique_ptr<hotbft::app::Application>> MakeCounter(const std::string& dir) {
  auto counter = hotbft::app::Counter::Open(dir);
  if (!counter.ok()) return counter.status();
  return std::unique_ptr<hotbft::app::Application>(std::move(counter).value());
}

}  // namespace

HOTBFT_EXPORT_APP(MakeCounter);
