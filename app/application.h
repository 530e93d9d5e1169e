// The application interface (ABCI-style, DESIGN.md "Application interface"): what the
// node asks of the replicated application. One interface, three ways in:
//   - linked in: a C++ class implementing Application;
//   - a shared-library plugin (plugin.h): dlopen, a C factory symbol, an ABI version check;
//   - out of process over a Unix or TCP socket (socket_app.h), speaking length-prefixed
//     AppRequest / AppResponse protobuf frames (proto/app.proto), so an app can be written
//     in any language.
// The plugin ABI and the socket carry the same protobuf messages; codec.h converts.
//
// Calls come on three "connections", each from one thread at a time, possibly concurrent
// with each other, so an implementation guards shared state itself:
//   consensus: InitChain, PrepareProposal, ProcessProposal, FinalizeBlock, Commit
//              (FinalizeBlock then Commit, strictly in height order);
//   mempool:   CheckTx;
//   query:     Info, Query.
//
// Errors: a Status that is not OK means the app could not answer (it crashed, its socket
// closed, it threw). The node then stops committing and says so; it never treats such an
// error as a verdict on a transaction. Verdicts are codes in the results.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "consensus/evidence.h"
#include "crypto/bytes.h"
#include "crypto/status.h"

namespace hotbft::app {

// Result codes. 0 is success; an app's own codes must not collide with the reserved ones.
inline constexpr uint32_t kCodeOk = 0;
// Codes from kCodeReservedMin up are the node's: an app never returns one
// (CheckFinalizeBlockResult refuses it), so a node-assigned verdict cannot be forged.
inline constexpr uint32_t kCodeReservedMin = 0xFFFF'0000;
// Reserved, assigned by the node, never by an app: a transaction already committed, or
// earlier in the same block, is not executed again (DESIGN.md "Execution and duplicates").
inline constexpr uint32_t kCodeDuplicate = 0xFFFF'0001;
static_assert(kCodeDuplicate >= kCodeReservedMin);
static_assert(kCodeOk < kCodeReservedMin);

constexpr bool IsReservedCode(uint32_t code) {
  return code >= kCodeReservedMin;
}

struct Event {
  std::string type;
  // Keys are unique. On the wire (proto/app.proto) attributes are a map, which keeps no
  // order, so a decoded event lists them sorted by key; an app that wants the same results
  // linked in and across the codec emits them sorted by key.
  std::vector<std::pair<std::string, std::string>> attributes;
  bool operator==(const Event&) const = default;
};

struct TxResult {
  uint32_t code = kCodeOk;
  Bytes data;
  std::string log;
  std::vector<Event> events;
  bool operator==(const TxResult&) const = default;
};

struct ValidatorUpdate {
  Bytes public_key;
  uint64_t power = 0;  // 0 removes the validator
  bool operator==(const ValidatorUpdate&) const = default;
};

struct InfoResult {
  std::string app_name;
  std::string app_version;
  Height last_height = 0;  // the last height whose Commit the app made durable
  Bytes last_app_hash;     // its app hash (empty before the first commit)
  // True if CheckTx's verdict depends on the transaction's bytes alone, never on the
  // app's state: a commit cannot change it, so the mempool does not recheck the pool after
  // each commit. False (the default) is always correct, only slower under load.
  bool check_tx_stateless = false;
  bool operator==(const InfoResult&) const = default;
};

struct InitChainRequest {
  std::string chain_id;
  std::vector<ValidatorUpdate> validators;
  Bytes app_state;  // opaque genesis state for the app
  Height initial_height = 1;
  bool operator==(const InitChainRequest&) const = default;
};

enum class CheckTxKind : uint8_t { kNew, kRecheck };

struct CheckTxResult {
  uint32_t code = kCodeOk;
  std::string log;
  int64_t priority = 0;
  bool operator==(const CheckTxResult&) const = default;
};

struct FinalizeBlockRequest {
  Height height = 0;
  Hash32 block_id;
  uint64_t timestamp_ms = 0;
  uint32_t proposer = 0;
  std::vector<Bytes> txs;  // the transactions to execute (duplicates already removed)
  std::vector<Evidence> misbehaviour;
};

struct FinalizeBlockResult {
  std::vector<TxResult> tx_results;  // one per request transaction, in order
  // Block-level: the node records both with the height's results (node/executor.h). The
  // validator updates are not applied: the validator set is fixed at genesis for now.
  std::vector<Event> events;
  std::vector<ValidatorUpdate> validator_updates;
  bool operator==(const FinalizeBlockResult&) const = default;
};

struct CommitResult {
  Bytes app_hash;            // the state after the last FinalizeBlock, now durable
  Height retain_height = 0;  // the app no longer needs blocks below this (0: keep all)
  bool operator==(const CommitResult&) const = default;
};

struct QueryRequest {
  std::string path;
  Bytes data;
  Height height = 0;  // 0: latest
  bool operator==(const QueryRequest&) const = default;
};

struct QueryResult {
  uint32_t code = kCodeOk;
  Bytes key;
  Bytes value;
  Height height = 0;
  std::string log;
  bool operator==(const QueryResult&) const = default;
};

class Application {
 public:
  virtual ~Application() = default;

  virtual Result<InfoResult> Info() = 0;
  // Once, on a new chain (Info().last_height == 0). Returns the genesis app hash.
  virtual Result<Bytes> InitChain(const InitChainRequest& request) = 0;
  virtual Result<CheckTxResult> CheckTx(ByteView tx, CheckTxKind kind) = 0;
  // The proposer's chance to reorder or drop transactions. The answer must stay within
  // bytes_max (the sum of the transactions' sizes; CheckPrepareProposalResult).
  virtual Result<std::vector<Bytes>> PrepareProposal(Height height, std::vector<Bytes> txs,
                                                     uint64_t bytes_max) = 0;
  virtual Result<bool> ProcessProposal(Height height, const Hash32& block_id,
                                       const std::vector<Bytes>& txs) = 0;
  // Executes a committed block. REQUIRES: request.height == last committed height + 1
  // (or the initial height on a new chain). One result per transaction, no reserved code
  // (CheckFinalizeBlockResult).
  virtual Result<FinalizeBlockResult> FinalizeBlock(const FinalizeBlockRequest& request) = 0;
  // Makes the state after the last FinalizeBlock durable and returns its app hash.
  virtual Result<CommitResult> Commit() = 0;
  virtual Result<QueryResult> Query(const QueryRequest& request) = 0;
};

// Contract checks on an app's answers, for callers that do not trust the app to keep
// the contract (an app in another process or library, or written in another language).
// Each error names the offending values.
Status CheckPrepareProposalResult(const std::vector<Bytes>& txs, uint64_t bytes_max);
Status CheckFinalizeBlockResult(const FinalizeBlockRequest& request,
                                const FinalizeBlockResult& result);

}  // namespace hotbft::app
