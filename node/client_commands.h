// The client commands of the `hotbft` binary (docs/rpc.md "Command line", docs/bench.md):
//   tx, query, status  over the HTTP/JSON RPC (RpcClient);
//   bench              the load generator over the binary client port (bench/).
// Each Run* prints its result on stdout and its errors on stderr, and returns the process's
// exit code: 0 on success, 1 otherwise.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "bench/load_generator.h"

namespace hotbft::node::cli {

// Where the node's HTTP RPC is: `rpc` (HOST:PORT), or `rpc_listen` of home/config.toml when
// `home` is not empty.
struct RpcAddressArgs {
  std::string rpc = "127.0.0.1:26657";
  std::string home;
};

struct TxArgs {
  RpcAddressArgs address;
  std::string mode = "commit";  // async | sync | commit
  bool hex = false;             // `tx` is hex (with or without 0x), not the bytes themselves
  std::string tx;
};
int RunTx(const TxArgs& args);

struct QueryArgs {
  RpcAddressArgs address;
  std::string path;
  uint64_t height = 0;  // 0: the latest
  bool hex = false;     // `data` is hex
  bool json = false;    // print the whole response
  std::string data;
};
int RunQuery(const QueryArgs& args);

struct StatusArgs {
  RpcAddressArgs address;
  bool json = false;
};
int RunStatus(const StatusArgs& args);

// A /status result as lines for people. Fields missing from `status` show as "?".
std::string FormatStatus(const nlohmann::json& status);

struct BenchArgs {
  bench::LoadOptions load;
  std::string targets;  // HOST:PORT,...; or
  std::string testnet;  // a `hotbft testnet` directory
  std::string app = "kvstore";
  bool json = false;
  bool quiet = false;  // no progress lines
};
int RunBench(BenchArgs args);

}  // namespace hotbft::node::cli
