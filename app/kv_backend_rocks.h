// The kvstore's backend (kv_backend.h) on RocksDB, in its own directory. Each Write is one
// synced rocksdb::WriteBatch. RocksDB stays out of this header.
#pragma once

#include <memory>
#include <string>

#include "app/kv_backend.h"

namespace hotbft::app {

// Opens (or creates) the database in `dir`, creating missing parent directories. Errors
// read "kvstore: ..." and name the directory. REQUIRES: !dir.empty().
Result<std::unique_ptr<KvBackend>> OpenKvRocksBackend(const std::string& dir);

}  // namespace hotbft::app
