#include "app/socket_server.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <utility>

#include "app/codec.h"
#include "app/limits.h"
#include "app/text.h"
#include "crypto/thread_name.h"

namespace hotbft::app {
namespace {

using socket_io::ErrnoText;
using socket_io::IoLimit;
using socket_io::SocketAddress;
using socket_io::UniqueFd;

// Out of descriptors, accept(2) fails until one is freed; waiting a little keeps the
// thread from spinning meanwhile.
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(100);
constexpr int kBacklogMax = 4'096;
constexpr uint64_t kTimeoutMsMax = uint64_t{24} * 3'600'000;

Status CheckOptions(const SocketServer::Options& options) {
  if (options.backlog < 1 || options.backlog > kBacklogMax) {
    return Status::InvalidArgument("backlog " + std::to_string(options.backlog) +
                                   " is not from 1 to " + std::to_string(kBacklogMax));
  }
  for (uint64_t timeout_ms : {options.frame_timeout_ms, options.write_timeout_ms}) {
    if (timeout_ms < 1 || timeout_ms > kTimeoutMsMax) {
      return Status::InvalidArgument("timeout of " + std::to_string(timeout_ms) +
                                     " ms is not from 1 to " + std::to_string(kTimeoutMsMax));
    }
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<SocketServer>> SocketServer::Start(const std::string& address,
                                                          Application& app, Options options) {
  Result<SocketAddress> parsed = socket_io::ParseSocketAddress(address);
  if (!parsed.ok()) return parsed.status();
  HOTBFT_RETURN_IF_ERROR(CheckOptions(options).With("serving on " + address));
  Result<UniqueFd> listener = socket_io::Listen(*parsed, options.backlog);
  if (!listener.ok()) return listener.status();
  Result<SocketAddress> bound = socket_io::BoundAddress(listener->get(), *parsed);
  if (!bound.ok()) return bound.status().With("serving on " + address);
  int wake[2];
  if (pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0) {
    return Status::IoError("serving on " + address + ": pipe: " + ErrnoText(errno));
  }
  return std::unique_ptr<SocketServer>(
      new SocketServer(app, std::move(options), std::move(bound).value(),
                       std::move(listener).value(), UniqueFd(wake[0]), UniqueFd(wake[1])));
}

SocketServer::SocketServer(Application& app, Options options, SocketAddress address,
                           UniqueFd listener, UniqueFd wake_read, UniqueFd wake_write)
    : app_(app),
      options_(std::move(options)),
      address_(std::move(address)),
      address_text_(socket_io::ToString(address_)),
      listener_(std::move(listener)),
      wake_read_(std::move(wake_read)),
      wake_write_(std::move(wake_write)) {
  HOTBFT_ASSERT(listener_.valid());
  HOTBFT_ASSERT(wake_read_.valid());
  thread_ = std::thread([this] {
    SetThreadName("app-server");
    Run();
  });
}

SocketServer::~SocketServer() {
  Stop();
}

void SocketServer::Stop() {
  if (!thread_.joinable()) return;
  stopping_.store(true);
  const char byte = 0;
  // The pipe is empty before this first write, so it cannot be full.
  const ssize_t written = write(wake_write_.get(), &byte, 1);
  HOTBFT_ASSERT(written == 1);
  {
    // Wakes a client waiting on this connection now, even while the app is still busy.
    std::lock_guard<std::mutex> lock(connection_mutex_);
    if (connection_.valid()) shutdown(connection_.get(), SHUT_RDWR);
  }
  thread_.join();
  listener_.Reset();
  if (address_.kind == SocketAddress::Kind::kUnix) unlink(address_.path.c_str());
}

void SocketServer::Run() {
  const IoLimit until_stopped = IoLimit::Cancellable(wake_read_.get());
  while (!stopping_.load()) {
    const Status waited = socket_io::WaitReadable(listener_.get(), until_stopped);
    if (!waited.ok()) {
      if (!stopping_.load()) Report(waited.With("waiting for connections"));
      return;
    }
    UniqueFd accepted = Accept();
    if (!accepted.valid()) continue;
    connections_accepted_.fetch_add(1);
    const int fd = accepted.get();
    {
      std::lock_guard<std::mutex> lock(connection_mutex_);
      connection_ = std::move(accepted);
    }
    const Status served = Serve(fd);
    if (!served.ok() && !stopping_.load()) Report(served);
    std::lock_guard<std::mutex> lock(connection_mutex_);
    connection_.Reset();
  }
}

UniqueFd SocketServer::Accept() {
  const int fd = accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd >= 0) {
    UniqueFd accepted(fd);
    const int one = 1;
    if (address_.kind == SocketAddress::Kind::kTcp &&
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0) {
      Report(Status::IoError("setting TCP_NODELAY: " + ErrnoText(errno)));
    }
    return accepted;
  }
  const int error = errno;
  // The client gave up before we accepted it, or nothing was there after all.
  if (error == EAGAIN || error == EWOULDBLOCK || error == EINTR || error == ECONNABORTED) {
    return UniqueFd();
  }
  Report(Status::IoError("accept: " + ErrnoText(error)));
  if (error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM) {
    socket_io::WaitReadable(wake_read_.get(),
                            IoLimit::After(std::chrono::milliseconds(kAcceptRetryDelay).count()));
  }
  return UniqueFd();
}

Status SocketServer::Serve(int fd) {
  const IoLimit until_stopped = IoLimit::Cancellable(wake_read_.get());
  for (;;) {
    // Between requests a client may stay silent for as long as it likes.
    HOTBFT_RETURN_IF_ERROR(socket_io::WaitReadable(fd, until_stopped));
    bool closed = false;
    const Status served = ServeOne(fd, &closed);
    if (!served.ok()) return served.With("serving a client on " + address_text_);
    if (closed) return Status::Ok();
  }
}

Status SocketServer::ServeOne(int fd, bool* closed) {
  Result<std::optional<std::string>> payload = socket_io::ReadFrame(
      fd, IoLimit::After(options_.frame_timeout_ms, wake_read_.get()), "a request");
  if (!payload.ok()) return payload.status();
  if (!payload->has_value()) {
    *closed = true;
    return Status::Ok();
  }
  wire::AppRequest request;
  if (!request.ParseFromString(**payload)) {
    return Status::InvalidArgument("a request of " + std::to_string((*payload)->size()) +
                                   " bytes does not parse as an AppRequest");
  }
  const std::string what = "the " + std::string(MethodName(request)) + " response";
  wire::AppResponse response = HandleRequest(app_, request);
  Result<std::string> frame = socket_io::EncodeFrame(response, what);
  if (!frame.ok()) {
    response.Clear();
    response.set_exception(CutText(frame.status().ToString(), kExceptionBytesMax));
    frame = socket_io::EncodeFrame(response, what);
    HOTBFT_ASSERT(frame.ok());  // an exception is at most kExceptionBytesMax
  }
  return socket_io::WriteFrame(fd, *frame,
                               IoLimit::After(options_.write_timeout_ms, wake_read_.get()), what);
}

void SocketServer::Report(const Status& status) {
  HOTBFT_ASSERT(!status.ok());
  if (options_.on_error) options_.on_error(status);
}

}  // namespace hotbft::app
