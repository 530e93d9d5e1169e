// Conversion between wire::PeerMessage (proto/p2p.proto) and what the node exchanges with
// its peers: the consensus messages (consensus/messages.h) and transaction gossip.
//
// Mapping: Proposal, Vote and Timeout travel as themselves (consensus/wire.h converts
// them); BlockRequest travels as a BlockSyncRequest naming a block id (count = ancestors);
// BlockResponse as a BlockSyncResponse (blocks newest first); a TxBatch as a TxGossip.
// Hello, HelloAuth, Ping and Pong belong to the transport and never reach the node.
//
// Decoding checks structure and bounds only, never signatures (the core does that), and
// returns an error naming the field for anything else; it never crashes on any input.
// Not handled by this version, so decoding rejects them: BlockSyncRequests by height range
// (the core fetches by block id), and Evidence messages (evidence travels inside blocks).
#pragma once

#include <cstdint>
#include <memory>
#include <variant>
#include <vector>

#include "consensus/messages.h"
#include "consensus/wire.h"
#include "proto/p2p.pb.h"

namespace hotbft::network {

// Bounds on decoded messages (the frame limit bounds the total as well).
inline constexpr size_t kGossipTxsMax = 10'000;       // transactions in one TxGossip
inline constexpr uint32_t kSyncAncestorsMax = 1'024;  // ancestors one request may ask for
inline constexpr size_t kSyncBlocksMax = kSyncAncestorsMax + 1;  // blocks in one response
inline constexpr size_t kSyncErrorBytesMax = 1'024;
static_assert(kSyncBlocksMax > kSyncAncestorsMax);

// Transactions gossiped between validators. Shared and immutable: a broadcast encodes
// them once, and the mempool keeps the same buffers.
struct TxBatch {
  std::vector<std::shared_ptr<const Bytes>> txs;
};

// Everything the node sends to or receives from a peer.
using NetworkMessage = std::variant<Message, TxBatch>;

// A short name for logs and counters: "proposal", "vote", ..., "tx_gossip".
const char* MessageName(const NetworkMessage& message);
// The name of a PeerMessage's case ("hello", "ping", ..., "empty").
const char* PeerMessageName(const wire::PeerMessage& message);

void ToProto(const BlockRequest& in, wire::BlockSyncRequest* out);
void ToProto(const BlockResponse& in, wire::BlockSyncResponse* out);
void ToProto(const TxBatch& in, wire::TxGossip* out);
void ToProto(const NetworkMessage& in, wire::PeerMessage* out);

Result<BlockRequest> FromProto(const wire::BlockSyncRequest& in);
Result<BlockResponse> FromProto(const wire::BlockSyncResponse& in, const WireContext& ctx);
Result<TxBatch> FromProto(const wire::TxGossip& in);
// Fails on Hello, HelloAuth, Ping and Pong (not node messages), Evidence, and an empty
// PeerMessage, naming the case.
Result<NetworkMessage> FromProto(const wire::PeerMessage& in, const WireContext& ctx);

// Serialises `message` as a frame body. REQUIRES: the message has a case set.
Bytes SerializePeerMessage(const wire::PeerMessage& message);
// Parses a frame body; fails on bytes that are not a PeerMessage.
Result<wire::PeerMessage> ParsePeerMessage(ByteView body);

}  // namespace hotbft::network
