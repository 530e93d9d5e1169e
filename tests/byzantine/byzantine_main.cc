// hotbft-byzantine: a validator that misbehaves on purpose, to test that honest ones
// survive it on a real network. `hotbft-byzantine start` is `hotbft start` (node/start.h)
// with a NodeLayer (node_layer.h) between the core and its peers. Never run it on a chain
// that matters: it signs conflicting messages with the validator's key.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "node/start.h"
#include "tests/byzantine/misbehaviour.h"
#include "tests/byzantine/node_layer.h"

namespace {

struct ByzantineArgs {
  hotbft::node::StartOptions start;
  std::string misbehave;
  hotbft::Height from_height = 0;
  uint32_t flood_txs_per_s = hotbft::byzantine::kFloodTxsPerSecondDefault;
};

std::string Warning(const hotbft::byzantine::Misbehaviour& m) {
  return "THIS VALIDATOR MISBEHAVES ON PURPOSE (hotbft-byzantine, a test binary): " +
         hotbft::byzantine::Describe(m) +
         ". It signs what an honest validator never would; never run it on a chain that "
         "matters.";
}

int Start(ByzantineArgs& args) {
  auto parsed = hotbft::byzantine::ParseMisbehaviour(args.misbehave);
  if (!parsed.ok()) {
    std::fprintf(stderr, "hotbft-byzantine start: %s\n", parsed.status().ToString().c_str());
    return 2;
  }
  hotbft::byzantine::Misbehaviour misbehaviour = std::move(parsed).value();
  misbehaviour.from_height = args.from_height;
  misbehaviour.flood_txs_per_s = args.flood_txs_per_s;
  const std::string warning = Warning(misbehaviour);
  std::fprintf(stderr, "\n*** WARNING *** %s\n\n", warning.c_str());
  args.start.on_logging_ready = [warning] { spdlog::warn("{}", warning); };
  args.start.message_layer = hotbft::byzantine::MakeNodeLayerFactory(misbehaviour);
  return hotbft::node::RunStart(args.start);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "hotbft-byzantine: a hotbft validator that misbehaves on purpose, for testing that honest "
      "validators survive it. Not for any chain that matters."};
  app.require_subcommand(1);
  app.set_version_flag("--version", hotbft::node::kVersion);

  ByzantineArgs args;
  args.start.program = "hotbft-byzantine";
  CLI::App* start_cmd = app.add_subcommand(
      "start", "Run the validator, misbehaving as told, until SIGINT or SIGTERM");
  start_cmd->add_option("--home", args.start.home, hotbft::node::kStartHomeHelp)->required();
  start_cmd->add_option("--app", args.start.app, hotbft::node::kStartAppHelp);
  start_cmd
      ->add_option("--misbehave", args.misbehave,
                   "STRATEGY[,STRATEGY...] of: " + hotbft::byzantine::MisbehaviourNames())
      ->required();
  start_cmd
      ->add_option("--from-height", args.from_height,
                   "Follow the protocol until the committed height reaches H")
      ->capture_default_str();
  start_cmd
      ->add_option("--flood-rate", args.flood_txs_per_s,
                   "flood: invalid transactions per second to each peer")
      ->check(CLI::Range(uint32_t{0}, hotbft::byzantine::kFloodTxsPerSecondMax))
      ->capture_default_str();

  CLI11_PARSE(app, argc, argv);
  return Start(args);
}
