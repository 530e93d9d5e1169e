// KvMemBackend: the kvstore's backend (kv_backend.h) in memory. Every Write is durable at
// once, so a simulated crash has nothing of it to lose: a process that "crashes" drops its
// KvStore (and with it a block finalized but not committed) and opens a new one over the
// same KvMemBackend, which it keeps through a std::shared_ptr, as a restarted node reopens
// its RocksDB directory.
//
// Thread-safe: every call takes one mutex.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <mutex>

#include "app/kv_backend.h"

namespace hotbft::app {

class KvMemBackend final : public KvBackend {
 public:
  Result<std::optional<std::string>> Get(std::string_view key) const override;
  Result<std::optional<KvEntry>> SeekForPrev(std::string_view key) const override;
  // Never fails.
  Status Write(const std::vector<KvEntry>& puts) override;

  size_t size() const;  // entries held

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::string, std::less<>> entries_;  // GUARDED_BY(mutex_)
};

}  // namespace hotbft::app
