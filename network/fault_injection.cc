#include "network/fault_injection.h"

#include <string>

namespace hotbft::network {

FaultyNetwork::FaultyNetwork(PeerNetwork& inner, Scheduler schedule, uint32_t validators,
                             ValidatorIndex self, uint64_t seed)
    : inner_(inner),
      schedule_(std::move(schedule)),
      validators_(validators),
      self_(self),
      rng_(seed) {
  HOTBFT_ASSERT(schedule_ != nullptr);
  HOTBFT_ASSERT(self_ < validators_);
}

Status FaultyNetwork::Configure(FaultConfig config) {
  for (double p : {config.drop_probability, config.duplicate_probability}) {
    if (!(p >= 0.0 && p <= 1.0)) {
      return Status::InvalidArgument("fault probability " + std::to_string(p) +
                                     " is outside [0, 1]");
    }
  }
  if (config.delay_ms_min > config.delay_ms_max) {
    return Status::InvalidArgument("fault delay_ms_min " + std::to_string(config.delay_ms_min) +
                                   " exceeds delay_ms_max " + std::to_string(config.delay_ms_max));
  }
  std::lock_guard lock(mutex_);
  config_ = std::move(config);
  return Status::Ok();
}

FaultConfig FaultyNetwork::config() const {
  std::lock_guard lock(mutex_);
  return config_;
}

void FaultyNetwork::Partition(std::set<ValidatorIndex> peers) {
  std::lock_guard lock(mutex_);
  config_.enabled = true;
  config_.partitioned = std::move(peers);
}

void FaultyNetwork::Heal() {
  std::lock_guard lock(mutex_);
  config_.partitioned.clear();
}

FaultStats FaultyNetwork::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

double FaultyNetwork::Uniform() {
  return static_cast<double>(rng_.Next() >> 11) * 0x1.0p-53;  // [0, 1)
}

std::optional<FaultyNetwork::Decision> FaultyNetwork::Decide(ValidatorIndex peer, bool outbound) {
  std::lock_guard lock(mutex_);
  if (!config_.enabled) return std::nullopt;
  Decision d;
  if (config_.partitioned.count(peer)) {
    ++(outbound ? stats_.partitioned_out : stats_.partitioned_in);
    d.partitioned = true;
    return d;
  }
  if (Uniform() < config_.drop_probability) {
    ++(outbound ? stats_.dropped_out : stats_.dropped_in);
    d.dropped = true;
    return d;
  }
  const int copies = Uniform() < config_.duplicate_probability ? 2 : 1;
  if (copies == 2) ++stats_.duplicated;
  const uint32_t span = config_.delay_ms_max - config_.delay_ms_min;
  for (int i = 0; i < copies; ++i) {
    const uint32_t delay =
        config_.delay_ms_min + (span == 0 ? 0 : static_cast<uint32_t>(rng_.Next() % (span + 1)));
    if (delay > 0) ++stats_.delayed;
    d.delays_ms.push_back(delay);
  }
  return d;
}

Status FaultyNetwork::Send(ValidatorIndex to, const NetworkMessage& message, Priority priority) {
  auto d = Decide(to, true);
  if (!d) return inner_.Send(to, message, priority);
  if (d->partitioned) {
    return Status::FailedPrecondition("validator " + std::to_string(to) + " is partitioned away");
  }
  Status status;
  for (uint32_t delay : d->delays_ms) {
    if (delay == 0) {
      status = inner_.Send(to, message, priority);
    } else {
      schedule_(delay, [this, to, message, priority] { (void)inner_.Send(to, message, priority); });
    }
  }
  return status;  // a dropped or delayed message looks sent, as on a lossy network
}

void FaultyNetwork::Broadcast(const NetworkMessage& message, Priority priority) {
  if (!config().enabled) return inner_.Broadcast(message, priority);
  for (ValidatorIndex p = 0; p < validators_; ++p) {
    if (p != self_) (void)Send(p, message, priority);
  }
}

InboundHandler FaultyNetwork::WrapInbound(InboundHandler deliver) {
  HOTBFT_ASSERT(deliver != nullptr);
  return [this, deliver = std::move(deliver)](ValidatorIndex from, NetworkMessage message) {
    auto d = Decide(from, false);
    if (!d) return deliver(from, std::move(message));
    for (uint32_t delay : d->delays_ms) {
      if (delay == 0) {
        deliver(from, message);
      } else {
        schedule_(delay, [deliver, from, message] { deliver(from, message); });
      }
    }
  };
}

}  // namespace hotbft::network
