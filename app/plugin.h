// Loads an application plugin: a shared library exporting the C ABI of plugin_abi.h (C++
// apps export it with HOTBFT_EXPORT_APP, plugin_export.h).
#pragma once

#include <memory>
#include <string>

#include "app/application.h"

namespace hotbft::app {

// Opens the library at `path` (dlopen, RTLD_NOW | RTLD_LOCAL: every symbol resolved now,
// none leaking into the node), finds all five symbols, checks the ABI version and creates
// the app from `config` (its meaning is the plugin's: the sample kvstore and counter take
// a data directory). A `path` without a slash is searched like any shared library
// (dlopen(3)); name a file in the working directory as "./libx.so".
//
// Every failure names the path, and the missing symbol, both ABI versions, or the
// plugin's own reason.
//
// The returned Application owns the library: destroying it destroys the plugin's app,
// then closes the library. Its calls go through the codec (ProtoClientApplication), so it
// checks the plugin's answers like any remote app's, and is thread-safe as the plugin ABI
// requires plugins to be.
Result<std::unique_ptr<Application>> LoadPlugin(const std::string& path, const std::string& config);

}  // namespace hotbft::app
