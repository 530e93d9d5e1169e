// The frame decoder on any byte stream, cut into reads of any size.
//   input: u16 frame limit (1 + value % 4096), u8 read size (1 + value), then the stream.
#include <cstddef>
#include <cstdint>

#include "network/frame.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hotbft;
  if (size < 3) return 0;
  const uint32_t limit = 1 + ((uint32_t{data[0]} << 8 | data[1]) % 4096);
  const size_t read_bytes = 1 + size_t{data[2]};
  const ByteView stream(data + 3, size - 3);
  network::FrameDecoder decoder(limit);
  size_t delivered = 0;
  for (size_t pos = 0; pos < stream.size(); pos += read_bytes) {
    decoder.Append(stream.subspan(pos, std::min(read_bytes, stream.size() - pos)));
    while (true) {
      auto next = decoder.Next();
      if (!next.ok()) {
        if (!decoder.failed()) fuzz::Violation("an error that is not sticky");
        return 0;
      }
      if (!next->has_value()) break;
      const size_t n = (*next)->size();
      if (n == 0 || n > limit) fuzz::Violation("a body outside (0, limit]");
      delivered += network::kFrameHeaderBytes + n;
    }
    if (decoder.buffered_bytes() >= network::kFrameHeaderBytes + limit + read_bytes) {
      fuzz::Violation("the decoder holds more than a partial frame and one read");
    }
  }
  if (delivered + decoder.buffered_bytes() != stream.size()) {
    fuzz::Violation("bytes lost or invented");
  }
  return 0;
}
