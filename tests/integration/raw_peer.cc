#include "tests/integration/raw_peer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "consensus/types.h"
#include "crypto/assert.h"
#include "crypto/random.h"
#include "crypto/signer.h"
#include "network/frame.h"
#include "network/handshake.h"
#include "tests/integration/cluster.h"

namespace hotbft::integration {

namespace {

// The largest frame a test reads from the node (its Hello, HelloAuth, pings).
constexpr uint32_t kReadFrameBytesMax = 1 << 20;

std::string Errno(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

// Waits for `events` on fd until deadline_ms. False on timeout.
bool PollUntil(int fd, short events, uint64_t deadline_ms) {
  while (true) {
    const uint64_t now = MonotonicMs();
    if (now >= deadline_ms) return false;
    pollfd p{fd, events, 0};
    const int r = poll(&p, 1, static_cast<int>(deadline_ms - now));
    if (r > 0) return true;
    if (r < 0 && errno != EINTR) return true;  // let the next call report the error
  }
}

}  // namespace

Bytes FrameHeader(uint32_t length) {
  return {static_cast<uint8_t>(length >> 24), static_cast<uint8_t>(length >> 16),
          static_cast<uint8_t>(length >> 8), static_cast<uint8_t>(length)};
}

Result<std::unique_ptr<RawPeer>> RawPeer::Connect(uint16_t port, uint64_t timeout_ms) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return Status::IoError(Errno("socket"));
  std::unique_ptr<RawPeer> peer(new RawPeer(fd));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 &&
      errno != EINPROGRESS) {
    return Status::IoError(Errno("connect to port " + std::to_string(port)));
  }
  if (!PollUntil(fd, POLLOUT, MonotonicMs() + timeout_ms)) {
    return Status::IoError("connect to port " + std::to_string(port) + ": timed out");
  }
  int error = 0;
  socklen_t size = sizeof error;
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size);
  if (error != 0) {
    return Status::IoError("connect to port " + std::to_string(port) + ": " + std::strerror(error));
  }
  return peer;
}

RawPeer::~RawPeer() {
  if (fd_ >= 0) close(fd_);
}

Status RawPeer::Send(ByteView bytes) {
  size_t sent = 0;
  const uint64_t deadline = MonotonicMs() + 10'000;
  while (sent < bytes.size()) {
    const ssize_t n = send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!PollUntil(fd_, POLLOUT, deadline)) return Status::IoError("send: timed out");
    } else {
      return Status::IoError(Errno("send"));
    }
  }
  return Status::Ok();
}

Status RawPeer::SendFrame(const wire::PeerMessage& message) {
  const std::string body = message.SerializeAsString();
  Bytes frame = FrameHeader(static_cast<uint32_t>(body.size()));
  frame.insert(frame.end(), body.begin(), body.end());
  return Send(frame);
}

Status RawPeer::ReadExactly(std::span<uint8_t> out, uint64_t deadline_ms) {
  size_t got = 0;
  while (got < out.size()) {
    const ssize_t n = recv(fd_, out.data() + got, out.size() - got, 0);
    if (n > 0) {
      got += static_cast<size_t>(n);
    } else if (n == 0) {
      return Status::IoError("the node closed the connection");
    } else if (errno == EAGAIN || errno == EINTR) {
      if (!PollUntil(fd_, POLLIN, deadline_ms)) return Status::IoError("read: timed out");
    } else {
      return Status::IoError(Errno("recv"));
    }
  }
  return Status::Ok();
}

Result<wire::PeerMessage> RawPeer::ReadMessage(uint64_t timeout_ms) {
  const uint64_t deadline = MonotonicMs() + timeout_ms;
  uint8_t header[network::kFrameHeaderBytes];
  HOTBFT_RETURN_IF_ERROR(ReadExactly(header, deadline));
  const uint32_t length = (uint32_t{header[0]} << 24) | (uint32_t{header[1]} << 16) |
                          (uint32_t{header[2]} << 8) | uint32_t{header[3]};
  if (length == 0 || length > kReadFrameBytesMax) {
    return Status::InvalidArgument("the node sent a frame of " + std::to_string(length) + " bytes");
  }
  Bytes body(length);
  HOTBFT_RETURN_IF_ERROR(ReadExactly(body, deadline));
  wire::PeerMessage message;
  if (!message.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return Status::InvalidArgument("the node sent a frame that is not a PeerMessage");
  }
  return message;
}

void RawPeer::ShutdownWrite() {
  shutdown(fd_, SHUT_WR);
}

bool RawPeer::WaitClosed(uint64_t timeout_ms) {
  const uint64_t deadline = MonotonicMs() + timeout_ms;
  uint8_t buffer[4096];
  while (true) {
    const ssize_t n = recv(fd_, buffer, sizeof buffer, 0);
    if (n == 0) return true;
    if (n < 0 && errno != EAGAIN && errno != EINTR) return true;  // e.g. ECONNRESET
    if (n < 0 && !PollUntil(fd_, POLLIN, deadline)) return false;
  }
}

Status RawPeer::Authenticate(const std::string& chain_id, KeyFile key, const PublicKey& node_key,
                             uint64_t timeout_ms) {
  const uint64_t deadline = MonotonicMs() + timeout_ms;
  auto their_hello = ReadMessage(timeout_ms);
  if (!their_hello.ok()) return their_hello.status().With("reading the node's hello");
  if (!their_hello->has_hello()) return Status::Internal("the node's first message is no hello");
  auto their_challenge = Hash32::FromBytes(AsBytes(their_hello->hello().challenge()));
  if (!their_challenge.ok()) return their_challenge.status().With("the node's challenge");

  const PublicKey own_key = key.public_key;
  auto signer =
      MakeSigner(key.scheme, std::move(key.secret_key), std::make_unique<SeededRandom>(1));
  if (!signer.ok()) return signer.status();
  SeededRandom challenge_rng(2);
  Hash32 challenge;
  challenge_rng.Fill(challenge.bytes);
  wire::PeerMessage hello;
  hello.mutable_hello()->set_protocol_version(network::kProtocolVersion);
  hello.mutable_hello()->set_chain_id(chain_id);
  hello.mutable_hello()->set_node_key(std::string(own_key.bytes.begin(), own_key.bytes.end()));
  hello.mutable_hello()->set_challenge(std::string(challenge.bytes.begin(), challenge.bytes.end()));
  HOTBFT_RETURN_IF_ERROR(SendFrame(hello));
  const Signature signature =
      (*signer)->Sign(HandshakeDigest(chain_id, *their_challenge, own_key, node_key));
  wire::PeerMessage auth;
  auth.mutable_hello_auth()->set_signature(
      std::string(signature.bytes.begin(), signature.bytes.end()));
  HOTBFT_RETURN_IF_ERROR(SendFrame(auth));
  // The node's HelloAuth answers our challenge; the node decides after reading ours.
  auto remaining = [deadline] {
    const uint64_t now = MonotonicMs();
    return deadline > now ? deadline - now : 1;
  };
  auto their_auth = ReadMessage(remaining());
  if (!their_auth.ok()) return their_auth.status().With("reading the node's hello_auth");
  if (!their_auth->has_hello_auth()) {
    return Status::Internal("the node's second message is no hello_auth");
  }
  auto next = ReadMessage(remaining());
  if (!next.ok()) return next.status().With("waiting for the first message after the handshake");
  return Status::Ok();
}

}  // namespace hotbft::integration
