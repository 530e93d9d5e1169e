// Opening an application by name, as the node's config and hotbft-app-server name them.
#pragma once

#include <memory>
#include <string>

#include "app/application.h"

namespace hotbft::app {

// One of the sample apps: "kvstore" and "counter" keep their state in `data_dir`; "noop"
// keeps none.
Result<std::unique_ptr<Application>> OpenSampleApp(const std::string& name,
                                                   const std::string& data_dir);

// An app as `hotbft start --app` and config.toml's app.app name it: a sample app's name, a
// plugin "PATH.so" (given `data_dir` as its config), or an app process at "unix:PATH" or
// "tcp:HOST:PORT". `node_version` is what Info tells a socket app.
Result<std::unique_ptr<Application>> OpenApp(const std::string& spec, const std::string& data_dir,
                                             const std::string& node_version);

}  // namespace hotbft::app
