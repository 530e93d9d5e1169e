#include "bench/tx_factory.h"

#include <random>

#include "crypto/assert.h"

namespace hotbft::bench {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";
constexpr size_t kRunDigits = 12;
constexpr size_t kStreamDigits = 4;
constexpr size_t kSequenceDigits = 12;
constexpr uint64_t kSequenceMax = (uint64_t{1} << (4 * kSequenceDigits)) - 1;
static_assert(kRunDigits + kStreamDigits + kSequenceDigits == TxFactory::kIdBytes);
static_assert(TxFactory::kTxBytesMin > TxFactory::kIdBytes + 1);  // room for '='
static_assert(TxFactory::kRunIdMax == (uint64_t{1} << (4 * kRunDigits)) - 1);

// Writes `value` as `digits` lower-case hex digits at `out`, most significant first.
void WriteHex(uint64_t value, size_t digits, uint8_t* out) {
  for (size_t i = digits; i > 0; --i) {
    out[i - 1] = static_cast<uint8_t>(kHexDigits[value & 0xf]);
    value >>= 4;
  }
  HOTBFT_ASSERT(value == 0);
}

}  // namespace

std::string_view TxFormatName(TxFormat format) {
  switch (format) {
    case TxFormat::kKvstore: return "kvstore";
    case TxFormat::kNoop: return "noop";
  }
  return "unknown";
}

TxFactory::TxFactory(TxFormat format, uint64_t run_id, uint16_t stream, size_t tx_bytes)
    : template_(tx_bytes) {
  HOTBFT_ASSERT(run_id <= kRunIdMax);
  HOTBFT_ASSERT(tx_bytes >= kTxBytesMin);
  WriteHex(run_id, kRunDigits, template_.data());
  WriteHex(stream, kStreamDigits, template_.data() + kRunDigits);
  size_t filler = kIdBytes;
  if (format == TxFormat::kKvstore) template_[filler++] = '=';
  // A readable filler: kvstore values are shown in events and queries.
  for (size_t i = filler; i < tx_bytes; ++i) {
    template_[i] = static_cast<uint8_t>('a' + (i - filler) % 26);
  }
}

Bytes TxFactory::Next() {
  HOTBFT_ASSERT_MSG(sequence_ <= kSequenceMax, "a stream's sequence numbers ran out");
  Bytes tx = template_;
  WriteHex(sequence_++, kSequenceDigits, tx.data() + kRunDigits + kStreamDigits);
  return tx;
}

uint64_t TxFactory::RandomRunId() {
  std::random_device entropy;
  const uint64_t high = entropy();
  const uint64_t low = entropy();
  return ((high << 32) | low) & kRunIdMax;
}

}  // namespace hotbft::bench
