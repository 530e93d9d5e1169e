// Transport: the send path (bounded queues, priorities, overflow) and the peer
// connections (accept, dial with backoff, attach, close).
#include <spdlog/spdlog.h>

#include "network/transport_impl.h"

namespace hotbft::network {

// ---- Sending (any thread) ----

void Transport::Impl::CountDrop(DropReason reason, uint64_t n) {
  drops_[static_cast<size_t>(reason)] += n;
}

// A message a peer would refuse to decode is refused here, so a sender never gets itself
// disconnected for a batch that is merely too big.
Status Transport::Impl::CheckSendable(const NetworkMessage& message, size_t encoded_bytes) {
  if (const auto* batch = std::get_if<TxBatch>(&message)) {
    if (batch->txs.empty() || batch->txs.size() > kGossipTxsMax) {
      CountDrop(DropReason::kTooLarge);
      return Status::InvalidArgument("a gossip batch carries 1 to " +
                                     std::to_string(kGossipTxsMax) + " transactions, not " +
                                     std::to_string(batch->txs.size()));
    }
  }
  if (encoded_bytes > config_.frame_bytes_max) {
    CountDrop(DropReason::kTooLarge);
    return Status::ResourceExhausted(
        std::string(MessageName(message)) + " of " + std::to_string(encoded_bytes) +
        " bytes exceeds the frame limit of " + std::to_string(config_.frame_bytes_max));
  }
  return Status::Ok();
}

Status Transport::Impl::Send(ValidatorIndex to, const NetworkMessage& message, Priority priority) {
  if (to >= slots_.size() || to == self_) {
    CountDrop(DropReason::kBadPeer);
    return Status::InvalidArgument("cannot send to validator " + std::to_string(to) +
                                   " (this node is " + std::to_string(self_) + " of " +
                                   std::to_string(slots_.size()) + ")");
  }
  wire::PeerMessage pb;
  ToProto(message, &pb);
  HOTBFT_RETURN_IF_ERROR(CheckSendable(message, pb.ByteSizeLong()));
  return Enqueue(to, EncodeMessageFrame(pb), priority);
}

void Transport::Impl::Broadcast(const NetworkMessage& message, Priority priority) {
  wire::PeerMessage pb;
  ToProto(message, &pb);
  const Status sendable = CheckSendable(message, pb.ByteSizeLong());
  if (!sendable.ok()) {
    spdlog::warn("network[{}]: not broadcast: {}", self_, sendable.message());
    return;
  }
  const Frame frame = EncodeMessageFrame(pb);
  for (ValidatorIndex p = 0; p < slots_.size(); ++p) {
    if (p != self_) (void)Enqueue(p, frame, priority);
  }
}

Status Transport::Impl::Enqueue(ValidatorIndex to, const Frame& frame, Priority priority) {
  PeerSlot& s = *slots_[to];
  PeerQueue::PushResult pushed;
  uint64_t connection_id = 0;
  size_t cleared = 0;
  bool kick = false;
  {
    std::lock_guard lock(s.mutex);
    if (!s.connected) {
      CountDrop(DropReason::kNotConnected);
      return Status::FailedPrecondition("validator " + std::to_string(to) + " is not connected");
    }
    pushed = s.queue.Push(frame, priority);
    connection_id = s.connection_id;
    if (pushed.outcome == PeerQueue::Outcome::kConsensusOverflow) {
      s.connected = false;  // later sends drop until the peer reconnects
      cleared = s.queue.Clear();
    } else if (pushed.outcome == PeerQueue::Outcome::kQueued && !s.kick_pending) {
      s.kick_pending = kick = true;
    }
  }
  CountDrop(DropReason::kGossipEvicted, pushed.gossip_evicted);
  switch (pushed.outcome) {
    case PeerQueue::Outcome::kQueued:
      if (kick) asio::post(*io_, [this, to, connection_id] { OnKick(to, connection_id); });
      return Status::Ok();
    case PeerQueue::Outcome::kGossipDropped:
      CountDrop(DropReason::kGossipQueueFull);
      return Status::ResourceExhausted("gossip queue of validator " + std::to_string(to) +
                                       " is full");
    case PeerQueue::Outcome::kConsensusOverflow:
      CountDrop(DropReason::kConsensusOverflow);
      CountDrop(DropReason::kDisconnected, cleared);
      asio::post(*io_, [this, to, connection_id] { CloseOverflowed(to, connection_id); });
      return Status::ResourceExhausted("consensus queue of validator " + std::to_string(to) +
                                       " overflowed; disconnecting it");
  }
  return Status::Internal("unreachable");
}

// ---- io thread ----

void Transport::Impl::OnKick(ValidatorIndex peer, uint64_t connection_id) {
  PeerSlot& s = *slots_[peer];
  {
    std::lock_guard lock(s.mutex);
    if (s.connection_id == connection_id) s.kick_pending = false;
  }
  if (s.connection && s.connection->id() == connection_id) s.connection->MaybeWrite();
}

void Transport::Impl::CloseOverflowed(ValidatorIndex peer, uint64_t connection_id) {
  PeerSlot& s = *slots_[peer];
  if (!s.connection || s.connection->id() != connection_id) return;
  s.connection->Close(
      DisconnectReason::kConsensusOverflow,
      Status::ResourceExhausted("its consensus queue overflowed (" +
                                std::to_string(config_.queue.consensus_frames_max) + " frames, " +
                                std::to_string(config_.queue.bytes_max) + " bytes)"));
}

std::vector<Frame> Transport::Impl::TakeFrames(ValidatorIndex peer, uint64_t connection_id) {
  PeerSlot& s = *slots_[peer];
  std::lock_guard lock(s.mutex);
  if (!s.connected || s.connection_id != connection_id) return {};
  return s.queue.Take(config_.write_batch_bytes_max);
}

void Transport::Impl::Deliver(ValidatorIndex from, NetworkMessage message) {
  if (stopping_) return;
  on_message_(from, std::move(message));
}

std::unique_ptr<Handshake> Transport::Impl::MakeHandshake() {
  return std::make_unique<Handshake>(HandshakeConfig{config_.protocol_version, config_.chain_id},
                                     validators_, *signer_, VerifierFor(signer_->scheme()), *rng_);
}

// ---- Connections ----

void Transport::Impl::Accept() {
  acceptor_->async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
    OnAccept(ec, std::move(socket));
  });
}

void Transport::Impl::OnAccept(const boost::system::error_code& ec, tcp::socket socket) {
  if (stopping_ || ec == asio::error::operation_aborted) return;
  if (ec) {
    // E.g. out of file descriptors: retry later rather than spin on the error.
    spdlog::warn("network[{}]: accept: {}; retrying in {} ms", self_, ec.message(), kAcceptRetryMs);
    accept_timer_->expires_after(std::chrono::milliseconds(kAcceptRetryMs));
    accept_timer_->async_wait([this](const boost::system::error_code& timer_ec) {
      if (!timer_ec && !stopping_) Accept();
    });
    return;
  }
  if (pending_.size() >= config_.pending_connections_max) {
    ++disconnects_[static_cast<size_t>(DisconnectReason::kTooManyPending)];
    spdlog::warn("network[{}]: refusing a connection: {} still in the handshake", self_,
                 pending_.size());
    boost::system::error_code ignored;
    socket.close(ignored);
  } else {
    auto c =
        std::make_shared<Connection>(*this, std::move(socket), std::nullopt, next_connection_id_++);
    pending_.insert(c);
    c->Start();
  }
  Accept();
}

void Transport::Impl::Dial(ValidatorIndex peer) {
  PeerSlot& s = *slots_[peer];
  HOTBFT_ASSERT(peer < self_);
  if (stopping_ || s.connection || s.dialling) return;
  if (peer >= config_.peers.size() || config_.peers[peer].port == 0) return;  // no address
  s.dialling = true;
  ++s.dial_attempts;
  struct Attempt {
    explicit Attempt(asio::io_context& io) : resolver(io), socket(io), deadline(io) {}
    tcp::resolver resolver;
    tcp::socket socket;
    asio::steady_timer deadline;
  };
  auto a = std::make_shared<Attempt>(*io_);
  a->deadline.expires_after(std::chrono::milliseconds(config_.handshake_timeout_ms));
  a->deadline.async_wait([a](const boost::system::error_code& ec) {
    if (ec) return;
    boost::system::error_code ignored;
    a->resolver.cancel();
    a->socket.close(ignored);
  });
  auto failed = [this, peer](const std::string& what, const boost::system::error_code& ec) {
    slots_[peer]->dialling = false;
    spdlog::debug("network[{}]: dialling {}: {}: {}", self_, Describe(peer), what, ec.message());
    ScheduleRedial(peer);
  };
  const PeerAddress& address = config_.peers[peer];
  a->resolver.async_resolve(
      address.host, std::to_string(address.port),
      [this, a, peer, failed](const boost::system::error_code& ec,
                              const tcp::resolver::results_type& results) {
        if (stopping_) return;
        if (ec) return failed("resolve", ec);
        asio::async_connect(
            a->socket, results,
            [this, a, peer, failed](const boost::system::error_code& ec, const tcp::endpoint&) {
              a->deadline.cancel();
              if (stopping_) return;
              if (ec) return failed("connect", ec);
              slots_[peer]->dialling = false;
              auto c = std::make_shared<Connection>(*this, std::move(a->socket), peer,
                                                    next_connection_id_++);
              pending_.insert(c);
              c->Start();
            });
      });
}

void Transport::Impl::ScheduleRedial(ValidatorIndex peer) {
  PeerSlot& s = *slots_[peer];
  if (stopping_ || s.connection || s.dialling) return;
  const uint32_t shift = std::min<uint32_t>(s.dial_attempts, 20);
  const uint64_t delay = std::min<uint64_t>(config_.redial_delay_ms_max,
                                            uint64_t{config_.redial_delay_ms_min} << shift);
  const uint64_t jittered = delay / 2 + rng_->NextU64() % (delay / 2 + 1);  // [delay/2, delay]
  s.dialling = true;
  asio::steady_timer& timer = *redial_timers_[peer];
  timer.expires_after(std::chrono::milliseconds(jittered));
  timer.async_wait([this, peer](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    slots_[peer]->dialling = false;
    Dial(peer);
  });
}

Status Transport::Impl::OnAuthenticated(const std::shared_ptr<Connection>& c) {
  const ValidatorIndex peer = *c->peer();
  pending_.erase(c);
  if (c->dialled() && *c->dialled() != peer) {
    return Status::Unauthenticated("dialled validator " + std::to_string(*c->dialled()) +
                                   " but the peer authenticated as validator " +
                                   std::to_string(peer));
  }
  if (!c->dialled() && peer < self_) {
    return Status::Unauthenticated("validator " + std::to_string(peer) +
                                   " dialled in, but the higher index dials: this node (" +
                                   std::to_string(self_) + ") dials it");
  }
  PeerSlot& s = *slots_[peer];
  if (auto old = s.connection) {
    old->Close(DisconnectReason::kReplaced, Status::Ok());
  }
  HOTBFT_ASSERT(s.connection == nullptr);
  s.connection = c;
  s.dial_attempts = 0;
  {
    std::lock_guard lock(s.mutex);
    HOTBFT_ASSERT(s.queue.empty());
    s.connected = true;
    s.connection_id = c->id();
    s.kick_pending = false;
  }
  ++s.connections;
  spdlog::info("network[{}]: connected to validator {} ({}, {})", self_, peer,
               c->dialled() ? "dialled" : "inbound", c->remote());
  return Status::Ok();
}

void Transport::Impl::OnClosed(Connection& c, DisconnectReason reason, const Status& why) {
  const std::string who =
      c.peer() ? "validator " + std::to_string(*c.peer()) + " (" + c.remote() + ")" : c.remote();
  if (reason == DisconnectReason::kStopped || reason == DisconnectReason::kReplaced) {
    spdlog::debug("network[{}]: closed {}: {}", self_, who, DisconnectReasonName(reason));
  } else {
    spdlog::warn("network[{}]: disconnecting {}: {}: {}", self_, who, DisconnectReasonName(reason),
                 why.message());
  }
  for (auto it = pending_.begin(); it != pending_.end(); ++it) {
    if (it->get() == &c) {
      pending_.erase(it);
      break;
    }
  }
  if (c.peer()) {
    PeerSlot& s = *slots_[*c.peer()];
    if (s.connection.get() == &c) {
      size_t dropped = 0;
      {
        std::lock_guard lock(s.mutex);
        s.connected = false;
        dropped = s.queue.Clear();
      }
      CountDrop(DropReason::kDisconnected, dropped);
      s.connection.reset();
    }
  }
  if (c.dialled()) ScheduleRedial(*c.dialled());
  ++disconnects_[static_cast<size_t>(reason)];  // last: a test that sees it sees the rest
}

}  // namespace hotbft::network
