#include "tests/integration/end_checks.h"

#include <algorithm>
#include <functional>
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

namespace {

// Heights 1..min(top(store)) give the same value in every store: `what` names the values
// ("committed chains", "app hashes"), `missing` what the first store lacks.
template <typename Value>
::testing::AssertionResult SameAtEveryHeight(
    const std::vector<NodeStore>& stores,
    const std::function<uint64_t(const storage::Store&)>& top_of,
    const std::function<std::optional<Value>(const storage::Store&, uint64_t)>& at,
    const std::string& what, const std::string& missing, uint64_t* compared) {
  if (auto ok = NeedStores(stores); !ok) return ok;
  uint64_t top = std::numeric_limits<uint64_t>::max();
  for (const NodeStore& s : stores) top = std::min<uint64_t>(top, top_of(*s.store));
  for (uint64_t h = 1; h <= top; ++h) {
    const std::optional<Value> first = at(*stores[0].store, h);
    if (!first) {
      return ::testing::AssertionFailure()
             << "node " << stores[0].node << " has no " << missing << " at height " << h
             << " (its top is " << top_of(*stores[0].store) << ")";
    }
    for (size_t i = 1; i < stores.size(); ++i) {
      const std::optional<Value> other = at(*stores[i].store, h);
      if (other != first) {
        return ::testing::AssertionFailure()
               << what << " differ at height " << h << ": node " << stores[0].node << " has "
               << Hex(first) << ", node " << stores[i].node << " has " << Hex(other);
      }
    }
  }
  if (compared != nullptr) *compared = top;
  return ::testing::AssertionSuccess() << top << " heights: the same " << what;
}

}  // namespace

::testing::AssertionResult SameCommittedChain(const std::vector<NodeStore>& stores,
                                              uint64_t* compared) {
  return SameAtEveryHeight<Hash32>(
      stores, [](const storage::Store& s) { return s.CommittedHeight(); },
      [](const storage::Store& s, uint64_t h) { return s.CommittedAt(h); }, "committed chains",
      "committed block", compared);
}

::testing::AssertionResult SameAppHashes(const std::vector<NodeStore>& stores, uint64_t* compared) {
  return SameAtEveryHeight<Bytes>(
      stores, [](const storage::Store& s) { return s.ExecutedHeight(); },
      [](const storage::Store& s, uint64_t h) { return s.AppHashAt(h); }, "app hashes", "app hash",
      compared);
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
