// Text at the application boundary. Protobuf string fields must hold valid UTF-8 (a
// message with invalid UTF-8 in one does not parse), while transactions and keys are raw
// bytes; these helpers keep the two apart.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "crypto/bytes.h"

namespace hotbft::app {

// True iff `text` is well-formed UTF-8: no overlong forms, no surrogates, nothing above
// U+10FFFF (the rules protobuf applies when it parses a string field).
bool IsValidUtf8(std::string_view text);

// `data` with every byte outside printable ASCII, and the backslash, written as \xNN:
// always valid UTF-8, reversible, safe to quote in a log or a Status message.
std::string EscapeBytes(ByteView data);
std::string EscapeBytes(std::string_view data);

// `text` cut to at most `bytes_max` bytes, ending in "..." when cut. Escapes it first
// unless it is valid UTF-8, so the result is always valid UTF-8.
// REQUIRES: bytes_max >= 3 (room for the marker).
std::string CutText(std::string_view text, size_t bytes_max);

}  // namespace hotbft::app
