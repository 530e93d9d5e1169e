// Bounds on what crosses the application boundary. The codec (codec.h) checks them in both
// directions, so an oversized field is refused where it is made, with its name, and never
// reaches the other side. Where consensus has the same bound (consensus/wire.h), codec.cc
// asserts that the two agree.
#pragma once

#include <cstddef>
#include <cstdint>

namespace hotbft::app {

// One serialized AppRequest or AppResponse: the plugin boundary and socket frames. Well
// above a block (consensus payload_bytes_max is 4 MiB by default) plus its results.
inline constexpr size_t kAppMessageBytesMax = size_t{64} << 20;

// Transactions in one request or response (= consensus kBlockTxsMax), and one's size
// (= consensus kTxBytesMax).
inline constexpr size_t kTxsMax = 100'000;
inline constexpr size_t kTxBytesMax = size_t{1} << 20;

inline constexpr size_t kAppHashBytesMax = 64;  // = consensus kAppHashBytesMax
inline constexpr size_t kBlockIdBytes = 32;
inline constexpr size_t kPublicKeyBytes = 32;      // BIP-340 x-only keys
inline constexpr size_t kValidatorsMax = 1'024;    // = ValidatorSet::kValidatorsMax
inline constexpr size_t kMisbehaviourMax = 1'024;  // evidence pieces in one block

inline constexpr size_t kEventsMax = 1'024;  // per transaction result, and per block
inline constexpr size_t kEventAttributesMax = 64;
inline constexpr size_t kEventTextBytesMax = size_t{64} << 10;  // type, key or value
inline constexpr size_t kLogBytesMax = size_t{64} << 10;
inline constexpr size_t kResultDataBytesMax = size_t{1} << 20;

inline constexpr size_t kChainIdBytesMax = 256;
inline constexpr size_t kNameBytesMax = 256;  // app name, app version, node version
inline constexpr size_t kAppStateBytesMax = size_t{16} << 20;
inline constexpr size_t kQueryPathBytesMax = 1'024;
inline constexpr size_t kQueryDataBytesMax = size_t{1} << 20;
inline constexpr size_t kQueryValueBytesMax = size_t{16} << 20;
// An exception's text is cut to this length (with a marker) rather than refused: it is
// already the report of a failure.
inline constexpr size_t kExceptionBytesMax = 4'096;

// Protobuf takes a message's length as an int when parsing from an array.
static_assert(kAppMessageBytesMax <= size_t{INT32_MAX});
static_assert(kTxBytesMax < kAppMessageBytesMax);
static_assert(kQueryValueBytesMax < kAppMessageBytesMax);
static_assert(kAppStateBytesMax < kAppMessageBytesMax);

}  // namespace hotbft::app
