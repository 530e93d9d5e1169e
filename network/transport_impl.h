// Internals of Transport, shared by transport.cc and connection.cc. Not a public header.
#pragma once

// clang-format off
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange unincluded
#include <boost/asio.hpp>
// clang-format on

#include <atomic>
#include <chrono>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "network/frame.h"
#include "network/transport.h"

namespace hotbft::network {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

class Connection;

// Encodes `message` as one frame (prefix and body) in a single buffer.
Frame EncodeMessageFrame(const wire::PeerMessage& message);

// One validator's slot. The queue and the flags under `mutex` are shared with the threads
// that send; the connection and the dial state belong to the io thread.
struct PeerSlot {
  explicit PeerSlot(const QueueLimits& limits) : queue(limits) {}

  std::mutex mutex;
  PeerQueue queue;             // guarded by mutex
  bool connected = false;      // guarded by mutex: an authenticated connection is attached
  uint64_t connection_id = 0;  // guarded by mutex: which one
  bool kick_pending = false;   // guarded by mutex: a write kick is posted to the io thread

  std::atomic<uint64_t> connections{0};
  std::atomic<uint64_t> bytes_in{0};
  std::atomic<uint64_t> bytes_out{0};
  std::atomic<uint64_t> messages_in{0};
  std::atomic<uint64_t> messages_out{0};

  // io thread only.
  std::shared_ptr<Connection> connection;
  uint32_t dial_attempts = 0;
  bool dialling = false;  // a dial is under way or scheduled
};

class Transport::Impl {
 public:
  static constexpr uint32_t kAcceptRetryMs = 100;

  Impl(TransportConfig config, const ValidatorSet& validators, ValidatorIndex self,
       std::unique_ptr<Signer> signer, std::unique_ptr<RandomSource> rng);
  ~Impl();

  Status Start(InboundHandler on_message);
  void Stop();
  uint16_t listen_port() const { return listen_port_; }
  Status Send(ValidatorIndex to, const NetworkMessage& message, Priority priority);
  void Broadcast(const NetworkMessage& message, Priority priority);
  void RunAfter(uint32_t delay_ms, std::function<void()> fn);
  TransportStats stats() const;

  // ---- For Connection (io thread) ----
  const TransportConfig& config() const { return config_; }
  const WireContext& wire_context() const { return wire_context_; }
  ValidatorIndex self() const { return self_; }
  std::unique_ptr<Handshake> MakeHandshake();
  uint64_t NextNonce() { return rng_->NextU64(); }
  // Attaches an authenticated connection to its peer's slot, or says why it may not be.
  Status OnAuthenticated(const std::shared_ptr<Connection>& connection);
  void OnClosed(Connection& connection, DisconnectReason reason, const Status& why);
  void Deliver(ValidatorIndex from, NetworkMessage message);
  // Frames queued for `peer`, if `connection_id` is still the one attached.
  std::vector<Frame> TakeFrames(ValidatorIndex peer, uint64_t connection_id);
  PeerSlot& slot(ValidatorIndex peer) { return *slots_[peer]; }
  asio::io_context& io() { return *io_; }

 private:
  Status CheckSendable(const NetworkMessage& message, size_t encoded_bytes);
  Status Enqueue(ValidatorIndex to, const Frame& frame, Priority priority);
  void CountDrop(DropReason reason, uint64_t n = 1);
  void OnKick(ValidatorIndex peer, uint64_t connection_id);
  void CloseOverflowed(ValidatorIndex peer, uint64_t connection_id);
  void Accept();
  void OnAccept(const boost::system::error_code& ec, tcp::socket socket);
  void Dial(ValidatorIndex peer);
  void ScheduleRedial(ValidatorIndex peer);
  void CloseAll();
  std::string Describe(ValidatorIndex peer) const;

  const TransportConfig config_;
  const ValidatorSet& validators_;
  const ValidatorIndex self_;
  const WireContext wire_context_;
  std::unique_ptr<Signer> signer_;     // io thread only
  std::unique_ptr<RandomSource> rng_;  // io thread only (after Start)
  std::vector<std::unique_ptr<PeerSlot>> slots_;
  std::array<std::atomic<uint64_t>, static_cast<size_t>(DropReason::kCount)> drops_{};
  std::array<std::atomic<uint64_t>, static_cast<size_t>(DisconnectReason::kCount)> disconnects_{};

  std::unique_ptr<asio::io_context> io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::unique_ptr<tcp::acceptor> acceptor_;
  std::unique_ptr<asio::steady_timer> accept_timer_;
  std::vector<std::unique_ptr<asio::steady_timer>> redial_timers_;  // by validator index
  std::thread thread_;
  uint16_t listen_port_ = 0;
  std::atomic<bool> running_{false};

  // io thread only.
  InboundHandler on_message_;
  bool stopping_ = false;
  uint64_t next_connection_id_ = 1;
  std::set<std::shared_ptr<Connection>> pending_;  // not yet authenticated
};

// One TCP connection to a peer, from the handshake to its close. io thread only.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // `dialled` is the validator this node dialled, or nullopt for an inbound connection.
  Connection(Transport::Impl& owner, tcp::socket socket, std::optional<ValidatorIndex> dialled,
             uint64_t id);

  // Sends Hello, starts reading and arms the handshake deadline.
  void Start();
  // Closes the socket and tells the owner, once; later calls do nothing.
  void Close(DisconnectReason reason, const Status& why);
  // Writes whatever is queued, unless a write is under way (its completion writes next).
  void MaybeWrite();

  uint64_t id() const { return id_; }
  std::optional<ValidatorIndex> dialled() const { return dialled_; }
  std::optional<ValidatorIndex> peer() const { return peer_; }  // once authenticated
  const std::string& remote() const { return remote_; }
  bool closed() const { return closed_; }

 private:
  static constexpr size_t kReadBytes = 64u << 10;
  static constexpr size_t kControlFramesMax = 32;

  void Read();
  void OnRead(const boost::system::error_code& ec, size_t n);
  void OnFrame(const Bytes& body);
  void OnHandshakeMessage(const wire::PeerMessage& message);
  void OnPeerMessage(const wire::PeerMessage& message, size_t frame_bytes);
  void QueueControl(const wire::PeerMessage& message);
  void OnWritten(const boost::system::error_code& ec, size_t bytes, size_t frames);
  void OnHandshakeDeadline(const boost::system::error_code& ec);
  void ArmKeepalive();
  void OnKeepalive(const boost::system::error_code& ec);

  Transport::Impl& owner_;
  tcp::socket socket_;
  const std::optional<ValidatorIndex> dialled_;
  const uint64_t id_;
  std::string remote_;
  FrameDecoder decoder_;
  std::unique_ptr<Handshake> handshake_;
  std::optional<ValidatorIndex> peer_;
  std::unique_ptr<std::array<uint8_t, kReadBytes>> read_buffer_;
  std::deque<Frame> control_;  // handshake and keepalive frames: written before the queue
  std::vector<Frame> in_flight_;
  bool writing_ = false;
  bool closed_ = false;
  asio::steady_timer handshake_timer_;
  asio::steady_timer keepalive_timer_;
  std::chrono::steady_clock::time_point last_received_;
};

}  // namespace hotbft::network
