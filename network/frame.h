// Framing on a peer connection: every frame is a u32 big-endian length, then that many
// bytes of one serialised wire::PeerMessage.
//
// The length counts the body only. A body is never empty (a PeerMessage always carries
// one message, so it never serialises to zero bytes) and never longer than the configured
// frame_bytes_max. FrameDecoder is pure: bytes in, frame bodies out, no I/O, so the
// transport and the fuzzer drive the same code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "crypto/bytes.h"

namespace hotbft::network {

inline constexpr size_t kFrameHeaderBytes = 4;
// The hard ceiling on any configured frame limit: a length field above it is never valid.
inline constexpr uint32_t kFrameBytesCeiling = 64u << 20;

// The 4-byte length prefix followed by `body`. REQUIRES: 0 < body.size() <= kFrameBytesCeiling.
Bytes EncodeFrame(ByteView body);

// Splits a byte stream into frame bodies. Feed it whatever arrived (Append), then take
// complete bodies (Next) until it returns nullopt. The first bad length makes the decoder
// fail for good: the stream cannot be resynchronised, the connection must close.
// Buffers at most one partial frame plus what the last Append brought. Not thread-safe.
class FrameDecoder {
 public:
  // REQUIRES: 0 < frame_bytes_max <= kFrameBytesCeiling.
  explicit FrameDecoder(uint32_t frame_bytes_max);

  void Append(ByteView data);

  // Changes the limit for frames whose length has not been read yet (a connection raises
  // it once the peer is authenticated). REQUIRES: 0 < frame_bytes_max <= kFrameBytesCeiling.
  void set_frame_bytes_max(uint32_t frame_bytes_max);

  // The next complete body, nullopt when more bytes are needed, or an error naming the
  // sizes for a length of zero or above frame_bytes_max (sticky: every later call fails).
  Result<std::optional<Bytes>> Next();

  // Bytes held that do not yet form a complete frame (or were never taken).
  size_t buffered_bytes() const { return buffer_.size() - read_pos_; }
  bool failed() const { return !error_.ok(); }

 private:
  void Compact();

  uint32_t frame_bytes_max_;
  Bytes buffer_;
  size_t read_pos_ = 0;
  Status error_;
};

}  // namespace hotbft::network
