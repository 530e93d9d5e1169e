// wire::Vote bytes through its decoder, and the round trip of what decodes.
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hotbft;
  fuzz::CheckDecoder<wire::Vote>(
      data, size, [](const wire::Vote& in) { return FromProto(in, fuzz::Context()); },
      [](const Vote& m, wire::Vote* out) { ToProto(m, out); });
  return 0;
}
