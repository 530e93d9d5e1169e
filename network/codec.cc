#include "network/codec.h"

#include <string>

#include "network/frame.h"

namespace hotbft::network {
namespace {

std::string AsString(ByteView b) {
  return std::string(b.begin(), b.end());
}

}  // namespace

const char* MessageName(const NetworkMessage& message) {
  if (std::holds_alternative<TxBatch>(message)) return "tx_gossip";
  switch (std::get<Message>(message).index()) {
    case 0: return "proposal";
    case 1: return "vote";
    case 2: return "timeout";
    case 3: return "sync_request";
    case 4: return "sync_response";
  }
  HOTBFT_ASSERT_MSG(false, "unknown consensus message");
  return "";
}
static_assert(std::variant_size_v<Message> == 5, "MessageName lists every Message");

const char* PeerMessageName(const wire::PeerMessage& message) {
  switch (message.msg_case()) {
    case wire::PeerMessage::kHello: return "hello";
    case wire::PeerMessage::kHelloAuth: return "hello_auth";
    case wire::PeerMessage::kProposal: return "proposal";
    case wire::PeerMessage::kVote: return "vote";
    case wire::PeerMessage::kTimeout: return "timeout";
    case wire::PeerMessage::kSyncRequest: return "sync_request";
    case wire::PeerMessage::kSyncResponse: return "sync_response";
    case wire::PeerMessage::kTxGossip: return "tx_gossip";
    case wire::PeerMessage::kEvidence: return "evidence";
    case wire::PeerMessage::kPing: return "ping";
    case wire::PeerMessage::kPong: return "pong";
    case wire::PeerMessage::MSG_NOT_SET: return "empty";
  }
  return "unknown";
}

void ToProto(const BlockRequest& in, wire::BlockSyncRequest* out) {
  out->Clear();
  out->set_block_id(AsString(in.block_id.view()));
  out->set_count(in.ancestors);
}

void ToProto(const BlockResponse& in, wire::BlockSyncResponse* out) {
  out->Clear();
  for (const auto& block : in.blocks) {
    HOTBFT_ASSERT(block != nullptr);
    ToProto(*block, out->add_blocks());
  }
}

void ToProto(const TxBatch& in, wire::TxGossip* out) {
  out->Clear();
  for (const auto& tx : in.txs) {
    HOTBFT_ASSERT(tx != nullptr);
    out->add_txs(AsString(*tx));
  }
}

void ToProto(const NetworkMessage& in, wire::PeerMessage* out) {
  out->Clear();
  if (const auto* batch = std::get_if<TxBatch>(&in)) {
    ToProto(*batch, out->mutable_tx_gossip());
    return;
  }
  std::visit(
      [out](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, Proposal>) ToProto(m, out->mutable_proposal());
        if constexpr (std::is_same_v<T, Vote>) ToProto(m, out->mutable_vote());
        if constexpr (std::is_same_v<T, Timeout>) ToProto(m, out->mutable_timeout());
        if constexpr (std::is_same_v<T, BlockRequest>) ToProto(m, out->mutable_sync_request());
        if constexpr (std::is_same_v<T, BlockResponse>) ToProto(m, out->mutable_sync_response());
      },
      std::get<Message>(in));
  HOTBFT_ASSERT(out->msg_case() != wire::PeerMessage::MSG_NOT_SET);
}

Result<BlockRequest> FromProto(const wire::BlockSyncRequest& in) {
  if (in.target_case() == wire::BlockSyncRequest::kHeights) {
    return Status::InvalidArgument(
        "sync_request.heights: requests by height range are not served by this version");
  }
  if (in.target_case() != wire::BlockSyncRequest::kBlockId) {
    return Status::InvalidArgument("sync_request names no target block");
  }
  auto id = Hash32::FromBytes(AsBytes(in.block_id()));
  if (!id.ok()) return id.status().With("sync_request.block_id");
  if (in.count() > kSyncAncestorsMax) {
    return Status::InvalidArgument("sync_request.count " + std::to_string(in.count()) +
                                   " exceeds " + std::to_string(kSyncAncestorsMax));
  }
  return BlockRequest{*id, in.count()};
}

Result<BlockResponse> FromProto(const wire::BlockSyncResponse& in, const WireContext& ctx) {
  if (static_cast<size_t>(in.blocks_size()) > kSyncBlocksMax) {
    return Status::InvalidArgument("sync_response carries " + std::to_string(in.blocks_size()) +
                                   " blocks; at most " + std::to_string(kSyncBlocksMax));
  }
  if (in.has_commit_qc()) {
    return Status::InvalidArgument(
        "sync_response.commit_qc answers height-range requests, not served by this version");
  }
  if (in.error().size() > kSyncErrorBytesMax) {
    return Status::InvalidArgument("sync_response.error has " + std::to_string(in.error().size()) +
                                   " bytes; at most " + std::to_string(kSyncErrorBytesMax));
  }
  if (!in.error().empty() && in.blocks_size() > 0) {
    return Status::InvalidArgument("sync_response carries both blocks and an error");
  }
  BlockResponse out;
  out.blocks.reserve(static_cast<size_t>(in.blocks_size()));
  for (int i = 0; i < in.blocks_size(); ++i) {
    auto block = FromProto(in.blocks(i), ctx);
    if (!block.ok()) {
      return block.status().With("sync_response.blocks[" + std::to_string(i) + "]");
    }
    out.blocks.push_back(std::move(block).value());
  }
  return out;
}

Result<TxBatch> FromProto(const wire::TxGossip& in) {
  if (in.txs_size() == 0) return Status::InvalidArgument("tx_gossip carries no transactions");
  if (static_cast<size_t>(in.txs_size()) > kGossipTxsMax) {
    return Status::InvalidArgument("tx_gossip carries " + std::to_string(in.txs_size()) +
                                   " transactions; at most " + std::to_string(kGossipTxsMax));
  }
  TxBatch out;
  out.txs.reserve(static_cast<size_t>(in.txs_size()));
  for (int i = 0; i < in.txs_size(); ++i) {
    const std::string& tx = in.txs(i);
    const std::string field = "tx_gossip.txs[" + std::to_string(i) + "]";
    if (tx.empty()) return Status::InvalidArgument(field + " is empty");
    if (tx.size() > kTxBytesMax) {
      return Status::InvalidArgument(field + " has " + std::to_string(tx.size()) +
                                     " bytes; at most " + std::to_string(kTxBytesMax));
    }
    out.txs.push_back(std::make_shared<const Bytes>(tx.begin(), tx.end()));
  }
  return out;
}

Result<NetworkMessage> FromProto(const wire::PeerMessage& in, const WireContext& ctx) {
  auto wrap = [](auto r, const char* field) -> Result<NetworkMessage> {
    if (!r.ok()) return r.status().With(field);
    return NetworkMessage(Message(std::move(r).value()));
  };
  switch (in.msg_case()) {
    case wire::PeerMessage::kProposal: return wrap(FromProto(in.proposal(), ctx), "proposal");
    case wire::PeerMessage::kVote: return wrap(FromProto(in.vote(), ctx), "vote");
    case wire::PeerMessage::kTimeout: return wrap(FromProto(in.timeout(), ctx), "timeout");
    case wire::PeerMessage::kSyncRequest: return wrap(FromProto(in.sync_request()), "peer message");
    case wire::PeerMessage::kSyncResponse:
      return wrap(FromProto(in.sync_response(), ctx), "peer message");
    case wire::PeerMessage::kTxGossip: {
      auto batch = FromProto(in.tx_gossip());
      if (!batch.ok()) return batch.status().With("peer message");
      return NetworkMessage(std::move(batch).value());
    }
    case wire::PeerMessage::kEvidence:
      return Status::InvalidArgument(
          "peer message evidence: not accepted by this version (evidence travels in blocks)");
    default:
      return Status::InvalidArgument(std::string("peer message ") + PeerMessageName(in) +
                                     " is not a node message");
  }
}

Bytes SerializePeerMessage(const wire::PeerMessage& message) {
  HOTBFT_ASSERT(message.msg_case() != wire::PeerMessage::MSG_NOT_SET);
  Bytes out(message.ByteSizeLong());
  HOTBFT_ASSERT(message.SerializeToArray(out.data(), static_cast<int>(out.size())));
  return out;
}

Result<wire::PeerMessage> ParsePeerMessage(ByteView body) {
  if (body.size() > kFrameBytesCeiling) {
    return Status::InvalidArgument("peer message of " + std::to_string(body.size()) +
                                   " bytes is too large to parse");
  }
  wire::PeerMessage out;
  if (!out.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return Status::InvalidArgument("frame of " + std::to_string(body.size()) +
                                   " bytes is not a PeerMessage");
  }
  return out;
}

}  // namespace hotbft::network
