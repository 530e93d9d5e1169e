// The socket transport's plumbing, shared by its client (socket_app.h) and server
// (socket_server.h): addresses, owned descriptors, and length-prefixed frames read and
// written with deadlines. Not part of the app layer's interface.
//
// A frame is a 4-byte big-endian length followed by that many bytes: one serialized
// AppRequest or AppResponse (proto/app.proto). A length above kAppMessageBytesMax is refused
// before anything is allocated for it.
//
// Every descriptor made here is non-blocking and close-on-exec; every wait is a poll(2)
// bounded by a deadline and, optionally, cut short by a cancel descriptor becoming readable
// (how a server's Stop() wakes its thread). Writes use MSG_NOSIGNAL, so a peer that went
// away is an EPIPE error, never a SIGPIPE.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "app/limits.h"
#include "crypto/status.h"

namespace google::protobuf {
class MessageLite;
}  // namespace google::protobuf

namespace hotbft::app::socket_io {

inline constexpr size_t kFrameHeaderBytes = 4;
static_assert(kAppMessageBytesMax <= UINT32_MAX, "a frame length must fit its header");

// "unix:/path/to.sock" or "tcp:host:port" (an IPv6 host in brackets: "tcp:[::1]:26658").
struct SocketAddress {
  enum class Kind : uint8_t { kUnix, kTcp };
  Kind kind = Kind::kUnix;
  std::string path;   // kUnix
  std::string host;   // kTcp
  uint16_t port = 0;  // kTcp; 0 (servers only) asks the system for a free port
};

// Fails with InvalidArgument naming the address and what is wrong with it (unknown scheme,
// empty or overlong path, missing or bad port).
Result<SocketAddress> ParseSocketAddress(std::string_view text);
// The address in the form ParseSocketAddress takes.
std::string ToString(const SocketAddress& address);

// The description of an errno value ("Connection refused").
std::string ErrnoText(int error);

// An owned file descriptor, closed on destruction. Move-only.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.Release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { Reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int Release();
  void Reset();

 private:
  int fd_ = -1;
};

using Clock = std::chrono::steady_clock;

// When an I/O wait gives up.
struct IoLimit {
  Clock::time_point deadline = Clock::time_point::max();
  uint64_t timeout_ms = 0;  // what `deadline` was set from, for messages
  int cancel_fd = -1;       // if >= 0, readable means "stop waiting"

  // No deadline; only the cancel descriptor ends a wait.
  static IoLimit Cancellable(int cancel_fd) {
    return IoLimit{Clock::time_point::max(), 0, cancel_fd};
  }
  static IoLimit After(uint64_t timeout_ms, int cancel_fd = -1) {
    return IoLimit{Clock::now() + std::chrono::milliseconds(timeout_ms), timeout_ms, cancel_fd};
  }
};

// Connects to `address` by the limit's deadline (each resolved TCP address in turn).
// TCP connections get TCP_NODELAY: every frame is a whole request waiting for its answer.
Result<UniqueFd> Connect(const SocketAddress& address, const IoLimit& limit);

// Binds and listens on `address`. A unix path that holds a socket nobody accepts on (left
// by a process that died) is replaced; any other existing file, or a socket a live server
// accepts on, is an error.
Result<UniqueFd> Listen(const SocketAddress& address, int backlog);
// The address a listening descriptor is bound to (a TCP port 0 resolved).
Result<SocketAddress> BoundAddress(int fd, const SocketAddress& requested);

// Waits until `fd` is readable (data or end of stream). Fails when the limit is reached or
// cancelled; an error's message says which.
Status WaitReadable(int fd, const IoLimit& limit);
// True if the limit's cancel descriptor is readable now.
bool Cancelled(const IoLimit& limit);
// True if `fd` has something to read, or an end of stream or error, right now. For a
// client between calls that means the peer closed the connection (or broke the protocol
// by writing unasked).
bool ReadableNow(int fd);

// `message` serialized behind its length prefix. Fails, naming `what` ("the FinalizeBlock
// request") and the size, if the message is larger than kAppMessageBytesMax.
Result<std::string> EncodeFrame(const google::protobuf::MessageLite& message,
                                std::string_view what);

// Writes one frame made by EncodeFrame. `what` names it in errors.
Status WriteFrame(int fd, std::string_view frame, const IoLimit& limit, std::string_view what);

// Reads one frame. nullopt: the peer closed the connection before the frame's first byte,
// the clean end of a conversation. A length above kAppMessageBytesMax, a connection closed
// inside a frame, a timeout and a socket error are errors naming `what` and the sizes.
Result<std::optional<std::string>> ReadFrame(int fd, const IoLimit& limit, std::string_view what);

}  // namespace hotbft::app::socket_io
