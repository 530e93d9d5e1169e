// KvBackend: the ordered key-value storage under the kvstore sample app (kvstore.h). One
// KvStore runs over either implementation: RocksDB in its own directory
// (kv_backend_rocks.h), for a node, or memory (kv_backend_mem.h), for the simulator and
// tests.
//
// Keys and values are byte strings; keys are ordered byte-wise (as unsigned bytes). A Write
// is atomic and durable once it returns OK: a crash keeps every Write that returned OK and
// nothing of one that did not.
//
// Thread-safe: any call may come from any thread, concurrently with the others (a KvStore
// reads committed versions without its lock while Commit writes).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/status.h"

namespace hotbft::app {

struct KvEntry {
  std::string key;
  std::string value;
  bool operator==(const KvEntry&) const = default;
};

class KvBackend {
 public:
  virtual ~KvBackend() = default;

  // The value of `key`; nullopt if absent. Fails only on a read error.
  virtual Result<std::optional<std::string>> Get(std::string_view key) const = 0;
  // The entry with the greatest key at or before `key`; nullopt if there is none. Fails
  // only on a read error.
  virtual Result<std::optional<KvEntry>> SeekForPrev(std::string_view key) const = 0;
  // Puts every entry of `puts`, in order (a later put of a key wins), atomically and
  // durably: when it returns OK all of them survive a crash; when it fails, none was made.
  virtual Status Write(const std::vector<KvEntry>& puts) = 0;
};

}  // namespace hotbft::app
