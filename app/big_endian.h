// Fixed-width big-endian integers in byte strings: the sample apps' keys, values and app
// hashes, which must sort and compare byte-wise the way the numbers do.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hotbft::app {

inline constexpr size_t kU64Bytes = 8;

inline void AppendU64Be(std::string* out, uint64_t value) {
  for (size_t i = 0; i < kU64Bytes; ++i) {
    out->push_back(static_cast<char>(value >> (8 * (kU64Bytes - 1 - i))));
  }
}

inline std::string U64Be(uint64_t value) {
  std::string out;
  AppendU64Be(&out, value);
  return out;
}

// The value of exactly kU64Bytes big-endian bytes; nullopt for any other length.
inline std::optional<uint64_t> ParseU64Be(std::string_view bytes) {
  if (bytes.size() != kU64Bytes) return std::nullopt;
  uint64_t value = 0;
  for (char c : bytes) value = (value << 8) | static_cast<uint8_t>(c);
  return value;
}

}  // namespace hotbft::app
