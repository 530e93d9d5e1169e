#include "app/text.h"

#include <cstdint>

#include "crypto/assert.h"

namespace hotbft::app {
namespace {

constexpr char kCutMarker[] = "...";
constexpr size_t kCutMarkerBytes = sizeof(kCutMarker) - 1;

// The length of the UTF-8 sequence that starts with `lead`, or 0 if `lead` cannot start one.
size_t SequenceLength(uint8_t lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;  // a continuation byte, an overlong lead (C0, C1) or beyond U+10FFFF (F5..FF)
}

// Whether the second byte of a sequence led by `lead` is in range: this is where
// overlong forms, surrogates and code points above U+10FFFF are excluded.
bool SecondByteOk(uint8_t lead, uint8_t second) {
  switch (lead) {
    case 0xE0: return second >= 0xA0 && second <= 0xBF;  // no overlong 3-byte forms
    case 0xED: return second >= 0x80 && second <= 0x9F;  // no surrogates
    case 0xF0: return second >= 0x90 && second <= 0xBF;  // no overlong 4-byte forms
    case 0xF4: return second >= 0x80 && second <= 0x8F;  // nothing above U+10FFFF
    default: return second >= 0x80 && second <= 0xBF;
  }
}

bool IsContinuation(uint8_t byte) {
  return (byte & 0xC0) == 0x80;
}

}  // namespace

bool IsValidUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<uint8_t>(text[i]);
    const size_t length = SequenceLength(lead);
    if (length == 0 || length > text.size() - i) return false;
    if (length > 1 && !SecondByteOk(lead, static_cast<uint8_t>(text[i + 1]))) return false;
    for (size_t k = 2; k < length; ++k) {
      if (!IsContinuation(static_cast<uint8_t>(text[i + k]))) return false;
    }
    i += length;
  }
  return true;
}

std::string EscapeBytes(ByteView data) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(data.size());
  for (uint8_t b : data) {
    if (b >= 0x20 && b < 0x7F && b != '\\') {
      out.push_back(static_cast<char>(b));
      continue;
    }
    out += "\\x";
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xF]);
  }
  return out;
}

std::string EscapeBytes(std::string_view data) {
  return EscapeBytes(AsBytes(data));
}

std::string CutText(std::string_view text, size_t bytes_max) {
  HOTBFT_ASSERT(bytes_max >= kCutMarkerBytes);
  std::string out = IsValidUtf8(text) ? std::string(text) : EscapeBytes(text);
  if (out.size() <= bytes_max) return out;
  size_t end = bytes_max - kCutMarkerBytes;
  // Never split a multi-byte character: back up to the start of the one cut through.
  while (end > 0 && IsContinuation(static_cast<uint8_t>(out[end]))) --end;
  out.resize(end);
  out += kCutMarker;
  HOTBFT_ASSERT(out.size() <= bytes_max);
  return out;
}

}  // namespace hotbft::app
