// The canonical byte encoding of everything hotbft signs or hashes.
//
// Protobuf is the wire format, but its serialisation is not canonical, so signatures
// and hashes never cover protobuf bytes. They cover this fixed encoding instead
// (docs/wire.md is the specification):
//   u8, u32, u64   fixed width, big-endian
//   fixed(N)       exactly N raw bytes (hashes, keys, signatures)
//   var            u32 length, then the bytes
// Fields are written in the order the spec lists them; nothing is optional.
#pragma once

#include "crypto/bytes.h"

namespace hotbft {

class CanonicalWriter {
 public:
  CanonicalWriter& U8(uint8_t v);
  CanonicalWriter& U32(uint32_t v);
  CanonicalWriter& U64(uint64_t v);
  CanonicalWriter& Fixed(ByteView data);  // no length prefix: the reader knows N
  CanonicalWriter& Var(ByteView data);    // REQUIRES: data.size() < 2^32

  const Bytes& bytes() const { return out_; }
  Bytes Take() { return std::move(out_); }

 private:
  Bytes out_;
};

// Reads what CanonicalWriter wrote. Every read fails cleanly past the end; Finish()
// fails if bytes are left over, so trailing garbage is never accepted.
class CanonicalReader {
 public:
  explicit CanonicalReader(ByteView data) : data_(data) {}

  Result<uint8_t> U8();
  Result<uint32_t> U32();
  Result<uint64_t> U64();
  Result<ByteView> Fixed(size_t n);
  Result<ByteView> Var(size_t max_len);  // fails if the length exceeds max_len
  Status Finish() const;

 private:
  Result<ByteView> Take(size_t n);

  ByteView data_;
  size_t pos_ = 0;
};

}  // namespace hotbft
