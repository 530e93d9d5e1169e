// The hotbft validator node binary.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "node/client_commands.h"
#include "node/home.h"
#include "node/keygen.h"
#include "node/start.h"

namespace {

constexpr const char* kVersion = hotbft::node::kVersion;

int Fail(const char* command, const hotbft::Status& status) {
  std::fprintf(stderr, "hotbft %s: %s\n", command, status.ToString().c_str());
  return 1;
}

int Keygen(const hotbft::node::KeygenOptions& options) {
  auto result = hotbft::node::RunKeygen(options);
  if (!result.ok()) return Fail("keygen", result.status());
  std::printf("wrote %s (mode 0600)\npublic key: %s\n", options.out_path.c_str(), result->c_str());
  return 0;
}

struct InitArgs {
  std::string home;
  std::string chain_id = "hotbft-local";
  std::string moniker = "node0";
};

int Init(const InitArgs& args) {
  auto key = hotbft::node::InitSingle(args.home, args.chain_id, args.moniker);
  if (!key.ok()) return Fail("init", key.status());
  const auto paths = hotbft::node::PathsOf(args.home);
  std::printf(
      "initialised %s: a one-validator chain '%s'\n  key:     %s (public key %s)\n"
      "  genesis: %s\n  config:  %s\n  store:   %s (fresh safety data)\n",
      args.home.c_str(), args.chain_id.c_str(), paths.key.c_str(), key->c_str(),
      paths.genesis.c_str(), paths.config.c_str(), paths.store.c_str());
  return 0;
}

int Testnet(const hotbft::node::TestnetOptions& options) {
  auto nodes = hotbft::node::CreateTestnet(options);
  if (!nodes.ok()) return Fail("testnet", nodes.status());
  std::printf("created a %zu-validator testnet '%s' in %s\n", nodes->size(),
              options.chain_id.c_str(), options.output.c_str());
  for (const auto& n : *nodes) {
    std::printf("  %s  p2p %s  rpc http://%s  client %s  key %.16s...\n", n.home.c_str(),
                n.p2p.c_str(), n.rpc.c_str(), n.client.c_str(), n.public_key.c_str());
  }
  return 0;
}

int InitSafety(const std::string& home, bool confirmed) {
  if (!confirmed) {
    std::fprintf(stderr,
                 "hotbft init-safety: refusing without --confirm. Fresh safety data lets this "
                 "validator sign again from round 0: if its key signed anything on this chain "
                 "since its safety data was lost, it may now sign conflicting messages "
                 "(double-sign). Only confirm for a key that has never signed on this chain.\n");
    return 1;
  }
  if (auto s = hotbft::node::InitSafetyOfHome(home); !s.ok()) return Fail("init-safety", s);
  std::printf("initialised fresh safety data in %s\n", hotbft::node::PathsOf(home).store.c_str());
  return 0;
}

void AddRpcAddress(CLI::App* cmd, hotbft::node::cli::RpcAddressArgs& address) {
  CLI::Option* rpc = cmd->add_option("--rpc", address.rpc, "The node's HTTP RPC, HOST:PORT")
                         ->capture_default_str();
  cmd->add_option("--home", address.home, "Use rpc_listen of the node's DIR/config.toml")
      ->excludes(rpc);
}

void AddBenchOptions(CLI::App* cmd, hotbft::node::cli::BenchArgs& args) {
  hotbft::bench::LoadOptions& load = args.load;
  CLI::Option* targets = cmd->add_option("--targets", args.targets,
                                         "Client ports to load, HOST:PORT,... (rpc_client_listen)");
  CLI::Option* testnet =
      cmd->add_option("--testnet", args.testnet, "Load every node of a `hotbft testnet` directory");
  targets->excludes(testnet);
  cmd->add_option("--app", args.app, "Transaction format: kvstore (KEY=VALUE) or noop")
      ->check(CLI::IsMember({"kvstore", "noop"}))
      ->capture_default_str();
  cmd->add_option("--tx-bytes", load.tx_bytes, "Size of each transaction")->capture_default_str();
  cmd->add_option("--rate", load.rate_tx_per_s,
                  "Target tx/s over all connections; 0: as fast as --inflight allows")
      ->capture_default_str();
  cmd->add_option("--inflight", load.inflight_max,
                  "At most this many transactions sent and not yet ended, over all connections")
      ->capture_default_str();
  cmd->add_option("--duration", load.duration_s, "Seconds of sending")->capture_default_str();
  cmd->add_option("--warmup", load.warmup_s,
                  "Seconds at the start left out of the measured throughput")
      ->capture_default_str();
  cmd->add_option("--drain-timeout", load.drain_timeout_s,
                  "Seconds to wait after sending for what is in flight")
      ->capture_default_str();
  cmd->add_option("--connections", load.connections_per_target,
                  "Connections (a thread each) per target")
      ->capture_default_str();
  cmd->add_option("--batch", load.batch_txs_max, "At most this many transactions per batch")
      ->capture_default_str();
  cmd->add_flag("--json", args.json, "Print the final report as one JSON object");
  cmd->add_flag("--quiet", args.quiet, "No progress line each second on stderr");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "hotbft: a Byzantine fault-tolerant replicated state machine (chained HotStuff).\n"
      "Set up homes (keygen, init, testnet, init-safety), run a validator (start), and talk to "
      "a running node: submit transactions (tx), query the application (query), show its state "
      "(status), load it (bench)."};
  app.require_subcommand(1);
  app.set_version_flag("--version", kVersion);

  hotbft::node::KeygenOptions keygen;
  CLI::App* keygen_cmd =
      app.add_subcommand("keygen", "Generate a secp256k1 BIP-340 key file (JSON, mode 0600)");
  keygen_cmd->add_option("--out,-o", keygen.out_path, "Path of the key file to write")->required();
  keygen_cmd->add_flag("--force", keygen.overwrite, "Overwrite an existing key file");

  InitArgs init;
  CLI::App* init_cmd = app.add_subcommand(
      "init",
      "Create a node home: a new key, a one-validator genesis, a commented config.toml "
      "and a store with fresh safety data");
  init_cmd->add_option("--home", init.home, "The home directory to create")->required();
  init_cmd->add_option("--chain-id", init.chain_id, "The chain id")->capture_default_str();
  init_cmd->add_option("--moniker", init.moniker, "This node's name")->capture_default_str();

  hotbft::node::TestnetOptions testnet;
  CLI::App* testnet_cmd = app.add_subcommand(
      "testnet",
      "Create the homes of a local testnet: N validators sharing one genesis, each "
      "config listing the others as peers");
  testnet_cmd->add_option("--validators,-n", testnet.validators, "Number of validators")
      ->capture_default_str();
  testnet_cmd->add_option("--output,-o", testnet.output, "Directory for node0..nodeN-1")
      ->required();
  testnet_cmd
      ->add_option("--base-port", testnet.base_port,
                   "node i listens on base+10i (p2p), base+10i+1 (RPC), base+10i+2 (client port)")
      ->capture_default_str();
  testnet_cmd->add_option("--chain-id", testnet.chain_id, "The chain id")->capture_default_str();
  testnet_cmd->add_option("--app", testnet.app, "The app every node runs")->capture_default_str();

  std::string safety_home;
  bool safety_confirmed = false;
  CLI::App* safety_cmd = app.add_subcommand(
      "init-safety",
      "Write fresh safety data into a home whose store has none (its validator refuses to sign "
      "until then). Only for a key that has never signed on this chain");
  safety_cmd->add_option("--home", safety_home, "The node's home directory")->required();
  safety_cmd->add_flag("--confirm", safety_confirmed,
                       "Confirm that this key has never signed on this chain");

  hotbft::node::StartOptions start;
  CLI::App* start_cmd = app.add_subcommand("start", "Run the validator until SIGINT or SIGTERM");
  start_cmd->add_option("--home", start.home, hotbft::node::kStartHomeHelp)->required();
  start_cmd->add_option("--app", start.app, hotbft::node::kStartAppHelp);

  hotbft::node::cli::TxArgs tx;
  CLI::App* tx_cmd = app.add_subcommand(
      "tx", "Submit a transaction over the node's HTTP RPC and report its admission or commit");
  AddRpcAddress(tx_cmd, tx.address);
  tx_cmd
      ->add_option("--mode", tx.mode,
                   "async: return at once; sync: after CheckTx; commit: after execution")
      ->check(CLI::IsMember({"async", "sync", "commit"}))
      ->capture_default_str();
  tx_cmd->add_flag("--hex", tx.hex, "TX is hex (with or without 0x), not the bytes themselves");
  tx_cmd->add_option("TX", tx.tx, "The transaction; for the kvstore app KEY=VALUE")->required();

  hotbft::node::cli::QueryArgs query;
  CLI::App* query_cmd =
      app.add_subcommand("query", "Query the application (ABCI Query) and print the value");
  AddRpcAddress(query_cmd, query.address);
  query_cmd->add_option("--path", query.path, "The query path (kvstore: \"\" or \"/key\")");
  query_cmd->add_option("--height", query.height, "The height to answer at; 0: the latest")
      ->capture_default_str();
  query_cmd->add_flag("--hex", query.hex, "DATA is hex (with or without 0x)");
  query_cmd->add_flag("--json", query.json, "Print the whole response as JSON");
  query_cmd->add_option("DATA", query.data, "The query data; for the kvstore app the key")
      ->required();

  hotbft::node::cli::StatusArgs status;
  CLI::App* status_cmd = app.add_subcommand(
      "status", "Show the node's heights, round, leader, app hash, peers and mempool");
  AddRpcAddress(status_cmd, status.address);
  status_cmd->add_flag("--json", status.json, "Print the RPC's /status result as JSON");

  hotbft::node::cli::BenchArgs bench;
  CLI::App* bench_cmd = app.add_subcommand(
      "bench",
      "Load nodes with transactions over their binary client ports and report throughput and "
      "send-to-commit latency (docs/bench.md)");
  AddBenchOptions(bench_cmd, bench);

  CLI11_PARSE(app, argc, argv);
  if (keygen_cmd->parsed()) return Keygen(keygen);
  if (init_cmd->parsed()) return Init(init);
  if (testnet_cmd->parsed()) return Testnet(testnet);
  if (safety_cmd->parsed()) return InitSafety(safety_home, safety_confirmed);
  if (start_cmd->parsed()) return hotbft::node::RunStart(start);
  if (tx_cmd->parsed()) return hotbft::node::cli::RunTx(tx);
  if (query_cmd->parsed()) return hotbft::node::cli::RunQuery(query);
  if (status_cmd->parsed()) return hotbft::node::cli::RunStatus(status);
  if (bench_cmd->parsed()) return hotbft::node::cli::RunBench(std::move(bench));
  return 0;
}
