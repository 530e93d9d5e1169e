#include "node/rpc_methods.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <utility>

#include "crypto/sha256.h"
#include "node/executor.h"

namespace hotbft::node::rpc {
namespace {

// One call waiting for the backend, with a deadline. io thread only. The timer's handler
// holds the call (and through its reply, the connection) until the deadline or Finish.
class Pending : public std::enable_shared_from_this<Pending> {
 public:
  Pending(asio::io_context& io, ReplyFn reply) : timer_(io), reply_(std::move(reply)) {}
  virtual ~Pending() = default;

  // At `timeout_ms` the call finishes with `on_timeout`, unless it finished before.
  void Arm(uint64_t timeout_ms, RpcError on_timeout) {
    timer_.expires_after(std::chrono::milliseconds(timeout_ms));
    timer_.async_wait([self = shared_from_this(),
                       error = std::move(on_timeout)](const boost::system::error_code& ec) mutable {
      if (!ec) self->Finish(RpcReply::Fail(std::move(error)));
    });
  }

  bool done() const { return !reply_; }

  // The first call answers; later ones are ignored.
  void Finish(RpcReply reply) {
    if (done()) return;
    ReplyFn answer = std::move(reply_);
    reply_ = nullptr;
    timer_.cancel();
    OnFinish();
    answer(std::move(reply));
  }

 protected:
  virtual void OnFinish() {}

 private:
  asio::steady_timer timer_;
  ReplyFn reply_;
};

// What the index says of a transaction. The executed height is read before the record:
// a record at or below it is final (rpc_backend.h).
struct Lookup {
  std::optional<storage::TxRecord> record;
  bool executed = false;
};

Lookup LookUp(RpcBackend& backend, const Hash32& hash) {
  const Height executed = backend.ExecutedHeight();
  Lookup out;
  out.record = backend.Tx(hash);
  out.executed = out.record && out.record->height <= executed;
  return out;
}

Result<app::TxResult> DecodeResult(const Hash32& hash, const storage::TxRecord& record) {
  auto decoded = DecodeStoredTxResult(record.result);
  if (!decoded.ok()) {
    return decoded.status().With("the stored result of transaction " + hash.hex() + " at height " +
                                 std::to_string(record.height));
  }
  return decoded;
}

Result<Bytes> RequiredTx(const Params& params) {
  auto tx = params.Tx("tx");
  if (!tx.ok()) return tx.status();
  if (!tx->has_value()) return Status::InvalidArgument("missing parameter 'tx'");
  if ((*tx)->empty()) return Status::InvalidArgument("parameter 'tx' is empty");
  return std::move(**tx);
}

RpcReply AdmissionReply(const std::vector<mempool::AddResult>& results) {
  if (results.size() != 1) {
    return RpcReply::Fail(RpcError::Internal("the backend answered " +
                                             std::to_string(results.size()) +
                                             " admission results for one transaction"));
  }
  const mempool::AddResult& r = results[0];
  if (r.outcome == mempool::AddOutcome::kAdded || r.outcome == mempool::AddOutcome::kRejected) {
    return RpcReply::Ok(BroadcastJson(r));
  }
  return RpcReply::Fail(RpcError::TxRefused(r.outcome, r.log));
}

std::string Ms(uint64_t ms) {
  return std::to_string(ms) + " ms";
}

// broadcast_tx_commit: watches the transaction, submits it, and answers once both the
// admission result and the execution are known (in either order), or at the deadline.
class CommitCall : public Pending {
 public:
  CommitCall(asio::io_context& io, ReplyFn reply, RpcBackend& backend, Hash32 hash)
      : Pending(io, std::move(reply)), backend_(backend), hash_(hash) {}
  ~CommitCall() override { Unwatch(); }

  const Hash32& hash() const { return hash_; }
  void set_watch(uint64_t id) { watch_id_ = id; }

  void OnAdmitted(const std::vector<mempool::AddResult>& results) {
    if (done()) return;
    if (results.size() != 1) return Finish(AdmissionReply(results));
    check_ = results[0];
    switch (check_->outcome) {
      case mempool::AddOutcome::kAdded:
      case mempool::AddOutcome::kInPool: break;
      case mempool::AddOutcome::kCommitted: {
        // Executed before the watch began, or still to be: the index tells which.
        const Lookup found = LookUp(backend_, hash_);
        if (found.executed) {
          auto result = DecodeResult(hash_, *found.record);
          if (!result.ok())
            return Finish(RpcReply::Fail(RpcError::Internal(result.status().ToString())));
          commit_ = TxCommit{hash_, found.record->height, found.record->index, *result};
        }
        break;
      }
      case mempool::AddOutcome::kRejected: return Finish(RpcReply::Ok(CommitJson(*check_, {})));
      default: return Finish(RpcReply::Fail(RpcError::TxRefused(check_->outcome, check_->log)));
    }
    if (commit_) Finish(RpcReply::Ok(CommitJson(*check_, commit_)));
  }

  void OnCommit(const TxCommit& commit) {
    if (done()) return;
    commit_ = commit;
    if (check_) Finish(RpcReply::Ok(CommitJson(*check_, commit_)));
  }

 private:
  void OnFinish() override { Unwatch(); }
  void Unwatch() {
    if (watch_id_ != 0) backend_.UnwatchTx(watch_id_);
    watch_id_ = 0;
  }

  RpcBackend& backend_;
  const Hash32 hash_;
  uint64_t watch_id_ = 0;
  std::optional<mempool::AddResult> check_;
  std::optional<TxCommit> commit_;
};

}  // namespace

const std::vector<MethodInfo>& AllMethods() {
  static const std::vector<MethodInfo> kMethods = {
      {"health", {}},
      {"status", {}},
      {"block", {"height"}},
      {"tx", {"hash"}},
      {"evidence", {"round_min", "limit"}},
      {"abci_query", {"path", "data", "height"}},
      {"broadcast_tx_async", {"tx"}},
      {"broadcast_tx_sync", {"tx"}},
      {"broadcast_tx_commit", {"tx"}},
      {"metrics", {}},
  };
  return kMethods;
}

const std::vector<MethodInfo>& AdminMethods() {
  static const std::vector<MethodInfo> kMethods = {
      {"unsafe_faults",
       {"enabled", "drop", "duplicate", "delay_min_ms", "delay_max_ms", "partition"}},
  };
  return kMethods;
}

const MethodInfo* FindMethod(std::string_view name) {
  for (const auto* list : {&AllMethods(), &AdminMethods()}) {
    for (const MethodInfo& m : *list) {
      if (m.name == name) return &m;
    }
  }
  return nullptr;
}

Methods::Methods(RpcBackend& backend, asio::io_context& io, std::shared_ptr<PostGate> gate,
                 MethodTimeouts timeouts)
    : backend_(backend), io_(io), gate_(std::move(gate)), timeouts_(timeouts) {}

void Methods::Call(const MethodInfo& method, const Params& params, uint64_t sender_id,
                   ReplyFn reply) {
  const std::string& name = method.name;
  if (name == "health") return reply(Health());
  if (name == "status") return reply(Status());
  if (name == "block") return reply(Block(params));
  if (name == "tx") return reply(Tx(params));
  if (name == "evidence") return reply(Evidence(params));
  if (name == "metrics") return reply(RpcReply::Text(backend_.MetricsText()));
  if (name == "abci_query") return AbciQuery(params, std::move(reply));
  if (name == "broadcast_tx_async") return BroadcastAsync(params, sender_id, std::move(reply));
  if (name == "broadcast_tx_sync") return BroadcastSync(params, sender_id, std::move(reply));
  if (name == "broadcast_tx_commit") return BroadcastCommit(params, sender_id, std::move(reply));
  if (name.rfind("unsafe_", 0) == 0 && !timeouts_.admin) {
    return reply(RpcReply::Fail(RpcError::MethodNotFound(
        "'" + name +
        "' is an admin method, and admin methods are off: set [rpc] admin = true "
        "in config.toml to serve them (tests only)")));
  }
  if (name == "unsafe_faults") return reply(Faults(params));
  reply(RpcReply::Fail(RpcError::MethodNotFound("method '" + name + "' has no handler")));
}

namespace {

Json FaultsJson(const network::FaultConfig& c) {
  return Json{{"enabled", c.enabled},
              {"drop", c.drop_probability},
              {"duplicate", c.duplicate_probability},
              {"delay_min_ms", c.delay_ms_min},
              {"delay_max_ms", c.delay_ms_max},
              {"partition", Json(c.partitioned)}};
}

// A probability parameter: a decimal number in [0, 1].
Result<std::optional<double>> ProbabilityParam(const Params& params, const std::string& name) {
  auto text = params.String(name);
  if (!text.ok()) return text.status();
  if (!*text) return std::optional<double>();
  char* end = nullptr;
  const double v = std::strtod((*text)->c_str(), &end);
  if ((*text)->empty() || end != (*text)->c_str() + (*text)->size() || !(v >= 0.0 && v <= 1.0)) {
    return Status::InvalidArgument(name + ": expected a number from 0 to 1, got '" + **text + "'");
  }
  return std::optional<double>(v);
}

}  // namespace

// Changes only what the call names; naming any fault turns injection on unless `enabled`
// says otherwise. `partition` is a comma-separated list of validator indices ("" heals).
RpcReply Methods::Faults(const Params& params) {
  auto current = backend_.Faults(std::nullopt);
  if (!current.ok()) return RpcReply::Fail(RpcError::Unavailable(current.status().message()));
  network::FaultConfig c = *current;
  bool named = false;
  auto drop = ProbabilityParam(params, "drop");
  auto duplicate = ProbabilityParam(params, "duplicate");
  auto delay_min = params.Uint("delay_min_ms");
  auto delay_max = params.Uint("delay_max_ms");
  auto partition = params.String("partition");
  auto enabled = params.String("enabled");
  for (const hotbft::Status* s : {&drop.status(), &duplicate.status(), &delay_min.status(),
                                  &delay_max.status(), &partition.status(), &enabled.status()}) {
    if (!s->ok()) return RpcReply::Fail(RpcError::InvalidParams(s->message()));
  }
  constexpr uint64_t kDelayMsMax = 600'000;
  if (*drop) {
    c.drop_probability = **drop;
    named = true;
  }
  if (*duplicate) {
    c.duplicate_probability = **duplicate;
    named = true;
  }
  if (*delay_min) {
    c.delay_ms_min = static_cast<uint32_t>(std::min(**delay_min, kDelayMsMax));
    named = true;
  }
  if (*delay_max) {
    c.delay_ms_max = static_cast<uint32_t>(std::min(**delay_max, kDelayMsMax));
    named = true;
  }
  if (*partition) {
    c.partitioned.clear();
    std::string_view rest = **partition;
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      const std::string item(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      char* end = nullptr;
      const unsigned long v = std::strtoul(item.c_str(), &end, 10);
      if (item.empty() || end != item.c_str() + item.size() || v >= (1u << 16)) {
        return RpcReply::Fail(RpcError::InvalidParams(
            "partition: expected validator indices separated by commas, got '" + **partition +
            "'"));
      }
      c.partitioned.insert(static_cast<ValidatorIndex>(v));
    }
    named = true;
  }
  if (!named && !*enabled) return RpcReply::Ok(FaultsJson(c));  // a read
  if (named) c.enabled = true;
  if (*enabled) {
    if (**enabled != "true" && **enabled != "false") {
      return RpcReply::Fail(
          RpcError::InvalidParams("enabled: expected true or false, got '" + **enabled + "'"));
    }
    c.enabled = **enabled == "true";
  }
  auto applied = backend_.Faults(c);
  if (!applied.ok()) return RpcReply::Fail(RpcError::InvalidParams(applied.status().message()));
  return RpcReply::Ok(FaultsJson(*applied));
}

RpcReply Methods::Health() {
  const hotbft::Status health = backend_.Health();
  if (!health.ok()) return RpcReply::Fail(RpcError::Unavailable(health.ToString()));
  return RpcReply::Ok(Json::object());
}

RpcReply Methods::Status() {
  return RpcReply::Ok(StatusJson(backend_.GetStatus()));
}

RpcReply Methods::Block(const Params& params) {
  auto height = params.Uint("height");
  if (!height.ok()) return RpcReply::Fail(RpcError::InvalidParams(height.status().message()));
  const Height committed = backend_.CommittedHeight();
  const Height h = height->value_or(committed);
  if (h > committed) {
    return RpcReply::Fail(RpcError::NotFound("height " + std::to_string(h) +
                                             " is above the committed height " +
                                             std::to_string(committed)));
  }
  auto block = backend_.CommittedBlock(h);
  if (!block) {
    return RpcReply::Fail(RpcError::NotFound("the block at height " + std::to_string(h) +
                                             " is no longer stored (pruned)"));
  }
  return RpcReply::Ok(BlockJson(*block));
}

// Pending and committed evidence of equivocation (docs/rpc.md).
RpcReply Methods::Evidence(const Params& params) {
  constexpr uint64_t kLimitDefault = 100;
  constexpr uint64_t kLimitMax = 1'000;
  auto round_min = params.Uint("round_min");
  if (!round_min.ok()) {
    return RpcReply::Fail(RpcError::InvalidParams(round_min.status().message()));
  }
  auto limit = params.Uint("limit");
  if (!limit.ok()) return RpcReply::Fail(RpcError::InvalidParams(limit.status().message()));
  const uint64_t count = limit->value_or(kLimitDefault);
  if (count == 0 || count > kLimitMax) {
    return RpcReply::Fail(RpcError::InvalidParams(
        "limit: expected 1 to " + std::to_string(kLimitMax) + ", got " + std::to_string(count)));
  }
  auto report = backend_.ListEvidence(round_min->value_or(0), count);
  if (!report.ok()) return RpcReply::Fail(RpcError::Unavailable(report.status().message()));
  auto list = [](const std::vector<EvidenceRecord>& records) {
    Json out = Json::array();
    for (const EvidenceRecord& r : records)
      out.push_back(EvidenceJson(r.key, r.height, r.evidence));
    return out;
  };
  return RpcReply::Ok(Json{{"n_pending", Dec(report->pending.size())},
                           {"pending", list(report->pending)},
                           {"n_committed", Dec(report->committed.size())},
                           {"committed", list(report->committed)}});
}

RpcReply Methods::Tx(const Params& params) {
  auto hash = params.Hash("hash");
  if (!hash.ok()) return RpcReply::Fail(RpcError::InvalidParams(hash.status().message()));
  if (!hash->has_value())
    return RpcReply::Fail(RpcError::InvalidParams("missing parameter 'hash'"));
  const Hash32& h = **hash;
  const Lookup found = LookUp(backend_, h);
  if (!found.record) {
    return RpcReply::Fail(RpcError::NotFound("transaction " + h.hex() +
                                             " is not committed (unknown, or still pending)"));
  }
  std::optional<app::TxResult> result;
  if (found.executed) {
    auto decoded = DecodeResult(h, *found.record);
    if (!decoded.ok()) return RpcReply::Fail(RpcError::Internal(decoded.status().ToString()));
    result = std::move(*decoded);
  }
  const auto block = backend_.CommittedBlock(found.record->height);
  const Bytes* tx = nullptr;
  if (block && block->payload && found.record->index < block->payload->txs.size()) {
    tx = &block->payload->txs[found.record->index];
  }
  return RpcReply::Ok(TxJson(h, *found.record, result, tx));
}

void Methods::AbciQuery(const Params& params, ReplyFn reply) {
  auto path = params.String("path");
  auto data = params.Data("data");
  auto height = params.Uint("height");
  for (const hotbft::Status* s : {&path.status(), &data.status(), &height.status()}) {
    if (!s->ok()) return reply(RpcReply::Fail(RpcError::InvalidParams(s->message())));
  }
  app::QueryRequest request;
  request.path = path->value_or("");
  request.data = data->value_or(Bytes());
  request.height = height->value_or(0);
  auto call = std::make_shared<Pending>(io_, std::move(reply));
  call->Arm(timeouts_.call_ms,
            RpcError::Timeout("the application did not answer the query within " +
                              Ms(timeouts_.call_ms)));
  std::weak_ptr<Pending> weak = call;
  backend_.Query(std::move(request), [gate = gate_, weak](Result<app::QueryResult> result) {
    gate->Post([weak, result = std::move(result)] {
      auto call = weak.lock();
      if (!call) return;
      if (!result.ok()) {
        return call->Finish(RpcReply::Fail(RpcError::Unavailable(
            "the application could not answer: " + result.status().ToString())));
      }
      call->Finish(RpcReply::Ok(QueryJson(*result)));
    });
  });
}

void Methods::BroadcastAsync(const Params& params, uint64_t sender_id, ReplyFn reply) {
  auto tx = RequiredTx(params);
  if (!tx.ok()) return reply(RpcReply::Fail(RpcError::InvalidParams(tx.status().message())));
  mempool::AddResult accepted;
  accepted.hash = Sha256(*tx);
  backend_.SubmitTxs({std::move(*tx)}, mempool::Sender::Client(sender_id),
                     [](std::vector<mempool::AddResult>) {});
  Json result = BroadcastJson(accepted);
  result.erase("outcome");  // not known yet
  reply(RpcReply::Ok(std::move(result)));
}

void Methods::BroadcastSync(const Params& params, uint64_t sender_id, ReplyFn reply) {
  auto tx = RequiredTx(params);
  if (!tx.ok()) return reply(RpcReply::Fail(RpcError::InvalidParams(tx.status().message())));
  auto call = std::make_shared<Pending>(io_, std::move(reply));
  call->Arm(timeouts_.call_ms,
            RpcError::Timeout("no admission result within " + Ms(timeouts_.call_ms) +
                              " (the application may be slow or down)"));
  std::weak_ptr<Pending> weak = call;
  backend_.SubmitTxs({std::move(*tx)}, mempool::Sender::Client(sender_id),
                     [gate = gate_, weak](std::vector<mempool::AddResult> results) {
                       gate->Post([weak, results = std::move(results)] {
                         if (auto call = weak.lock()) call->Finish(AdmissionReply(results));
                       });
                     });
}

void Methods::BroadcastCommit(const Params& params, uint64_t sender_id, ReplyFn reply) {
  auto tx = RequiredTx(params);
  if (!tx.ok()) return reply(RpcReply::Fail(RpcError::InvalidParams(tx.status().message())));
  auto call = std::make_shared<CommitCall>(io_, std::move(reply), backend_, Sha256(*tx));
  const std::string hex = call->hash().hex();
  call->Arm(
      timeouts_.commit_ms,
      RpcError::Timeout("transaction " + hex + " was not executed within " +
                        Ms(timeouts_.commit_ms) + "; it may still commit: ask /tx?hash=" + hex));
  std::weak_ptr<CommitCall> weak = call;
  // Watch first, then submit: an execution between the two cannot be missed.
  const uint64_t watch = backend_.WatchTx(call->hash(), [gate = gate_, weak](const TxCommit& c) {
    gate->Post([weak, c] {
      if (auto call = weak.lock()) call->OnCommit(c);
    });
  });
  if (watch == 0) {
    return call->Finish(RpcReply::Fail(RpcError::Unavailable(
        "the node is waiting for as many commits as it allows; retry, or use broadcast_tx_sync")));
  }
  call->set_watch(watch);
  backend_.SubmitTxs({std::move(*tx)}, mempool::Sender::Client(sender_id),
                     [gate = gate_, weak](std::vector<mempool::AddResult> results) {
                       gate->Post([weak, results = std::move(results)] {
                         if (auto call = weak.lock()) call->OnAdmitted(results);
                       });
                     });
}

}  // namespace hotbft::node::rpc
