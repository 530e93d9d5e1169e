// PeerMessage bytes (a frame body) through the full decoder.
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hotbft;
  fuzz::CheckDecoder<wire::PeerMessage>(
      data, size,
      [](const wire::PeerMessage& in) { return network::FromProto(in, fuzz::Context()); },
      [](const network::NetworkMessage& m, wire::PeerMessage* out) { network::ToProto(m, out); });
  return 0;
}
