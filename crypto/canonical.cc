#include "crypto/canonical.h"

#include <limits>

namespace hotbft {

CanonicalWriter& CanonicalWriter::U8(uint8_t v) {
  out_.push_back(v);
  return *this;
}

CanonicalWriter& CanonicalWriter::U32(uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out_.push_back(static_cast<uint8_t>(v >> shift));
  return *this;
}

CanonicalWriter& CanonicalWriter::U64(uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out_.push_back(static_cast<uint8_t>(v >> shift));
  return *this;
}

CanonicalWriter& CanonicalWriter::Fixed(ByteView data) {
  out_.insert(out_.end(), data.begin(), data.end());
  return *this;
}

CanonicalWriter& CanonicalWriter::Var(ByteView data) {
  HOTBFT_ASSERT(data.size() <= std::numeric_limits<uint32_t>::max());
  U32(static_cast<uint32_t>(data.size()));
  return Fixed(data);
}

Result<ByteView> CanonicalReader::Take(size_t n) {
  if (n > data_.size() - pos_) {
    return Status::InvalidArgument("canonical decode: need " + std::to_string(n) +
                                   " bytes at offset " + std::to_string(pos_) + ", only " +
                                   std::to_string(data_.size() - pos_) + " left");
  }
  ByteView out = data_.subspan(pos_, n);
  pos_ += n;
  return out;
}

Result<uint8_t> CanonicalReader::U8() {
  auto b = Take(1);
  if (!b.ok()) return b.status();
  return (*b)[0];
}

Result<uint32_t> CanonicalReader::U32() {
  auto b = Take(4);
  if (!b.ok()) return b.status();
  uint32_t v = 0;
  for (uint8_t x : *b) v = (v << 8) | x;
  return v;
}

Result<uint64_t> CanonicalReader::U64() {
  auto b = Take(8);
  if (!b.ok()) return b.status();
  uint64_t v = 0;
  for (uint8_t x : *b) v = (v << 8) | x;
  return v;
}

Result<ByteView> CanonicalReader::Fixed(size_t n) {
  return Take(n);
}

Result<ByteView> CanonicalReader::Var(size_t max_len) {
  auto len = U32();
  if (!len.ok()) return len.status();
  if (*len > max_len) {
    return Status::InvalidArgument("canonical decode: field length " + std::to_string(*len) +
                                   " exceeds limit " + std::to_string(max_len));
  }
  return Take(*len);
}

Status CanonicalReader::Finish() const {
  if (pos_ != data_.size()) {
    return Status::InvalidArgument("canonical decode: " + std::to_string(data_.size() - pos_) +
                                   " trailing bytes");
  }
  return Status::Ok();
}

}  // namespace hotbft
