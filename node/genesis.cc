#include "node/genesis.h"

#include <nlohmann/json.hpp>
#include <set>

#include "crypto/canonical.h"
#include "crypto/file_io.h"
#include "crypto/sha256.h"

namespace hotbft::node {
namespace {

constexpr size_t kGenesisBytesMax = 64 << 20;
constexpr size_t kChainIdMax = 64;
constexpr size_t kNameMax = 64;

bool ValidChainId(std::string_view id) {
  if (id.empty() || id.size() > kChainIdMax) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

Hash32 Genesis::Commitment() const {
  CanonicalWriter w;
  w.Var(AsBytes(chain_id)).U64(genesis_time_ms).U64(epoch);
  w.U32(static_cast<uint32_t>(validators.size()));
  for (const GenesisValidator& v : validators) w.Var(AsBytes(v.name)).Fixed(v.public_key.view());
  w.Var(app_state);
  return Sha256(w.bytes());
}

Result<ValidatorSet> Genesis::Validators() const {
  std::vector<PublicKey> keys;
  for (const GenesisValidator& v : validators) keys.push_back(v.public_key);
  return ValidatorSet::Create(std::move(keys));
}

std::shared_ptr<const Block> Genesis::GenesisBlock() const {
  return MakeGenesisBlock(chain_id, epoch, static_cast<uint32_t>(validators.size()), Commitment(),
                          genesis_time_ms);
}

std::string Genesis::ToJson() const {
  nlohmann::json validators_json = nlohmann::json::array();
  for (const GenesisValidator& v : validators) {
    validators_json.push_back({{"name", v.name}, {"public_key", v.public_key.hex()}});
  }
  nlohmann::json j = {
      {"chain_id", chain_id},          {"genesis_time_ms", genesis_time_ms}, {"epoch", epoch},
      {"validators", validators_json}, {"app_state", ToHex(app_state)},
  };
  return j.dump(2) + "\n";
}

Result<Genesis> ParseGenesis(std::string_view json, const std::string& source) {
  auto error = [&](const std::string& what) {
    return Status::InvalidArgument("genesis file " + source + ": " + what);
  };
  nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return error("not valid JSON");
  if (!j.is_object()) return error("not a JSON object");
  static const std::set<std::string> kKeys = {"chain_id", "genesis_time_ms", "epoch", "validators",
                                              "app_state"};
  for (const auto& [key, value] : j.items()) {
    if (kKeys.count(key) == 0) return error("unknown field \"" + key + "\"");
  }
  Genesis g;
  if (!j.contains("chain_id") || !j["chain_id"].is_string()) return error("chain_id: missing");
  g.chain_id = j["chain_id"].get<std::string>();
  if (!ValidChainId(g.chain_id)) {
    return error("chain_id \"" + g.chain_id + "\": 1 to 64 characters of A-Z a-z 0-9 . _ -");
  }
  if (!j.contains("genesis_time_ms") || !j["genesis_time_ms"].is_number_unsigned()) {
    return error("genesis_time_ms: missing or not a non-negative integer");
  }
  g.genesis_time_ms = j["genesis_time_ms"].get<uint64_t>();
  if (j.contains("epoch")) {
    if (!j["epoch"].is_number_unsigned()) return error("epoch: not a non-negative integer");
    g.epoch = j["epoch"].get<uint64_t>();
  }
  if (!j.contains("validators") || !j["validators"].is_array() || j["validators"].empty()) {
    return error("validators: missing or empty");
  }
  if (j["validators"].size() > ValidatorSet::kValidatorsMax) {
    return error("validators: more than " + std::to_string(ValidatorSet::kValidatorsMax));
  }
  std::set<std::string> names;
  for (size_t i = 0; i < j["validators"].size(); ++i) {
    const auto& v = j["validators"][i];
    const std::string where = "validators[" + std::to_string(i) + "]";
    if (!v.is_object() || !v.contains("public_key") || !v["public_key"].is_string()) {
      return error(where + ": needs \"public_key\" (64 hex characters)");
    }
    for (const auto& [key, value] : v.items()) {
      if (key != "name" && key != "public_key") {
        return error(where + ": unknown field \"" + key + "\"");
      }
    }
    GenesisValidator gv;
    gv.name = v.contains("name") && v["name"].is_string() ? v["name"].get<std::string>()
                                                          : "validator" + std::to_string(i);
    if (gv.name.empty() || gv.name.size() > kNameMax) {
      return error(where + ": name of 1 to " + std::to_string(kNameMax) + " characters");
    }
    if (!names.insert(gv.name).second) return error(where + ": name \"" + gv.name + "\" repeats");
    auto key = PublicKey::FromHex(v["public_key"].get<std::string>());
    if (!key.ok()) return error(where + ".public_key: " + key.status().message());
    gv.public_key = PublicKey{*key};
    g.validators.push_back(std::move(gv));
  }
  if (auto set = g.Validators(); !set.ok()) return error(set.status().message());
  if (j.contains("app_state")) {
    if (!j["app_state"].is_string()) return error("app_state: not a hex string");
    auto state = FromHex(j["app_state"].get<std::string>());
    if (!state.ok()) return error("app_state: " + state.status().message());
    g.app_state = std::move(state).value();
  }
  return g;
}

Result<Genesis> LoadGenesis(const std::string& path) {
  auto text = ReadFileBounded(path, kGenesisBytesMax);
  if (!text.ok()) return text.status().With("reading the genesis file");
  return ParseGenesis(*text, path);
}

Status WriteGenesis(const std::string& path, const Genesis& genesis) {
  return WriteFileAtomic(path, genesis.ToJson(), 0644, /*overwrite=*/false, "genesis file");
}

}  // namespace hotbft::node
