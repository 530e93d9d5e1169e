#include "tests/integration/cluster.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "crypto/assert.h"
#include "node/config.h"

#ifndef HOTBFT_BINARY
#error "HOTBFT_BINARY must name the hotbft binary of this build"
#endif

namespace hotbft::integration {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr uint64_t kPollMs = 100;
constexpr uint64_t kRpcTimeoutMs = 15'000;
constexpr uint64_t kTestnetCommandMs = 60'000;
constexpr size_t kPortsPerSlot = 10;  // `hotbft testnet`: node i at base + 10 i
// Bases are tried from here up to the start of the ephemeral range: a port the validators'
// outbound connections can take would make a restarted node fail to bind.
constexpr uint32_t kPortLowest = 20'000;
constexpr uint32_t kPortTries = 200;

bool PortBindable(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  HOTBFT_ASSERT(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  close(fd);
  return ok;
}

uint32_t EphemeralLow() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  uint32_t low = 32'768;
  uint32_t high = 0;
  if (in >> low >> high && low > kPortLowest) return low;
  return 32'768;
}

// Port slots are leased between test processes (ctest -j runs several clusters at once): slot
// `base` is held by an exclusive flock on LEASE_DIR/slot-<base>.lock for the cluster's whole
// life, so a port a cluster's node leaves unbound while it is stopped or killed is not taken by
// another cluster. The kernel releases the lock when the process ends, however it ends.
std::string LeaseDir() {
  return ::testing::TempDir() + "hotbft-integration-ports";
}

// Locks the slots from `base` on; on success appends their descriptors to `locks`.
bool LeaseSlots(uint32_t base, uint32_t slots, std::vector<int>* locks) {
  std::vector<int> taken;
  for (uint32_t s = 0; s < slots; ++s) {
    const std::string path =
        LeaseDir() + "/slot-" + std::to_string(base + s * kPortsPerSlot) + ".lock";
    const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) != 0) {
      if (fd >= 0) close(fd);
      for (int t : taken) close(t);
      return false;
    }
    taken.push_back(fd);
  }
  locks->insert(locks->end(), taken.begin(), taken.end());
  return true;
}

Result<std::string> MakeTempDir() {
  std::string pattern = ::testing::TempDir() + "hotbft-integration-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    return Status::IoError("mkdtemp " + pattern + ": " + std::strerror(errno));
  }
  return pattern;
}

// A JSON integer given as a decimal string (64-bit values) or a number.
uint64_t U64(const json& v) {
  if (v.is_string()) return std::stoull(v.get<std::string>());
  return v.get<uint64_t>();
}

Result<NodeView> ParseView(const json& status) {
  try {
    NodeView view;
    const json& sync = status.at("sync_info");
    view.height = U64(sync.at("latest_block_height"));
    view.executed_height = U64(sync.at("executed_height"));
    view.app_hash = sync.at("latest_app_hash").get<std::string>();
    view.block_hash = sync.at("latest_block_hash").get<std::string>();
    view.round = U64(status.at("consensus").at("round"));
    view.halted = !status.at("consensus").at("halted").is_null();
    view.peers = status.at("peers").at("connected").get<uint32_t>();
    view.raw = status;
    return view;
  } catch (const std::exception& e) {
    return Status::Internal(std::string("unexpected /status shape: ") + e.what() + ": " +
                            status.dump());
  }
}

std::string DescribeViews(const std::vector<uint32_t>& nodes,
                          const std::vector<Result<NodeView>>& views) {
  std::string out;
  for (size_t k = 0; k < nodes.size(); ++k) {
    out += "\n  node" + std::to_string(nodes[k]) + ": ";
    if (!views[k].ok()) {
      out += views[k].status().ToString();
      continue;
    }
    const NodeView& v = *views[k];
    out += "height " + std::to_string(v.height) + ", executed " +
           std::to_string(v.executed_height) + ", app hash " + v.app_hash + ", round " +
           std::to_string(v.round) + ", peers " + std::to_string(v.peers) +
           (v.halted ? ", HALTED: " + v.raw["consensus"]["halted"].dump() : "");
  }
  return out;
}

}  // namespace

// Candidates start at a place derived from the pid and the clock, so that test processes run
// side by side start apart.
Result<uint16_t> LeasePortBase(uint32_t slots, std::vector<int>* locks) {
  const uint32_t span = slots * kPortsPerSlot;
  const uint32_t high = EphemeralLow();
  HOTBFT_ASSERT(high > kPortLowest + span);
  const uint32_t bases = (high - kPortLowest - span) / kPortsPerSlot;
  HOTBFT_ASSERT(bases > 0);
  std::error_code error;
  fs::create_directories(LeaseDir(), error);
  if (error) return Status::IoError("creating " + LeaseDir() + ": " + error.message());
  const uint64_t start = static_cast<uint64_t>(getpid()) * 7919 + MonotonicMs();
  for (uint32_t attempt = 0; attempt < kPortTries; ++attempt) {
    const uint32_t base =
        kPortLowest + static_cast<uint32_t>((start + attempt * 101) % bases) * kPortsPerSlot;
    std::vector<int> leased;
    if (!LeaseSlots(base, slots, &leased)) continue;
    bool free = true;
    for (uint32_t p = base; p < base + span && free; ++p) free = PortBindable(p);
    if (free) {
      locks->insert(locks->end(), leased.begin(), leased.end());
      return static_cast<uint16_t>(base);
    }
    for (int fd : leased) close(fd);
  }
  return Status::ResourceExhausted("no base port with " + std::to_string(span) +
                                   " free, unleased ports in " + std::to_string(kPortTries) +
                                   " tries (leases in " + LeaseDir() + ")");
}

uint64_t MonotonicMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

uint16_t PortOf(const std::string& address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) return 0;
  const unsigned long port = std::strtoul(address.c_str() + colon + 1, nullptr, 10);
  return port > 0 && port <= 65535 ? static_cast<uint16_t>(port) : 0;
}

Cluster::Cluster(ClusterOptions options) : options_(std::move(options)), binary_(HOTBFT_BINARY) {}

Cluster::~Cluster() {
  clients_.clear();
  for (auto& p : processes_) p->Kill();
  for (int fd : port_locks_) close(fd);  // after the kills: the ports are free again
  if (!dir_.empty() && getenv("HOTBFT_INTEGRATION_KEEP") == nullptr) {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  } else if (!dir_.empty()) {
    std::fprintf(stderr, "integration: kept %s (HOTBFT_INTEGRATION_KEEP)\n", dir_.c_str());
  }
}

Result<std::unique_ptr<Cluster>> Cluster::Create(const ClusterOptions& options) {
  HOTBFT_ASSERT(options.validators >= 1);
  std::unique_ptr<Cluster> cluster(new Cluster(options));
  auto dir = MakeTempDir();
  if (!dir.ok()) return dir.status();
  cluster->dir_ = *dir;
  HOTBFT_RETURN_IF_ERROR(cluster->Generate());
  return cluster;
}

Status Cluster::Generate() {
  auto base = LeasePortBase(options_.validators + options_.spare_slots, &port_locks_);
  if (!base.ok()) return base.status();
  base_port_ = *base;
  const std::string output = dir_ + "/testnet";
  HOTBFT_RETURN_IF_ERROR(
      RunToCompletion({binary_, "testnet", "--validators", std::to_string(options_.validators),
                       "--output", output, "--base-port", std::to_string(base_port_), "--chain-id",
                       options_.chain_id, "--app", options_.app},
                      dir_ + "/testnet.log", kTestnetCommandMs));
  for (uint32_t i = 0; i < options_.validators; ++i) {
    const std::string home = output + "/node" + std::to_string(i);
    auto config = node::LoadConfig(home + "/config.toml");
    if (!config.ok()) return config.status();
    HOTBFT_RETURN_IF_ERROR(Tune(home + "/config.toml"));
    NodeInfo info;
    info.home = home;
    info.p2p = config->p2p_listen;
    info.rpc = config->rpc_listen;
    info.client = config->rpc_client_listen;
    info.p2p_port = PortOf(info.p2p);
    AddNode(std::move(info));
  }
  // The public keys: every other node's config lists node i as "<key>@<p2p address>".
  auto config0 = node::LoadConfig(nodes_[0].home + "/config.toml");
  if (!config0.ok()) return config0.status();
  auto config1 = node::LoadConfig(nodes_[size() > 1 ? 1 : 0].home + "/config.toml");
  if (!config1.ok()) return config1.status();
  for (const auto* config : {&*config0, &*config1}) {
    for (const std::string& peer : config->p2p_peers) {
      const size_t at = peer.find('@');
      for (NodeInfo& n : nodes_) {
        if (at != std::string::npos && peer.substr(at + 1) == n.p2p) {
          n.public_key = peer.substr(0, at);
        }
      }
    }
  }
  return Status::Ok();
}

Status Cluster::Tune(const std::string& config_path) const {
  auto config = node::LoadConfig(config_path);
  if (!config.ok()) return config.status();
  config->round_timeout_base_ms = options_.round_timeout_base_ms;
  config->round_timeout_factor = options_.round_timeout_factor;
  config->round_timeout_exponent_max = options_.round_timeout_exponent_max;
  config->idle_empty_blocks = options_.idle_empty_blocks;
  config->empty_block_interval_ms = options_.empty_block_interval_ms;
  config->rpc_broadcast_commit_timeout_ms = options_.broadcast_commit_timeout_ms;
  config->log_level = options_.log_level;
  config->rpc_admin = options_.rpc_admin;
  {
    std::ofstream out(config_path, std::ios::trunc);
    out << node::RenderConfig(*config);
    if (!out) return Status::IoError("writing " + config_path);
  }
  // What was written must load back as written.
  auto check = node::LoadConfig(config_path);
  if (!check.ok()) return check.status();
  HOTBFT_ASSERT(*check == *config);
  return Status::Ok();
}

const NodeInfo& Cluster::node(uint32_t i) const {
  HOTBFT_ASSERT(i < nodes_.size());
  return nodes_[i];
}

uint16_t Cluster::SpareSlotPort(uint32_t slot) const {
  HOTBFT_ASSERT(slot < options_.spare_slots);
  return static_cast<uint16_t>(base_port_ + kPortsPerSlot * (options_.validators + slot));
}

uint32_t Cluster::AddNode(NodeInfo info) {
  nodes_.push_back(std::move(info));
  processes_.push_back(std::make_unique<Process>());
  clients_.emplace_back();
  return size() - 1;
}

std::string Cluster::log_path(uint32_t i) const {
  return node(i).home + "/node.log";
}

std::vector<uint32_t> Cluster::AllValidators() const {
  std::vector<uint32_t> all;
  for (uint32_t i = 0; i < options_.validators; ++i) all.push_back(i);
  return all;
}

// ---- Processes ----

Status Cluster::Start(uint32_t i) {
  HOTBFT_ASSERT(i < nodes_.size());
  if (processes_[i]->running()) {
    return Status::FailedPrecondition("node" + std::to_string(i) + " is running");
  }
  clients_[i].reset();
  std::ofstream(log_path(i), std::ios::app)
      << "---- integration: starting node" << i << " (" << MonotonicMs() << " ms) ----\n";
  auto custom = start_commands_.find(i);
  if (custom == start_commands_.end()) {
    return processes_[i]->Start({binary_, "start", "--home", node(i).home}, log_path(i));
  }
  std::vector<std::string> argv = {custom->second.first, "start", "--home", node(i).home};
  argv.insert(argv.end(), custom->second.second.begin(), custom->second.second.end());
  return processes_[i]->Start(argv, log_path(i));
}

void Cluster::SetStartCommand(uint32_t i, std::string binary, std::vector<std::string> args) {
  HOTBFT_ASSERT(i < nodes_.size());
  start_commands_[i] = {std::move(binary), std::move(args)};
}

Status Cluster::StartAll(uint64_t timeout_ms) {
  for (uint32_t i : AllValidators()) HOTBFT_RETURN_IF_ERROR(Start(i));
  const uint64_t deadline = MonotonicMs() + timeout_ms;
  for (uint32_t i : AllValidators()) {
    const uint64_t now = MonotonicMs();
    auto ready = WaitForStatus(i, deadline > now ? deadline - now : 0);
    if (!ready) return Status::Internal(ready.message());
  }
  return Status::Ok();
}

bool Cluster::Stop(uint32_t i, uint64_t timeout_ms) {
  HOTBFT_ASSERT(i < nodes_.size());
  clients_[i].reset();
  return processes_[i]->Stop(timeout_ms);
}

void Cluster::Kill(uint32_t i) {
  HOTBFT_ASSERT(i < nodes_.size());
  clients_[i].reset();
  processes_[i]->Kill();
}

bool Cluster::Running(uint32_t i) {
  HOTBFT_ASSERT(i < nodes_.size());
  return processes_[i]->running();
}

std::string Cluster::ProcessState(uint32_t i) {
  if (Running(i)) return "running";
  const auto status = processes_[i]->wait_status();
  return status ? DescribeWaitStatus(*status) : "not started";
}

// ---- RPC ----

Result<node::RpcClient*> Cluster::Rpc(uint32_t i) {
  HOTBFT_ASSERT(i < nodes_.size());
  if (!clients_[i]) {
    auto client = node::RpcClient::Connect(node(i).rpc, kRpcTimeoutMs);
    if (!client.ok()) return client.status();
    clients_[i] = std::move(*client);
  }
  return clients_[i].get();
}

Result<json> Cluster::Call(uint32_t i, const std::string& method, const json& params) {
  auto client = Rpc(i);
  if (!client.ok()) return client.status();
  auto result = (*client)->Call(method, params);
  // An I/O error leaves the client unusable; a JSON-RPC error does not, but a reconnect is
  // cheap, so any kIoError drops it.
  if (!result.ok() && result.status().code() == Status::Code::kIoError) clients_[i].reset();
  return result;
}

Result<NodeView> Cluster::View(uint32_t i) {
  auto status = Call(i, "status");
  if (!status.ok()) return status.status();
  return ParseView(*status);
}

Result<std::string> Cluster::BlockId(uint32_t i, uint64_t height) {
  auto block = Call(i, "block", json{{"height", std::to_string(height)}});
  if (!block.ok()) return block.status();
  if (!block->contains("block_id") || !(*block)["block_id"].is_string()) {
    return Status::Internal("unexpected /block shape: " + block->dump());
  }
  return (*block)["block_id"].get<std::string>();
}

// ---- Logs ----

std::string Cluster::LogTails(size_t lines) const {
  std::vector<uint32_t> all;
  for (uint32_t i = 0; i < size(); ++i) all.push_back(i);
  return LogTails(all, lines);
}

std::string Cluster::LogTails(const std::vector<uint32_t>& nodes, size_t lines) const {
  std::string out = "testnet directory: " + dir_ + "\n";
  for (uint32_t i : nodes) {
    out += "---- node" + std::to_string(i) + " (" + log_path(i) + "), last " +
           std::to_string(lines) + " lines ----\n" + FileTail(log_path(i), lines);
  }
  return out;
}

std::string Cluster::Log(uint32_t i) const {
  std::ifstream in(log_path(i));
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// ---- Waits ----

::testing::AssertionResult Cluster::WaitUntil(
    const std::string& what, uint64_t timeout_ms,
    const std::function<bool(std::string* detail)>& check) {
  const uint64_t start = MonotonicMs();
  std::string detail;
  while (true) {
    if (check(&detail)) return ::testing::AssertionSuccess();
    if (MonotonicMs() - start >= timeout_ms) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(kPollMs));
  }
  return ::testing::AssertionFailure()
         << "timed out after " << timeout_ms << " ms waiting until " << what
         << "; last seen:" << (detail.empty() ? std::string(" (nothing)") : detail) << "\n"
         << LogTails();
}

::testing::AssertionResult Cluster::WaitForStatus(uint32_t i, uint64_t timeout_ms) {
  auto answered = WaitUntil("node" + std::to_string(i) + " answers /status", timeout_ms,
                            [&](std::string* detail) {
                              auto view = View(i);
                              if (!view.ok()) *detail = " " + view.status().ToString();
                              // An ended process will not answer: stop waiting.
                              return view.ok() || !Running(i);
                            });
  if (!answered) return answered;
  if (!Running(i)) {
    return ::testing::AssertionFailure() << "node" << i << " ended: " << ProcessState(i) << "\n"
                                         << LogTails({i}, 60);
  }
  return answered;
}

::testing::AssertionResult Cluster::WaitForExecuted(const std::vector<uint32_t>& nodes,
                                                    uint64_t height, uint64_t timeout_ms) {
  return WaitUntil("nodes have executed height " + std::to_string(height), timeout_ms,
                   [&](std::string* detail) {
                     std::vector<Result<NodeView>> views;
                     bool all = true;
                     for (uint32_t i : nodes) {
                       views.push_back(View(i));
                       all = all && views.back().ok() && views.back()->executed_height >= height;
                     }
                     *detail = DescribeViews(nodes, views);
                     return all;
                   });
}

::testing::AssertionResult Cluster::WaitForProgress(const std::vector<uint32_t>& nodes,
                                                    uint64_t blocks, uint64_t timeout_ms) {
  uint64_t from = 0;
  for (uint32_t i : nodes) {
    auto view = View(i);
    if (view.ok()) from = std::max(from, view->executed_height);
  }
  return WaitForExecuted(nodes, from + blocks, timeout_ms);
}

::testing::AssertionResult Cluster::WaitForAgreement(const std::vector<uint32_t>& nodes,
                                                     uint64_t height_min, uint64_t timeout_ms,
                                                     uint64_t* common_height) {
  HOTBFT_ASSERT(!nodes.empty());
  std::optional<::testing::AssertionResult> divergence;
  auto settled = WaitUntil("nodes settle at one executed height >= " + std::to_string(height_min),
                           timeout_ms, [&](std::string* detail) {
                             std::vector<Result<NodeView>> views;
                             for (uint32_t i : nodes) views.push_back(View(i));
                             *detail = DescribeViews(nodes, views);
                             // A halted node never settles: no use waiting for it.
                             for (size_t k = 0; k < nodes.size(); ++k) {
                               if (views[k].ok() && views[k]->halted) {
                                 divergence = ::testing::AssertionFailure()
                                              << "node" << nodes[k] << " halted:" << *detail << "\n"
                                              << LogTails();
                                 return true;
                               }
                             }
                             for (const auto& v : views) {
                               if (!v.ok() || v->executed_height != v->height) return false;
                               if (v->executed_height != views[0]->executed_height) return false;
                             }
                             const uint64_t height = views[0]->executed_height;
                             if (height < height_min) return false;
                             // One executed height everywhere: app hashes and block ids must be
                             // equal.
                             std::string first_block;
                             for (size_t k = 0; k < nodes.size(); ++k) {
                               auto id = BlockId(nodes[k], height);
                               if (!id.ok()) return false;
                               if (k == 0) first_block = *id;
                               if (views[k]->app_hash != views[0]->app_hash || *id != first_block) {
                                 divergence = ::testing::AssertionFailure()
                                              << "nodes disagree at height " << height
                                              << " (block ids " << first_block << " vs " << *id
                                              << " on node" << nodes[k] << "):" << *detail << "\n"
                                              << LogTails();
                                 return true;
                               }
                             }
                             if (common_height != nullptr) *common_height = height;
                             return true;
                           });
  if (divergence) return *divergence;
  return settled;
}

}  // namespace hotbft::integration
