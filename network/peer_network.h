// The transport seam: what the node uses to reach its peers. The real implementation is
// Transport (transport.h); FaultyNetwork (fault_injection.h) wraps one to drop, delay,
// duplicate and partition traffic.
#pragma once

#include <cstdint>
#include <functional>

#include "crypto/validator_set.h"
#include "network/codec.h"

namespace hotbft::network {

enum class Priority : uint8_t {
  kConsensus,  // proposals, votes, timeouts, block sync: never dropped for gossip
  kGossip,     // transactions: dropped first under pressure
};

// Called with each message a peer sent, decoded: `from` is the peer's authenticated
// validator index, never a field of the message (fields such as a vote's voter are
// claims that the core checks by signature).
using InboundHandler = std::function<void(ValidatorIndex from, NetworkMessage message)>;

class PeerNetwork {
 public:
  virtual ~PeerNetwork() = default;

  // Queues `message` for validator `to`. Fails (and counts the drop) when `to` is not
  // connected, is this node, is out of range, when the message exceeds the frame limit
  // (or is a TxBatch of more than kGossipTxsMax transactions, or of none), or when the
  // peer's queue refuses it. Delivery is never guaranteed: the protocol
  // retransmits what matters. Thread-safe.
  virtual Status Send(ValidatorIndex to, const NetworkMessage& message, Priority priority) = 0;

  // Queues `message` for every connected peer (encoded once). Thread-safe.
  virtual void Broadcast(const NetworkMessage& message, Priority priority) = 0;
};

}  // namespace hotbft::network
