// The bounded outbound queue of one peer, in two priorities.
//
// Consensus messages always leave before gossip. Under pressure gossip goes first: a new
// gossip frame that does not fit is dropped, and a consensus frame that does not fit
// evicts queued gossip, oldest first, until it does. A consensus frame that still does not
// fit (the consensus queue is full, or its bytes alone exceed the bound) is an overflow:
// the peer cannot keep up with consensus, and the transport disconnects it. Pure; not
// thread-safe (the transport guards it with the peer's mutex).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "crypto/bytes.h"
#include "network/peer_network.h"

namespace hotbft::network {

// An encoded frame (length prefix and body), shared by every queue it is broadcast to.
using Frame = std::shared_ptr<const Bytes>;

struct QueueLimits {
  size_t consensus_frames_max = 4'096;
  size_t gossip_frames_max = 1'024;
  uint64_t bytes_max = uint64_t{64} << 20;  // both priorities together
};

class PeerQueue {
 public:
  enum class Outcome : uint8_t {
    kQueued,
    kGossipDropped,      // the new gossip frame did not fit and was dropped
    kConsensusOverflow,  // the new consensus frame did not fit (queued gossip was evicted)
  };
  struct PushResult {
    Outcome outcome = Outcome::kQueued;
    size_t gossip_evicted = 0;  // queued gossip frames dropped to make room
  };

  explicit PeerQueue(QueueLimits limits) : limits_(limits) {}

  // REQUIRES: frame is non-null and non-empty.
  PushResult Push(Frame frame, Priority priority);

  // Frames to write next, consensus first, in order within a priority: at least one if any
  // is queued, then more while their bytes stay within `bytes_max`.
  std::vector<Frame> Take(size_t bytes_max);

  // Empties the queue; returns how many frames it held.
  size_t Clear();

  bool empty() const { return consensus_.empty() && gossip_.empty(); }
  size_t consensus_frames() const { return consensus_.size(); }
  size_t gossip_frames() const { return gossip_.size(); }
  uint64_t bytes() const { return bytes_; }

 private:
  const QueueLimits limits_;
  std::deque<Frame> consensus_;
  std::deque<Frame> gossip_;
  uint64_t bytes_ = 0;
};

}  // namespace hotbft::network
