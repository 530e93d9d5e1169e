// libhotbft_noop.so: the noop sample app as a plugin. Config: none (must be empty, so a
// config meant for another plugin is not silently ignored).
#include "app/noop.h"
#include "app/plugin_export.h"

namespace {

hotbft::Result<std::unique_ptr<hotbft::app::Application>> MakeNoop(const std::string& config) {
  if (!config.empty()) {
    return hotbft::Status::InvalidArgument("noop takes no config; got \"" + config + "\"");
  }
  return std::unique_ptr<hotbft::app::Application>(std::make_unique<hotbft::app::Noop>());
}

}  // namespace

HOTBFT_EXPORT_APP(MakeNoop);
