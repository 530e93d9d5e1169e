// Field helpers shared by the codec's translation units (codec.cc, codec_server.cc,
// codec_client.cc). Not part of the app layer's interface.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "crypto/bytes.h"
#include "proto/app.pb.h"

namespace hotbft::app::codec_internal {

inline std::string ToString(ByteView bytes) {
  return std::string(bytes.begin(), bytes.end());
}
inline Bytes ToBytes(std::string_view bytes) {
  return Bytes(bytes.begin(), bytes.end());
}

// "txs[3]": how errors name an element.
std::string Indexed(std::string_view field, size_t index);

// Each fails with InvalidArgument naming `field` and the offending size.
Status CheckSize(size_t size, size_t bytes_max, std::string_view field);
Status CheckCount(size_t count, size_t count_max, std::string_view field);
// Also fails unless `text` is valid UTF-8.
Status CheckText(std::string_view text, size_t bytes_max, std::string_view field);
// At most kTxsMax transactions of at most kTxBytesMax bytes each.
Status CheckTxs(const std::vector<Bytes>& txs, std::string_view field);

using RepeatedBytes = google::protobuf::RepeatedPtrField<std::string>;
void EncodeTxs(const std::vector<Bytes>& txs, RepeatedBytes* out);
// Checks the count before copying anything, then each size.
Result<std::vector<Bytes>> DecodeTxs(const RepeatedBytes& in, std::string_view field);
// A 32-byte block id.
Result<Hash32> DecodeBlockId(const std::string& in);

}  // namespace hotbft::app::codec_internal
