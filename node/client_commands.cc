#include "node/client_commands.h"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <memory>

#include "crypto/sha256.h"
#include "node/client.h"
#include "node/config.h"
#include "node/home.h"
#include "node/rpc_json.h"

namespace hotbft::node::cli {
namespace {

using Json = nlohmann::json;

// A long wait: broadcast_tx_commit is answered within the node's commit timeout (10 s by
// default); a refused connection still fails at once.
constexpr uint64_t kRpcTimeoutMs = 60'000;
constexpr const char* kStartHint =
    "is the node running? start it with `hotbft start --home DIR`, or point at its RPC "
    "with --rpc HOST:PORT or --home DIR";

int Fail(const char* command, const std::string& message) {
  std::fprintf(stderr, "hotbft %s: %s\n", command, message.c_str());
  return 1;
}

Result<std::string> RpcAddress(const RpcAddressArgs& args) {
  if (args.home.empty()) return args.rpc;
  auto config = LoadConfig(PathsOf(args.home).config);
  if (!config.ok()) return config.status();
  const std::string& listen = config->rpc_listen;
  // A node listening on every interface is reached on loopback.
  if (listen.rfind("0.0.0.0:", 0) == 0) return "127.0.0.1" + listen.substr(7);
  if (listen.rfind("[::]:", 0) == 0) return "[::1]" + listen.substr(4);
  return listen;
}

// Connects, or prints why not (with how to start a node) and returns null.
std::unique_ptr<RpcClient> ConnectOrExplain(const char* command, const RpcAddressArgs& args,
                                            std::string* address_out = nullptr) {
  auto address = RpcAddress(args);
  if (!address.ok()) {
    Fail(command, address.status().ToString());
    return nullptr;
  }
  auto client = RpcClient::Connect(*address, kRpcTimeoutMs);
  if (!client.ok()) {
    Fail(command, "cannot reach the node's RPC at " + *address + " (" + client.status().message() +
                      "): " + kStartHint);
    return nullptr;
  }
  if (address_out) *address_out = *address;
  return std::move(*client);
}

// A failed call: a refusal or an error the node answered, or a lost connection.
int CallFailed(const char* command, const std::string& address, const Status& status) {
  if (status.code() == Status::Code::kFailedPrecondition) {
    return Fail(command, "refused: " + status.message());
  }
  // The node's JSON-RPC errors read "<message> (<code>): <data>" (RpcClient::Call); an
  // IoError without a code is the connection's.
  const bool answered =
      status.code() != Status::Code::kIoError || status.message().rfind("Timed out (", 0) == 0;
  if (answered) return Fail(command, status.message());
  return Fail(command,
              "lost the node's RPC at " + address + " (" + status.message() + "): " + kStartHint);
}

Result<Bytes> ArgBytes(const std::string& text, bool hex) {
  if (hex) return rpc::DecodeHexArg(text);
  return Bytes(text.begin(), text.end());
}

// A JSON value as text: strings bare, null as "-", anything else dumped.
std::string Text(const Json& doc, const char* pointer) {
  const Json::json_pointer at(pointer);
  if (!doc.contains(at)) return "?";
  const Json& v = doc.at(at);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "-";
  return v.dump();
}

uint64_t Code(const Json& result) {
  return result.is_object() && result.contains("code") && result["code"].is_number_unsigned()
             ? result["code"].get<uint64_t>()
             : 0;
}

int TxCommitResult(const Json& r, const Hash32& hash) {
  const Json& check = r.contains("check_tx") ? r["check_tx"] : Json::object();
  std::printf("hash     %s\n", hash.hex().c_str());
  std::printf("check    code %llu (%s)\n", static_cast<unsigned long long>(Code(check)),
              Text(r, "/check_tx/outcome").c_str());
  if (Code(check) != 0) {
    return Fail("tx", "refused by the application's CheckTx: code " + std::to_string(Code(check)) +
                          ": " + Text(r, "/check_tx/log"));
  }
  const Json& result = r.contains("tx_result") ? r["tx_result"] : Json();
  if (!result.is_object()) return Fail("tx", "admitted, but no execution result was reported");
  std::printf("code     %llu\n", static_cast<unsigned long long>(Code(result)));
  std::printf("log      %s\n", Text(r, "/tx_result/log").c_str());
  std::printf("height   %s (index %s)\n", Text(r, "/height").c_str(), Text(r, "/index").c_str());
  if (Code(result) != 0) {
    return Fail("tx", "committed at height " + Text(r, "/height") + " but executed with code " +
                          std::to_string(Code(result)));
  }
  return 0;
}

}  // namespace

int RunTx(const TxArgs& args) {
  auto tx = ArgBytes(args.tx, args.hex);
  if (!tx.ok()) return Fail("tx", "TX is not hex: " + tx.status().message());
  if (tx->empty()) return Fail("tx", "the transaction is empty");
  std::string address;
  auto client = ConnectOrExplain("tx", args.address, &address);
  if (!client) return 1;
  const Hash32 hash = Sha256(*tx);
  const Json params{{"tx", rpc::Base64Encode(*tx)}};
  if (args.mode == "async") {
    auto r = client->Call("broadcast_tx_async", params);
    if (!r.ok()) return CallFailed("tx", address, r.status());
    std::printf("hash     %s\nsent     admission goes on at the node; see http://%s/tx?hash=%s\n",
                hash.hex().c_str(), address.c_str(), hash.hex().c_str());
    return 0;
  }
  if (args.mode == "sync") {
    auto r = client->Call("broadcast_tx_sync", params);
    if (!r.ok()) return CallFailed("tx", address, r.status());
    std::printf("hash     %s\ncode     %llu\nlog      %s\noutcome  %s\n", hash.hex().c_str(),
                static_cast<unsigned long long>(Code(*r)), Text(*r, "/log").c_str(),
                Text(*r, "/outcome").c_str());
    if (Code(*r) != 0) return Fail("tx", "refused by the application's CheckTx");
    return 0;
  }
  auto r = client->Call("broadcast_tx_commit", params);
  if (!r.ok()) {
    if (r.status().code() == Status::Code::kIoError &&
        r.status().message().rfind("Timed out (", 0) == 0) {
      return Fail("tx",
                  "admitted but not committed within the node's commit timeout; it may "
                  "still commit: see http://" +
                      address + "/tx?hash=" + hash.hex());
    }
    return CallFailed("tx", address, r.status());
  }
  return TxCommitResult(*r, hash);
}

int RunQuery(const QueryArgs& args) {
  auto data = ArgBytes(args.data, args.hex);
  if (!data.ok()) return Fail("query", "DATA is not hex: " + data.status().message());
  std::string address;
  auto client = ConnectOrExplain("query", args.address, &address);
  if (!client) return 1;
  auto r = client->Query(args.path, *data, args.height);
  if (!r.ok()) return CallFailed("query", address, r.status());
  if (!r->contains("response") || !(*r)["response"].is_object()) {
    return Fail("query", "the node's answer has no response: " + r->dump());
  }
  const Json& response = (*r)["response"];
  if (args.json) {
    std::printf("%s\n", response.dump(2).c_str());
    return Code(response) == 0 ? 0 : 1;
  }
  if (Code(response) != 0) {
    return Fail("query", "code " + std::to_string(Code(response)) + " at height " +
                             Text(response, "/height") + ": " + Text(response, "/log"));
  }
  auto value = rpc::Base64Decode(Text(response, "/value") == "-" ? "" : Text(response, "/value"));
  if (!value.ok()) return Fail("query", "the value is not base64: " + value.status().message());
  std::fwrite(value->data(), 1, value->size(), stdout);
  std::fputc('\n', stdout);
  return 0;
}

std::string FormatStatus(const Json& s) {
  std::string validators = "";
  if (s.contains(Json::json_pointer("/consensus/validators")) &&
      s["consensus"]["validators"].is_array()) {
    validators = " of " + std::to_string(s["consensus"]["validators"].size());
  }
  const bool catching_up = s.value(Json::json_pointer("/sync_info/catching_up"), false);
  const bool can_sign = s.value(Json::json_pointer("/consensus/can_sign"), false);
  std::string out;
  out += "node         " + Text(s, "/node_info/moniker") + ", validator " +
         Text(s, "/node_info/validator_index") + validators + ", chain " +
         Text(s, "/node_info/network") + ", version " + Text(s, "/node_info/version") + "\n";
  out += "height       " + Text(s, "/sync_info/latest_block_height") + " committed, " +
         Text(s, "/sync_info/executed_height") + " executed, earliest stored " +
         Text(s, "/sync_info/earliest_block_height") + "\n";
  out += "last block   " + Text(s, "/sync_info/latest_block_hash") + " at " +
         Text(s, "/sync_info/latest_block_time") + "\n";
  const std::string app_hash = Text(s, "/sync_info/latest_app_hash");
  out += "app hash     " + (app_hash.empty() ? "(none: nothing executed yet)" : app_hash) + "\n";
  out += "round        " + Text(s, "/consensus/round") + ", leader " +
         Text(s, "/consensus/leader") + ", high QC round " + Text(s, "/consensus/high_qc_round") +
         "\n";
  out += "peers        " + Text(s, "/peers/connected") + " of " + Text(s, "/peers/total") +
         " connected\n";
  out +=
      "mempool      " + Text(s, "/mempool/txs") + " txs, " + Text(s, "/mempool/bytes") + " bytes\n";
  out += std::string("catching up  ") + (catching_up ? "yes" : "no") + "\n";
  out += std::string("signing      ") + (can_sign ? "yes" : "no (no safety data)") + "\n";
  if (Text(s, "/consensus/halted") != "-") {
    out += "HALTED       " + Text(s, "/consensus/halted") + "\n";
  }
  if (Text(s, "/consensus/execution_error") != "-") {
    out += "EXECUTION    stopped: " + Text(s, "/consensus/execution_error") + "\n";
  }
  return out;
}

int RunStatus(const StatusArgs& args) {
  std::string address;
  auto client = ConnectOrExplain("status", args.address, &address);
  if (!client) return 1;
  auto r = client->GetStatus();
  if (!r.ok()) return CallFailed("status", address, r.status());
  if (args.json) {
    std::printf("%s\n", r->dump(2).c_str());
  } else {
    std::printf("%s", FormatStatus(*r).c_str());
  }
  return 0;
}

int RunBench(BenchArgs args) {
  if (args.targets.empty() == args.testnet.empty()) {
    return Fail("bench", "give the client ports to load: --targets HOST:PORT,... or --testnet DIR");
  }
  args.load.format = args.app == "noop" ? bench::TxFormat::kNoop : bench::TxFormat::kKvstore;
  auto targets = args.testnet.empty() ? bench::ParseTargets(args.targets)
                                      : bench::TestnetTargets(args.testnet);
  if (!targets.ok()) return Fail("bench", targets.status().message());
  args.load.targets = std::move(*targets);
  bench::ProgressFn progress;
  if (!args.quiet) {
    progress = [](const bench::LoadProgress& p) {
      std::fprintf(stderr, "%s\n", bench::FormatProgress(p).c_str());
    };
  }
  // Ctrl-C (or SIGTERM) stops sending and drains, then reports; a second one stops at once.
  static std::atomic<int> interrupts{0};
  interrupts = 0;
  struct sigaction action {};
  action.sa_handler = [](int) { interrupts.fetch_add(1); };
  sigemptyset(&action.sa_mask);
  struct sigaction old_int {
  }, old_term{};
  sigaction(SIGINT, &action, &old_int);
  sigaction(SIGTERM, &action, &old_term);
  args.load.interrupts = &interrupts;
  auto report = bench::RunLoad(args.load, progress);
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  if (!report.ok()) return Fail("bench", report.status().message());
  if (args.json) {
    std::printf("%s\n", bench::ReportJson(*report).dump().c_str());
  } else {
    std::printf("%s", bench::FormatReport(*report).c_str());
  }
  return 0;
}

}  // namespace hotbft::node::cli
