#include "app/kv_backend_mem.h"

namespace hotbft::app {

Result<std::optional<std::string>> KvMemBackend::Get(std::string_view key) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::optional<std::string>();
  return std::optional<std::string>(it->second);
}

Result<std::optional<KvEntry>> KvMemBackend::SeekForPrev(std::string_view key) const {
  std::lock_guard<std::mutex> lock(mutex_);
  // std::string compares as unsigned bytes (char_traits<char>::lt), as RocksDB's default
  // comparator does.
  auto it = entries_.upper_bound(key);
  if (it == entries_.begin()) return std::optional<KvEntry>();
  --it;
  HOTBFT_ASSERT(std::string_view(it->first) <= key);
  return std::optional<KvEntry>(KvEntry{it->first, it->second});
}

Status KvMemBackend::Write(const std::vector<KvEntry>& puts) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const KvEntry& put : puts) entries_.insert_or_assign(put.key, put.value);
  return Status::Ok();
}

size_t KvMemBackend::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return entries_.size();
}

}  // namespace hotbft::app
