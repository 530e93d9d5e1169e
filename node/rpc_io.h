// Internals shared by the RPC server and the client port: how callbacks from other threads
// reach an io thread that may be stopping, and listen addresses. Not a public header.
#pragma once

// clang-format off
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange unincluded
#include <boost/asio.hpp>
// clang-format on

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "crypto/status.h"

namespace hotbft::node::rpc {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// Posts work to an io_context from any thread until closed. Backend callbacks (admission
// results, commits) hold a shared_ptr to the gate, never to the io_context, so one that
// arrives while or after its server stops is dropped instead of touching a destroyed
// io_context. Thread-safe.
class PostGate {
 public:
  explicit PostGate(asio::io_context& io) : io_(&io) {}

  void Post(std::function<void()> fn) {
    std::lock_guard lock(mutex_);
    if (io_ != nullptr) asio::post(*io_, std::move(fn));
  }
  // After it returns, nothing more is posted.
  void Close() {
    std::lock_guard lock(mutex_);
    io_ = nullptr;
  }

 private:
  std::mutex mutex_;
  asio::io_context* io_;  // guarded by mutex_; null once closed
};

// "host:port", "[v6]:port". The port may be 0 (any free port).
struct ListenAddress {
  std::string host;
  uint16_t port = 0;
};
Result<ListenAddress> ParseListenAddress(std::string_view text);

// Binds and listens on `address`; the error names the address and why.
Result<std::unique_ptr<tcp::acceptor>> Listen(asio::io_context& io, const ListenAddress& address);

}  // namespace hotbft::node::rpc
