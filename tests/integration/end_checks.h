// The end checks of the live fault suite (fault_test.cc): what must hold once a run under
// faults is over, read from the honest validators' stores after they stopped, and whether
// throughput came back once the fault ended.
//
//   SameCommittedChain      every height the validators all committed holds the same block
//   SameAppHashes           every height they all executed has the same app hash
//   AcknowledgedTxsPresent  every transaction a client was told is committed is in every
//                           store's committed index, at the same height and position, at or
//                           below that store's committed height
//   ThroughputRecovered     the committed rate in a window after the fault reaches a share
//                           of the offered rate
//
// Each returns a gtest AssertionResult whose failure names the first offence (the height,
// the validators and both values, or the transaction), so a failed run says what diverged.
// fault_test.cc's EndChecksFireOnDoctoredStores feeds each one a doctored store and sees it
// fail.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "bench/load_generator.h"
#include "node/client.h"
#include "storage/store.h"

namespace hotbft::integration {

// One honest validator's store, by its index (for messages).
struct NodeStore {
  uint32_t node = 0;
  const storage::Store* store = nullptr;
};

// Heights 1..min(committed height) hold the same block id in every store. *compared, if
// given, is set to the number of heights compared.
::testing::AssertionResult SameCommittedChain(const std::vector<NodeStore>& stores,
                                              uint64_t* compared = nullptr);

// Heights 1..min(executed height) have the same app hash in every store.
::testing::AssertionResult SameAppHashes(const std::vector<NodeStore>& stores,
                                         uint64_t* compared = nullptr);

// Every acknowledged transaction is in every store's index at the height and position the
// acknowledgement gave, and that height is committed there.
::testing::AssertionResult AcknowledgedTxsPresent(const std::vector<NodeStore>& stores,
                                                  const std::vector<node::CommittedTx>& acked);

// The load generator's per-second samples: the commits reported in samples whose
// elapsed_s lies in (from_s, to_s], per second, are at least `share` of `offered_tx_per_s`.
// *measured, if given, is set to the measured rate.
::testing::AssertionResult ThroughputRecovered(const std::vector<bench::LoadProgress>& samples,
                                               double from_s, double to_s, double offered_tx_per_s,
                                               double share, double* measured = nullptr);

// The committed rate over (from_s, to_s] (0 for an empty window).
double CommittedRate(const std::vector<bench::LoadProgress>& samples, double from_s, double to_s);

}  // namespace hotbft::integration
