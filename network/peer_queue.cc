#include "network/peer_queue.h"

namespace hotbft::network {

PeerQueue::PushResult PeerQueue::Push(Frame frame, Priority priority) {
  HOTBFT_ASSERT(frame != nullptr);
  HOTBFT_ASSERT(!frame->empty());
  const uint64_t n = frame->size();
  PushResult result;
  if (priority == Priority::kGossip) {
    if (gossip_.size() >= limits_.gossip_frames_max || bytes_ + n > limits_.bytes_max) {
      result.outcome = Outcome::kGossipDropped;
      return result;
    }
    gossip_.push_back(std::move(frame));
    bytes_ += n;
    return result;
  }
  while (bytes_ + n > limits_.bytes_max && !gossip_.empty()) {
    bytes_ -= gossip_.front()->size();
    gossip_.pop_front();
    ++result.gossip_evicted;
  }
  if (consensus_.size() >= limits_.consensus_frames_max || bytes_ + n > limits_.bytes_max) {
    result.outcome = Outcome::kConsensusOverflow;
    return result;
  }
  consensus_.push_back(std::move(frame));
  bytes_ += n;
  return result;
}

std::vector<Frame> PeerQueue::Take(size_t bytes_max) {
  std::vector<Frame> out;
  size_t taken = 0;
  for (std::deque<Frame>* q : {&consensus_, &gossip_}) {
    while (!q->empty()) {
      const size_t n = q->front()->size();
      if (!out.empty() && taken + n > bytes_max) return out;
      taken += n;
      HOTBFT_ASSERT(bytes_ >= n);
      bytes_ -= n;
      out.push_back(std::move(q->front()));
      q->pop_front();
    }
  }
  HOTBFT_ASSERT(bytes_ == 0);
  return out;
}

size_t PeerQueue::Clear() {
  const size_t n = consensus_.size() + gossip_.size();
  consensus_.clear();
  gossip_.clear();
  bytes_ = 0;
  return n;
}

}  // namespace hotbft::network
