// The application interface (application.h) in its protobuf form (proto/app.proto): the
// conversions, the app side of a call (HandleRequest) and the node side
// (ProtoClientApplication). The plugin ABI (plugin_abi.h) and the socket transport both
// carry these messages; they add only how the bytes travel.
//
// Every conversion checks the bounds of limits.h and that text fields are valid UTF-8 (a
// protobuf string with invalid UTF-8 does not parse), in both directions: ToProto refuses
// what FromProto would refuse, so an error names the field where the bad value was made.
// Errors name the field ("tx_results[3].log") and the offending sizes.
//
// Event attributes travel as a protobuf map: keys must be unique (ToProto refuses a
// repeated key), and decoded attributes come sorted by key (see Event in application.h).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "app/application.h"
#include "proto/app.pb.h"

namespace hotbft::app {

// ---- Conversions. Each ToProto overwrites *out. ----

Status ToProto(const Event& in, wire::Event* out);
Status ToProto(const TxResult& in, wire::TxResult* out);
Status ToProto(const ValidatorUpdate& in, wire::ValidatorInfo* out);
Status ToProto(const InfoResult& in, wire::InfoResponse* out);
Status ToProto(const InitChainRequest& in, wire::InitChainRequest* out);
Status ToProto(const CheckTxResult& in, wire::CheckTxResponse* out);
Status ToProto(const FinalizeBlockRequest& in, wire::FinalizeBlockRequest* out);
Status ToProto(const FinalizeBlockResult& in, wire::FinalizeBlockResponse* out);
Status ToProto(const CommitResult& in, wire::CommitResponse* out);
Status ToProto(const QueryRequest& in, wire::QueryRequest* out);
Status ToProto(const QueryResult& in, wire::QueryResponse* out);

Result<Event> FromProto(const wire::Event& in);
Result<TxResult> FromProto(const wire::TxResult& in);
Result<ValidatorUpdate> FromProto(const wire::ValidatorInfo& in);
Result<InfoResult> FromProto(const wire::InfoResponse& in);
Result<InitChainRequest> FromProto(const wire::InitChainRequest& in);
Result<CheckTxResult> FromProto(const wire::CheckTxResponse& in);
Result<FinalizeBlockRequest> FromProto(const wire::FinalizeBlockRequest& in);
Result<FinalizeBlockResult> FromProto(const wire::FinalizeBlockResponse& in);
Result<CommitResult> FromProto(const wire::CommitResponse& in);
Result<QueryRequest> FromProto(const wire::QueryRequest& in);
Result<QueryResult> FromProto(const wire::QueryResponse& in);

// The method a request calls ("Info", "FinalizeBlock", ...; "none" when it names none).
std::string_view MethodName(const wire::AppRequest& request);

// ---- The app side ----

// Decodes `request`, calls the matching method of `app` and encodes its answer. Never
// fails: a request that names no method or does not decode, an error Status from the
// app, and an answer that does not encode all become an `exception` response, whose text
// is the Status (code and message), cut to kExceptionBytesMax.
// Thread-safe as far as `app` is (see application.h for which calls may overlap).
wire::AppResponse HandleRequest(Application& app, const wire::AppRequest& request);

// ---- The node side ----

// Sends one request and returns the app's response (or why there is none). Called from the
// three connections of application.h, possibly concurrently: it must be thread-safe.
using AppTransport = std::function<Result<wire::AppResponse>(const wire::AppRequest&)>;

// An Application whose every call is an AppRequest through `transport`. Checks what comes
// back: an `exception`, a response of another kind, a response that does not decode, and
// an answer that breaks the contract of application.h (CheckFinalizeBlockResult,
// CheckPrepareProposalResult) are all errors whose message starts with the method's name.
// A transport error keeps its code, prefixed with the method's name.
// Thread-safe as far as the transport is.
class ProtoClientApplication : public Application {
 public:
  // `node_version` is what Info tells the app about the node.
  explicit ProtoClientApplication(AppTransport transport, std::string node_version = "");

  Result<InfoResult> Info() override;
  Result<Bytes> InitChain(const InitChainRequest& request) override;
  Result<CheckTxResult> CheckTx(ByteView tx, CheckTxKind kind) override;
  Result<std::vector<Bytes>> PrepareProposal(Height height, std::vector<Bytes> txs,
                                             uint64_t bytes_max) override;
  Result<bool> ProcessProposal(Height height, const Hash32& block_id,
                               const std::vector<Bytes>& txs) override;
  Result<FinalizeBlockResult> FinalizeBlock(const FinalizeBlockRequest& request) override;
  Result<CommitResult> Commit() override;
  Result<QueryResult> Query(const QueryRequest& request) override;

 private:
  // Sends `request` and returns the response if it is of the `expected` kind.
  Result<wire::AppResponse> Call(const wire::AppRequest& request,
                                 wire::AppResponse::RespCase expected) const;

  const AppTransport transport_;
  const std::string node_version_;
};

}  // namespace hotbft::app
