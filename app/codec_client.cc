// ProtoClientApplication (codec.h): the node side of a call.
#include <string>

#include "app/codec.h"
#include "app/codec_internal.h"
#include "app/limits.h"
#include "app/text.h"

namespace hotbft::app {
namespace {

using codec_internal::CheckSize;
using codec_internal::CheckTxs;
using codec_internal::DecodeTxs;
using codec_internal::EncodeTxs;
using codec_internal::ToBytes;
using codec_internal::ToString;

std::string_view ResponseName(wire::AppResponse::RespCase kind) {
  switch (kind) {
    case wire::AppResponse::kException: return "exception";
    case wire::AppResponse::kInfo: return "Info";
    case wire::AppResponse::kInitChain: return "InitChain";
    case wire::AppResponse::kCheckTx: return "CheckTx";
    case wire::AppResponse::kPrepareProposal: return "PrepareProposal";
    case wire::AppResponse::kProcessProposal: return "ProcessProposal";
    case wire::AppResponse::kFinalizeBlock: return "FinalizeBlock";
    case wire::AppResponse::kCommit: return "Commit";
    case wire::AppResponse::kQuery: return "Query";
    case wire::AppResponse::RESP_NOT_SET: break;
  }
  return "empty";
}

// Context for errors: "<Method>: request" (it did not encode) or "<Method>: response" (the
// app's answer did not decode or broke the contract).
std::string Side(std::string_view method, std::string_view side) {
  return std::string(method) + ": " + std::string(side);
}

wire::CheckTxKind EncodeCheckTxKind(CheckTxKind kind) {
  return kind == CheckTxKind::kNew ? wire::CHECK_TX_NEW : wire::CHECK_TX_RECHECK;
}

}  // namespace

ProtoClientApplication::ProtoClientApplication(AppTransport transport, std::string node_version)
    : transport_(std::move(transport)), node_version_(std::move(node_version)) {
  HOTBFT_ASSERT(transport_ != nullptr);
  HOTBFT_ASSERT(node_version_.size() <= kNameBytesMax);
  HOTBFT_ASSERT(IsValidUtf8(node_version_));
}

Result<wire::AppResponse> ProtoClientApplication::Call(const wire::AppRequest& request,
                                                       wire::AppResponse::RespCase expected) const {
  const std::string method(MethodName(request));
  Result<wire::AppResponse> response = transport_(request);
  if (!response.ok()) return response.status().With(method);
  const wire::AppResponse::RespCase got = response->resp_case();
  if (got == wire::AppResponse::kException) {
    return Status::Internal(
        method + ": the app failed: " + CutText(response->exception(), kExceptionBytesMax));
  }
  if (got != expected) {
    return Status::Internal(method + ": the app answered with a response of kind " +
                            std::string(ResponseName(got)));
  }
  return response;
}

Result<InfoResult> ProtoClientApplication::Info() {
  wire::AppRequest request;
  request.mutable_info()->set_node_version(node_version_);
  Result<wire::AppResponse> response = Call(request, wire::AppResponse::kInfo);
  if (!response.ok()) return response.status();
  Result<InfoResult> result = FromProto(response->info());
  if (!result.ok()) return result.status().With(Side("Info", "response"));
  return result;
}

Result<Bytes> ProtoClientApplication::InitChain(const InitChainRequest& in) {
  wire::AppRequest request;
  HOTBFT_RETURN_IF_ERROR(
      ToProto(in, request.mutable_init_chain()).With(Side("InitChain", "request")));
  Result<wire::AppResponse> response = Call(request, wire::AppResponse::kInitChain);
  if (!response.ok()) return response.status();
  const std::string& app_hash = response->init_chain().app_hash();
  HOTBFT_RETURN_IF_ERROR(
      CheckSize(app_hash.size(), kAppHashBytesMax, "app_hash").With(Side("InitChain", "response")));
  return ToBytes(app_hash);
}

Result<CheckTxResult> ProtoClientApplication::CheckTx(ByteView tx, CheckTxKind kind) {
  HOTBFT_RETURN_IF_ERROR(CheckSize(tx.size(), kTxBytesMax, "tx").With(Side("CheckTx", "request")));
  wire::AppRequest request;
  request.mutable_check_tx()->set_tx(ToString(tx));
  request.mutable_check_tx()->set_kind(EncodeCheckTxKind(kind));
  Result<wire::AppResponse> response = Call(request, wire::AppResponse::kCheckTx);
  if (!response.ok()) return response.status();
  Result<CheckTxResult> result = FromProto(response->check_tx());
  if (!result.ok()) return result.status().With(Side("CheckTx", "response"));
  return result;
}

Result<std::vector<Bytes>> ProtoClientApplication::PrepareProposal(Height height,
                                                                   std::vector<Bytes> txs,
                                                                   uint64_t bytes_max) {
  HOTBFT_RETURN_IF_ERROR(CheckTxs(txs, "txs").With(Side("PrepareProposal", "request")));
  wire::AppRequest request;
  auto* prepare = request.mutable_prepare_proposal();
  prepare->set_height(height);
  EncodeTxs(txs, prepare->mutable_txs());
  prepare->set_bytes_max(bytes_max);
  Result<wire::AppResponse> response = Call(request, wire::AppResponse::kPrepareProposal);
  if (!response.ok()) return response.status();
  Result<std::vector<Bytes>> answer = DecodeTxs(response->prepare_proposal().txs(), "txs");
  if (!answer.ok()) return answer.status().With(Side("PrepareProposal", "response"));
  HOTBFT_RETURN_IF_ERROR(
      CheckPrepareProposalResult(*answer, bytes_max).With(Side("PrepareProposal", "response")));
  return answer;
}

Result<bool> ProtoClientApplication::ProcessProposal(Height height, const Hash32& block_id,
                                                     const std::vector<Bytes>& txs) {
  HOTBFT_RETURN_IF_ERROR(CheckTxs(txs, "txs").With(Side("ProcessProposal", "request")));
  wire::AppRequest request;
  auto* process = request.mutable_process_proposal();
  process->set_height(height);
  process->set_block_id(ToString(block_id.view()));
  EncodeTxs(txs, process->mutable_txs());
  Result<wire::AppResponse> response = Call(request, wire::AppResponse::kProcessProposal);
  if (!response.ok()) return response.status();
  return response->process_proposal().accept();
}

Result<FinalizeBlockResult> ProtoClientApplication::FinalizeBlock(const FinalizeBlockRequest& in) {
  wire::AppRequest request;
  HOTBFT_RETURN_IF_ERROR(
      ToProto(in, request.mutable_finalize_block()).With(Side("FinalizeBlock", "request")));
  Result<wire::AppResponse> response = Call(request, wire::AppResponse::kFinalizeBlock);
  if (!response.ok()) return response.status();
  Result<FinalizeBlockResult> result = FromProto(response->finalize_block());
  if (!result.ok()) return result.status().With(Side("FinalizeBlock", "response"));
  HOTBFT_RETURN_IF_ERROR(
      CheckFinalizeBlockResult(in, *result).With(Side("FinalizeBlock", "response")));
  return result;
}

Result<CommitResult> ProtoClientApplication::Commit() {
  wire::AppRequest request;
  request.mutable_commit();
  Result<wire::AppResponse> response = Call(request, wire::AppResponse::kCommit);
  if (!response.ok()) return response.status();
  Result<CommitResult> result = FromProto(response->commit());
  if (!result.ok()) return result.status().With(Side("Commit", "response"));
  return result;
}

Result<QueryResult> ProtoClientApplication::Query(const QueryRequest& in) {
  wire::AppRequest request;
  HOTBFT_RETURN_IF_ERROR(ToProto(in, request.mutable_query()).With(Side("Query", "request")));
  Result<wire::AppResponse> response = Call(request, wire::AppResponse::kQuery);
  if (!response.ok()) return response.status();
  Result<QueryResult> result = FromProto(response->query());
  if (!result.ok()) return result.status().With(Side("Query", "response"));
  return result;
}

}  // namespace hotbft::app
