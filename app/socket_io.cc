#include "app/socket_io.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <google/protobuf/message_lite.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <memory>
#include <thread>
#include <utility>

#include "app/text.h"

namespace hotbft::app::socket_io {
namespace {

constexpr std::string_view kUnixScheme = "unix:";
constexpr std::string_view kTcpScheme = "tcp:";
// sun_path holds the path and its terminating NUL.
constexpr size_t kUnixPathBytesMax = sizeof(sockaddr_un::sun_path) - 1;
constexpr size_t kHostBytesMax = 253;  // the longest DNS name
// A payload is read in steps of this size, so memory follows the bytes that actually
// arrive rather than the length a peer announces.
constexpr size_t kReadStepBytes = size_t{1} << 20;
// A unix socket whose backlog is full refuses a non-blocking connect with EAGAIN instead of
// queueing it; the connect is retried this often until the deadline.
constexpr auto kUnixBacklogRetry = std::chrono::milliseconds(10);
// How long Listen gives a socket file's owner to accept a probe before calling it stale.
constexpr uint64_t kStaleProbeTimeoutMs = 1'000;

Status BadAddress(std::string_view text, std::string_view why) {
  return Status::InvalidArgument("app address \"" + EscapeBytes(text) + "\": " + std::string(why) +
                                 "; expected unix:PATH or tcp:HOST:PORT");
}

Result<uint16_t> ParsePort(std::string_view text, std::string_view port) {
  uint32_t value = 0;
  const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || error != std::errc() || end != port.data() + port.size() || value > 65'535) {
    return BadAddress(text, "port \"" + EscapeBytes(port) + "\" is not a number from 0 to 65535");
  }
  return static_cast<uint16_t>(value);
}

Result<SocketAddress> ParseTcp(std::string_view text, std::string_view rest) {
  SocketAddress address;
  address.kind = SocketAddress::Kind::kTcp;
  std::string_view port;
  if (rest.starts_with('[')) {
    const size_t close = rest.find(']');
    if (close == std::string_view::npos || rest.substr(close + 1).size() < 1 ||
        rest[close + 1] != ':') {
      return BadAddress(text, "an IPv6 host is written [HOST]:PORT");
    }
    address.host = std::string(rest.substr(1, close - 1));
    port = rest.substr(close + 2);
  } else {
    const size_t colon = rest.rfind(':');
    if (colon == std::string_view::npos) return BadAddress(text, "no port");
    address.host = std::string(rest.substr(0, colon));
    if (address.host.find(':') != std::string::npos) {
      return BadAddress(text, "an IPv6 host is written in brackets");
    }
    port = rest.substr(colon + 1);
  }
  if (address.host.empty()) return BadAddress(text, "no host");
  if (address.host.size() > kHostBytesMax) return BadAddress(text, "host name too long");
  Result<uint16_t> parsed = ParsePort(text, port);
  if (!parsed.ok()) return parsed.status();
  address.port = *parsed;
  return address;
}

// Milliseconds left until the deadline, rounded up so a poll never wakes early and spins;
// -1 for no deadline.
int PollTimeoutMs(const IoLimit& limit) {
  if (limit.deadline == Clock::time_point::max()) return -1;
  const auto left = limit.deadline - Clock::now();
  if (left <= Clock::duration::zero()) return 0;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return static_cast<int>(std::min<int64_t>(ms, INT_MAX));
}

enum class Outcome : uint8_t { kDone, kClosed, kTimedOut, kCancelled, kFailed };

struct IoResult {
  Outcome outcome = Outcome::kDone;
  size_t bytes = 0;  // transferred before it stopped
  int error = 0;     // errno, for kFailed (and kClosed when the peer reset)
};

// Waits for `events` on `fd`. kDone means ready (or an error condition the next call reports).
IoResult Wait(int fd, short events, const IoLimit& limit) {
  for (;;) {
    pollfd fds[2] = {{fd, events, 0}, {limit.cancel_fd, POLLIN, 0}};
    const nfds_t count = limit.cancel_fd >= 0 ? 2 : 1;
    const int ready = poll(fds, count, PollTimeoutMs(limit));
    if (ready < 0) {
      if (errno == EINTR) continue;
      return {Outcome::kFailed, 0, errno};
    }
    if (count == 2 && fds[1].revents != 0) return {Outcome::kCancelled, 0, 0};
    if (fds[0].revents != 0) return {Outcome::kDone, 0, 0};
    if (Clock::now() >= limit.deadline) return {Outcome::kTimedOut, 0, 0};
  }
}

IoResult ReadAll(int fd, char* data, size_t size, const IoLimit& limit) {
  size_t done = 0;
  while (done < size) {
    const ssize_t got = recv(fd, data + done, size - done, 0);
    if (got > 0) {
      done += static_cast<size_t>(got);
      continue;
    }
    if (got == 0) return {Outcome::kClosed, done, 0};
    if (errno == EINTR) continue;
    if (errno == ECONNRESET) return {Outcome::kClosed, done, errno};
    if (errno != EAGAIN && errno != EWOULDBLOCK) return {Outcome::kFailed, done, errno};
    IoResult waited = Wait(fd, POLLIN, limit);
    if (waited.outcome != Outcome::kDone) return {waited.outcome, done, waited.error};
  }
  return {Outcome::kDone, done, 0};
}

IoResult WriteAll(int fd, const char* data, size_t size, const IoLimit& limit) {
  size_t done = 0;
  while (done < size) {
    const ssize_t sent = send(fd, data + done, size - done, MSG_NOSIGNAL);
    if (sent >= 0) {
      done += static_cast<size_t>(sent);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EPIPE || errno == ECONNRESET) return {Outcome::kClosed, done, errno};
    if (errno != EAGAIN && errno != EWOULDBLOCK) return {Outcome::kFailed, done, errno};
    IoResult waited = Wait(fd, POLLOUT, limit);
    if (waited.outcome != Outcome::kDone) return {waited.outcome, done, waited.error};
  }
  return {Outcome::kDone, done, 0};
}

enum class Direction : uint8_t { kSend, kReceive };

// The message for a transfer of `total` bytes of `part` (a piece of `what`) that stopped
// short.
Status ShortIo(const IoResult& result, size_t total, Direction direction, std::string_view part,
               std::string_view what, const IoLimit& limit) {
  const bool send = direction == Direction::kSend;
  const std::string progress = std::to_string(result.bytes) + " of " + std::to_string(total) +
                               " bytes of " + std::string(part);
  const std::string timeout = "timed out after " + std::to_string(limit.timeout_ms) + " ms";
  switch (result.outcome) {
    case Outcome::kClosed:
      return Status::IoError("connection closed after " +
                             std::string(send ? "sending " : "receiving ") + progress +
                             (result.error != 0 ? " (" + ErrnoText(result.error) + ")" : ""));
    case Outcome::kTimedOut:
      if (result.bytes == 0) {
        return Status::IoError(timeout + (send ? " sending " : " waiting for ") +
                               std::string(what));
      }
      return Status::IoError(timeout + " with " + progress + (send ? " sent" : " received"));
    case Outcome::kCancelled:
      return Status::FailedPrecondition("cancelled with " + progress +
                                        (send ? " sent" : " received"));
    case Outcome::kFailed:
      return Status::IoError(std::string(send ? "sending " : "receiving ") + std::string(part) +
                             ": " + ErrnoText(result.error));
    case Outcome::kDone: break;
  }
  HOTBFT_ASSERT_MSG(false, "ShortIo on a completed transfer");
  return Status::Internal("unreachable");
}

Result<UniqueFd> NewSocket(int domain) {
  const int fd = socket(domain, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::IoError("socket: " + ErrnoText(errno));
  return UniqueFd(fd);
}

// Completes a non-blocking connect of `fd` to `addr` by the deadline. errno-style result:
// 0 on success, else the error (ETIMEDOUT when the deadline passed).
int ConnectFd(int fd, const sockaddr* addr, socklen_t length, const IoLimit& limit) {
  if (connect(fd, addr, length) == 0) return 0;
  if (errno != EINPROGRESS && errno != EINTR) return errno;
  const IoResult waited = Wait(fd, POLLOUT, limit);
  if (waited.outcome == Outcome::kTimedOut) return ETIMEDOUT;
  if (waited.outcome == Outcome::kCancelled) return ECANCELED;
  if (waited.outcome == Outcome::kFailed) return waited.error;
  int error = 0;
  socklen_t error_length = sizeof(error);
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &error_length) != 0) return errno;
  return error;
}

Status ConnectError(int error, const IoLimit& limit) {
  if (error == ETIMEDOUT) {
    return Status::IoError("connect timed out after " + std::to_string(limit.timeout_ms) + " ms");
  }
  return Status::IoError("connect: " + ErrnoText(error));
}

sockaddr_un UnixSockaddr(const std::string& path) {
  HOTBFT_ASSERT(path.size() <= kUnixPathBytesMax);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::copy(path.begin(), path.end(), addr.sun_path);
  return addr;
}

Result<UniqueFd> ConnectUnix(const std::string& path, const IoLimit& limit) {
  const sockaddr_un addr = UnixSockaddr(path);
  for (;;) {
    Result<UniqueFd> fd = NewSocket(AF_UNIX);
    if (!fd.ok()) return fd.status();
    const int error =
        ConnectFd(fd->get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr), limit);
    if (error == 0) return fd;
    if (error != EAGAIN || Clock::now() + kUnixBacklogRetry >= limit.deadline) {
      return ConnectError(error, limit);
    }
    std::this_thread::sleep_for(kUnixBacklogRetry);
  }
}

struct AddrInfoDeleter {
  void operator()(addrinfo* info) const { freeaddrinfo(info); }
};
using AddrInfoPtr = std::unique_ptr<addrinfo, AddrInfoDeleter>;

Result<AddrInfoPtr> Resolve(const SocketAddress& address, bool passive) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
  addrinfo* found = nullptr;
  const std::string port = std::to_string(address.port);
  const int error = getaddrinfo(address.host.c_str(), port.c_str(), &hints, &found);
  if (error != 0) {
    return Status::IoError("resolving \"" + EscapeBytes(address.host) +
                           "\": " + gai_strerror(error));
  }
  HOTBFT_ASSERT(found != nullptr);
  return AddrInfoPtr(found);
}

Result<UniqueFd> ConnectTcp(const SocketAddress& address, const IoLimit& limit) {
  Result<AddrInfoPtr> resolved = Resolve(address, /*passive=*/false);
  if (!resolved.ok()) return resolved.status();
  Status last = Status::IoError("no address to connect to");
  for (const addrinfo* ai = resolved->get(); ai != nullptr; ai = ai->ai_next) {
    Result<UniqueFd> fd = NewSocket(ai->ai_family);
    if (!fd.ok()) return fd.status();
    const int error = ConnectFd(fd->get(), ai->ai_addr, ai->ai_addrlen, limit);
    if (error != 0) {
      last = ConnectError(error, limit);
      continue;
    }
    const int one = 1;
    if (setsockopt(fd->get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0) {
      return Status::IoError("setting TCP_NODELAY: " + ErrnoText(errno));
    }
    return fd;
  }
  return last;
}

// Removes a socket file nobody accepts on; refuses anything else at `path`.
Status ClearStaleUnixSocket(const SocketAddress& address) {
  struct stat info {};
  if (lstat(address.path.c_str(), &info) != 0) {
    if (errno == ENOENT) return Status::Ok();
    return Status::IoError("stat \"" + EscapeBytes(address.path) + "\": " + ErrnoText(errno));
  }
  if (!S_ISSOCK(info.st_mode)) {
    return Status::FailedPrecondition("\"" + EscapeBytes(address.path) +
                                      "\" exists and is not a socket");
  }
  if (Connect(address, IoLimit::After(kStaleProbeTimeoutMs)).ok()) {
    return Status::FailedPrecondition("another server already accepts on " + ToString(address));
  }
  if (unlink(address.path.c_str()) != 0 && errno != ENOENT) {
    return Status::IoError("removing the stale socket \"" + EscapeBytes(address.path) +
                           "\": " + ErrnoText(errno));
  }
  return Status::Ok();
}

Result<UniqueFd> ListenUnix(const SocketAddress& address, int backlog) {
  HOTBFT_RETURN_IF_ERROR(ClearStaleUnixSocket(address));
  Result<UniqueFd> fd = NewSocket(AF_UNIX);
  if (!fd.ok()) return fd.status();
  const sockaddr_un addr = UnixSockaddr(address.path);
  if (bind(fd->get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    return Status::IoError("bind: " + ErrnoText(errno));
  }
  if (listen(fd->get(), backlog) != 0) return Status::IoError("listen: " + ErrnoText(errno));
  return fd;
}

Result<UniqueFd> ListenTcp(const SocketAddress& address, int backlog) {
  Result<AddrInfoPtr> resolved = Resolve(address, /*passive=*/true);
  if (!resolved.ok()) return resolved.status();
  Status last = Status::IoError("no address to bind");
  for (const addrinfo* ai = resolved->get(); ai != nullptr; ai = ai->ai_next) {
    Result<UniqueFd> fd = NewSocket(ai->ai_family);
    if (!fd.ok()) return fd.status();
    // A restarted server must be able to bind while its old connections sit in TIME_WAIT.
    const int one = 1;
    if (setsockopt(fd->get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0) {
      return Status::IoError("setting SO_REUSEADDR: " + ErrnoText(errno));
    }
    if (bind(fd->get(), ai->ai_addr, ai->ai_addrlen) != 0) {
      last = Status::IoError("bind: " + ErrnoText(errno));
      continue;
    }
    if (listen(fd->get(), backlog) != 0) return Status::IoError("listen: " + ErrnoText(errno));
    return fd;
  }
  return last;
}

}  // namespace

std::string ErrnoText(int error) {
  // Unlike strerror, strerrordesc_np is thread-safe: it returns a constant string.
  const char* text = strerrordesc_np(error);
  return text != nullptr ? text : "error " + std::to_string(error);
}

Result<SocketAddress> ParseSocketAddress(std::string_view text) {
  if (text.starts_with(kUnixScheme)) {
    SocketAddress address;
    address.kind = SocketAddress::Kind::kUnix;
    address.path = std::string(text.substr(kUnixScheme.size()));
    if (address.path.empty()) return BadAddress(text, "empty path");
    if (address.path.size() > kUnixPathBytesMax) {
      return BadAddress(text, "a unix socket path has at most " +
                                  std::to_string(kUnixPathBytesMax) + " bytes, this one " +
                                  std::to_string(address.path.size()));
    }
    if (address.path.find('\0') != std::string::npos) return BadAddress(text, "NUL in the path");
    return address;
  }
  if (text.starts_with(kTcpScheme)) return ParseTcp(text, text.substr(kTcpScheme.size()));
  return BadAddress(text, "unknown scheme");
}

std::string ToString(const SocketAddress& address) {
  if (address.kind == SocketAddress::Kind::kUnix) return std::string(kUnixScheme) + address.path;
  const bool bracket = address.host.find(':') != std::string::npos;
  return std::string(kTcpScheme) + (bracket ? "[" + address.host + "]" : address.host) + ":" +
         std::to_string(address.port);
}

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    Reset();
    fd_ = other.Release();
  }
  return *this;
}

int UniqueFd::Release() {
  return std::exchange(fd_, -1);
}

void UniqueFd::Reset() {
  // close(2) releases the descriptor even when it reports an error: never retry it.
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

Result<UniqueFd> Connect(const SocketAddress& address, const IoLimit& limit) {
  if (address.kind == SocketAddress::Kind::kUnix) return ConnectUnix(address.path, limit);
  return ConnectTcp(address, limit);
}

Result<UniqueFd> Listen(const SocketAddress& address, int backlog) {
  HOTBFT_ASSERT(backlog > 0);
  Result<UniqueFd> fd = address.kind == SocketAddress::Kind::kUnix ? ListenUnix(address, backlog)
                                                                   : ListenTcp(address, backlog);
  if (!fd.ok()) return fd.status().With("listening on " + ToString(address));
  return fd;
}

Result<SocketAddress> BoundAddress(int fd, const SocketAddress& requested) {
  if (requested.kind == SocketAddress::Kind::kUnix) return requested;
  sockaddr_storage storage{};
  socklen_t length = sizeof(storage);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) {
    return Status::IoError("getsockname: " + ErrnoText(errno));
  }
  char host[NI_MAXHOST];
  char port[NI_MAXSERV];
  const int error = getnameinfo(reinterpret_cast<const sockaddr*>(&storage), length, host,
                                sizeof(host), port, sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV);
  if (error != 0) return Status::IoError(std::string("getnameinfo: ") + gai_strerror(error));
  SocketAddress bound = requested;
  bound.host = host;
  Result<uint16_t> parsed = ParsePort(port, port);
  if (!parsed.ok()) return parsed.status();
  bound.port = *parsed;
  return bound;
}

Status WaitReadable(int fd, const IoLimit& limit) {
  const IoResult waited = Wait(fd, POLLIN, limit);
  switch (waited.outcome) {
    case Outcome::kDone: return Status::Ok();
    case Outcome::kCancelled: return Status::FailedPrecondition("cancelled");
    case Outcome::kTimedOut:
      return Status::IoError("timed out after " + std::to_string(limit.timeout_ms) + " ms");
    case Outcome::kClosed:
    case Outcome::kFailed: break;
  }
  return Status::IoError("poll: " + ErrnoText(waited.error));
}

bool Cancelled(const IoLimit& limit) {
  if (limit.cancel_fd < 0) return false;
  pollfd fds[1] = {{limit.cancel_fd, POLLIN, 0}};
  return poll(fds, 1, 0) > 0 && fds[0].revents != 0;
}

bool ReadableNow(int fd) {
  pollfd fds[1] = {{fd, POLLIN, 0}};
  return poll(fds, 1, 0) != 0;  // an error counts as readable: the next read reports it
}

Result<std::string> EncodeFrame(const google::protobuf::MessageLite& message,
                                std::string_view what) {
  const size_t size = message.ByteSizeLong();
  if (size > kAppMessageBytesMax) {
    return Status::InvalidArgument(std::string(what) + " is " + std::to_string(size) +
                                   " bytes, above the frame limit of " +
                                   std::to_string(kAppMessageBytesMax));
  }
  std::string frame(kFrameHeaderBytes + size, '\0');
  for (size_t i = 0; i < kFrameHeaderBytes; ++i) {
    frame[i] = static_cast<char>(size >> (8 * (kFrameHeaderBytes - 1 - i)));
  }
  const bool serialized =
      message.SerializeToArray(frame.data() + kFrameHeaderBytes, static_cast<int>(size));
  HOTBFT_ASSERT(serialized);  // a message protobuf sized cannot fail to fit
  return frame;
}

Status WriteFrame(int fd, std::string_view frame, const IoLimit& limit, std::string_view what) {
  HOTBFT_ASSERT(frame.size() >= kFrameHeaderBytes);
  HOTBFT_ASSERT(frame.size() - kFrameHeaderBytes <= kAppMessageBytesMax);
  const IoResult written = WriteAll(fd, frame.data(), frame.size(), limit);
  if (written.outcome == Outcome::kDone) return Status::Ok();
  return ShortIo(written, frame.size(), Direction::kSend, what, what, limit);
}

Result<std::optional<std::string>> ReadFrame(int fd, const IoLimit& limit, std::string_view what) {
  char header[kFrameHeaderBytes];
  const IoResult got = ReadAll(fd, header, sizeof(header), limit);
  if (got.outcome == Outcome::kClosed && got.bytes == 0) return std::optional<std::string>();
  if (got.outcome != Outcome::kDone) {
    return ShortIo(got, sizeof(header), Direction::kReceive,
                   "the length prefix of " + std::string(what), what, limit);
  }
  size_t size = 0;
  for (char byte : header) size = (size << 8) | static_cast<uint8_t>(byte);
  if (size > kAppMessageBytesMax) {
    return Status::InvalidArgument(std::string(what) + " announces a frame of " +
                                   std::to_string(size) + " bytes, above the limit of " +
                                   std::to_string(kAppMessageBytesMax));
  }
  std::string payload;
  while (payload.size() < size) {
    const size_t done = payload.size();
    const size_t step = std::min(size - done, kReadStepBytes);
    payload.resize(done + step);
    IoResult part = ReadAll(fd, payload.data() + done, step, limit);
    if (part.outcome != Outcome::kDone) {
      part.bytes += done;
      return ShortIo(part, size, Direction::kReceive, what, what, limit);
    }
  }
  HOTBFT_ASSERT(payload.size() == size);
  return std::optional<std::string>(std::move(payload));
}

}  // namespace hotbft::app::socket_io
