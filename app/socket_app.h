// The node side of an out-of-process application (DESIGN.md "Application interface"): an
// Application whose calls travel over a Unix or TCP socket to an app written in any
// language (app/examples/ has one in Python; socket_server.h serves a C++ Application).
//
// Protocol: one stream connection; each message is a 4-byte big-endian length followed by
// a serialized AppRequest (node to app) or AppResponse (app to node) of proto/app.proto,
// at most kAppMessageBytesMax bytes. The app answers every request with exactly one
// response, in order. A length above the limit, a connection closed inside a frame, or a
// response that does not parse is an error, and the connection is closed.
//
// Threading: the three connections of application.h (consensus, mempool, query) share ONE
// socket, and their calls take turns: a call holds the socket from its request to its
// response. So an app needs no threads or locks to serve a node: it reads a request,
// answers it, reads the next. The price is that a long FinalizeBlock delays a CheckTx or a
// Query behind it. No caller waits without bound: a call waits at most call_timeout_ms for
// the socket, at most connect_timeout_ms to connect if it must, then at most
// call_timeout_ms for its answer.
//
// Failures and reconnection: when a call fails on the socket (the app died, closed the
// connection, sent a bad frame, or did not answer in time), the connection is closed and
// the error names the address and the cause:
//   "app at unix:/tmp/x.sock: connection closed while waiting for the FinalizeBlock response"
// A request is never sent twice: after a timeout or a broken connection the app may or may
// not have executed it, and only the caller can decide what to do (the node asks Info).
// The next call connects again (a connection the app closed while idle is noticed before
// a request is sent on it, and replaced; no error if the app accepts the new one). If
// connecting fails too, further attempts are spaced by a backoff that doubles from
// reconnect_backoff_ms_min to reconnect_backoff_ms_max; a call before the next attempt is
// due fails at once, saying when it is. A call that gets an answer resets the backoff, so
// an app that comes back is reached again by the first call after its attempt is due.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "app/application.h"

namespace hotbft::app {

struct SocketAppOptions {
  static constexpr uint64_t kConnectTimeoutMsDefault = 5'000;
  // Generous: FinalizeBlock of a full block in a slow app may take a while, and a timeout
  // halts the node's execution until the app answers again.
  static constexpr uint64_t kCallTimeoutMsDefault = 60'000;
  static constexpr uint64_t kReconnectBackoffMsMinDefault = 100;
  static constexpr uint64_t kReconnectBackoffMsMaxDefault = 5'000;
  // Bound on every option above, so deadlines never overflow.
  static constexpr uint64_t kTimeoutMsMax = uint64_t{24} * 3'600'000;

  uint64_t connect_timeout_ms = kConnectTimeoutMsDefault;
  uint64_t call_timeout_ms = kCallTimeoutMsDefault;
  uint64_t reconnect_backoff_ms_min = kReconnectBackoffMsMinDefault;
  uint64_t reconnect_backoff_ms_max = kReconnectBackoffMsMaxDefault;
  // What Info tells the app about the node (at most kNameBytesMax bytes of UTF-8).
  std::string node_version;
};

// Connects to the app at `address`, "unix:/path/to.sock" or "tcp:host:port" ("tcp:[::1]:
// 26658" for an IPv6 host), and returns it as an Application. The first connection is made
// here, so a wrong address or an app that is not running is reported at once; name
// resolution of a TCP host is not bounded by connect_timeout_ms (use an IP address or a
// local name).
//
// Fails with InvalidArgument on a malformed address or options (each timeout from 1 to
// kTimeoutMsMax, min backoff <= max backoff), with IoError if the app cannot be reached;
// every message names the address.
//
// The returned Application is thread-safe (see the file comment), checks the app's answers
// as ProtoClientApplication does (codec.h), and closes the socket when destroyed.
Result<std::unique_ptr<Application>> ConnectSocketApp(const std::string& address,
                                                      SocketAppOptions options = {});

}  // namespace hotbft::app
