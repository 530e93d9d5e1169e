// wire::BlockSyncRequest bytes through its decoder, and the round trip of what decodes.
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hotbft;
  fuzz::CheckDecoder<wire::BlockSyncRequest>(
      data, size, [](const wire::BlockSyncRequest& in) { return network::FromProto(in); },
      [](const BlockRequest& m, wire::BlockSyncRequest* out) { network::ToProto(m, out); });
  return 0;
}
