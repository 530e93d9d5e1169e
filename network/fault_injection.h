// FaultyNetwork: a PeerNetwork that wraps another (the Transport) and injects faults into
// what this node sends and hears, for tests and chaos runs.
//
// Off by default: with `enabled` false every call passes straight through. When on, each
// message, in each direction, independently:
//   - is dropped if its peer is in `partitioned` (this node can neither reach nor hear it);
//   - is dropped with probability drop_probability;
//   - is delivered twice with probability duplicate_probability;
//   - is delayed by a uniform draw from [delay_ms_min, delay_ms_max] (reordering follows).
// Faults can be changed at run time (Configure, Partition, Heal), e.g. from config or an
// admin RPC. Decisions come from one generator seeded at construction, so a run's
// decisions replay for the same sequence of calls.
//
// Threads: every member is thread-safe. Delayed messages run on the scheduler's thread
// (the transport's io thread), so inbound messages keep arriving on that thread. Stop
// the inner transport before destroying this wrapper.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <set>

#include "crypto/random.h"
#include "network/peer_network.h"

namespace hotbft::network {

struct FaultConfig {
  bool enabled = false;
  double drop_probability = 0.0;       // in [0, 1]
  double duplicate_probability = 0.0;  // in [0, 1]
  uint32_t delay_ms_min = 0;
  uint32_t delay_ms_max = 0;  // >= delay_ms_min
  std::set<ValidatorIndex> partitioned;
};

struct FaultStats {
  uint64_t dropped_out = 0;  // by drop_probability
  uint64_t dropped_in = 0;
  uint64_t partitioned_out = 0;
  uint64_t partitioned_in = 0;
  uint64_t duplicated = 0;
  uint64_t delayed = 0;
};

class FaultyNetwork final : public PeerNetwork {
 public:
  // Runs a function after a delay on the thread inbound messages arrive on.
  using Scheduler = std::function<void(uint32_t delay_ms, std::function<void()> fn)>;

  // This node is `self` of `validators`. `inner` must outlive the wrapper; `schedule` is
  // the inner transport's (Transport::RunAfter).
  FaultyNetwork(PeerNetwork& inner, Scheduler schedule, uint32_t validators, ValidatorIndex self,
                uint64_t seed);

  // Fails, changing nothing, on a probability outside [0, 1] or delay_ms_min > delay_ms_max.
  Status Configure(FaultConfig config);
  FaultConfig config() const;
  // Shortcuts: turn the faults on with `peers` partitioned away; clear the partition.
  void Partition(std::set<ValidatorIndex> peers);
  void Heal();
  FaultStats stats() const;

  Status Send(ValidatorIndex to, const NetworkMessage& message, Priority priority) override;
  void Broadcast(const NetworkMessage& message, Priority priority) override;

  // The handler to give the inner transport: applies the inbound faults, then calls
  // `deliver` (on the transport's io thread).
  InboundHandler WrapInbound(InboundHandler deliver);

 private:
  // What to do with one message: how many copies, each after which delay.
  struct Decision {
    bool partitioned = false;
    bool dropped = false;
    std::vector<uint32_t> delays_ms;  // one per copy
  };
  // nullopt when faults are off.
  std::optional<Decision> Decide(ValidatorIndex peer, bool outbound);
  double Uniform();  // REQUIRES: mutex_ held

  PeerNetwork& inner_;
  const Scheduler schedule_;
  const uint32_t validators_;
  const ValidatorIndex self_;
  mutable std::mutex mutex_;
  FaultConfig config_;  // guarded by mutex_
  SeededRandom rng_;    // guarded by mutex_
  FaultStats stats_;    // guarded by mutex_
};

}  // namespace hotbft::network
