// wire::BlockSyncResponse bytes through its decoder, and the round trip of what decodes.
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hotbft;
  fuzz::CheckDecoder<wire::BlockSyncResponse>(
      data, size,
      [](const wire::BlockSyncResponse& in) { return network::FromProto(in, fuzz::Context()); },
      [](const BlockResponse& m, wire::BlockSyncResponse* out) { network::ToProto(m, out); });
  return 0;
}
