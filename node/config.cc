#include "node/config.h"

#include <toml++/toml.h>

#include <functional>
#include <set>
#include <sstream>

#include "crypto/file_io.h"
#include "crypto/signer.h"

namespace hotbft::node {
namespace {

constexpr size_t kConfigBytesMax = 1 << 20;

std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// "host:port" with a port of 1..65535.
bool ValidAddress(const std::string& s) {
  const size_t colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == s.size()) return false;
  const std::string port = s.substr(colon + 1);
  if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) return false;
  const unsigned long p = std::stoul(port);
  return p >= 1 && p <= 65535;
}

bool ValidPeer(const std::string& s) {
  const size_t at = s.find('@');
  if (at == std::string::npos) return false;
  return PublicKey::FromHex(s.substr(0, at)).ok() && ValidAddress(s.substr(at + 1));
}

// One known key: how to read it into a NodeConfig.
struct Key {
  std::string name;  // "section.key" or "key"
  std::function<Status(const toml::node&, NodeConfig&)> set;
};

template <typename T>
std::function<Status(const toml::node&, NodeConfig&)> Uint(T NodeConfig::*field, uint64_t min,
                                                           uint64_t max) {
  return [=](const toml::node& n, NodeConfig& c) -> Status {
    auto v = n.value<int64_t>();
    if (!n.is_integer() || !v) return Status::InvalidArgument("must be an integer");
    if (*v < 0 || static_cast<uint64_t>(*v) < min || static_cast<uint64_t>(*v) > max) {
      return Status::InvalidArgument("must be between " + std::to_string(min) + " and " +
                                     std::to_string(max) + " (got " + std::to_string(*v) + ")");
    }
    c.*field = static_cast<T>(*v);
    return Status::Ok();
  };
}

std::function<Status(const toml::node&, NodeConfig&)> Bool(bool NodeConfig::*field) {
  return [=](const toml::node& n, NodeConfig& c) -> Status {
    if (!n.is_boolean()) return Status::InvalidArgument("must be true or false");
    c.*field = *n.value<bool>();
    return Status::Ok();
  };
}

std::function<Status(const toml::node&, NodeConfig&)> Probability(double NodeConfig::*field) {
  return [=](const toml::node& n, NodeConfig& c) -> Status {
    auto v = n.value<double>();
    if (!v || !(n.is_floating_point() || n.is_integer())) {
      return Status::InvalidArgument("must be a number");
    }
    if (!(*v >= 0.0 && *v <= 1.0)) {
      return Status::InvalidArgument("must be between 0 and 1 (got " + std::to_string(*v) + ")");
    }
    c.*field = *v;
    return Status::Ok();
  };
}

std::function<Status(const toml::node&, NodeConfig&)> String(
    std::string NodeConfig::*field, std::function<bool(const std::string&)> valid,
    std::string expected) {
  return [=](const toml::node& n, NodeConfig& c) -> Status {
    if (!n.is_string()) return Status::InvalidArgument("must be a string (" + expected + ")");
    std::string v = *n.value<std::string>();
    if (!valid(v)) return Status::InvalidArgument(Quote(v) + " is not " + expected);
    c.*field = std::move(v);
    return Status::Ok();
  };
}

const std::vector<Key>& Keys() {
  static const std::vector<Key> keys = [] {
    auto non_empty = [](const std::string& s) { return !s.empty() && s.size() <= 256; };
    auto one_of = [](std::set<std::string> allowed) {
      return [allowed](const std::string& s) { return allowed.count(s) != 0; };
    };
    std::vector<Key> k;
    k.push_back({"moniker", String(&NodeConfig::moniker, non_empty, "1 to 256 characters")});
    k.push_back({"p2p.listen", String(&NodeConfig::p2p_listen, ValidAddress, "host:port")});
    k.push_back({"p2p.peers", [](const toml::node& n, NodeConfig& c) -> Status {
                   const toml::array* a = n.as_array();
                   if (a == nullptr) return Status::InvalidArgument("must be an array of strings");
                   c.p2p_peers.clear();
                   for (const toml::node& e : *a) {
                     auto s = e.value<std::string>();
                     if (!e.is_string() || !s || !ValidPeer(*s)) {
                       return Status::InvalidArgument(
                           "each peer must be \"<public key hex>@host:port\" (got " +
                           (s ? Quote(*s) : std::string("a non-string")) + ")");
                     }
                     c.p2p_peers.push_back(*s);
                   }
                   return Status::Ok();
                 }});
    k.push_back({"p2p.frame_bytes_max",
                 Uint(&NodeConfig::p2p_frame_bytes_max, 1 << 16, uint64_t{1} << 30)});
    k.push_back({"rpc.listen", String(&NodeConfig::rpc_listen, ValidAddress, "host:port")});
    k.push_back(
        {"rpc.client_listen", String(&NodeConfig::rpc_client_listen, ValidAddress, "host:port")});
    k.push_back({"rpc.broadcast_commit_timeout_ms",
                 Uint(&NodeConfig::rpc_broadcast_commit_timeout_ms, 1, 600'000)});
    k.push_back({"rpc.admin", Bool(&NodeConfig::rpc_admin)});
    k.push_back({"faults.enabled", Bool(&NodeConfig::faults_enabled)});
    k.push_back({"faults.drop_probability", Probability(&NodeConfig::faults_drop_probability)});
    k.push_back(
        {"faults.duplicate_probability", Probability(&NodeConfig::faults_duplicate_probability)});
    k.push_back({"faults.delay_ms_min", Uint(&NodeConfig::faults_delay_ms_min, 0, 600'000)});
    k.push_back({"faults.delay_ms_max", Uint(&NodeConfig::faults_delay_ms_max, 0, 600'000)});
    k.push_back({"faults.partitioned", [](const toml::node& n, NodeConfig& c) -> Status {
                   const toml::array* a = n.as_array();
                   if (a == nullptr) {
                     return Status::InvalidArgument("must be an array of validator indices");
                   }
                   c.faults_partitioned.clear();
                   for (const toml::node& e : *a) {
                     auto v = e.value<int64_t>();
                     if (!e.is_integer() || !v || *v < 0 || *v >= int64_t{1} << 16) {
                       return Status::InvalidArgument(
                           "each entry must be a validator index (an integer from 0)");
                     }
                     c.faults_partitioned.push_back(static_cast<uint32_t>(*v));
                   }
                   return Status::Ok();
                 }});
    k.push_back(
        {"consensus.round_timeout_base_ms", Uint(&NodeConfig::round_timeout_base_ms, 10, 600'000)});
    k.push_back(
        {"consensus.round_timeout_factor", [](const toml::node& n, NodeConfig& c) -> Status {
           auto v = n.value<double>();
           if (!v || !(n.is_floating_point() || n.is_integer())) {
             return Status::InvalidArgument("must be a number");
           }
           if (*v < 1.0 || *v > 10.0) {
             return Status::InvalidArgument("must be between 1.0 and 10.0 (got " +
                                            std::to_string(*v) + ")");
           }
           c.round_timeout_factor = *v;
           return Status::Ok();
         }});
    k.push_back({"consensus.round_timeout_exponent_max",
                 Uint(&NodeConfig::round_timeout_exponent_max, 0, 30)});
    k.push_back({"consensus.idle_empty_blocks", Bool(&NodeConfig::idle_empty_blocks)});
    k.push_back({"consensus.empty_block_interval_ms",
                 Uint(&NodeConfig::empty_block_interval_ms, 1, 600'000)});
    k.push_back({"consensus.payload_bytes_max",
                 Uint(&NodeConfig::payload_bytes_max, 1, uint64_t{64} << 20)});
    k.push_back({"consensus.payload_txs_max", Uint(&NodeConfig::payload_txs_max, 1, 100'000)});
    k.push_back({"mempool.tx_bytes_max", Uint(&NodeConfig::mempool_tx_bytes_max, 1, 1 << 20)});
    k.push_back({"mempool.txs_max", Uint(&NodeConfig::mempool_txs_max, 1, 10'000'000)});
    k.push_back({"mempool.bytes_max", Uint(&NodeConfig::mempool_bytes_max, 1, uint64_t{16} << 30)});
    k.push_back({"mempool.cache_max", Uint(&NodeConfig::mempool_cache_max, 0, 10'000'000)});
    k.push_back({"storage.sync", Bool(&NodeConfig::storage_sync)});
    k.push_back({"app.app", String(&NodeConfig::app, non_empty,
                                   "kvstore, counter, noop, PATH.so, unix:PATH or tcp:HOST:PORT")});
    k.push_back({"log.level",
                 String(&NodeConfig::log_level, one_of({"trace", "debug", "info", "warn", "error"}),
                        "one of trace, debug, info, warn, error")});
    k.push_back(
        {"log.format", String(&NodeConfig::log_format, one_of({"text", "json"}), "text or json")});
    return k;
  }();
  return keys;
}

// Checks that need more than one key.
Status CheckTogether(const NodeConfig& c) {
  if (c.faults_delay_ms_min > c.faults_delay_ms_max) {
    return Status::InvalidArgument("faults.delay_ms_min: must not exceed faults.delay_ms_max (" +
                                   std::to_string(c.faults_delay_ms_min) + " > " +
                                   std::to_string(c.faults_delay_ms_max) + ")");
  }
  if (c.empty_block_interval_ms >= c.round_timeout_base_ms) {
    return Status::InvalidArgument(
        "consensus.empty_block_interval_ms: must be below consensus.round_timeout_base_ms (" +
        std::to_string(c.empty_block_interval_ms) +
        " >= " + std::to_string(c.round_timeout_base_ms) + ")");
  }
  if (c.payload_bytes_max + (1 << 16) > c.p2p_frame_bytes_max) {
    return Status::InvalidArgument(
        "consensus.payload_bytes_max: a full block must fit in a frame: at most "
        "p2p.frame_bytes_max - 65536 (" +
        std::to_string(c.p2p_frame_bytes_max - (1 << 16)) + ")");
  }
  if (c.mempool_tx_bytes_max > c.payload_bytes_max) {
    return Status::InvalidArgument(
        "mempool.tx_bytes_max: a transaction must fit in a block: at most "
        "consensus.payload_bytes_max (" +
        std::to_string(c.payload_bytes_max) + ")");
  }
  return Status::Ok();
}

}  // namespace

std::string RenderConfig(const NodeConfig& c) {
  std::ostringstream o;
  o << "# hotbft node configuration. Every key is shown with its value; a key left out takes\n"
       "# the default given in its comment.\n\n"
       "# A name for this node in logs and status (default \"node\").\n"
    << "moniker = " << Quote(c.moniker) << "\n\n"
    << "[p2p]\n"
       "# Where this validator listens for its peers (default \"127.0.0.1:26656\").\n"
    << "listen = " << Quote(c.p2p_listen) << "\n"
    << "# The other validators, each \"<public key hex>@<host>:<port>\" (default: none).\n"
       "peers = [";
  for (size_t i = 0; i < c.p2p_peers.size(); ++i) {
    o << (i == 0 ? "\n  " : ",\n  ") << Quote(c.p2p_peers[i]);
  }
  o << (c.p2p_peers.empty() ? "]\n" : ",\n]\n")
    << "# Largest frame accepted from or sent to a peer, in bytes (default 16777216).\n"
    << "frame_bytes_max = " << c.p2p_frame_bytes_max << "\n\n"
    << "[rpc]\n"
       "# HTTP/JSON RPC address; keep it on 127.0.0.1 unless a proxy guards it\n"
       "# (default \"127.0.0.1:26657\").\n"
    << "listen = " << Quote(c.rpc_listen) << "\n"
    << "# Binary client port for high-rate submitters (default \"127.0.0.1:26658\").\n"
    << "client_listen = " << Quote(c.rpc_client_listen) << "\n"
    << "# How long broadcast_tx_commit waits for the commit (default 10000).\n"
    << "broadcast_commit_timeout_ms = " << c.rpc_broadcast_commit_timeout_ms << "\n"
    << "# Serve the unsafe_* methods that change the fault injection below at run time.\n"
       "# Tests only: anyone who reaches the RPC could cut this validator off (default false).\n"
    << "admin = " << (c.rpc_admin ? "true" : "false") << "\n\n"
    << "[faults]\n"
       "# Fault injection on the p2p network, for tests (default: off). Messages to and from\n"
       "# peers are dropped or duplicated with these probabilities and delayed uniformly in\n"
       "# [delay_ms_min, delay_ms_max]; the validators listed in partitioned (indices) are cut\n"
       "# off from this one. Never on a validator that matters.\n"
    << "enabled = " << (c.faults_enabled ? "true" : "false") << "\n"
    << "drop_probability = " << c.faults_drop_probability << "\n"
    << "duplicate_probability = " << c.faults_duplicate_probability << "\n"
    << "delay_ms_min = " << c.faults_delay_ms_min << "\n"
    << "delay_ms_max = " << c.faults_delay_ms_max << "\n"
    << "partitioned = [";
  for (size_t i = 0; i < c.faults_partitioned.size(); ++i) {
    o << (i == 0 ? "" : ", ") << c.faults_partitioned[i];
  }
  o << "]\n\n"
    << "[consensus]\n"
       "# Round deadline: base * factor ^ min(exponent_max, rounds since the last commit - 3).\n"
       "# Defaults 1000, 1.2, 6.\n"
    << "round_timeout_base_ms = " << c.round_timeout_base_ms << "\n"
    << "round_timeout_factor = " << c.round_timeout_factor << "\n"
    << "round_timeout_exponent_max = " << c.round_timeout_exponent_max << "\n"
    << "# Propose an empty block every empty_block_interval_ms when idle (default false:\n"
       "# an idle chain makes no blocks; empty blocks only when the 3-chain needs them).\n"
    << "idle_empty_blocks = " << (c.idle_empty_blocks ? "true" : "false") << "\n"
    << "# Below round_timeout_base_ms (default 500).\n"
    << "empty_block_interval_ms = " << c.empty_block_interval_ms << "\n"
    << "# Bounds on one block's payload (defaults 4194304 bytes, 10000 transactions).\n"
    << "payload_bytes_max = " << c.payload_bytes_max << "\n"
    << "payload_txs_max = " << c.payload_txs_max << "\n\n"
    << "[mempool]\n"
       "# Largest transaction, in bytes (default 1048576).\n"
    << "tx_bytes_max = " << c.mempool_tx_bytes_max << "\n"
    << "# Bounds on the pool: transactions and their bytes (defaults 100000, 268435456).\n"
    << "txs_max = " << c.mempool_txs_max << "\n"
    << "bytes_max = " << c.mempool_bytes_max << "\n"
    << "# Hashes of recently committed and refused transactions kept for dedup\n"
       "# (default 200000).\n"
    << "cache_max = " << c.mempool_cache_max << "\n\n"
    << "[storage]\n"
       "# Sync every write to disk (default true). false loses recent writes, safety data\n"
       "# included, on a machine crash: only for benchmarks.\n"
    << "sync = " << (c.storage_sync ? "true" : "false") << "\n\n"
    << "[app]\n"
       "# The application: kvstore, counter, noop, a plugin PATH.so, or an app process at\n"
       "# unix:PATH or tcp:HOST:PORT (default \"kvstore\").\n"
    << "app = " << Quote(c.app) << "\n\n"
    << "[log]\n"
       "# trace, debug, info, warn or error (default \"info\").\n"
    << "level = " << Quote(c.log_level) << "\n"
    << "# text or json (default \"text\").\n"
    << "format = " << Quote(c.log_format) << "\n";
  return o.str();
}

Result<NodeConfig> ParseConfig(std::string_view text, const std::string& source) {
  auto error = [&](const std::string& key, const std::string& why) {
    return Status::InvalidArgument("config " + source + ": " + key + ": " + why);
  };
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    return Status::InvalidArgument("config " + source + ": line " +
                                   std::to_string(e.source().begin.line) + ": " +
                                   std::string(e.description()));
  }
  std::map<std::string, const Key*> known;
  for (const Key& k : Keys()) known[k.name] = &k;
  NodeConfig config;
  for (const auto& [key, node] : root) {
    const std::string name(key.str());
    if (node.is_table()) {
      for (const auto& [sub_key, sub] : *node.as_table()) {
        const std::string full = name + "." + std::string(sub_key.str());
        auto it = known.find(full);
        if (it == known.end()) return error(full, "unknown key");
        if (Status s = it->second->set(sub, config); !s.ok()) return error(full, s.message());
      }
      continue;
    }
    auto it = known.find(name);
    if (it == known.end()) return error(name, "unknown key");
    if (Status s = it->second->set(node, config); !s.ok()) return error(name, s.message());
  }
  if (Status s = CheckTogether(config); !s.ok()) {
    return Status::InvalidArgument("config " + source + ": " + s.message());
  }
  return config;
}

Result<NodeConfig> LoadConfig(const std::string& path) {
  auto text = ReadFileBounded(path, kConfigBytesMax);
  if (!text.ok()) return text.status().With("reading the config file");
  return ParseConfig(*text, path);
}

}  // namespace hotbft::node
