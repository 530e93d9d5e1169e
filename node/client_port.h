// ClientPort: the binary client port, for high-rate submitters such as the load generator
// (docs/rpc.md "Binary client port"). A TCP listener speaking length-prefixed protobuf:
// every frame is a u32 big-endian length then that many bytes, a wire::ClientRequest from
// the client and a wire::ClientResponse from the node (proto/client.proto).
//
//   SubmitBatch{request_id, txs, notify}  ->  SubmitBatchResult{request_id, one TxAdmission
//                                             per transaction, in order}
//   with notify, for each admitted transaction  ->  CommitNotification{TxCommitted...}
//                                                   once it is executed (or `expired`)
//
// Batches on one connection are admitted one at a time, in order; the next frame is not
// read until the previous batch's result is queued and the connection's queue has drained
// below half its bound (back-pressure through TCP, so a fast submitter is slowed, not cut
// off). Notifications are pushed whether or not the client reads: a connection whose queue
// of unsent answers would exceed queue_bytes_max is a slow client and is disconnected. A
// connection watches at most watches_max transactions; beyond, admissions say
// watched=false. A watch not answered within watch_timeout_ms is reported in
// CommitNotification.expired and dropped.
//
// Bad input (a length of zero or above frame_bytes_max, a frame that does not parse, a
// request that is not a SubmitBatch, more than batch_txs_max transactions) closes that
// connection after a best-effort ClientError naming the reason; the port keeps serving the
// others. At most connections_max connections; one more gets a ClientError and is closed.
//
// Threads: one io thread of its own (Start to Stop); backend callbacks come back through a
// PostGate (rpc_backend.h). Start, Stop and port() from the owner's thread; stats() from any.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "crypto/status.h"
#include "node/metrics.h"
#include "node/rpc_backend.h"

namespace hotbft::node {

struct ClientPortConfig {
  std::string listen = "127.0.0.1:26658";  // HOST:PORT or [IPV6]:PORT; port 0 picks one
  size_t connections_max = 64;
  uint32_t frame_bytes_max = 16u << 20;  // one request frame
  size_t batch_txs_max = 10'000;
  size_t queue_bytes_max = 32u << 20;  // answers waiting to be sent, per connection
  size_t watches_max = 200'000;        // transactions watched per connection
  uint64_t watch_timeout_ms = 120'000;
  size_t notification_txs_max = 4'096;  // entries in one CommitNotification
  int send_buffer_bytes = 0;            // SO_SNDBUF of accepted sockets; 0: the OS default
};

// A log in a TxAdmission is cut to this many bytes, so that a full batch's result stays
// well within a frame.
inline constexpr size_t kAdmissionLogBytesMax = 1024;

// Why the port closed a connection.
enum class ClientDisconnect : uint8_t {
  kClosedByClient,    // end of stream or a socket error
  kMalformedFrame,    // a length of zero or above frame_bytes_max
  kMalformedMessage,  // not a ClientRequest, or not a SubmitBatch
  kBatchTooLarge,     // more than batch_txs_max transactions
  kSlowClient,        // its queue of unsent answers would exceed queue_bytes_max
  kInternal,          // the backend broke its contract (a wrong number of results)
  kStopped,           // the port stopped
  kCount,
};
std::string_view ClientDisconnectName(ClientDisconnect reason);  // "malformed_frame", ...

struct ClientPortStats {
  uint64_t connections_accepted = 0;
  uint64_t connections_refused = 0;  // over connections_max
  uint64_t connections_open = 0;
  uint64_t batches = 0;
  uint64_t txs_submitted = 0;
  uint64_t txs_notified = 0;  // TxCommitted entries queued
  uint64_t txs_expired = 0;
  std::array<uint64_t, static_cast<size_t>(ClientDisconnect::kCount)> disconnects{};
  uint64_t disconnects_of(ClientDisconnect r) const { return disconnects[static_cast<size_t>(r)]; }
};

class ClientPort {
 public:
  // `backend` (and `metrics`, if given) must outlive the port.
  // REQUIRES: 0 < frame_bytes_max <= network::kFrameBytesCeiling; batch_txs_max results
  // with logs of kAdmissionLogBytesMax fit in a frame of kFrameBytesCeiling.
  ClientPort(ClientPortConfig config, RpcBackend& backend, NodeMetrics* metrics = nullptr);
  ~ClientPort();  // stops if running
  ClientPort(const ClientPort&) = delete;
  ClientPort& operator=(const ClientPort&) = delete;

  // Binds and listens, then starts the io thread. Fails, with nothing started, if the
  // address is bad or cannot be bound. REQUIRES: called once.
  Status Start();
  // Closes every connection (dropping its watches) and joins the io thread.
  void Stop();
  uint16_t port() const;  // after a successful Start

  ClientPortStats stats() const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace hotbft::node
