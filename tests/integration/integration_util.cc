#include "tests/integration/integration_util.h"

#include <algorithm>
#include <cstdlib>

#include "node/rpc_json.h"

namespace hotbft::integration {

using nlohmann::json;

std::string Base64(ByteView bytes) {
  return node::rpc::Base64Encode(bytes);
}

uint64_t Seed() {
  const char* env = std::getenv("HOTBFT_INTEGRATION_SEED");
  return env != nullptr ? std::strtoull(env, nullptr, 10) : 20240601;
}

// `count` kvstore transactions with distinct keys "<prefix>-<n>" and values of 1 to 64
// printable bytes drawn from `rng`.
std::vector<TestTx> MakeTxs(std::mt19937_64& rng, const std::string& prefix, size_t count) {
  std::vector<TestTx> txs;
  for (size_t n = 0; n < count; ++n) {
    TestTx tx;
    tx.key = prefix + "-" + std::to_string(n);
    const size_t length = 1 + rng() % 64;
    for (size_t k = 0; k < length; ++k) tx.value.push_back(static_cast<char>('!' + rng() % 94));
    const std::string text = tx.key + "=" + tx.value;
    tx.bytes.assign(text.begin(), text.end());
    tx.hash = Sha256(tx.bytes);
    txs.push_back(std::move(tx));
  }
  return txs;
}

// Submits `txs` in batches of `batch` with notify on, expecting each admitted and watched.
::testing::AssertionResult SubmitOverPort(Cluster& cluster, uint32_t node,
                                          const std::vector<const TestTx*>& txs, size_t batch,
                                          PortSubmitter* out) {
  auto client = node::PortClient::Connect(cluster.node(node).client, 10'000);
  if (!client.ok()) {
    return ::testing::AssertionFailure()
           << "node" << node << " client port: " << client.status().ToString() << "\n"
           << cluster.LogTails({node});
  }
  out->client = std::move(*client);
  for (size_t from = 0; from < txs.size(); from += batch) {
    std::vector<Bytes> chunk;
    for (size_t k = from; k < std::min(txs.size(), from + batch); ++k) {
      chunk.push_back(txs[k]->bytes);
    }
    auto result = out->client->Submit(chunk, /*notify=*/true, 30'000);
    if (!result.ok()) {
      return ::testing::AssertionFailure()
             << "submitting to node" << node << ": " << result.status().ToString() << "\n"
             << cluster.LogTails({node});
    }
    if (result->results.size() != chunk.size()) {
      return ::testing::AssertionFailure()
             << "node" << node << " answered " << result->results.size() << " admissions for "
             << chunk.size() << " transactions";
    }
    for (size_t k = 0; k < chunk.size(); ++k) {
      const node::Admission& a = result->results[k];
      const TestTx& tx = *txs[from + k];
      if (a.outcome != mempool::AddOutcome::kAdded || !a.watched || a.hash != tx.hash) {
        return ::testing::AssertionFailure()
               << "node" << node << " admitted '" << tx.key << "' as "
               << mempool::AddOutcomeName(a.outcome) << " (code " << a.code << ", log '" << a.log
               << "', watched " << a.watched << ", hash " << a.hash.hex() << ", expected "
               << tx.hash.hex() << ")";
      }
      out->pending.insert(tx.hash);
    }
  }
  return ::testing::AssertionSuccess();
}

// Reads commit notifications until every watched transaction of every submitter committed
// with code 0.
::testing::AssertionResult AwaitPortCommits(Cluster& cluster,
                                            std::vector<PortSubmitter>& submitters,
                                            uint64_t timeout_ms) {
  const uint64_t deadline = MonotonicMs() + timeout_ms;
  for (size_t s = 0; s < submitters.size(); ++s) {
    PortSubmitter& sub = submitters[s];
    while (!sub.pending.empty()) {
      const uint64_t now = MonotonicMs();
      if (now >= deadline) {
        return ::testing::AssertionFailure() << sub.pending.size() << " transactions of submitter "
                                             << s << " not reported committed within " << timeout_ms
                                             << " ms (e.g. " << sub.pending.begin()->hex() << ")\n"
                                             << cluster.LogTails();
      }
      auto message = sub.client->Receive(deadline - now);
      if (!message.ok()) {
        return ::testing::AssertionFailure()
               << "receiving on submitter " << s << ": " << message.status().ToString() << "; "
               << sub.pending.size() << " still pending\n"
               << cluster.LogTails();
      }
      if (const auto* error = std::get_if<node::PortError>(&*message)) {
        return ::testing::AssertionFailure()
               << "the node closed submitter " << s << ": " << error->reason;
      }
      const auto* notice = std::get_if<node::CommitNotice>(&*message);
      if (notice == nullptr) continue;
      if (!notice->expired.empty()) {
        return ::testing::AssertionFailure() << notice->expired.size() << " watches expired (e.g. "
                                             << notice->expired[0].hex() << ")\n"
                                             << cluster.LogTails();
      }
      for (const node::CommittedTx& c : notice->committed) {
        if (c.code != 0) {
          return ::testing::AssertionFailure()
                 << "transaction " << c.hash.hex() << " executed with code " << c.code
                 << " at height " << c.height;
        }
        sub.pending.erase(c.hash);
        sub.committed[c.hash] = c;
      }
    }
  }
  return ::testing::AssertionSuccess();
}

// broadcast_tx_sync: admitted with code 0 and the expected hash.
::testing::AssertionResult SubmitOverHttp(Cluster& cluster, uint32_t node, const TestTx& tx) {
  auto result = cluster.Call(node, "broadcast_tx_sync", json{{"tx", Base64(tx.bytes)}});
  if (!result.ok()) {
    return ::testing::AssertionFailure() << "broadcast_tx_sync of '" << tx.key << "' to node"
                                         << node << ": " << result.status().ToString();
  }
  if ((*result)["code"] != 0 || (*result)["outcome"] != "added" ||
      (*result)["hash"] != tx.hash.hex()) {
    return ::testing::AssertionFailure() << "broadcast_tx_sync of '" << tx.key << "' to node"
                                         << node << " answered " << result->dump();
  }
  return ::testing::AssertionSuccess();
}

// /tx on `node`: committed, executed with code 0, the same bytes. Sets *height.
::testing::AssertionResult TxCommittedOn(Cluster& cluster, uint32_t node, const TestTx& tx,
                                         uint64_t* height) {
  auto result = cluster.Call(node, "tx", json{{"hash", tx.hash.hex()}});
  if (!result.ok()) {
    return ::testing::AssertionFailure()
           << "/tx of '" << tx.key << "' (" << tx.hash.hex() << ") on node" << node << ": "
           << result.status().ToString();
  }
  const json& r = *result;
  if (r["hash"] != tx.hash.hex() || r["executed"] != true || r["tx"] != Base64(tx.bytes) ||
      !r["tx_result"].is_object() || r["tx_result"]["code"] != 0) {
    return ::testing::AssertionFailure()
           << "/tx of '" << tx.key << "' on node" << node << " answered " << r.dump();
  }
  if (height != nullptr) *height = std::stoull(r["height"].get<std::string>());
  return ::testing::AssertionSuccess();
}

// abci_query "/key" on `node`: the value the transaction set.
::testing::AssertionResult ValueOn(Cluster& cluster, uint32_t node, const TestTx& tx) {
  auto result =
      cluster.Call(node, "abci_query",
                   json{{"path", "/key"}, {"data", ToHex(AsBytes(tx.key))}, {"height", "0"}});
  if (!result.ok()) {
    return ::testing::AssertionFailure() << "abci_query of '" << tx.key << "' on node" << node
                                         << ": " << result.status().ToString();
  }
  const json& response = (*result)["response"];
  if (response["code"] != 0 || response["value"] != Base64(AsBytes(tx.value))) {
    return ::testing::AssertionFailure()
           << "abci_query of '" << tx.key << "' on node" << node << " answered " << result->dump()
           << ", expected value '" << tx.value << "'";
  }
  return ::testing::AssertionSuccess();
}

// Every validator still runs and none halted.
::testing::AssertionResult AllHealthy(Cluster& cluster, const std::vector<uint32_t>& nodes) {
  for (uint32_t i : nodes) {
    if (!cluster.Running(i)) {
      return ::testing::AssertionFailure()
             << "node" << i << " ended: " << cluster.ProcessState(i) << "\n"
             << cluster.LogTails({i}, 60);
    }
    auto view = cluster.View(i);
    if (!view.ok() || view->halted) {
      return ::testing::AssertionFailure()
             << "node" << i << ": "
             << (view.ok() ? "halted: " + view->raw.dump() : view.status().ToString()) << "\n"
             << cluster.LogTails({i}, 60);
    }
  }
  return ::testing::AssertionSuccess();
}

}  // namespace hotbft::integration
