// TxFactory: the load generator's transactions, unique across runs and cheap to make.
//
// Each transaction starts with a 28-character id: the run id (12 hex digits, random per
// run), the stream (4 hex digits, one per connection) and a sequence number (12 hex
// digits). Two factories with different (run, stream) pairs never make the same
// transaction, and a stream makes 2^48 before it would repeat (Next asserts it does not).
//
//   kvstore: "<id>=<value>", the key is the id (printable ASCII), the value filler up to
//            tx_bytes; the kvstore app accepts it (app/kvstore.h).
//   noop:    "<id><filler>", any bytes will do.
//
// Making one copies a template of tx_bytes and writes the 12 sequence digits into it.
//
// Thread-safety: none; one factory per thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "crypto/bytes.h"

namespace hotbft::bench {

enum class TxFormat : uint8_t { kKvstore, kNoop };
std::string_view TxFormatName(TxFormat format);  // "kvstore", "noop"

class TxFactory {
 public:
  static constexpr size_t kIdBytes = 28;
  static constexpr size_t kTxBytesMin = 32;
  static constexpr uint64_t kRunIdMax = (uint64_t{1} << 48) - 1;

  // REQUIRES: run_id <= kRunIdMax; tx_bytes >= kTxBytesMin.
  TxFactory(TxFormat format, uint64_t run_id, uint16_t stream, size_t tx_bytes);

  Bytes Next();
  uint64_t made() const { return sequence_; }

  // A random run id in [0, kRunIdMax], from the OS's entropy.
  static uint64_t RandomRunId();

 private:
  Bytes template_;
  uint64_t sequence_ = 0;
};

}  // namespace hotbft::bench
