#include "tests/integration/end_checks.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <sstream>

#include "crypto/bytes.h"

namespace hotbft::integration {
namespace {

std::string Hex(const std::optional<Hash32>& id) {
  return id ? id->hex() : std::string("(none)");
}
std::string Hex(const std::optional<Bytes>& bytes) {
  return bytes ? ToHex(*bytes) : std::string("(none)");
}

::testing::AssertionResult NeedStores(const std::vector<NodeStore>& stores) {
  if (stores.empty()) return ::testing::AssertionFailure() << "no stores to compare";
  for (const NodeStore& s : stores) {
    if (s.store == nullptr)
      return ::testing::AssertionFailure() << "node " << s.node << ": no store";
  }
  return ::testing::AssertionSuccess();
}

}  // namespace

::testing::AssertionResult SameCommittedChain(const std::vector<NodeStore>& stores,
                                              uint64_t* compared) {
  if (auto ok = NeedStores(stores); !ok) return ok;
  uint64_t top = std::numeric_limits<uint64_t>::max();
  for (const NodeStore& s : stores) top = std::min<uint64_t>(top, s.store->CommittedHeight());
  for (uint64_t h = 1; h <= top; ++h) {
    const std::optional<Hash32> first = stores[0].store->CommittedAt(h);
    if (!first) {
      return ::testing::AssertionFailure()
             << "node " << stores[0].node << " has no block at committed height " << h
             << " (committed height " << stores[0].store->CommittedHeight() << ")";
    }
    for (size_t i = 1; i < stores.size(); ++i) {
      const std::optional<Hash32> other = stores[i].store->CommittedAt(h);
      if (other != first) {
        return ::testing::AssertionFailure()
               << "committed chains differ at height " << h << ": node " << stores[0].node
               << " has " << Hex(first) << ", node " << stores[i].node << " has " << Hex(other);
      }
    }
  }
  if (compared != nullptr) *compared = top;
  return ::testing::AssertionSuccess() << top << " heights agree";
}

::testing::AssertionResult SameAppHashes(const std::vector<NodeStore>& stores, uint64_t* compared) {
  if (auto ok = NeedStores(stores); !ok) return ok;
  uint64_t top = std::numeric_limits<uint64_t>::max();
  for (const NodeStore& s : stores) top = std::min<uint64_t>(top, s.store->ExecutedHeight());
  for (uint64_t h = 1; h <= top; ++h) {
    const std::optional<Bytes> first = stores[0].store->AppHashAt(h);
    if (!first) {
      return ::testing::AssertionFailure()
             << "node " << stores[0].node << " has no app hash at executed height " << h;
    }
    for (size_t i = 1; i < stores.size(); ++i) {
      const std::optional<Bytes> other = stores[i].store->AppHashAt(h);
      if (other != first) {
        return ::testing::AssertionFailure()
               << "app hashes differ at height " << h << ": node " << stores[0].node << " has "
               << Hex(first) << ", node " << stores[i].node << " has " << Hex(other);
      }
    }
  }
  if (compared != nullptr) *compared = top;
  return ::testing::AssertionSuccess() << top << " app hashes agree";
}

::testing::AssertionResult AcknowledgedTxsPresent(const std::vector<NodeStore>& stores,
                                                  const std::vector<node::CommittedTx>& acked) {
  if (auto ok = NeedStores(stores); !ok) return ok;
  for (const node::CommittedTx& tx : acked) {
    for (const NodeStore& s : stores) {
      const std::optional<storage::TxRecord> record = s.store->GetTx(tx.hash);
      std::ostringstream what;
      what << "transaction " << tx.hash.hex() << ", acknowledged committed at height " << tx.height
           << " position " << tx.index << ", ";
      if (!record) {
        return ::testing::AssertionFailure()
               << what.str() << "is missing from node " << s.node << "'s store";
      }
      if (record->height != tx.height || record->index != tx.index) {
        return ::testing::AssertionFailure()
               << what.str() << "is at height " << record->height << " position " << record->index
               << " in node " << s.node << "'s store";
      }
      if (record->height > s.store->CommittedHeight()) {
        return ::testing::AssertionFailure()
               << what.str() << "is above node " << s.node << "'s committed height "
               << s.store->CommittedHeight();
      }
    }
  }
  return ::testing::AssertionSuccess()
         << acked.size() << " acknowledged transactions in " << stores.size() << " stores";
}

double CommittedRate(const std::vector<bench::LoadProgress>& samples, double from_s, double to_s) {
  if (to_s <= from_s) return 0;
  uint64_t committed = 0;
  for (const bench::LoadProgress& p : samples) {
    if (p.elapsed_s > from_s && p.elapsed_s <= to_s) committed += p.committed_last_s;
  }
  return static_cast<double>(committed) / (to_s - from_s);
}

::testing::AssertionResult ThroughputRecovered(const std::vector<bench::LoadProgress>& samples,
                                               double from_s, double to_s, double offered_tx_per_s,
                                               double share, double* measured) {
  if (to_s <= from_s) {
    return ::testing::AssertionFailure()
           << "empty window (" << from_s << " s, " << to_s << " s]: nothing to measure";
  }
  const double rate = CommittedRate(samples, from_s, to_s);
  if (measured != nullptr) *measured = rate;
  std::ostringstream window;
  window.precision(3);
  window << rate << " tx/s committed in (" << from_s << " s, " << to_s << " s], offered "
         << offered_tx_per_s << " tx/s";
  if (rate < share * offered_tx_per_s) {
    return ::testing::AssertionFailure() << "throughput did not recover: " << window.str()
                                         << ", below " << share * 100 << "% of it";
  }
  return ::testing::AssertionSuccess() << window.str();
}

}  // namespace hotbft::integration
