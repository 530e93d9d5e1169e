// RawPeer: a TCP connection to a validator's p2p port driven byte by byte, to send what a
// well-behaved peer never would: bad lengths, truncated frames, bodies that do not decode,
// messages out of order. Frames are a u32 big-endian length, then the body
// (network/frame.h); the handshake is network/handshake.h's.
//
// Thread-safety: none. The socket is closed by the destructor.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "crypto/bytes.h"
#include "crypto/key_file.h"
#include "crypto/status.h"
#include "proto/p2p.pb.h"

namespace hotbft::integration {

class RawPeer {
 public:
  // Connects to 127.0.0.1:port.
  static Result<std::unique_ptr<RawPeer>> Connect(uint16_t port, uint64_t timeout_ms);
  ~RawPeer();
  RawPeer(const RawPeer&) = delete;
  RawPeer& operator=(const RawPeer&) = delete;

  // Writes all of `bytes`. Fails once the node has closed the connection.
  Status Send(ByteView bytes);
  // A frame: the u32 big-endian length of the body, then the body.
  Status SendFrame(const wire::PeerMessage& message);
  // Reads one complete frame body, waiting up to timeout_ms.
  Result<wire::PeerMessage> ReadMessage(uint64_t timeout_ms);
  // Half-closes: the node sees end of stream.
  void ShutdownWrite();

  // Reads and discards until the node closes the connection (end of stream or a reset),
  // waiting up to timeout_ms. True if it closed.
  bool WaitClosed(uint64_t timeout_ms);

  // Completes the handshake as the validator holding `key`, with the node whose public key
  // is `node_key`: reads the node's Hello, sends ours, answers its challenge, reads its
  // HelloAuth, then waits for the first message only an authenticated peer gets (a ping
  // within the node's ping interval, or consensus traffic). The node then takes this
  // connection as that validator's, replacing the validator's own.
  Status Authenticate(const std::string& chain_id, KeyFile key, const PublicKey& node_key,
                      uint64_t timeout_ms);

 private:
  explicit RawPeer(int fd) : fd_(fd) {}
  // Reads exactly out.size() bytes by the deadline.
  Status ReadExactly(std::span<uint8_t> out, uint64_t deadline_ms);

  int fd_ = -1;
};

// A frame header announcing `length` bytes.
Bytes FrameHeader(uint32_t length);

}  // namespace hotbft::integration
