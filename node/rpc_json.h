// The HTTP RPC's encoding, with no I/O (docs/rpc.md): request targets and parameters in,
// JSON results and errors out. Conventions, after CometBFT's RPC:
//   - URI parameters: bytes as hex with or without 0x, or a quoted string ("abc" is the
//     three bytes a, b, c); integers in decimal, optionally quoted; strings quoted or bare;
//   - JSON-RPC parameters (an object by name, or an array in the route's order): `tx` in
//     base64 (Go's []byte), `data` in hex (HexBytes), `hash` in hex or base64, heights as
//     numbers or decimal strings;
//   - results: hashes and ids in lower-case hex, opaque bytes (transactions, data, query
//     keys and values) in base64, 64-bit integers as decimal strings (JSON numbers lose
//     precision above 2^53), times in RFC 3339 UTC with milliseconds.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/application.h"
#include "consensus/types.h"
#include "crypto/status.h"
#include "mempool/mempool.h"
#include "node/rpc_backend.h"

namespace hotbft::node::rpc {

using Json = nlohmann::json;

// ---- Errors ----

// A JSON-RPC error object ({code, message, data}) and the HTTP status it is served with.
struct RpcError {
  int code = 0;
  int http_status = 500;
  std::string kind;     // short name, the label of hotbft_rpc_errors_total
  std::string message;  // fixed per kind (plus the outcome for a refused transaction)
  std::string data;     // the reason, with the offending values

  static RpcError Parse(std::string data);             // -32700, 400: the body is not JSON
  static RpcError InvalidRequest(std::string data);    // -32600, 400: not a JSON-RPC request
  static RpcError MethodNotFound(std::string data);    // -32601, 404: unknown route or method
  static RpcError MethodNotAllowed(std::string data);  // -32600, 405: wrong HTTP method
  static RpcError TooLarge(std::string data);          // -32600, 413: request over the limit
  static RpcError InvalidParams(std::string data);     // -32602, 400
  static RpcError Internal(std::string data);          // -32603, 500
  static RpcError NotFound(std::string data);          // -32001, 404
  // -32002: the mempool refused the transaction; 409 (in the pool, committed, refused
  // recently), 413 (too large) or 503 (full, the app did not answer).
  static RpcError TxRefused(mempool::AddOutcome outcome, std::string log);
  static RpcError Timeout(std::string data);      // -32003, 504
  static RpcError Unavailable(std::string data);  // -32004, 503: halted, app down, at a bound

  Json ToJson() const;  // {"code", "message", "data"}
};

// One answer to a call: a result, an error, or (GET /metrics) text served as it is.
struct RpcReply {
  std::optional<Json> result;
  std::optional<RpcError> error;
  std::optional<std::string> text;

  static RpcReply Ok(Json result) { return {std::move(result), std::nullopt, std::nullopt}; }
  static RpcReply Fail(RpcError error) { return {std::nullopt, std::move(error), std::nullopt}; }
  static RpcReply Text(std::string text) { return {std::nullopt, std::nullopt, std::move(text)}; }
};

// {"jsonrpc": "2.0", "id": id, "result" | "error": ...}. A URI call's id is -1, as in CometBFT.
Json Envelope(const Json& id, const RpcReply& reply);

// ---- Requests ----

// A request target split into its path and decoded query parameters. Fails on a bad
// percent escape or a parameter given twice.
struct Target {
  std::string path;
  std::map<std::string, std::string> params;
};
Result<Target> ParseTarget(std::string_view target);
Result<std::string> PercentDecode(std::string_view text);

// A call's parameters, from a URI query or from JSON-RPC `params`. Each getter returns
// nullopt when the parameter is absent (or JSON null, or an empty URI value), and
// InvalidArgument naming the parameter when it is malformed.
class Params {
 public:
  static Params FromUri(std::map<std::string, std::string> values);
  // `params` is an object, an array (matched to `names` in order) or null. Fails on any
  // other type, or an array longer than `names`.
  static Result<Params> FromJson(const Json& params, const std::vector<std::string>& names);

  Result<std::optional<Bytes>> Tx(const std::string& name) const;    // URI hex, JSON base64
  Result<std::optional<Bytes>> Data(const std::string& name) const;  // hex (URI: or quoted)
  Result<std::optional<Hash32>> Hash(const std::string& name) const;
  Result<std::optional<uint64_t>> Uint(const std::string& name) const;
  Result<std::optional<std::string>> String(const std::string& name) const;

 private:
  bool from_uri_ = true;
  std::map<std::string, std::string> uri_;
  std::map<std::string, Json> json_;
};

// Bytes of a URI argument: 0x-hex, bare hex, or a JSON-quoted string.
Result<Bytes> DecodeUriBytes(std::string_view value);
// Hex with an optional 0x or 0X prefix.
Result<Bytes> DecodeHexArg(std::string_view value);

std::string Base64Encode(ByteView data);
// Standard alphabet with padding; fails on anything else.
Result<Bytes> Base64Decode(std::string_view text);

// ---- Results ----

std::string TimeRfc3339(uint64_t unix_ms);  // "2024-06-11T14:07:57.125Z"
std::string Dec(uint64_t value);            // a 64-bit integer as a JSON string

Json StatusJson(const NodeSnapshot& status);
Json BlockJson(const Block& block);
// One piece of evidence: kind, validator, epoch, round, the committed height (if any),
// the SHA-256 of its canonical encoding, and the encoding itself (base64).
Json EvidenceJson(const EvidenceKey& key, std::optional<Height> height, ByteView canonical);
Json TxResultJson(const app::TxResult& result);  // CometBFT's ExecTxResult shape
// broadcast_tx_sync: {code, data, log, codespace, hash, outcome} (_async: without outcome).
Json BroadcastJson(const mempool::AddResult& result);
Json QueryJson(const app::QueryResult& result);
// /tx: a committed transaction. Without `result` it is committed but not executed yet.
// `tx` is its bytes, if the block is still stored.
Json TxJson(const Hash32& hash, const storage::TxRecord& record,
            const std::optional<app::TxResult>& result, const Bytes* tx);
// broadcast_tx_commit: check_tx and, once executed, tx_result with the height.
Json CommitJson(const mempool::AddResult& check, const std::optional<TxCommit>& commit);

}  // namespace hotbft::node::rpc
