// The RocksDB Store: one database per validator, one column family per kind of record
// (rocks_layout.h). Every Write is one rocksdb::WriteBatch written with one sync, so a
// batch is durable and atomic when Write returns OK, and a crash keeps all of it or none.
#pragma once

#include <memory>
#include <string>

#include "storage/store.h"

namespace rocksdb {
class Env;
}  // namespace rocksdb

namespace hotbft::storage {

struct RocksStoreOptions {
  // Sync each batch to disk before Write returns (WriteOptions.sync). Off only for
  // benchmarks that measure everything but the disk: a crash then loses recent writes,
  // including safety data, which breaks the promise never to sign twice.
  bool sync = true;
  // The RocksDB environment, nullptr for the default one. Tests pass one that injects
  // faults. Not owned; must outlive the store.
  rocksdb::Env* env = nullptr;
};

// Opens the database in directory `dir`, creating it if it does not exist, for chain
// `chain_id` whose genesis block and QC are `genesis` and `genesis_qc`. A new database
// records the chain id, the genesis block id and kSchemaVersion. An existing one must
// match all three; otherwise opening fails with kFailedPrecondition naming the stored and
// the expected value. REQUIRES: genesis_qc certifies genesis.
//
// Thread-safety: see Store. The database is closed when the store is destroyed.
Result<std::unique_ptr<Store>> OpenRocksStore(const std::string& dir, const std::string& chain_id,
                                              std::shared_ptr<const Block> genesis, QC genesis_qc,
                                              const RocksStoreOptions& options = {});

}  // namespace hotbft::storage
