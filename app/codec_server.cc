// HandleRequest (codec.h): the app side of a call.
#include <string>

#include "app/codec.h"
#include "app/codec_internal.h"
#include "app/limits.h"
#include "app/text.h"

namespace hotbft::app {
namespace {

using codec_internal::CheckTxs;
using codec_internal::DecodeBlockId;
using codec_internal::DecodeTxs;
using codec_internal::EncodeTxs;
using codec_internal::ToString;

// Errors are prefixed with the side they come from, so an exception says whether the
// request was bad, the app failed, or the app's answer was bad.
constexpr std::string_view kRequest = "request";
constexpr std::string_view kAnswer = "answer";

Status ServeInfo(Application& app, wire::AppResponse* response) {
  Result<InfoResult> result = app.Info();
  if (!result.ok()) return result.status();
  return ToProto(*result, response->mutable_info()).With(kAnswer);
}

Status ServeInitChain(Application& app, const wire::InitChainRequest& in,
                      wire::AppResponse* response) {
  Result<InitChainRequest> request = FromProto(in);
  if (!request.ok()) return request.status().With(kRequest);
  Result<Bytes> app_hash = app.InitChain(*request);
  if (!app_hash.ok()) return app_hash.status();
  HOTBFT_RETURN_IF_ERROR(
      codec_internal::CheckSize(app_hash->size(), kAppHashBytesMax, "app_hash").With(kAnswer));
  response->mutable_init_chain()->set_app_hash(ToString(*app_hash));
  return Status::Ok();
}

Result<CheckTxKind> DecodeCheckTxKind(wire::CheckTxKind kind) {
  switch (kind) {
    case wire::CHECK_TX_NEW: return CheckTxKind::kNew;
    case wire::CHECK_TX_RECHECK: return CheckTxKind::kRecheck;
    default: break;  // proto3 enums are open: any number may arrive
  }
  return Status::InvalidArgument("unknown CheckTx kind " + std::to_string(static_cast<int>(kind)));
}

Status ServeCheckTx(Application& app, const wire::CheckTxRequest& in, wire::AppResponse* response) {
  HOTBFT_RETURN_IF_ERROR(
      codec_internal::CheckSize(in.tx().size(), kTxBytesMax, "tx").With(kRequest));
  Result<CheckTxKind> kind = DecodeCheckTxKind(in.kind());
  if (!kind.ok()) return kind.status().With(kRequest);
  Result<CheckTxResult> result = app.CheckTx(AsBytes(in.tx()), *kind);
  if (!result.ok()) return result.status();
  return ToProto(*result, response->mutable_check_tx()).With(kAnswer);
}

Status ServePrepareProposal(Application& app, const wire::PrepareProposalRequest& in,
                            wire::AppResponse* response) {
  Result<std::vector<Bytes>> txs = DecodeTxs(in.txs(), "txs");
  if (!txs.ok()) return txs.status().With(kRequest);
  Result<std::vector<Bytes>> answer =
      app.PrepareProposal(in.height(), std::move(txs).value(), in.bytes_max());
  if (!answer.ok()) return answer.status();
  HOTBFT_RETURN_IF_ERROR(CheckTxs(*answer, "txs").With(kAnswer));
  EncodeTxs(*answer, response->mutable_prepare_proposal()->mutable_txs());
  return Status::Ok();
}

Status ServeProcessProposal(Application& app, const wire::ProcessProposalRequest& in,
                            wire::AppResponse* response) {
  Result<Hash32> block_id = DecodeBlockId(in.block_id());
  if (!block_id.ok()) return block_id.status().With(kRequest);
  Result<std::vector<Bytes>> txs = DecodeTxs(in.txs(), "txs");
  if (!txs.ok()) return txs.status().With(kRequest);
  Result<bool> accept = app.ProcessProposal(in.height(), *block_id, *txs);
  if (!accept.ok()) return accept.status();
  response->mutable_process_proposal()->set_accept(*accept);
  return Status::Ok();
}

Status ServeFinalizeBlock(Application& app, const wire::FinalizeBlockRequest& in,
                          wire::AppResponse* response) {
  Result<FinalizeBlockRequest> request = FromProto(in);
  if (!request.ok()) return request.status().With(kRequest);
  Result<FinalizeBlockResult> result = app.FinalizeBlock(*request);
  if (!result.ok()) return result.status();
  return ToProto(*result, response->mutable_finalize_block()).With(kAnswer);
}

Status ServeCommit(Application& app, wire::AppResponse* response) {
  Result<CommitResult> result = app.Commit();
  if (!result.ok()) return result.status();
  return ToProto(*result, response->mutable_commit()).With(kAnswer);
}

Status ServeQuery(Application& app, const wire::QueryRequest& in, wire::AppResponse* response) {
  Result<QueryRequest> request = FromProto(in);
  if (!request.ok()) return request.status().With(kRequest);
  Result<QueryResult> result = app.Query(*request);
  if (!result.ok()) return result.status();
  return ToProto(*result, response->mutable_query()).With(kAnswer);
}

Status Serve(Application& app, const wire::AppRequest& request, wire::AppResponse* response) {
  switch (request.req_case()) {
    case wire::AppRequest::kInfo: return ServeInfo(app, response);
    case wire::AppRequest::kInitChain: return ServeInitChain(app, request.init_chain(), response);
    case wire::AppRequest::kCheckTx: return ServeCheckTx(app, request.check_tx(), response);
    case wire::AppRequest::kPrepareProposal:
      return ServePrepareProposal(app, request.prepare_proposal(), response);
    case wire::AppRequest::kProcessProposal:
      return ServeProcessProposal(app, request.process_proposal(), response);
    case wire::AppRequest::kFinalizeBlock:
      return ServeFinalizeBlock(app, request.finalize_block(), response);
    case wire::AppRequest::kCommit: return ServeCommit(app, response);
    case wire::AppRequest::kQuery: return ServeQuery(app, request.query(), response);
    case wire::AppRequest::REQ_NOT_SET: break;
  }
  // Also what a request from a newer node with a method this app does not know looks like.
  return Status::InvalidArgument("the request names no method this app knows");
}

}  // namespace

wire::AppResponse HandleRequest(Application& app, const wire::AppRequest& request) {
  wire::AppResponse response;
  const Status status = Serve(app, request, &response);
  if (!status.ok()) {
    response.Clear();
    response.set_exception(CutText(status.ToString(), kExceptionBytesMax));
  }
  return response;
}

}  // namespace hotbft::app
