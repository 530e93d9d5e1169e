#include "app/kvstore.h"

#include <limits>

#include "app/big_endian.h"
#include "app/kv_backend.h"
#include "app/kv_backend_rocks.h"
#include "app/text.h"
#include "crypto/sha256.h"

namespace hotbft::app {
namespace {

// The block event for one piece of evidence. Written out here rather than with KeyOf and
// EvidenceKindName: the kvstore plugin links no consensus code. Attributes sorted by key.
Event MisbehaviourEvent(const Evidence& evidence) {
  const auto* vote = std::get_if<DoubleVote>(&evidence);
  const auto* proposal = std::get_if<DoubleProposal>(&evidence);
  const uint64_t epoch = vote ? vote->first.data.epoch : proposal->first.epoch;
  const uint64_t round = vote ? vote->first.data.round : proposal->first.round;
  const uint32_t validator = vote ? vote->first.voter : proposal->first.proposer;
  return Event{"misbehaviour",
               {{"epoch", std::to_string(epoch)},
                {"round", std::to_string(round)},
                {"type", vote ? "double_vote" : "double_proposal"},
                {"validator", std::to_string(validator)}}};
}

constexpr char kAppName[] = "kvstore";
constexpr char kAppVersion[] = "1";
constexpr char kQueryPathKey[] = "/key";
constexpr size_t kHashBytes = Hash32::kSize;

static_assert(!IsReservedCode(KvStore::kCodeValueTooLong));
static_assert(!IsReservedCode(KvStore::kCodeHeightUnavailable));
// Lengths in the block hash are u32.
static_assert(KvStore::kKeyBytesMax <= std::numeric_limits<uint32_t>::max());
static_assert(KvStore::kValueBytesMax <= std::numeric_limits<uint32_t>::max());

// Backend layout. Metadata under "m/"; versions under "v/" + key + '\0' + u64 height,
// big-endian, so a key's versions sort by height and, as keys never contain '\0', sit
// together before any longer key sharing the prefix.
constexpr char kLastHeightKey[] = "m/last_height";
constexpr char kLastAppHashKey[] = "m/last_app_hash";
constexpr char kInitialHeightKey[] = "m/initial_height";
constexpr char kVersionPrefix[] = "v/";

std::string VersionPrefix(std::string_view key) {
  std::string out(kVersionPrefix);
  out += key;
  out.push_back('\0');
  return out;
}

std::string VersionKey(std::string_view key, Height height) {
  std::string out = VersionPrefix(key);
  AppendU64Be(&out, height);
  return out;
}

std::string_view ToView(ByteView bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// A backend's error, with what the kvstore was doing: "kvstore: <what>: <error>".
Status BackendError(const Status& status, std::string_view what) {
  return status.With("kvstore: " + std::string(what));
}

// A transaction split into key and value, or why it is malformed.
struct ParsedTx {
  uint32_t code = kCodeOk;
  std::string log;
  std::string_view key;
  std::string_view value;
};

ParsedTx Malformed(uint32_t code, std::string log) {
  return {code, std::move(log), {}, {}};
}

// Why `key` cannot be a key, or code kCodeOk if it can.
ParsedTx CheckKey(std::string_view key) {
  if (key.empty()) return Malformed(KvStore::kCodeEmptyKey, "empty key");
  if (key.size() > KvStore::kKeyBytesMax) {
    return Malformed(KvStore::kCodeKeyTooLong, "key of " + std::to_string(key.size()) +
                                                   " bytes; at most " +
                                                   std::to_string(KvStore::kKeyBytesMax));
  }
  for (size_t i = 0; i < key.size(); ++i) {
    const auto byte = static_cast<uint8_t>(key[i]);
    if (byte <= 0x20 || byte >= 0x7F) {
      return Malformed(KvStore::kCodeKeyNotPrintable, "key byte 0x" + ToHex(ByteView(&byte, 1)) +
                                                          " at offset " + std::to_string(i) +
                                                          " is not printable ASCII");
    }
  }
  return {};
}

ParsedTx ParseTx(ByteView tx) {
  const std::string_view text = ToView(tx);
  const size_t separator = text.find('=');
  if (separator == std::string_view::npos) {
    return Malformed(KvStore::kCodeNoSeparator, "no '=' between key and value");
  }
  ParsedTx parsed = CheckKey(text.substr(0, separator));
  if (parsed.code != kCodeOk) return parsed;
  parsed.key = text.substr(0, separator);
  parsed.value = text.substr(separator + 1);
  if (parsed.value.size() > KvStore::kValueBytesMax) {
    return Malformed(KvStore::kCodeValueTooLong, "value of " + std::to_string(parsed.value.size()) +
                                                     " bytes; at most " +
                                                     std::to_string(KvStore::kValueBytesMax));
  }
  return parsed;
}

void HashLengthPrefixed(Sha256Hasher& hasher, std::string_view data) {
  const auto length = static_cast<uint32_t>(data.size());
  const uint8_t prefix[4] = {static_cast<uint8_t>(length >> 24), static_cast<uint8_t>(length >> 16),
                             static_cast<uint8_t>(length >> 8), static_cast<uint8_t>(length)};
  hasher.Update(ByteView(prefix, sizeof(prefix)));
  hasher.Update(AsBytes(data));
}

// The app hash after a block: chains the previous hash with a digest of the block's writes.
template <typename Writes>
Bytes NextAppHash(ByteView previous, const Writes& writes) {
  Sha256Hasher hasher;
  for (const auto& write : writes) {
    HashLengthPrefixed(hasher, write.key);
    HashLengthPrefixed(hasher, write.value);
  }
  const Hash32 block = hasher.Finish();
  hasher.Update(previous);
  hasher.Update(block.view());
  const Hash32 next = hasher.Finish();
  return Bytes(next.bytes.begin(), next.bytes.end());
}

Result<std::optional<uint64_t>> ReadU64(const KvBackend& backend, const char* key) {
  auto value = backend.Get(key);
  if (!value.ok()) return BackendError(value.status(), std::string("reading ") + key);
  if (!value->has_value()) return std::optional<uint64_t>();
  const std::optional<uint64_t> parsed = ParseU64Be(**value);
  if (!parsed) {
    return Status::Corruption("kvstore: " + std::string(key) + " holds " +
                              std::to_string((*value)->size()) + " bytes, not " +
                              std::to_string(kU64Bytes));
  }
  return parsed;
}

}  // namespace

KvStore::KvStore(std::shared_ptr<KvBackend> backend) : backend_(std::move(backend)) {
  HOTBFT_ASSERT(backend_ != nullptr);
}

KvStore::~KvStore() = default;

Result<std::unique_ptr<KvStore>> KvStore::Open(const std::string& dir) {
  if (dir.empty()) return Status::InvalidArgument("kvstore needs a data directory");
  auto backend = OpenKvRocksBackend(dir);
  if (!backend.ok()) return backend.status();
  return OpenWithBackend(std::move(backend).value());
}

Result<std::unique_ptr<KvStore>> KvStore::OpenWithBackend(std::shared_ptr<KvBackend> backend) {
  HOTBFT_ASSERT(backend != nullptr);
  std::unique_ptr<KvStore> store(new KvStore(std::move(backend)));
  HOTBFT_RETURN_IF_ERROR(store->Load());
  return store;
}

Status KvStore::Load() {
  std::lock_guard<std::mutex> lock(mutex_);
  auto last_height = ReadU64(*backend_, kLastHeightKey);
  if (!last_height.ok()) return last_height.status();
  auto initial_height = ReadU64(*backend_, kInitialHeightKey);
  if (!initial_height.ok()) return initial_height.status();
  last_height_ = last_height->value_or(0);
  initial_height_ = initial_height->value_or(1);
  if (last_height_ == 0) return Status::Ok();
  const std::string what = "reading the app hash of height " + std::to_string(last_height_);
  auto stored = backend_->Get(kLastAppHashKey);
  if (!stored.ok()) return BackendError(stored.status(), what);
  if (!stored->has_value()) return Status::IoError("kvstore: " + what + ": not found");
  const std::string& hash = **stored;
  if (hash.size() != kHashBytes) {
    return Status::Corruption("kvstore: the app hash of height " + std::to_string(last_height_) +
                              " has " + std::to_string(hash.size()) + " bytes");
  }
  last_app_hash_.assign(hash.begin(), hash.end());
  return Status::Ok();
}

Height KvStore::NextHeight() const {
  if (last_height_ == 0) return initial_height_;
  HOTBFT_ASSERT(last_height_ < std::numeric_limits<Height>::max());
  return last_height_ + 1;
}

Result<InfoResult> KvStore::Info() {
  std::lock_guard<std::mutex> lock(mutex_);
  // CheckTx checks the KEY=VALUE format only.
  return InfoResult{kAppName, kAppVersion, last_height_, last_app_hash_,
                    /*check_tx_stateless=*/true};
}

Result<Bytes> KvStore::InitChain(const InitChainRequest& request) {
  if (!request.app_state.empty()) {
    return Status::InvalidArgument("kvstore takes no genesis state; app_state has " +
                                   std::to_string(request.app_state.size()) + " bytes");
  }
  if (request.initial_height == 0) {
    return Status::InvalidArgument("initial_height is 0; heights start at 1");
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (last_height_ != 0 || pending_) {
    return Status::FailedPrecondition("kvstore: InitChain on a chain already at height " +
                                      std::to_string(last_height_));
  }
  const Status written =
      backend_->Write({KvEntry{kInitialHeightKey, U64Be(request.initial_height)}});
  if (!written.ok()) return BackendError(written, "storing the initial height");
  initial_height_ = request.initial_height;
  return Bytes(kHashBytes, 0);
}

Result<CheckTxResult> KvStore::CheckTx(ByteView tx, CheckTxKind /*kind*/) {
  ParsedTx parsed = ParseTx(tx);
  return CheckTxResult{parsed.code, std::move(parsed.log), 0};
}

Result<std::vector<Bytes>> KvStore::PrepareProposal(Height /*height*/, std::vector<Bytes> txs,
                                                    uint64_t bytes_max) {
  std::vector<Bytes> kept;
  uint64_t total = 0;
  for (Bytes& tx : txs) {
    if (ParseTx(tx).code != kCodeOk) continue;
    if (tx.size() > bytes_max - total) break;
    total += tx.size();
    kept.push_back(std::move(tx));
  }
  HOTBFT_ASSERT(total <= bytes_max);
  return kept;
}

Result<bool> KvStore::ProcessProposal(Height /*height*/, const Hash32& /*block_id*/,
                                      const std::vector<Bytes>& txs) {
  for (const Bytes& tx : txs) {
    if (ParseTx(tx).code != kCodeOk) return false;
  }
  return true;
}

Result<FinalizeBlockResult> KvStore::FinalizeBlock(const FinalizeBlockRequest& request) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (pending_) {
    return Status::FailedPrecondition("kvstore: FinalizeBlock at height " +
                                      std::to_string(request.height) + " while height " +
                                      std::to_string(pending_->height) + " awaits Commit");
  }
  if (request.height != NextHeight()) {
    return Status::FailedPrecondition("kvstore: FinalizeBlock at height " +
                                      std::to_string(request.height) + ", expected height " +
                                      std::to_string(NextHeight()));
  }
  Pending pending{request.height, {}, {}};
  FinalizeBlockResult result;
  result.tx_results.reserve(request.txs.size());
  for (const Bytes& tx : request.txs) {
    ParsedTx parsed = ParseTx(tx);
    if (parsed.code != kCodeOk) {
      result.tx_results.push_back(TxResult{parsed.code, {}, std::move(parsed.log), {}});
      continue;
    }
    pending.writes.push_back(Write{std::string(parsed.key), std::string(parsed.value)});
    result.tx_results.push_back(
        TxResult{kCodeOk, {}, {}, {Event{"kv", {{"key", std::string(parsed.key)}}}}});
  }
  // Misbehaviour is reported, not acted on (no stake to slash): one block event per piece.
  for (const Evidence& evidence : request.misbehaviour) {
    result.events.push_back(MisbehaviourEvent(evidence));
  }
  const Bytes genesis(kHashBytes, 0);
  pending.app_hash = NextAppHash(last_height_ == 0 ? genesis : last_app_hash_, pending.writes);
  pending_ = std::move(pending);
  return result;
}

Result<CommitResult> KvStore::Commit() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!pending_) return Status::FailedPrecondition("kvstore: Commit without a FinalizeBlock");
  std::vector<KvEntry> puts;
  puts.reserve(pending_->writes.size() + 2);
  for (const Write& write : pending_->writes) {
    puts.push_back(KvEntry{VersionKey(write.key, pending_->height), write.value});
  }
  puts.push_back(KvEntry{kLastHeightKey, U64Be(pending_->height)});
  puts.push_back(KvEntry{kLastAppHashKey, std::string(ToView(pending_->app_hash))});
  // Commit promises durability: the node may forget the block now.
  const Status written = backend_->Write(puts);
  if (!written.ok()) {
    return BackendError(written, "committing height " + std::to_string(pending_->height));
  }
  last_height_ = pending_->height;
  last_app_hash_ = std::move(pending_->app_hash);
  pending_.reset();
  return CommitResult{last_app_hash_, 0};
}

Result<QueryResult> KvStore::Query(const QueryRequest& request) {
  if (!request.path.empty() && request.path != kQueryPathKey) {
    return QueryResult{
        kCodeUnknownPath,
        request.data,
        {},
        0,
        "unknown path \"" + EscapeBytes(request.path) + "\"; kvstore answers \"/key\""};
  }
  Height last = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    last = last_height_;
  }
  const Height height = request.height == 0 ? last : request.height;
  if (height > last) {
    return QueryResult{kCodeHeightUnavailable,
                       request.data,
                       {},
                       height,
                       "height " + std::to_string(height) + " is above the last committed height " +
                           std::to_string(last)};
  }
  // Versions at or below `last` never change, so the lookup needs no lock.
  return Lookup(ToView(request.data), height);
}

Result<QueryResult> KvStore::Lookup(std::string_view key, Height height) const {
  QueryResult result{
      kCodeNotFound,
      Bytes(key.begin(), key.end()),
      {},
      height,
      "key \"" + EscapeBytes(key) + "\" not found at height " + std::to_string(height)};
  const std::string prefix = VersionPrefix(key);
  auto entry = backend_->SeekForPrev(VersionKey(key, height));
  if (!entry.ok()) return BackendError(entry.status(), "reading \"" + EscapeBytes(key) + "\"");
  if (!entry->has_value()) return result;
  const std::string_view found = (*entry)->key;
  if (found.size() != prefix.size() + kU64Bytes || !found.starts_with(prefix)) return result;
  result.code = kCodeOk;
  result.value.assign((*entry)->value.begin(), (*entry)->value.end());
  result.log.clear();
  return result;
}

}  // namespace hotbft::app
