// Transports on loopback for tests: a cluster of validators started on free ports, an
// inbox per node, a raw socket peer that speaks frames by hand, and wait-for-condition.
#pragma once

// clang-format off
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange unincluded
#include <boost/asio.hpp>
// clang-format on

#include <errno.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "network/frame.h"
#include "network/transport.h"
#include "tests/network/samples.h"

namespace hotbft::network::testing {

// Generous: the machine may be loaded; every wait ends as soon as its condition holds.
inline constexpr auto kWaitTimeout = std::chrono::seconds(60);

// Polls `condition` until it holds or kWaitTimeout passes; returns whether it held.
inline bool WaitFor(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + kWaitTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return condition();
}

// Messages a node received, with their authenticated sender.
class Inbox {
 public:
  struct Entry {
    ValidatorIndex from;
    NetworkMessage message;
  };
  void Add(ValidatorIndex from, NetworkMessage m) {
    std::lock_guard lock(mutex_);
    entries_.push_back({from, std::move(m)});
  }
  std::vector<Entry> entries() const {
    std::lock_guard lock(mutex_);
    return entries_;
  }
  size_t size() const {
    std::lock_guard lock(mutex_);
    return entries_.size();
  }
  // How many messages named `name` arrived from `from`.
  size_t Count(ValidatorIndex from, const char* name) const {
    std::lock_guard lock(mutex_);
    size_t n = 0;
    for (const Entry& e : entries_)
      n += e.from == from && std::string(MessageName(e.message)) == name;
    return n;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Entry> entries_;
};

inline TransportConfig TestConfig() {
  TransportConfig c;
  c.chain_id = kChainId;
  c.listen_host = "127.0.0.1";
  c.ping_interval_ms = 200;
  c.idle_timeout_ms = 120'000;  // raw peers in tests stay silent
  c.handshake_timeout_ms = 20'000;
  c.redial_delay_ms_min = 20;
  c.redial_delay_ms_max = 500;
  return c;
}

// n validators with real (BIP-340) keys; node i is a Transport started on a free port.
class Cluster {
 public:
  explicit Cluster(uint32_t n, TransportConfig base = TestConfig())
      : fx_(n, 1, SignatureScheme::kSchnorrBip340), base_(std::move(base)), ports_(n, 0) {
    nodes_.resize(n);
    inboxes_.resize(n);
    for (auto& inbox : inboxes_) inbox = std::make_unique<Inbox>();
  }
  ~Cluster() {
    for (auto& t : nodes_) {
      if (t) t->Stop();
    }
  }

  Fixture& fx() { return fx_; }
  Transport& node(uint32_t i) { return *nodes_.at(i); }
  Inbox& inbox(uint32_t i) { return *inboxes_.at(i); }
  uint16_t port(uint32_t i) const { return ports_.at(i); }
  uint32_t size() const { return fx_.validators().size(); }

  // The config of node i: dials the lower indexes at their known ports.
  TransportConfig ConfigOf(uint32_t i) const {
    TransportConfig c = base_;
    c.listen_port = ports_[i];
    c.peers.assign(size(), PeerAddress{});
    for (uint32_t p = 0; p < size(); ++p) c.peers[p] = PeerAddress{"127.0.0.1", ports_[p]};
    return c;
  }

  // The handler delivering into node i's inbox.
  InboundHandler InboxHandler(uint32_t i) {
    return [inbox = inboxes_[i].get()](ValidatorIndex from, NetworkMessage m) {
      inbox->Add(from, std::move(m));
    };
  }

  // Starts node i (on its old port if it ran before) with `config` (default ConfigOf(i)),
  // delivering into its inbox, or through what `wrap` makes of the inbox handler.
  void StartNode(uint32_t i,
                 std::function<InboundHandler(Transport&, InboundHandler)> wrap = nullptr,
                 std::optional<TransportConfig> config = std::nullopt) {
    nodes_[i] = std::make_unique<Transport>(
        config ? *config : ConfigOf(i), fx_.validators(), i, fx_.MakeValidatorSigner(i, 1000 + i),
        std::make_unique<SeededRandom>(SeededRandom::Derive(77, i + 100 * restarts_++)));
    InboundHandler handler = InboxHandler(i);
    if (wrap) handler = wrap(*nodes_[i], std::move(handler));
    const Status s = nodes_[i]->Start(std::move(handler));
    ASSERT_TRUE(s.ok()) << s.ToString();
    ports_[i] = nodes_[i]->listen_port();
  }

  // Starts nodes 0..n-1 in order, so each knows the ports of those it dials.
  void StartAll() {
    for (uint32_t i = 0; i < size(); ++i) StartNode(i);
  }
  void StopNode(uint32_t i) {
    nodes_[i]->Stop();
    nodes_[i].reset();
  }

  bool Connected(uint32_t i, uint32_t peers) {
    return nodes_[i] && nodes_[i]->stats().connected_peers == peers;
  }
  bool AllConnected() {
    for (uint32_t i = 0; i < size(); ++i) {
      if (!Connected(i, size() - 1)) return false;
    }
    return true;
  }

 private:
  Fixture fx_;
  TransportConfig base_;
  std::vector<uint16_t> ports_;
  std::vector<std::unique_ptr<Transport>> nodes_;
  std::vector<std::unique_ptr<Inbox>> inboxes_;
  uint64_t restarts_ = 0;
};

// A peer on a plain blocking socket, writing whatever bytes a test wants.
class RawPeer {
 public:
  explicit RawPeer(uint16_t port) : socket_(io_) {
    socket_.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    timeval tv{0, 100'000};  // reads wake every 100 ms so waits can end
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }

  // Writes `bytes`; false if the node already closed the connection.
  bool Write(ByteView bytes) {
    boost::system::error_code ec;
    boost::asio::write(socket_, boost::asio::buffer(bytes.data(), bytes.size()), ec);
    return !ec;
  }
  bool WriteMessage(const wire::PeerMessage& m) {
    return Write(EncodeFrame(SerializePeerMessage(m)));
  }

  // Reads the next PeerMessage; nullopt on close or after kWaitTimeout.
  std::optional<wire::PeerMessage> ReadMessage() {
    const auto deadline = std::chrono::steady_clock::now() + kWaitTimeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto body = decoder_.Next();
      if (!body.ok()) return std::nullopt;
      if (body->has_value()) {
        auto m = ParsePeerMessage(**body);
        if (!m.ok()) return std::nullopt;
        return *m;
      }
      if (!ReadSome()) return std::nullopt;
    }
    return std::nullopt;
  }

  // True once the node has closed the connection (end of stream or reset).
  bool WaitClosed() {
    const auto deadline = std::chrono::steady_clock::now() + kWaitTimeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (!ReadSome()) return true;
    }
    return false;
  }

  // Runs the handshake as validator `self` (whose signer is `signer`) of `fx`.
  bool Authenticate(Fixture& fx, uint32_t self, Signer& signer) {
    SeededRandom rng(self + 5000);
    Handshake h(HandshakeConfig{kProtocolVersion, kChainId}, fx.validators(), signer, fx.verifier(),
                rng);
    if (!WriteMessage(h.hello())) return false;
    while (!h.done()) {
      auto m = ReadMessage();
      if (!m) return false;
      auto replies = h.OnMessage(*m);
      if (!replies.ok()) return false;
      for (const auto& r : *replies) WriteMessage(r);
    }
    return true;
  }

  void Close() { socket_.close(); }

 private:
  // Reads what is available into the decoder; false on close or error (not on timeout).
  bool ReadSome() {
    uint8_t buf[4096];
    // recv itself, not Asio's blocking read: that one polls past SO_RCVTIMEO.
    const ssize_t n = ::recv(socket_.native_handle(), buf, sizeof(buf), 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return true;
    if (n <= 0) return false;
    decoder_.Append(ByteView(buf, static_cast<size_t>(n)));
    return true;
  }

  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_;
  FrameDecoder decoder_{kFrameBytesCeiling};
};

}  // namespace hotbft::network::testing
