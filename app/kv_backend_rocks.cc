#include "app/kv_backend_rocks.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <filesystem>
#include <system_error>

#include "app/text.h"

namespace hotbft::app {
namespace {

rocksdb::Slice ToSlice(std::string_view s) {
  return {s.data(), s.size()};
}

// The caller adds what it was doing (KvStore prefixes "kvstore: <what>").
Status RocksError(const rocksdb::Status& status) {
  return Status::IoError(status.ToString());
}

class KvRocksBackend final : public KvBackend {
 public:
  explicit KvRocksBackend(std::unique_ptr<rocksdb::DB> db) : db_(std::move(db)) {
    HOTBFT_ASSERT(db_ != nullptr);
  }

  Result<std::optional<std::string>> Get(std::string_view key) const override {
    std::string value;
    const rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), ToSlice(key), &value);
    if (s.IsNotFound()) return std::optional<std::string>();
    if (!s.ok()) return RocksError(s);
    return std::optional<std::string>(std::move(value));
  }

  Result<std::optional<KvEntry>> SeekForPrev(std::string_view key) const override {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    it->SeekForPrev(ToSlice(key));
    if (!it->status().ok()) return RocksError(it->status());
    if (!it->Valid()) return std::optional<KvEntry>();
    return std::optional<KvEntry>(KvEntry{it->key().ToString(), it->value().ToString()});
  }

  Status Write(const std::vector<KvEntry>& puts) override {
    rocksdb::WriteBatch batch;
    for (const KvEntry& put : puts) batch.Put(put.key, put.value);
    rocksdb::WriteOptions options;
    options.sync = true;  // a Write is durable when it returns
    const rocksdb::Status s = db_->Write(options, &batch);
    if (!s.ok()) return RocksError(s);
    return Status::Ok();
  }

 private:
  const std::unique_ptr<rocksdb::DB> db_;
};

}  // namespace

Result<std::unique_ptr<KvBackend>> OpenKvRocksBackend(const std::string& dir) {
  HOTBFT_ASSERT(!dir.empty());
  std::error_code error;
  std::filesystem::create_directories(dir, error);  // RocksDB creates only the last level
  if (error) {
    return Status::IoError("kvstore: cannot create '" + EscapeBytes(dir) + "': " + error.message());
  }
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  const rocksdb::Status s = rocksdb::DB::Open(options, dir, &raw);
  if (!s.ok()) return RocksError(s).With("kvstore: opening '" + EscapeBytes(dir) + "'");
  return std::unique_ptr<KvBackend>(new KvRocksBackend(std::unique_ptr<rocksdb::DB>(raw)));
}

}  // namespace hotbft::app
