#include "node/rpc_json.h"

#include <openssl/evp.h>

#include <charconv>
#include <ctime>

#include "consensus/evidence.h"
#include "crypto/assert.h"
#include "crypto/sha256.h"

namespace hotbft::node::rpc {

// ---- Errors ----

namespace {

RpcError MakeError(int code, int http, std::string kind, std::string message, std::string data) {
  return RpcError{code, http, std::move(kind), std::move(message), std::move(data)};
}

}  // namespace

RpcError RpcError::Parse(std::string data) {
  return MakeError(-32700, 400, "parse_error", "Parse error", std::move(data));
}
RpcError RpcError::InvalidRequest(std::string data) {
  return MakeError(-32600, 400, "invalid_request", "Invalid request", std::move(data));
}
RpcError RpcError::MethodNotFound(std::string data) {
  return MakeError(-32601, 404, "method_not_found", "Method not found", std::move(data));
}
RpcError RpcError::MethodNotAllowed(std::string data) {
  return MakeError(-32600, 405, "method_not_allowed", "Method not allowed", std::move(data));
}
RpcError RpcError::TooLarge(std::string data) {
  return MakeError(-32600, 413, "too_large", "Request too large", std::move(data));
}
RpcError RpcError::InvalidParams(std::string data) {
  return MakeError(-32602, 400, "invalid_params", "Invalid params", std::move(data));
}
RpcError RpcError::Internal(std::string data) {
  return MakeError(-32603, 500, "internal", "Internal error", std::move(data));
}
RpcError RpcError::NotFound(std::string data) {
  return MakeError(-32001, 404, "not_found", "Not found", std::move(data));
}
RpcError RpcError::TxRefused(mempool::AddOutcome outcome, std::string log) {
  int http = 409;
  if (outcome == mempool::AddOutcome::kTooLarge) http = 413;
  if (outcome == mempool::AddOutcome::kFull || outcome == mempool::AddOutcome::kAppError) {
    http = 503;
  }
  return MakeError(-32002, http, "tx_refused",
                   "Transaction refused: " + std::string(mempool::AddOutcomeName(outcome)),
                   std::move(log));
}
RpcError RpcError::Timeout(std::string data) {
  return MakeError(-32003, 504, "timeout", "Timed out", std::move(data));
}
RpcError RpcError::Unavailable(std::string data) {
  return MakeError(-32004, 503, "unavailable", "Unavailable", std::move(data));
}

Json RpcError::ToJson() const {
  return Json{{"code", code}, {"message", message}, {"data", data}};
}

Json Envelope(const Json& id, const RpcReply& reply) {
  Json out{{"jsonrpc", "2.0"}, {"id", id}};
  if (reply.error) {
    out["error"] = reply.error->ToJson();
  } else if (reply.result) {
    out["result"] = *reply.result;
  } else {
    out["result"] = reply.text.value_or("");
  }
  return out;
}

// ---- Targets ----

namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Result<std::string> PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      out += ' ';
    } else if (c != '%') {
      out += c;
    } else {
      const int hi = i + 2 < text.size() ? HexDigit(text[i + 1]) : -1;
      const int lo = i + 2 < text.size() ? HexDigit(text[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        return Status::InvalidArgument("bad percent escape at offset " + std::to_string(i));
      }
      out += static_cast<char>((hi << 4) | lo);
      i += 2;
    }
  }
  return out;
}

Result<Target> ParseTarget(std::string_view target) {
  Target out;
  const size_t q = target.find('?');
  auto path = PercentDecode(target.substr(0, q));
  if (!path.ok()) return path.status().With("path");
  out.path = std::move(*path);
  if (q == std::string_view::npos) return out;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    auto name = PercentDecode(pair.substr(0, eq));
    if (!name.ok()) return name.status().With("query parameter name");
    auto value = PercentDecode(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
    if (!value.ok()) return value.status().With("query parameter '" + *name + "'");
    if (!out.params.emplace(*name, std::move(*value)).second) {
      return Status::InvalidArgument("query parameter '" + *name + "' given twice");
    }
  }
  return out;
}

// ---- Bytes ----

std::string Base64Encode(ByteView data) {
  std::string out(4 * ((data.size() + 2) / 3), '\0');
  if (data.empty()) return out;
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data.data(),
                                static_cast<int>(data.size()));
  HOTBFT_ASSERT(n == static_cast<int>(out.size()));
  return out;
}

Result<Bytes> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    return Status::InvalidArgument("bad base64: length " + std::to_string(text.size()) +
                                   " is not a multiple of 4");
  }
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    const bool pad =
        c == '=' && i + 2 >= text.size() && (i + 1 == text.size() || text[i + 1] == '=');
    if (!alnum && c != '+' && c != '/' && !pad) {
      return Status::InvalidArgument("bad base64: character at offset " + std::to_string(i));
    }
  }
  Bytes out(3 * (text.size() / 4));
  if (text.empty()) return out;
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return Status::InvalidArgument("bad base64");
  size_t padding = 0;
  if (text.back() == '=') ++padding;
  if (text.size() >= 2 && text[text.size() - 2] == '=') ++padding;
  out.resize(static_cast<size_t>(n) - padding);
  return out;
}

Result<Bytes> DecodeHexArg(std::string_view value) {
  if (value.starts_with("0x") || value.starts_with("0X")) value.remove_prefix(2);
  auto bytes = FromHex(value);
  if (!bytes.ok()) return bytes.status().With("bad hex");
  return bytes;
}

Result<Bytes> DecodeUriBytes(std::string_view value) {
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    Json parsed = Json::parse(value, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_string()) {
      return Status::InvalidArgument("bad quoted string");
    }
    const std::string& s = parsed.get_ref<const std::string&>();
    return Bytes(s.begin(), s.end());
  }
  return DecodeHexArg(value);
}

// ---- Params ----

Params Params::FromUri(std::map<std::string, std::string> values) {
  Params p;
  p.from_uri_ = true;
  for (auto& [name, value] : values) {
    if (!value.empty()) p.uri_.emplace(name, std::move(value));
  }
  return p;
}

Result<Params> Params::FromJson(const Json& params, const std::vector<std::string>& names) {
  Params p;
  p.from_uri_ = false;
  if (params.is_null()) return p;
  if (params.is_object()) {
    for (const auto& [name, value] : params.items()) {
      if (!value.is_null()) p.json_.emplace(name, value);
    }
    return p;
  }
  if (!params.is_array()) return Status::InvalidArgument("params must be an object or an array");
  if (params.size() > names.size()) {
    return Status::InvalidArgument("params has " + std::to_string(params.size()) +
                                   " elements; this method takes at most " +
                                   std::to_string(names.size()));
  }
  for (size_t i = 0; i < params.size(); ++i) {
    if (!params[i].is_null()) p.json_.emplace(names[i], params[i]);
  }
  return p;
}

namespace {

template <typename T>
Result<std::optional<T>> Named(const std::string& name, Result<T> value) {
  if (!value.ok()) return value.status().With("parameter '" + name + "'");
  return std::optional<T>(std::move(*value));
}

Result<std::string> JsonString(const Json& value) {
  if (!value.is_string()) return Status::InvalidArgument("expected a string");
  return value.get<std::string>();
}

Result<uint64_t> ParseDecimal(std::string_view text) {
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"') {
    text = text.substr(1, text.size() - 2);
  }
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return Status::InvalidArgument("expected a non-negative decimal integer below 2^64, got '" +
                                   std::string(text.substr(0, 64)) + "'");
  }
  return value;
}

Result<Hash32> DecodeHash(std::string_view text) {
  Result<Bytes> raw = text.size() == 44 ? Base64Decode(text) : DecodeHexArg(text);
  if (!raw.ok()) return raw.status();
  auto hash = Hash32::FromBytes(*raw);
  if (!hash.ok()) return hash.status().With("a hash is 32 bytes (64 hex digits)");
  return hash;
}

}  // namespace

Result<std::optional<Bytes>> Params::Tx(const std::string& name) const {
  if (from_uri_) {
    auto it = uri_.find(name);
    if (it == uri_.end()) return std::optional<Bytes>();
    return Named(name, DecodeUriBytes(it->second));
  }
  auto it = json_.find(name);
  if (it == json_.end()) return std::optional<Bytes>();
  auto text = JsonString(it->second);
  if (!text.ok()) return Named<Bytes>(name, text.status());
  return Named(name, Base64Decode(*text));
}

Result<std::optional<Bytes>> Params::Data(const std::string& name) const {
  if (from_uri_) {
    auto it = uri_.find(name);
    if (it == uri_.end()) return std::optional<Bytes>();
    return Named(name, DecodeUriBytes(it->second));
  }
  auto it = json_.find(name);
  if (it == json_.end()) return std::optional<Bytes>();
  auto text = JsonString(it->second);
  if (!text.ok()) return Named<Bytes>(name, text.status());
  return Named(name, DecodeHexArg(*text));
}

Result<std::optional<Hash32>> Params::Hash(const std::string& name) const {
  std::string text;
  if (from_uri_) {
    auto it = uri_.find(name);
    if (it == uri_.end()) return std::optional<Hash32>();
    text = it->second;
  } else {
    auto it = json_.find(name);
    if (it == json_.end()) return std::optional<Hash32>();
    auto s = JsonString(it->second);
    if (!s.ok()) return Named<Hash32>(name, s.status());
    text = std::move(*s);
  }
  return Named(name, DecodeHash(text));
}

Result<std::optional<uint64_t>> Params::Uint(const std::string& name) const {
  if (from_uri_) {
    auto it = uri_.find(name);
    if (it == uri_.end()) return std::optional<uint64_t>();
    return Named(name, ParseDecimal(it->second));
  }
  auto it = json_.find(name);
  if (it == json_.end()) return std::optional<uint64_t>();
  const Json& v = it->second;
  if (v.is_number_unsigned()) return std::optional<uint64_t>(v.get<uint64_t>());
  if (v.is_string()) return Named(name, ParseDecimal(v.get_ref<const std::string&>()));
  return Named<uint64_t>(
      name, Status::InvalidArgument("expected a non-negative integer or a decimal string"));
}

Result<std::optional<std::string>> Params::String(const std::string& name) const {
  if (from_uri_) {
    auto it = uri_.find(name);
    if (it == uri_.end()) return std::optional<std::string>();
    const std::string& v = it->second;
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') {
      Json parsed = Json::parse(v, nullptr, false);
      if (parsed.is_discarded() || !parsed.is_string()) {
        return Named<std::string>(name, Status::InvalidArgument("bad quoted string"));
      }
      return std::optional<std::string>(parsed.get<std::string>());
    }
    return std::optional<std::string>(v);
  }
  auto it = json_.find(name);
  if (it == json_.end()) return std::optional<std::string>();
  return Named(name, JsonString(it->second));
}

// ---- Results ----

std::string Dec(uint64_t value) {
  return std::to_string(value);
}

std::string TimeRfc3339(uint64_t unix_ms) {
  const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[64];
  const size_t n = std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%S", &tm);
  char millis[8];
  std::snprintf(millis, sizeof(millis), ".%03uZ", static_cast<unsigned>(unix_ms % 1000));
  return std::string(buffer, n) + millis;
}

namespace {

Json ErrorOrNull(const Status& status) {
  return status.ok() ? Json(nullptr) : Json(status.ToString());
}

}  // namespace

Json StatusJson(const NodeSnapshot& s) {
  Json validators = Json::array();
  for (const Bytes& key : s.validators) validators.push_back(ToHex(key));
  return Json{
      {"node_info",
       {{"moniker", s.moniker},
        {"network", s.chain_id},
        {"version", s.version},
        {"validator_index", s.validator_index},
        {"public_key", ToHex(s.public_key)}}},
      {"sync_info",
       {{"latest_block_hash", s.committed_block_id.hex()},
        {"latest_app_hash", ToHex(s.app_hash)},
        {"latest_block_height", Dec(s.committed_height)},
        {"latest_block_time", TimeRfc3339(s.committed_time_ms)},
        {"executed_height", Dec(s.executed_height)},
        {"earliest_block_height", Dec(s.earliest_height)},
        {"catching_up", s.catching_up}}},
      {"consensus",
       {{"round", Dec(s.round)},
        {"leader", s.leader},
        {"validators", std::move(validators)},
        {"high_qc_round", Dec(s.high_qc_round)},
        {"can_sign", s.can_sign},
        {"halted", ErrorOrNull(s.halted)},
        {"execution_error", ErrorOrNull(s.execution)}}},
      {"peers", {{"connected", s.peers_connected}, {"total", s.peers_total}}},
      {"mempool", {{"txs", Dec(s.mempool_txs)}, {"bytes", Dec(s.mempool_bytes)}}},
  };
}

Json EvidenceJson(const EvidenceKey& key, std::optional<Height> height, ByteView canonical) {
  Json out{{"type", std::string(EvidenceKindName(key.kind))},
           {"validator", key.validator},
           {"epoch", Dec(key.epoch)},
           {"round", Dec(key.round)},
           {"hash", Sha256(canonical).hex()},
           {"evidence", Base64Encode(canonical)}};
  if (height) out["height"] = Dec(*height);
  return out;
}

Json BlockJson(const Block& block) {
  const BlockHeader& h = block.header;
  Json txs = Json::array();
  Json evidence_items = Json::array();
  size_t evidence = 0;
  if (block.payload) {
    for (const Bytes& tx : block.payload->txs) txs.push_back(Base64Encode(tx));
    evidence = block.payload->evidence.size();
    // Every bitmap of a stored block is sized for the validator set.
    const uint32_t validators = h.justify.signers.n();
    for (const Bytes& piece : block.payload->evidence) {
      auto decoded = DecodeEvidence(piece, validators);
      if (!decoded.ok()) continue;  // a committed block's pieces decode (the store checked)
      evidence_items.push_back(EvidenceJson(KeyOf(*decoded), h.height, piece));
    }
  }
  const QC& qc = h.justify;
  return Json{
      {"block_id", block.id.hex()},
      {"block",
       {{"header",
         {{"epoch", Dec(h.epoch)},
          {"height", Dec(h.height)},
          {"round", Dec(h.round)},
          {"parent_id", h.parent_id.hex()},
          {"payload_hash", h.payload_hash.hex()},
          {"proposer", h.proposer},
          {"exec_height", Dec(h.exec_height)},
          {"app_hash", ToHex(h.app_hash)},
          {"time", TimeRfc3339(h.timestamp_ms)}}},
        {"justify",
         {{"block_id", qc.vote_data.block_id.hex()},
          {"height", Dec(qc.vote_data.height)},
          {"round", Dec(qc.vote_data.round)},
          {"signers", ToHex(qc.signers.bytes())},
          {"signer_count", qc.signers.Count()}}},
        {"data", {{"txs", std::move(txs)}}},
        {"evidence", {{"count", evidence}, {"items", std::move(evidence_items)}}}}},
  };
}

Json TxResultJson(const app::TxResult& r) {
  Json events = Json::array();
  for (const app::Event& e : r.events) {
    Json attributes = Json::array();
    for (const auto& [key, value] : e.attributes) {
      attributes.push_back(Json{{"key", key}, {"value", value}});
    }
    events.push_back(Json{{"type", e.type}, {"attributes", std::move(attributes)}});
  }
  return Json{{"code", r.code},
              {"data", Base64Encode(r.data)},
              {"log", r.log},
              {"codespace", ""},
              {"events", std::move(events)}};
}

Json BroadcastJson(const mempool::AddResult& r) {
  return Json{{"code", r.code},       {"data", ""},
              {"log", r.log},         {"codespace", ""},
              {"hash", r.hash.hex()}, {"outcome", mempool::AddOutcomeName(r.outcome)}};
}

Json QueryJson(const app::QueryResult& r) {
  return Json{{"response",
               {{"code", r.code},
                {"log", r.log},
                {"info", ""},
                {"index", "0"},
                {"key", Base64Encode(r.key)},
                {"value", Base64Encode(r.value)},
                {"height", Dec(r.height)},
                {"codespace", ""}}}};
}

Json TxJson(const Hash32& hash, const storage::TxRecord& record,
            const std::optional<app::TxResult>& result, const Bytes* tx) {
  return Json{{"hash", hash.hex()},
              {"height", Dec(record.height)},
              {"index", record.index},
              {"executed", result.has_value()},
              {"tx_result", result ? TxResultJson(*result) : Json(nullptr)},
              {"tx", tx ? Json(Base64Encode(*tx)) : Json(nullptr)}};
}

Json CommitJson(const mempool::AddResult& check, const std::optional<TxCommit>& commit) {
  return Json{{"check_tx",
               {{"code", check.code},
                {"log", check.log},
                {"outcome", mempool::AddOutcomeName(check.outcome)}}},
              {"tx_result", commit ? TxResultJson(commit->result) : Json(nullptr)},
              {"hash", check.hash.hex()},
              {"height", Dec(commit ? commit->height : 0)},
              {"index", commit ? commit->index : 0}};
}

}  // namespace hotbft::node::rpc
