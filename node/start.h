// What `hotbft start` does, for every binary that runs a validator: the production
// `hotbft` and the test binary `hotbft-byzantine` (tests/byzantine/byzantine_main.cc).
#pragma once

#include <functional>
#include <string>

#include "node/message_layer.h"

namespace hotbft::node {

// The node's version (`--version`, the RPC's status, the app's Info).
inline constexpr const char* kVersion = "0.1.0";

// Help texts of the start command's options, shared by the binaries.
inline constexpr const char* kStartHomeHelp = "The node's home directory";
inline constexpr const char* kStartAppHelp =
    "Override config.toml's app: kvstore, counter, noop, PATH.so, unix:PATH or tcp:HOST:PORT";

struct StartOptions {
  std::string program = "hotbft";  // names the binary in error messages
  std::string version = kVersion;
  std::string home;
  std::string app;  // overrides config.toml's app when set
  // Unset for an honest validator (ValidatorNodeOptions::message_layer).
  MessageLayerFactory message_layer;
  // Called once the log is set up, before the node opens: what must be logged first.
  std::function<void()> on_logging_ready;
};

// Loads the home's config, sets up logging, opens and starts the validator, and runs it
// until SIGINT or SIGTERM, then stops it. Returns the process's exit code; a failure is
// printed on stderr as "PROGRAM start: REASON". REQUIRES: called from the main thread
// before any other thread starts (it blocks SIGINT and SIGTERM for every later thread).
int RunStart(const StartOptions& options);

}  // namespace hotbft::node
