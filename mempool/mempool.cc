#include "mempool/mempool.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "crypto/sha256.h"

namespace hotbft::mempool {
namespace {

std::string Num(uint64_t v) {
  return std::to_string(v);
}

}  // namespace

std::string_view AddOutcomeName(AddOutcome outcome) {
  switch (outcome) {
    case AddOutcome::kAdded: return "added";
    case AddOutcome::kInPool: return "in_pool";
    case AddOutcome::kCommitted: return "committed";
    case AddOutcome::kRejectedBefore: return "rejected_before";
    case AddOutcome::kRejected: return "rejected";
    case AddOutcome::kTooLarge: return "too_large";
    case AddOutcome::kFull: return "full";
    case AddOutcome::kAppError: return "app_error";
    case AddOutcome::kCount: break;
  }
  return "unknown";
}

Mempool::Mempool(MempoolConfig config, app::Application& app,
                 std::function<bool(const Hash32&)> is_committed)
    : config_(config),
      app_(app),
      is_committed_(std::move(is_committed)),
      committed_(config.committed_cache_max, config.cache_key),
      rejected_(config.rejected_cache_max, config.cache_key) {}

std::optional<AddResult> Mempool::Known(const Hash32& hash) const {
  if (by_hash_.count(hash) != 0) {
    return AddResult{AddOutcome::kInPool, hash, 0, "already in the mempool"};
  }
  if (committed_.Contains(hash)) {
    return AddResult{AddOutcome::kCommitted, hash, 0, "already committed"};
  }
  if (rejected_.Contains(hash)) {
    return AddResult{AddOutcome::kRejectedBefore, hash, 0,
                     "refused by the application's CheckTx recently"};
  }
  return std::nullopt;
}

std::string Mempool::FullMessageLocked(uint64_t tx_bytes) const {
  return "mempool full: " + Num(by_hash_.size()) + " transactions (limit " + Num(config_.txs_max) +
         "), " + Num(bytes_) + " + " + Num(tx_bytes) + " bytes (limit " + Num(config_.bytes_max) +
         "); retry after the next blocks commit";
}

void Mempool::CountInvalidLocked(const Sender& from) {
  if (from.kind != Sender::Kind::kPeer) return;
  const uint32_t count = ++peer_invalid_[from.id];
  if (count > config_.peer_invalid_max && penalised_.insert(from.id).second) {
    penalties_.push_back(from.id);
    ++counters_.penalties;
    spdlog::warn("peer {} sent {} invalid transactions since the last commit (limit {}): penalised",
                 from.id, count, config_.peer_invalid_max);
  }
}

AddResult Mempool::Add(Bytes tx, Sender from) {
  const Hash32 hash = Sha256(tx);
  auto finish = [&](AddResult result) {
    std::lock_guard lock(mutex_);
    ++counters_.added[static_cast<size_t>(result.outcome)];
    if (result.outcome == AddOutcome::kTooLarge || result.outcome == AddOutcome::kRejected) {
      CountInvalidLocked(from);
    }
    return result;
  };
  if (tx.size() > config_.tx_bytes_max) {
    return finish({AddOutcome::kTooLarge, hash, 0,
                   "transaction of " + Num(tx.size()) + " bytes is over the limit of " +
                       Num(config_.tx_bytes_max)});
  }
  {
    std::lock_guard lock(mutex_);
    if (auto known = Known(hash)) {
      ++counters_.added[static_cast<size_t>(known->outcome)];
      return *known;
    }
    if (by_hash_.size() >= config_.txs_max || bytes_ + tx.size() > config_.bytes_max) {
      AddResult full{AddOutcome::kFull, hash, 0, FullMessageLocked(tx.size())};
      ++counters_.added[static_cast<size_t>(AddOutcome::kFull)];
      return full;
    }
  }
  if (is_committed_ && is_committed_(hash)) {
    return finish({AddOutcome::kCommitted, hash, 0, "already committed"});
  }
  auto checked = app_.CheckTx(tx, app::CheckTxKind::kNew);
  if (!checked.ok()) {
    return finish({AddOutcome::kAppError, hash, 0,
                   "the application's CheckTx failed: " + checked.status().ToString()});
  }
  std::lock_guard lock(mutex_);
  if (checked->code != app::kCodeOk) {
    rejected_.Insert(hash);
    ++counters_.added[static_cast<size_t>(AddOutcome::kRejected)];
    CountInvalidLocked(from);
    return {AddOutcome::kRejected, hash, checked->code, checked->log};
  }
  // Checked outside the lock: another Add may have admitted it, or filled the pool.
  if (auto known = Known(hash)) {
    ++counters_.added[static_cast<size_t>(known->outcome)];
    return *known;
  }
  if (by_hash_.size() >= config_.txs_max || bytes_ + tx.size() > config_.bytes_max) {
    ++counters_.added[static_cast<size_t>(AddOutcome::kFull)];
    return {AddOutcome::kFull, hash, 0, FullMessageLocked(tx.size())};
  }
  Entry entry;
  entry.tx = std::make_shared<const Bytes>(std::move(tx));
  entry.hash = hash;
  entry.sender = from;
  entry.seq = next_seq_++;
  entry.checked = generation_;
  bytes_ += entry.tx->size();
  if (by_hash_.empty()) became_non_empty_ = true;
  if (from.kind == Sender::Kind::kClient) {
    if (gossip_.size() < config_.gossip_queue_max) {
      gossip_.push_back(GossipTx{entry.tx, hash});
    } else {
      ++counters_.gossip_dropped;
    }
  }
  LinkLocked(by_hash_.emplace(hash, std::move(entry)).first->second);
  ++counters_.added[static_cast<size_t>(AddOutcome::kAdded)];
  return {AddOutcome::kAdded, hash, 0, {}};
}

std::shared_ptr<Payload> Mempool::Reap(uint64_t bytes_max, uint32_t txs_max,
                                       const HashSet& exclude) const {
  auto payload = std::make_shared<Payload>();
  std::lock_guard lock(mutex_);
  // Each sender's cursor into its own transactions; senders whose next one does not fit
  // drop out.
  std::vector<const Entry*> cursors;
  cursors.reserve(by_sender_.size());
  for (const auto& [sender, list] : by_sender_) cursors.push_back(list.head);
  std::vector<const Entry*> chosen;
  uint64_t bytes = 0;
  while (!cursors.empty() && chosen.size() < txs_max) {
    for (size_t i = 0; i < cursors.size() && chosen.size() < txs_max;) {
      const Entry*& next = cursors[i];
      bool took = false;
      while (next != nullptr) {
        const Entry& e = *next;
        if (!exclude.empty() && exclude.count(e.hash) != 0) {
          next = e.sender_next;
          continue;
        }
        if (bytes + e.tx->size() <= bytes_max) {
          bytes += e.tx->size();
          chosen.push_back(&e);
          next = e.sender_next;
          took = true;
        }
        break;
      }
      if (!took) {
        cursors[i] = cursors.back();  // done, or its next one does not fit
        cursors.pop_back();
      } else {
        ++i;
      }
    }
  }
  std::sort(chosen.begin(), chosen.end(),
            [](const Entry* a, const Entry* b) { return a->seq < b->seq; });
  payload->txs.reserve(chosen.size());
  for (const Entry* e : chosen) payload->txs.push_back(*e->tx);
  return payload;
}

void Mempool::LinkLocked(Entry& e) {
  e.prev = order_.tail;
  (order_.tail != nullptr ? order_.tail->next : order_.head) = &e;
  order_.tail = &e;
  List& mine = by_sender_[e.sender];
  e.sender_prev = mine.tail;
  (mine.tail != nullptr ? mine.tail->sender_next : mine.head) = &e;
  mine.tail = &e;
}

void Mempool::RemoveLocked(std::unordered_map<Hash32, Entry, Hash32Hasher>::iterator it) {
  Entry& e = it->second;
  bytes_ -= e.tx->size();
  if (recheck_next_ == &e) recheck_next_ = e.next;
  (e.prev != nullptr ? e.prev->next : order_.head) = e.next;
  (e.next != nullptr ? e.next->prev : order_.tail) = e.prev;
  auto s = by_sender_.find(e.sender);
  List& mine = s->second;
  (e.sender_prev != nullptr ? e.sender_prev->sender_next : mine.head) = e.sender_next;
  (e.sender_next != nullptr ? e.sender_next->sender_prev : mine.tail) = e.sender_prev;
  if (mine.head == nullptr) by_sender_.erase(s);
  by_hash_.erase(it);
}

void Mempool::Update(const std::vector<Hash32>& tx_hashes) {
  std::lock_guard lock(mutex_);
  for (const Hash32& hash : tx_hashes) {
    committed_.Insert(hash);
    auto it = by_hash_.find(hash);
    if (it == by_hash_.end()) continue;
    RemoveLocked(it);
    ++counters_.removed_committed;
  }
  // Without recheck every entry stays checked (its generation follows the pool's).
  if (config_.recheck) ++generation_;
  recheck_next_ = order_.head;
  peer_invalid_.clear();
  penalised_.clear();
}

size_t Mempool::Recheck(size_t max) {
  struct Due {
    std::shared_ptr<const Bytes> tx;
    Hash32 hash;
    uint64_t seq;
    uint64_t generation;
  };
  if (!config_.recheck) return 0;
  std::vector<Due> due;
  {
    std::lock_guard lock(mutex_);
    // Resumes after the last transaction handed out in this generation (or at the first
    // one the app failed to answer).
    for (; recheck_next_ != nullptr && due.size() < max; recheck_next_ = recheck_next_->next) {
      const Entry& e = *recheck_next_;
      if (e.checked < generation_) due.push_back({e.tx, e.hash, e.seq, generation_});
    }
  }
  size_t refused = 0;
  size_t settled = 0;
  for (const Due& d : due) {
    auto checked = app_.CheckTx(*d.tx, app::CheckTxKind::kRecheck);
    std::lock_guard lock(mutex_);
    ++counters_.rechecked;
    auto it = by_hash_.find(d.hash);
    if (it == by_hash_.end()) {  // committed meanwhile
      ++settled;
      continue;
    }
    if (!checked.ok()) {
      // The app did not answer: the transaction stays, due again at the next call.
      if (d.generation == generation_ && (recheck_next_ == nullptr || d.seq < recheck_next_->seq)) {
        recheck_next_ = &it->second;
      }
      continue;
    }
    ++settled;
    if (checked->code != app::kCodeOk) {
      rejected_.Insert(d.hash);
      RemoveLocked(it);
      ++counters_.removed_recheck;
      ++refused;
      continue;
    }
    it->second.checked = d.generation;
  }
  if (refused > 0) {
    spdlog::debug("mempool recheck: {} of {} transactions refused and removed", refused,
                  due.size());
  }
  return settled;
}

std::vector<GossipTx> Mempool::TakeGossip() {
  std::lock_guard lock(mutex_);
  std::vector<GossipTx> out(std::make_move_iterator(gossip_.begin()),
                            std::make_move_iterator(gossip_.end()));
  gossip_.clear();
  return out;
}

std::vector<uint64_t> Mempool::TakePenalties() {
  std::lock_guard lock(mutex_);
  return std::exchange(penalties_, {});
}

bool Mempool::TakeBecameNonEmpty() {
  std::lock_guard lock(mutex_);
  return std::exchange(became_non_empty_, false);
}

size_t Mempool::size() const {
  std::lock_guard lock(mutex_);
  return by_hash_.size();
}

bool Mempool::Contains(const Hash32& hash) const {
  std::lock_guard lock(mutex_);
  return by_hash_.count(hash) != 0;
}

MempoolStats Mempool::stats() const {
  std::lock_guard lock(mutex_);
  MempoolStats s = counters_;
  s.txs = by_hash_.size();
  s.bytes = bytes_;
  for (const auto& [hash, e] : by_hash_) {
    if (e.checked < generation_) ++s.recheck_due;
  }
  return s;
}

}  // namespace hotbft::mempool
