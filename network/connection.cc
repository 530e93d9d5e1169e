// Connection: one TCP connection through its handshake, its frames and its keepalive.
#include <algorithm>

#include "network/transport_impl.h"

namespace hotbft::network {
namespace {

std::string EndpointOf(const tcp::socket& socket) {
  boost::system::error_code ec;
  const tcp::endpoint ep = socket.remote_endpoint(ec);
  if (ec) return "unknown endpoint";
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

}  // namespace

Connection::Connection(Transport::Impl& owner, tcp::socket socket,
                       std::optional<ValidatorIndex> dialled, uint64_t id)
    : owner_(owner),
      socket_(std::move(socket)),
      dialled_(dialled),
      id_(id),
      remote_(EndpointOf(socket_)),
      decoder_(std::min(kHandshakeFrameBytesMax, owner.config().frame_bytes_max)),
      handshake_(owner.MakeHandshake()),
      read_buffer_(std::make_unique<std::array<uint8_t, kReadBytes>>()),
      handshake_timer_(owner.io()),
      keepalive_timer_(owner.io()),
      last_received_(std::chrono::steady_clock::now()) {
  boost::system::error_code ec;
  socket_.set_option(tcp::no_delay(true), ec);  // votes are small and latency-bound
}

void Connection::Start() {
  QueueControl(handshake_->hello());
  handshake_timer_.expires_after(std::chrono::milliseconds(owner_.config().handshake_timeout_ms));
  handshake_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    self->OnHandshakeDeadline(ec);
  });
  Read();
}

void Connection::Close(DisconnectReason reason, const Status& why) {
  if (closed_) return;
  auto self = shared_from_this();  // the owner may drop its reference below
  closed_ = true;
  boost::system::error_code ec;
  socket_.shutdown(tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  handshake_timer_.cancel();
  keepalive_timer_.cancel();
  control_.clear();
  owner_.OnClosed(*this, reason, why);
}

void Connection::Read() {
  socket_.async_read_some(asio::buffer(*read_buffer_),
                          [self = shared_from_this()](const boost::system::error_code& ec,
                                                      size_t n) { self->OnRead(ec, n); });
}

void Connection::OnRead(const boost::system::error_code& ec, size_t n) {
  if (closed_) return;
  if (ec) {
    const bool eof = ec == asio::error::eof;
    return Close(DisconnectReason::kClosedByPeer,
                 eof ? Status::IoError("end of stream") : Status::IoError("read: " + ec.message()));
  }
  last_received_ = std::chrono::steady_clock::now();
  decoder_.Append(ByteView(read_buffer_->data(), n));
  while (!closed_) {
    auto body = decoder_.Next();
    if (!body.ok()) return Close(DisconnectReason::kMalformedFrame, body.status());
    if (!body->has_value()) break;
    OnFrame(**body);
  }
  if (!closed_) Read();
}

void Connection::OnFrame(const Bytes& body) {
  auto message = ParsePeerMessage(body);
  if (!message.ok()) return Close(DisconnectReason::kMalformedMessage, message.status());
  if (!peer_) return OnHandshakeMessage(*message);
  OnPeerMessage(*message, kFrameHeaderBytes + body.size());
}

void Connection::OnHandshakeMessage(const wire::PeerMessage& message) {
  auto replies = handshake_->OnMessage(message);
  if (!replies.ok()) return Close(DisconnectReason::kHandshakeFailed, replies.status());
  for (const wire::PeerMessage& reply : *replies) QueueControl(reply);
  if (closed_ || !handshake_->done()) return;
  peer_ = handshake_->peer();
  handshake_timer_.cancel();
  const Status attached = owner_.OnAuthenticated(shared_from_this());
  if (!attached.ok()) return Close(DisconnectReason::kWrongDirection, attached);
  handshake_.reset();
  decoder_.set_frame_bytes_max(owner_.config().frame_bytes_max);
  ArmKeepalive();
  MaybeWrite();
}

void Connection::OnPeerMessage(const wire::PeerMessage& message, size_t frame_bytes) {
  PeerSlot& slot = owner_.slot(*peer_);
  slot.bytes_in += frame_bytes;
  switch (message.msg_case()) {
    case wire::PeerMessage::kPing: {
      ++slot.messages_in;
      wire::PeerMessage pong;
      pong.mutable_pong()->set_nonce(message.ping().nonce());
      return QueueControl(pong);
    }
    case wire::PeerMessage::kPong: ++slot.messages_in; return;
    case wire::PeerMessage::kHello:
    case wire::PeerMessage::kHelloAuth:
      return Close(DisconnectReason::kProtocolViolation,
                   Status::InvalidArgument(std::string(PeerMessageName(message)) +
                                           " after the handshake completed"));
    default: break;
  }
  auto decoded = FromProto(message, owner_.wire_context());
  if (!decoded.ok()) return Close(DisconnectReason::kMalformedMessage, decoded.status());
  ++slot.messages_in;
  owner_.Deliver(*peer_, std::move(decoded).value());
}

void Connection::QueueControl(const wire::PeerMessage& message) {
  if (closed_) return;
  if (control_.size() >= kControlFramesMax) {
    return Close(DisconnectReason::kControlOverflow,
                 Status::ResourceExhausted(std::to_string(kControlFramesMax) +
                                           " handshake and keepalive frames unsent"));
  }
  control_.push_back(EncodeMessageFrame(message));
  MaybeWrite();
}

void Connection::MaybeWrite() {
  if (writing_ || closed_) return;
  HOTBFT_ASSERT(in_flight_.empty());
  while (!control_.empty()) {
    in_flight_.push_back(std::move(control_.front()));
    control_.pop_front();
  }
  if (peer_ && !handshake_) {
    for (Frame& f : owner_.TakeFrames(*peer_, id_)) in_flight_.push_back(std::move(f));
  }
  if (in_flight_.empty()) return;
  std::vector<asio::const_buffer> buffers;
  buffers.reserve(in_flight_.size());
  for (const Frame& f : in_flight_) buffers.emplace_back(f->data(), f->size());
  writing_ = true;
  asio::async_write(socket_, buffers,
                    [self = shared_from_this(), frames = in_flight_.size()](
                        const boost::system::error_code& ec, size_t bytes) {
                      self->OnWritten(ec, bytes, frames);
                    });
}

void Connection::OnWritten(const boost::system::error_code& ec, size_t bytes, size_t frames) {
  writing_ = false;
  in_flight_.clear();
  if (closed_) return;
  if (ec) return Close(DisconnectReason::kClosedByPeer, Status::IoError("write: " + ec.message()));
  if (peer_) {
    PeerSlot& slot = owner_.slot(*peer_);
    slot.bytes_out += bytes;
    slot.messages_out += frames;
  }
  MaybeWrite();
}

void Connection::OnHandshakeDeadline(const boost::system::error_code& ec) {
  if (ec == asio::error::operation_aborted || closed_ || peer_) return;
  Close(DisconnectReason::kHandshakeTimeout,
        Status::Unauthenticated("no handshake within " +
                                std::to_string(owner_.config().handshake_timeout_ms) + " ms"));
}

void Connection::ArmKeepalive() {
  keepalive_timer_.expires_after(std::chrono::milliseconds(owner_.config().ping_interval_ms));
  keepalive_timer_.async_wait(
      [self = shared_from_this()](const boost::system::error_code& ec) { self->OnKeepalive(ec); });
}

void Connection::OnKeepalive(const boost::system::error_code& ec) {
  if (ec == asio::error::operation_aborted || closed_) return;
  const auto silent_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now() - last_received_)
                             .count();
  if (silent_ms >= owner_.config().idle_timeout_ms) {
    return Close(DisconnectReason::kIdle,
                 Status::IoError("silent for " + std::to_string(silent_ms) + " ms"));
  }
  wire::PeerMessage ping;
  ping.mutable_ping()->set_nonce(owner_.NextNonce());
  QueueControl(ping);
  if (!closed_) ArmKeepalive();
}

}  // namespace hotbft::network
