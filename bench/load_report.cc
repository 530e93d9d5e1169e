// The load generator's targets and its reports (load_generator.h).
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <map>

#include "bench/load_generator.h"
#include "node/config.h"
#include "node/home.h"

namespace hotbft::bench {
namespace {

std::string RunIdHex(uint64_t run_id) {
  char text[24];
  std::snprintf(text, sizeof(text), "%012llx", static_cast<unsigned long long>(run_id));
  return text;
}

std::string Fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.*f", decimals, value);
  return text;
}

// A listen address as a client dials it: a wildcard host becomes loopback.
std::string DialAddress(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return listen;
  const std::string host = listen.substr(0, colon);
  if (host == "0.0.0.0" || host.empty()) return "127.0.0.1" + listen.substr(colon);
  if (host == "[::]") return "[::1]" + listen.substr(colon);
  return listen;
}

}  // namespace

Result<std::vector<std::string>> ParseTargets(std::string_view list) {
  std::vector<std::string> out;
  size_t begin = 0;
  while (begin <= list.size()) {
    size_t end = list.find(',', begin);
    if (end == std::string_view::npos) end = list.size();
    std::string_view item = list.substr(begin, end - begin);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    const size_t colon = item.rfind(':');
    unsigned port = 0;
    bool ok = colon != std::string_view::npos && colon > 0 && colon + 1 < item.size();
    if (ok) {
      const char* last = item.data() + item.size();
      const auto parsed = std::from_chars(item.data() + colon + 1, last, port);
      ok = parsed.ec == std::errc() && parsed.ptr == last && port > 0 && port <= 65535;
    }
    if (!ok) {
      return Status::InvalidArgument("target \"" + std::string(item) +
                                     "\" is not HOST:PORT (in \"" + std::string(list) + "\")");
    }
    out.emplace_back(item);
    begin = end + 1;
  }
  return out;
}

Result<std::vector<std::string>> TestnetTargets(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::map<unsigned, std::string> configs;  // node index -> config.toml
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    unsigned index = 0;
    if (name.size() <= 4 || name.compare(0, 4, "node") != 0) continue;
    const char* last = name.data() + name.size();
    const auto parsed = std::from_chars(name.data() + 4, last, index);
    if (parsed.ec != std::errc() || parsed.ptr != last) continue;
    const std::string config = node::PathsOf(entry.path().string()).config;
    if (fs::exists(config)) configs[index] = config;
  }
  if (ec) return Status::IoError("testnet directory " + dir + ": " + ec.message());
  if (configs.empty()) {
    return Status::NotFound("no node<i>/config.toml in " + dir +
                            " (create a testnet with `hotbft testnet --output " + dir + "`)");
  }
  std::vector<std::string> out;
  for (const auto& [index, path] : configs) {
    auto config = node::LoadConfig(path);
    if (!config.ok()) return config.status();
    out.push_back(DialAddress(config->rpc_client_listen));
  }
  return out;
}

nlohmann::json ReportJson(const LoadReport& r) {
  nlohmann::json errors = nlohmann::json::object();
  for (size_t i = 0; i < r.errors.size(); ++i) {
    errors[std::string(LoadErrorName(static_cast<LoadError>(i)))] = r.errors[i];
  }
  return {
      {"run_id", RunIdHex(r.run_id)},
      {"targets", r.targets},
      {"connections", r.connections},
      {"app", r.app},
      {"tx_bytes", r.tx_bytes},
      {"rate_tx_per_s", r.rate_tx_per_s},
      {"inflight_max", r.inflight_max},
      {"duration_s", r.duration_s},
      {"window_s", r.window_s},
      {"interrupted", r.interrupted},
      {"sent_s", r.sent_s},
      {"elapsed_s", r.elapsed_s},
      {"submitted", r.submitted},
      {"admitted", r.admitted},
      {"committed", r.committed},
      {"committed_failed", r.committed_failed},
      {"committed_in_window", r.committed_in_window},
      {"committed_tx_per_s", r.committed_tx_per_s},
      {"unfinished", r.unfinished},
      {"latency_ms",
       {{"p50", r.latency.p50_ms},
        {"p90", r.latency.p90_ms},
        {"p99", r.latency.p99_ms},
        {"max", r.latency.max_ms},
        {"mean", r.latency.mean_ms}}},
      {"errors", errors},
      {"errors_total", r.errors_total()},
      {"disconnects", r.disconnects},
      {"last_error", r.last_error},
  };
}

std::string FormatReport(const LoadReport& r) {
  std::string out =
      "run " + RunIdHex(r.run_id) + ": " + std::to_string(r.targets.size()) + " target(s), " +
      std::to_string(r.connections) + " connection(s), " + r.app + " txs of " +
      std::to_string(r.tx_bytes) + " bytes, rate " +
      (r.rate_tx_per_s > 0 ? Fixed(r.rate_tx_per_s, 0) + " tx/s" : "unlimited") +
      ", in flight <= " + std::to_string(r.inflight_max) + "; sent for " + Fixed(r.sent_s, 1) +
      " s" + (r.interrupted ? " of the " + Fixed(r.duration_s, 1) + " s asked (interrupted)" : "") +
      ", ended after " + Fixed(r.elapsed_s, 1) + " s\n";
  out += "submitted   " + std::to_string(r.submitted) + "\n";
  out += "admitted    " + std::to_string(r.admitted) + "\n";
  out += "committed   " + std::to_string(r.committed) + " (" + std::to_string(r.committed_failed) +
         " with a non-zero execution code); " + std::to_string(r.committed_in_window) +
         " in the measured window: " + Fixed(r.committed_tx_per_s, 1) + " tx/s over " +
         Fixed(r.window_s, 1) + " s\n";
  out += "latency     p50 " + Fixed(r.latency.p50_ms, 1) + " ms  p90 " +
         Fixed(r.latency.p90_ms, 1) + " ms  p99 " + Fixed(r.latency.p99_ms, 1) + " ms  max " +
         Fixed(r.latency.max_ms, 1) + " ms  (mean " + Fixed(r.latency.mean_ms, 1) +
         " ms; send to commit notification)\n";
  out += "errors      " + std::to_string(r.errors_total()) + ":";
  for (size_t i = 0; i < r.errors.size(); ++i) {
    out += (i == 0 ? " " : ", ") + std::string(LoadErrorName(static_cast<LoadError>(i))) + " " +
           std::to_string(r.errors[i]);
  }
  out += "\nunfinished  " + std::to_string(r.unfinished) + "\n";
  if (r.disconnects > 0) out += "disconnects " + std::to_string(r.disconnects) + "\n";
  if (!r.last_error.empty()) out += "last error  " + r.last_error + "\n";
  return out;
}

std::string FormatProgress(const LoadProgress& p) {
  return "bench " + Fixed(p.elapsed_s, 0) + " s: committed " + std::to_string(p.committed_last_s) +
         " tx/s, p50 " + Fixed(p.p50_ms, 1) + " ms, p99 " + Fixed(p.p99_ms, 1) + " ms, in flight " +
         std::to_string(p.inflight) + ", errors " + std::to_string(p.errors) +
         (p.draining ? " (draining)" : "");
}

}  // namespace hotbft::bench
