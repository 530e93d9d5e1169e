// wire::Timeout bytes through its decoder, and the round trip of what decodes.
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hotbft;
  fuzz::CheckDecoder<wire::Timeout>(
      data, size, [](const wire::Timeout& in) { return FromProto(in, fuzz::Context()); },
      [](const Timeout& m, wire::Timeout* out) { ToProto(m, out); });
  return 0;
}
