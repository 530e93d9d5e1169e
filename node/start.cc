#include "node/start.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <cstdio>

#include "node/home.h"
#include "node/logging.h"
#include "node/validator_node.h"

namespace hotbft::node {
namespace {

int Fail(const StartOptions& options, const Status& status) {
  std::fprintf(stderr, "%s start: %s\n", options.program.c_str(), status.ToString().c_str());
  return 1;
}

}  // namespace

int RunStart(const StartOptions& options) {
  auto config = LoadConfig(PathsOf(options.home).config);
  if (!config.ok()) return Fail(options, config.status());
  if (auto s = ConfigureLogging(config->log_level, config->log_format); !s.ok()) {
    return Fail(options, s);
  }
  if (options.on_logging_ready) options.on_logging_ready();
  // The signals are taken synchronously by this thread; every other thread blocks them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ValidatorNodeOptions node_options;
  node_options.home = options.home;
  node_options.app = options.app;
  node_options.version = options.version;
  node_options.message_layer = options.message_layer;
  auto node = ValidatorNode::Open(node_options);
  if (!node.ok()) return Fail(options, node.status());
  if (auto s = (*node)->Start(); !s.ok()) return Fail(options, s);
  int received = 0;
  sigwait(&signals, &received);
  spdlog::info("{} received: stopping", received == SIGINT ? "SIGINT" : "SIGTERM");
  (*node)->Stop();
  return 0;
}

}  // namespace hotbft::node
