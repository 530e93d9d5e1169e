// Byte strings, fixed-size byte arrays and hex.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/status.h"

namespace hotbft {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;

inline ByteView AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Lower-case hex of `data`.
std::string ToHex(ByteView data);
// Parses hex (either case, no prefix). Fails on odd length or a non-hex character.
Result<Bytes> FromHex(std::string_view hex);

// A fixed-size byte array with value semantics, ordering and hex.
template <size_t N>
struct FixedBytes {
  static constexpr size_t kSize = N;
  std::array<uint8_t, N> bytes{};

  ByteView view() const { return {bytes.data(), N}; }
  std::string hex() const { return ToHex(view()); }
  bool is_zero() const {
    for (uint8_t b : bytes) {
      if (b != 0) return false;
    }
    return true;
  }
  auto operator<=>(const FixedBytes&) const = default;

  // Fails unless `data` is exactly N bytes.
  static Result<FixedBytes> FromBytes(ByteView data) {
    if (data.size() != N) {
      return Status::InvalidArgument("expected " + std::to_string(N) + " bytes, got " +
                                     std::to_string(data.size()));
    }
    FixedBytes out;
    std::copy(data.begin(), data.end(), out.bytes.begin());
    return out;
  }
  static Result<FixedBytes> FromHex(std::string_view hex) {
    Result<Bytes> raw = ::hotbft::FromHex(hex);
    if (!raw.ok()) return raw.status();
    return FromBytes(*raw);
  }
};

// A SHA-256 digest. Block ids, payload hashes and signed-message digests are Hash32.
struct Hash32 : FixedBytes<32> {
  Hash32() = default;
  explicit Hash32(const FixedBytes<32>& b) : FixedBytes<32>(b) {}
  auto operator<=>(const Hash32&) const = default;
  static Result<Hash32> FromBytes(ByteView data) {
    auto r = FixedBytes<32>::FromBytes(data);
    if (!r.ok()) return r.status();
    return Hash32(*r);
  }
  static Result<Hash32> FromHex(std::string_view hex) {
    auto r = FixedBytes<32>::FromHex(hex);
    if (!r.ok()) return r.status();
    return Hash32(*r);
  }
};

struct Hash32Hasher {
  size_t operator()(const Hash32& h) const {
    size_t out = 0;
    for (size_t i = 0; i < sizeof(size_t); ++i) out = (out << 8) | h.bytes[i];
    return out;
  }
};

}  // namespace hotbft
