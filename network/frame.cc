#include "network/frame.h"

#include <string>

namespace hotbft::network {

Bytes EncodeFrame(ByteView body) {
  HOTBFT_ASSERT(!body.empty());
  HOTBFT_ASSERT(body.size() <= kFrameBytesCeiling);
  const auto n = static_cast<uint32_t>(body.size());
  Bytes out;
  out.reserve(kFrameHeaderBytes + body.size());
  out.push_back(static_cast<uint8_t>(n >> 24));
  out.push_back(static_cast<uint8_t>(n >> 16));
  out.push_back(static_cast<uint8_t>(n >> 8));
  out.push_back(static_cast<uint8_t>(n));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

FrameDecoder::FrameDecoder(uint32_t frame_bytes_max) : frame_bytes_max_(frame_bytes_max) {
  HOTBFT_ASSERT(frame_bytes_max > 0);
  HOTBFT_ASSERT(frame_bytes_max <= kFrameBytesCeiling);
}

void FrameDecoder::set_frame_bytes_max(uint32_t frame_bytes_max) {
  HOTBFT_ASSERT(frame_bytes_max > 0);
  HOTBFT_ASSERT(frame_bytes_max <= kFrameBytesCeiling);
  frame_bytes_max_ = frame_bytes_max;
}

void FrameDecoder::Append(ByteView data) {
  if (failed()) return;
  Compact();
  buffer_.insert(buffer_.end(), data.begin(), data.end());
}

Result<std::optional<Bytes>> FrameDecoder::Next() {
  if (failed()) return error_;
  const size_t available = buffered_bytes();
  if (available < kFrameHeaderBytes) return std::optional<Bytes>();
  const uint8_t* p = buffer_.data() + read_pos_;
  const uint32_t length =
      (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
  if (length == 0) {
    error_ = Status::InvalidArgument("frame length 0: a frame carries one non-empty message");
    return error_;
  }
  if (length > frame_bytes_max_) {
    error_ =
        Status::InvalidArgument("frame length " + std::to_string(length) +
                                " bytes exceeds the limit of " + std::to_string(frame_bytes_max_));
    return error_;
  }
  if (available - kFrameHeaderBytes < length) return std::optional<Bytes>();
  const uint8_t* body = p + kFrameHeaderBytes;
  Bytes out(body, body + length);
  read_pos_ += kFrameHeaderBytes + length;
  HOTBFT_ASSERT(read_pos_ <= buffer_.size());
  return std::optional<Bytes>(std::move(out));
}

// Drops bytes already taken, so the buffer never grows by more than one Append past a
// partial frame.
void FrameDecoder::Compact() {
  if (read_pos_ == 0) return;
  buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(read_pos_));
  read_pos_ = 0;
}

}  // namespace hotbft::network
