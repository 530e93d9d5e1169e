// wire::TxGossip bytes through its decoder, and the round trip of what decodes.
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hotbft;
  fuzz::CheckDecoder<wire::TxGossip>(
      data, size, [](const wire::TxGossip& in) { return network::FromProto(in); },
      [](const network::TxBatch& m, wire::TxGossip* out) { network::ToProto(m, out); });
  return 0;
}
