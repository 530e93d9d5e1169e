// The simulated validators' application: the kvstore sample app (app/kvstore.h) over an
// in-memory backend that plays its disk. The backend outlives a simulated crash; each
// incarnation opens a new KvStore over it, so what Commit made durable stays and a block
// finalized but not committed is forgotten, as with RocksDB.
//
// For --test-diverge-app, one validator's app is wrapped so that it reports other app
// hashes from a height on, consistently in Commit and Info (so it survives restarts and
// the executor's recovery checks): a non-deterministic app, for the app-hash checker to
// catch.
//
// Not thread-safe beyond what KvStore is; owned by one Simulation.
#pragma once

#include <memory>

#include "app/application.h"
#include "app/kv_backend_mem.h"

namespace hotbft::sim {

// The app of one incarnation over `disk`. From height `diverge_at` on (0: never) every app
// hash it reports differs from the kvstore's. REQUIRES: disk != nullptr.
std::unique_ptr<app::Application> OpenSimApp(std::shared_ptr<app::KvMemBackend> disk,
                                             Height diverge_at);

}  // namespace hotbft::sim
