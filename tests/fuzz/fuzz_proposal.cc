// wire::Proposal bytes through its decoder, and the round trip of what decodes.
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hotbft;
  fuzz::CheckDecoder<wire::Proposal>(
      data, size, [](const wire::Proposal& in) { return FromProto(in, fuzz::Context()); },
      [](const Proposal& m, wire::Proposal* out) { ToProto(m, out); });
  return 0;
}
