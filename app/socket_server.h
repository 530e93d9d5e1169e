// The app side of the socket protocol (socket_app.h): serves any Application on a Unix or
// TCP socket. What tests use to put a C++ app behind a socket, and the example an
// out-of-process app in another language follows (the `hotbft-app-server` binary wraps it;
// app/examples/ has a Python one).
//
// One thread accepts connections and serves them one at a time: it reads a request, calls
// HandleRequest (codec.h), writes the response, and reads the next, until the client
// closes the connection; then it accepts the next one. A node holds a single connection
// (socket_app.h), so one at a time is all it needs, and the app's calls arrive strictly in
// order, never concurrently. A second client waits in the listen backlog until the first
// one leaves.
//
// A bad frame from a client (a length above kAppMessageBytesMax, a connection closed
// inside a frame, bytes that do not parse as an AppRequest), a frame that does not complete
// within frame_timeout_ms of its first byte, and a response the client does not take within
// write_timeout_ms all close that connection and are reported to on_error. An answer too
// large for a frame becomes an `exception` response instead.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "app/application.h"
#include "app/socket_io.h"

namespace hotbft::app {

class SocketServer {
 public:
  struct Options {
    static constexpr int kBacklogDefault = 16;
    // A client sends a request in one go; a frame trickling in for longer is a stuck or
    // hostile client, and the server serves only one client at a time.
    static constexpr uint64_t kFrameTimeoutMsDefault = 30'000;
    static constexpr uint64_t kWriteTimeoutMsDefault = 30'000;

    int backlog = kBacklogDefault;
    uint64_t frame_timeout_ms = kFrameTimeoutMsDefault;
    uint64_t write_timeout_ms = kWriteTimeoutMsDefault;
    // Told why a connection was closed on error; called on the server's thread. May be empty.
    std::function<void(const Status&)> on_error;
  };

  // Listens on `address` ("unix:/path" or "tcp:host:port"; port 0 picks a free port) and
  // starts serving `app` on a new thread. A unix socket file left by a dead server is
  // replaced; one a live server accepts on is an error. Errors name the address.
  // REQUIRES: `app` outlives the server.
  static Result<std::unique_ptr<SocketServer>> Start(const std::string& address, Application& app,
                                                     Options options);
  static Result<std::unique_ptr<SocketServer>> Start(const std::string& address, Application& app) {
    return Start(address, app, Options());
  }

  ~SocketServer();  // Stop()
  SocketServer(const SocketServer&) = delete;
  SocketServer& operator=(const SocketServer&) = delete;

  // The address it listens on, with a TCP port 0 resolved ("tcp:127.0.0.1:40123").
  const std::string& address() const { return address_text_; }

  // Closes the listening socket and the current connection at once (its client sees the
  // connection close, as if the app had died), waits for the call in progress to return
  // from the app, and joins the thread. A unix socket file is removed. Idempotent; not to
  // be called concurrently with itself.
  void Stop();

  // Connections accepted so far. Thread-safe.
  uint64_t connections_accepted() const { return connections_accepted_.load(); }

 private:
  SocketServer(Application& app, Options options, socket_io::SocketAddress address,
               socket_io::UniqueFd listener, socket_io::UniqueFd wake_read,
               socket_io::UniqueFd wake_write);

  void Run();
  // Takes one connection off the backlog, or returns an invalid descriptor.
  socket_io::UniqueFd Accept();
  // Serves one connection until it ends; returns why it ended badly, or OK.
  Status Serve(int fd);
  // Reads, handles and answers one request. Sets *closed when the client closed cleanly.
  Status ServeOne(int fd, bool* closed);
  void Report(const Status& status);

  Application& app_;
  const Options options_;
  const socket_io::SocketAddress address_;
  const std::string address_text_;
  socket_io::UniqueFd listener_;
  // Readable once Stop() began: every wait of the server's thread watches it.
  socket_io::UniqueFd wake_read_;
  socket_io::UniqueFd wake_write_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> connections_accepted_{0};

  // The connection being served, so Stop() can shut it down under the thread's feet.
  std::mutex connection_mutex_;
  socket_io::UniqueFd connection_;  // guarded by connection_mutex_

  std::thread thread_;
};

}  // namespace hotbft::app
