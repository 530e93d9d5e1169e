// Transport: listening, dialling, attaching authenticated connections to peers, and the
// bounded send path.
#include "network/transport.h"

#include <spdlog/spdlog.h>

#include <future>

#include "crypto/thread_name.h"
#include "network/transport_impl.h"

namespace hotbft::network {

std::string_view DropReasonName(DropReason reason) {
  switch (reason) {
    case DropReason::kNotConnected: return "not_connected";
    case DropReason::kBadPeer: return "bad_peer";
    case DropReason::kTooLarge: return "too_large";
    case DropReason::kGossipQueueFull: return "gossip_queue_full";
    case DropReason::kGossipEvicted: return "gossip_evicted";
    case DropReason::kConsensusOverflow: return "consensus_overflow";
    case DropReason::kDisconnected: return "disconnected";
    case DropReason::kCount: break;
  }
  return "unknown";
}

std::string_view DisconnectReasonName(DisconnectReason reason) {
  switch (reason) {
    case DisconnectReason::kHandshakeFailed: return "handshake_failed";
    case DisconnectReason::kHandshakeTimeout: return "handshake_timeout";
    case DisconnectReason::kWrongDirection: return "wrong_direction";
    case DisconnectReason::kMalformedFrame: return "malformed_frame";
    case DisconnectReason::kMalformedMessage: return "malformed_message";
    case DisconnectReason::kProtocolViolation: return "protocol_violation";
    case DisconnectReason::kIdle: return "idle";
    case DisconnectReason::kConsensusOverflow: return "consensus_overflow";
    case DisconnectReason::kControlOverflow: return "control_overflow";
    case DisconnectReason::kReplaced: return "replaced";
    case DisconnectReason::kTooManyPending: return "too_many_pending";
    case DisconnectReason::kClosedByPeer: return "closed_by_peer";
    case DisconnectReason::kStopped: return "stopped";
    case DisconnectReason::kCount: break;
  }
  return "unknown";
}

Frame EncodeMessageFrame(const wire::PeerMessage& message) {
  const size_t n = message.ByteSizeLong();
  HOTBFT_ASSERT(n > 0);
  HOTBFT_ASSERT(n <= kFrameBytesCeiling);
  auto frame = std::make_shared<Bytes>(kFrameHeaderBytes + n);
  uint8_t* p = frame->data();
  p[0] = static_cast<uint8_t>(n >> 24);
  p[1] = static_cast<uint8_t>(n >> 16);
  p[2] = static_cast<uint8_t>(n >> 8);
  p[3] = static_cast<uint8_t>(n);
  HOTBFT_ASSERT(message.SerializeToArray(p + kFrameHeaderBytes, static_cast<int>(n)));
  return frame;
}

// ---- Transport: the public face ----

Transport::Transport(TransportConfig config, const ValidatorSet& validators, ValidatorIndex self,
                     std::unique_ptr<Signer> signer, std::unique_ptr<RandomSource> rng)
    : impl_(std::make_unique<Impl>(std::move(config), validators, self, std::move(signer),
                                   std::move(rng))) {}
Transport::~Transport() {
  impl_->Stop();
}
Status Transport::Start(InboundHandler on_message) {
  return impl_->Start(std::move(on_message));
}
void Transport::Stop() {
  impl_->Stop();
}
uint16_t Transport::listen_port() const {
  return impl_->listen_port();
}
Status Transport::Send(ValidatorIndex to, const NetworkMessage& message, Priority priority) {
  return impl_->Send(to, message, priority);
}
void Transport::Broadcast(const NetworkMessage& message, Priority priority) {
  impl_->Broadcast(message, priority);
}
void Transport::RunAfter(uint32_t delay_ms, std::function<void()> fn) {
  impl_->RunAfter(delay_ms, std::move(fn));
}
TransportStats Transport::stats() const {
  return impl_->stats();
}

// ---- Impl: lifecycle ----

Transport::Impl::Impl(TransportConfig config, const ValidatorSet& validators, ValidatorIndex self,
                      std::unique_ptr<Signer> signer, std::unique_ptr<RandomSource> rng)
    : config_(std::move(config)),
      validators_(validators),
      self_(self),
      wire_context_{config_.chain_id, validators.size()},
      signer_(std::move(signer)),
      rng_(std::move(rng)),
      io_(std::make_unique<asio::io_context>(1)) {
  HOTBFT_ASSERT(self_ < validators_.size());
  HOTBFT_ASSERT(signer_ != nullptr && rng_ != nullptr);
  HOTBFT_ASSERT(signer_->public_key() == validators_.key(self_));
  HOTBFT_ASSERT(!config_.chain_id.empty());
  HOTBFT_ASSERT(config_.frame_bytes_max > 0 && config_.frame_bytes_max <= kFrameBytesCeiling);
  HOTBFT_ASSERT(config_.redial_delay_ms_min > 0);
  HOTBFT_ASSERT(config_.redial_delay_ms_min <= config_.redial_delay_ms_max);
  for (uint32_t i = 0; i < validators_.size(); ++i) {
    slots_.push_back(std::make_unique<PeerSlot>(config_.queue));
    redial_timers_.push_back(std::make_unique<asio::steady_timer>(*io_));
  }
}

Transport::Impl::~Impl() {
  Stop();
  // Handlers still queued hold connections and timers: destroy them while every other
  // member is alive.
  pending_.clear();
  for (auto& s : slots_) s->connection.reset();
  redial_timers_.clear();
  accept_timer_.reset();
  acceptor_.reset();
  io_.reset();
}

Status Transport::Impl::Start(InboundHandler on_message) {
  HOTBFT_ASSERT(!thread_.joinable());
  HOTBFT_ASSERT(on_message != nullptr);
  on_message_ = std::move(on_message);
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(config_.listen_host, ec);
  if (ec) {
    return Status::InvalidArgument("listen address '" + config_.listen_host + "': " + ec.message());
  }
  const tcp::endpoint endpoint(address, config_.listen_port);
  acceptor_ = std::make_unique<tcp::acceptor>(*io_);
  accept_timer_ = std::make_unique<asio::steady_timer>(*io_);
  acceptor_->open(endpoint.protocol(), ec);
  if (!ec) acceptor_->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_->bind(endpoint, ec);
  if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    acceptor_.reset();
    return Status::IoError("listening on " + config_.listen_host + ":" +
                           std::to_string(config_.listen_port) + ": " + ec.message());
  }
  listen_port_ = acceptor_->local_endpoint().port();
  work_.emplace(io_->get_executor());
  asio::post(*io_, [this] {
    Accept();
    for (ValidatorIndex p = 0; p < self_; ++p) Dial(p);
  });
  running_ = true;
  thread_ = std::thread([this] {
    SetThreadName("p2p");
    io_->run();
  });
  spdlog::info("network[{}]: listening on {}:{}", self_, config_.listen_host, listen_port_);
  return Status::Ok();
}

void Transport::Impl::Stop() {
  if (!thread_.joinable()) return;
  HOTBFT_ASSERT(thread_.get_id() != std::this_thread::get_id());
  running_ = false;
  asio::post(*io_, [this] {
    CloseAll();
    io_->stop();  // handlers still queued are dropped, never run
  });
  thread_.join();
  work_.reset();
}

void Transport::Impl::CloseAll() {
  stopping_ = true;
  boost::system::error_code ec;
  if (acceptor_) acceptor_->close(ec);
  if (accept_timer_) accept_timer_->cancel();
  for (auto& t : redial_timers_) t->cancel();
  const auto pending = pending_;
  for (const auto& c : pending) c->Close(DisconnectReason::kStopped, Status::Ok());
  for (auto& s : slots_) {
    if (auto c = s->connection) c->Close(DisconnectReason::kStopped, Status::Ok());
  }
}

void Transport::Impl::RunAfter(uint32_t delay_ms, std::function<void()> fn) {
  if (!running_) return;
  asio::post(*io_, [this, delay_ms, fn = std::move(fn)]() mutable {
    if (stopping_) return;
    auto timer = std::make_shared<asio::steady_timer>(*io_, std::chrono::milliseconds(delay_ms));
    timer->async_wait([this, timer, fn = std::move(fn)](const boost::system::error_code& ec) {
      if (!ec && !stopping_) fn();
    });
  });
}

TransportStats Transport::Impl::stats() const {
  TransportStats out;
  out.peers.resize(slots_.size());
  for (size_t i = 0; i < slots_.size(); ++i) {
    PeerSlot& s = *slots_[i];
    PeerStats& p = out.peers[i];
    {
      std::lock_guard lock(s.mutex);
      p.connected = s.connected;
    }
    p.connections = s.connections;
    p.bytes_in = s.bytes_in;
    p.bytes_out = s.bytes_out;
    p.messages_in = s.messages_in;
    p.messages_out = s.messages_out;
    if (p.connected) ++out.connected_peers;
  }
  for (size_t i = 0; i < out.drops.size(); ++i) out.drops[i] = drops_[i];
  for (size_t i = 0; i < out.disconnects.size(); ++i) out.disconnects[i] = disconnects_[i];
  return out;
}

std::string Transport::Impl::Describe(ValidatorIndex peer) const {
  const auto& a = peer < config_.peers.size() ? config_.peers[peer] : PeerAddress{};
  return "validator " + std::to_string(peer) + " (" + a.host + ":" + std::to_string(a.port) + ")";
}

}  // namespace hotbft::network
