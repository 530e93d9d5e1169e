#include "node/executor.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/message_lite.h>
#include <spdlog/spdlog.h>

#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "app/codec.h"
#include "app/limits.h"
#include "app/text.h"
#include "consensus/wire.h"
#include "crypto/sha256.h"
#include "proto/app.pb.h"
#include "storage/write_plan.h"

namespace hotbft::node {
namespace {

// The log of a result stored in place of one that cannot be: the reason, cut to this.
constexpr size_t kStubLogBytesMax = 1'024;
static_assert(kStubLogBytesMax <= app::kLogBytesMax);
static_assert(kStubLogBytesMax < storage::kTxResultBytesMax);
// A stored block result always has room for every validator update (each encodes to at
// most 47 bytes) and the reason its events are left out.
static_assert(app::kValidatorsMax * 64 + kStubLogBytesMax + 64 <= storage::kBlockResultBytesMax);

std::string Num(uint64_t v) {
  return std::to_string(v);
}

std::string Hex(ByteView bytes) {
  return bytes.empty() ? std::string("(empty)") : ToHex(bytes);
}

// An app's error keeps its code; the message gains the call and the height.
Status AppError(const Status& status, std::string_view call, Height height) {
  return status.With(std::string(call) + " at height " + Num(height));
}

// Where a transaction first took effect: its height and position in that block.
struct Origin {
  Height height = 0;
  uint32_t index = 0;
};

app::TxResult DuplicateOf(const Origin& origin) {
  return app::TxResult{app::kCodeDuplicate,
                       {},
                       "duplicate of the transaction at height " + Num(origin.height) +
                           ", position " + Num(origin.index),
                       {}};
}

std::string SerializeDeterministic(const google::protobuf::MessageLite& message) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);  // event attributes are a map
    const bool serialized = message.SerializeToCodedStream(&coded);
    HOTBFT_ASSERT(serialized);  // proto3, every string checked by ToProto
  }
  return out;
}

void AddOmitted(std::string& omitted, std::string_view part, const Status& why) {
  HOTBFT_ASSERT(!why.ok());
  if (!omitted.empty()) omitted += "; ";
  omitted += std::string(part) + " not stored: " + why.message();
}

// The block-level part of `result` the store keeps. Each part goes through the codec on
// its own, so a malformed one does not take the other with it.
wire::StoredBlockResult BlockResultMessage(const app::FinalizeBlockResult& result) {
  wire::StoredBlockResult message;
  std::string omitted;
  wire::FinalizeBlockResponse part;
  const Status updates =
      app::ToProto(app::FinalizeBlockResult{{}, {}, result.validator_updates}, &part);
  if (updates.ok()) {
    message.mutable_outcome()->mutable_validator_updates()->Swap(part.mutable_validator_updates());
  } else {
    AddOmitted(omitted, "validator updates", updates);
  }
  const Status events = app::ToProto(app::FinalizeBlockResult{{}, result.events, {}}, &part);
  if (events.ok()) {
    message.mutable_outcome()->mutable_events()->Swap(part.mutable_events());
  } else {
    AddOmitted(omitted, "events", events);
  }
  message.set_omitted(app::CutText(omitted, kStubLogBytesMax));
  const size_t bytes = message.ByteSizeLong();
  if (bytes > storage::kBlockResultBytesMax) {
    message.mutable_outcome()->clear_events();
    AddOmitted(omitted, "events",
               Status::ResourceExhausted("the block result's encoding has " + Num(bytes) +
                                         " bytes; the store keeps at most " +
                                         Num(storage::kBlockResultBytesMax)));
    message.set_omitted(app::CutText(omitted, kStubLogBytesMax));
  }
  HOTBFT_ASSERT(message.ByteSizeLong() <= storage::kBlockResultBytesMax);
  return message;
}

}  // namespace

Bytes EncodeStoredTxResult(const app::TxResult& result) {
  wire::TxResult message;
  Status refused = app::ToProto(result, &message);
  if (refused.ok()) {
    const std::string bytes = SerializeDeterministic(message);
    if (bytes.size() <= storage::kTxResultBytesMax) return Bytes(bytes.begin(), bytes.end());
    refused = Status::ResourceExhausted("its encoding has " + Num(bytes.size()) +
                                        " bytes; the store keeps at most " +
                                        Num(storage::kTxResultBytesMax));
  }
  const app::TxResult stub{
      result.code,
      {},
      app::CutText("result not stored: " + refused.message(), kStubLogBytesMax),
      {}};
  wire::TxResult stub_message;
  const Status stub_status = app::ToProto(stub, &stub_message);
  HOTBFT_ASSERT(stub_status.ok());
  const std::string bytes = SerializeDeterministic(stub_message);
  HOTBFT_ASSERT(bytes.size() <= storage::kTxResultBytesMax);
  return Bytes(bytes.begin(), bytes.end());
}

Result<app::TxResult> DecodeStoredTxResult(ByteView bytes) {
  wire::TxResult message;
  if (bytes.size() > storage::kTxResultBytesMax ||
      !message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Status::Corruption("a stored transaction result of " + Num(bytes.size()) +
                              " bytes does not parse");
  }
  auto result = app::FromProto(message);
  if (!result.ok()) {
    return Status::Corruption("a stored transaction result does not decode: " +
                              result.status().message());
  }
  return result;
}

Bytes EncodeStoredBlockResult(const app::FinalizeBlockResult& result) {
  if (result.events.empty() && result.validator_updates.empty()) return {};
  const std::string bytes = SerializeDeterministic(BlockResultMessage(result));
  HOTBFT_ASSERT(!bytes.empty());
  HOTBFT_ASSERT(bytes.size() <= storage::kBlockResultBytesMax);
  return Bytes(bytes.begin(), bytes.end());
}

Result<BlockResult> DecodeStoredBlockResult(ByteView bytes) {
  if (bytes.empty()) return BlockResult{};
  wire::StoredBlockResult message;
  if (bytes.size() > storage::kBlockResultBytesMax ||
      !message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Status::Corruption("a stored block result of " + Num(bytes.size()) +
                              " bytes does not parse");
  }
  if (message.outcome().tx_results_size() != 0) {
    return Status::Corruption("a stored block result carries " +
                              Num(static_cast<uint64_t>(message.outcome().tx_results_size())) +
                              " transaction results");
  }
  auto outcome = app::FromProto(message.outcome());
  if (!outcome.ok()) {
    return Status::Corruption("a stored block result does not decode: " +
                              outcome.status().message());
  }
  return BlockResult{std::move(outcome->events), std::move(outcome->validator_updates),
                     message.omitted()};
}

Executor::Executor(storage::Store& store, app::Application& app, ExecutorConfig config)
    : store_(store),
      app_(app),
      config_(std::move(config)),
      executed_height_(store.ExecutedHeight()) {}

Result<Executor::BlockTxs> Executor::SortTxs(const Block& block) const {
  HOTBFT_ASSERT(block.payload != nullptr);
  const std::vector<Bytes>& txs = block.payload->txs;
  HOTBFT_ASSERT(txs.size() <= kBlockTxsMax);
  const Height height = block.header.height;
  BlockTxs sorted;
  sorted.hashes.reserve(txs.size());
  sorted.duplicate.resize(txs.size());
  for (const Bytes& tx : txs) sorted.hashes.push_back(Sha256(tx));
  // The committed index, asked for the whole block at once.
  auto records = store_.GetTxs(sorted.hashes);
  if (!records.ok()) {
    return records.status().With("looking up the transactions of height " + Num(height) +
                                 " in the committed index");
  }
  // Each hash seen in this block, and where it first took effect.
  std::unordered_map<Hash32, Origin, Hash32Hasher> seen;
  for (uint32_t i = 0; i < txs.size(); ++i) {
    const Hash32& hash = sorted.hashes[i];
    if (auto it = seen.find(hash); it != seen.end()) {
      sorted.duplicate[i] = DuplicateOf(it->second);
      continue;
    }
    // Index entries at this height or above are not earlier commits: they come from an
    // earlier attempt at this height, or from executing the chain before the app lost its
    // state. The index is a function of the committed chain, so they agree with it.
    const std::optional<storage::TxRecord>& record = (*records)[i];
    if (record && record->height < height) {
      const Origin origin{record->height, record->index};
      seen.emplace(hash, origin);
      sorted.duplicate[i] = DuplicateOf(origin);
      continue;
    }
    seen.emplace(hash, Origin{height, i});
    sorted.to_app.push_back(i);
  }
  HOTBFT_ASSERT(sorted.hashes.size() == txs.size());
  HOTBFT_ASSERT(sorted.to_app.size() <= txs.size());
  return sorted;
}

Result<std::shared_ptr<const Block>> Executor::CommittedBlock(Height height) const {
  const std::optional<Hash32> id = store_.CommittedAt(height);
  if (!id) {
    return Status::NotFound("the store has no block committed at height " + Num(height) +
                            " (pruned?)");
  }
  std::shared_ptr<const Block> block = store_.GetBlock(*id);
  if (block == nullptr) {
    return Status::NotFound("block " + id->hex() + " committed at height " + Num(height) +
                            " is not in the store");
  }
  HOTBFT_ASSERT(block->header.height == height);
  return block;
}

Result<Height> Executor::Recover() {
  auto info = app_.Info();
  if (!info.ok()) return info.status().With("Info on start");
  const Height app_height = info->last_height;
  const Height executed = store_.ExecutedHeight();
  const Height committed = store_.CommittedHeight();
  HOTBFT_ASSERT(executed <= committed);
  executed_height_ = executed;
  if (app_height > committed || app_height > executed + 1) {
    return Status::FailedPrecondition(
        "the app is at height " + Num(app_height) + ", but this node has executed height " +
        Num(executed) + " and committed height " + Num(committed) +
        ": the app's state is not this node's chain (another chain's, or another data "
        "directory's?)");
  }
  // An attempt kept from an earlier failure matters only if the app may still hold its
  // finalized block, that is if the height is the app's next.
  if (attempt_ && attempt_->height != app_height + 1) attempt_.reset();
  HOTBFT_RETURN_IF_ERROR(StartChain(*info));
  HOTBFT_RETURN_IF_ERROR(CheckAgainstStore(*info));
  if (app_height == executed + 1) {
    HOTBFT_RETURN_IF_ERROR(CompleteFromApp(app_height, info->last_app_hash));
  } else if (app_height < executed) {
    HOTBFT_RETURN_IF_ERROR(Replay(app_height + 1, executed));
  }
  recovered_ = true;
  for (Height h = executed_height_ + 1; h <= committed; ++h) {
    auto block = CommittedBlock(h);
    if (!block.ok()) return block.status();
    auto executed_block = Execute(**block);
    if (!executed_block.ok()) return executed_block.status();
  }
  HOTBFT_ASSERT(executed_height_ >= committed);
  return executed_height_;
}

Status Executor::StartChain(const app::InfoResult& info) {
  if (info.last_height != 0) return Status::Ok();
  // The app got InitChain from this process already and may hold a finalized block of
  // height 1, which InitChain would refuse.
  if (attempt_ && attempt_->reached_app) return Status::Ok();
  const app::InitChainRequest request{config_.chain_id, config_.validators, config_.app_state,
                                      kInitialHeight};
  auto genesis_app_hash = app_.InitChain(request);
  if (!genesis_app_hash.ok()) return genesis_app_hash.status().With("InitChain");
  return Status::Ok();
}

Status Executor::CheckAgainstStore(const app::InfoResult& info) const {
  const Height height = info.last_height;
  if (height == 0 || height > store_.ExecutedHeight()) return Status::Ok();
  const std::optional<Bytes> stored = store_.AppHashAt(height);
  if (!stored) {
    return Status::Corruption("the store has no app hash for executed height " + Num(height));
  }
  if (*stored == info.last_app_hash) return Status::Ok();
  return Status::Corruption("the app reports app hash " + Hex(info.last_app_hash) + " at height " +
                            Num(height) + ", but this node recorded " + Hex(*stored) +
                            ": the app's state is not the one this chain built");
}

Status Executor::CompleteFromApp(Height height, const Bytes& app_hash) {
  HOTBFT_ASSERT(height == executed_height_ + 1);
  auto block = CommittedBlock(height);
  if (!block.ok()) return block.status();
  auto sorted = SortTxs(**block);
  if (!sorted.ok()) return sorted.status();
  const BlockTxs& txs = *sorted;
  for (const uint32_t position : txs.to_app) {
    const std::optional<storage::TxRecord> record = store_.GetTx(txs.hashes[position]);
    if (!record || record->height != height || record->index != position) {
      return Status::Corruption("the app committed height " + Num(height) +
                                ", but the store holds no result for its transaction " +
                                txs.hashes[position].hex() + " at position " + Num(position) +
                                "; results are written before the app commits, so the app's "
                                "state and this store do not belong together");
    }
  }
  HOTBFT_RETURN_IF_ERROR(WriteAppHash(height, app_hash));
  attempt_.reset();
  executed_height_ = height;
  return Status::Ok();
}

Status Executor::Replay(Height from, Height to) {
  HOTBFT_ASSERT(from >= kInitialHeight);
  HOTBFT_ASSERT(to <= executed_height_);
  for (Height h = from; h <= to; ++h) {
    auto block = CommittedBlock(h);
    if (!block.ok()) return block.status().With("replaying height " + Num(h));
    auto sorted = SortTxs(**block);
    if (!sorted.ok()) return sorted.status().With("replaying height " + Num(h));
    auto app_hash = RunInApp(**block, *sorted, Mode::kReplay);
    if (!app_hash.ok()) return app_hash.status().With("replaying");
    attempt_.reset();
    const std::optional<Bytes> stored = store_.AppHashAt(h);
    if (!stored) {
      return Status::Corruption("the store has no app hash for executed height " + Num(h));
    }
    if (*stored != *app_hash) {
      return Status::Corruption("replaying height " + Num(h) + ": the app's hash is " +
                                Hex(*app_hash) + ", but this node recorded " + Hex(*stored) +
                                " (is the app deterministic?)");
    }
  }
  return Status::Ok();
}

Result<ExecutedBlock> Executor::Execute(const Block& block) {
  HOTBFT_ASSERT(recovered_);
  const Height height = block.header.height;
  HOTBFT_ASSERT(height == executed_height_ + 1);
  HOTBFT_ASSERT(store_.CommittedAt(height) == block.id);
  auto sorted = SortTxs(block);
  if (!sorted.ok()) return sorted.status();
  const BlockTxs& txs = *sorted;
  auto app_hash = RunInApp(block, txs, Mode::kExecute);
  if (!app_hash.ok()) return app_hash.status();
  HOTBFT_RETURN_IF_ERROR(WriteAppHash(height, *app_hash));

  HOTBFT_ASSERT(attempt_ && attempt_->finalized);
  app::FinalizeBlockResult& from_app = *attempt_->finalized;
  HOTBFT_ASSERT(from_app.tx_results.size() == txs.to_app.size());
  ExecutedBlock out;
  out.height = height;
  out.app_hash = std::move(app_hash).value();
  out.tx_hashes = txs.hashes;
  out.tx_results.resize(txs.hashes.size());
  for (size_t i = 0; i < txs.duplicate.size(); ++i) {
    if (txs.duplicate[i]) out.tx_results[i] = *txs.duplicate[i];
  }
  for (size_t k = 0; k < txs.to_app.size(); ++k) {
    out.tx_results[txs.to_app[k]] = std::move(from_app.tx_results[k]);
  }
  out.events = std::move(from_app.events);
  out.validator_updates = std::move(from_app.validator_updates);
  attempt_.reset();
  executed_height_ = height;
  if (!out.validator_updates.empty()) {
    spdlog::info(
        "height {}: the app returned {} validator updates; recorded, not applied: the validator "
        "set is fixed at genesis",
        height, out.validator_updates.size());
  }
  return out;
}

Result<Bytes> Executor::RunInApp(const Block& block, const BlockTxs& txs, Mode mode) {
  const Height height = block.header.height;
  if (!attempt_ || attempt_->height != height) {
    attempt_.emplace();
    attempt_->height = height;
    attempt_->block_id = block.id;
  }
  Attempt& attempt = *attempt_;
  HOTBFT_ASSERT(attempt.block_id == block.id);  // one block is committed at a height
  if (!attempt.app_hash) HOTBFT_RETURN_IF_ERROR(ResumeAttempt(attempt, mode));
  if (!attempt.app_hash) {
    Status refused;
    HOTBFT_RETURN_IF_ERROR(FinalizeInApp(block, txs, attempt, refused));
    if (mode == Mode::kExecute) HOTBFT_RETURN_IF_ERROR(WriteResults(txs, attempt));
    HOTBFT_RETURN_IF_ERROR(CommitInApp(attempt, refused));
  }
  HOTBFT_ASSERT(attempt.finalized.has_value());
  HOTBFT_ASSERT(attempt.app_hash.has_value());
  return *attempt.app_hash;
}

Status Executor::ResumeAttempt(Attempt& attempt, Mode mode) {
  if (!attempt.reached_app) return Status::Ok();
  const Height height = attempt.height;
  auto info = app_.Info();
  if (!info.ok()) return AppError(info.status(), "Info, retrying", height);
  if (info->last_height == height) {
    // Commit took effect and its answer was lost. The node sends Commit only once it has
    // the results, written ahead when executing.
    if (!attempt.finalized || (mode == Mode::kExecute && !attempt.results_written)) {
      return Status::FailedPrecondition("retrying height " + Num(height) +
                                        ": the app reports the height committed, which this "
                                        "node has not asked of it");
    }
    attempt.app_hash = info->last_app_hash;
    return Status::Ok();
  }
  if (info->last_height + 1 != height) {
    return Status::FailedPrecondition("retrying height " + Num(height) + ": the app is at height " +
                                      Num(info->last_height) + "; expected " + Num(height - 1) +
                                      " or " + Num(height));
  }
  return Status::Ok();
}

Status Executor::FinalizeInApp(const Block& block, const BlockTxs& txs, Attempt& attempt,
                               Status& refused) {
  app::FinalizeBlockRequest request;
  request.height = block.header.height;
  request.block_id = block.id;
  request.timestamp_ms = block.header.timestamp_ms;
  request.proposer = block.header.proposer;
  request.txs.reserve(txs.to_app.size());
  for (const uint32_t position : txs.to_app) request.txs.push_back(block.payload->txs[position]);
  // The block's evidence, as committed: every honest validator checked it before voting,
  // so each hands the app the same misbehaviour in the same order.
  request.misbehaviour.reserve(block.payload->evidence.size());
  for (const Bytes& piece : block.payload->evidence) {
    auto evidence = DecodeEvidence(piece, static_cast<uint32_t>(config_.validators.size()));
    if (!evidence.ok()) {
      return Status::Corruption(
          "committed block at height " + Num(request.height) +
          " carries evidence that does not decode: " + evidence.status().ToString());
    }
    request.misbehaviour.push_back(std::move(evidence).value());
  }
  attempt.reached_app = true;
  auto result = app_.FinalizeBlock(request);
  if (!result.ok()) {
    if (!attempt.finalized) return AppError(result.status(), "FinalizeBlock", request.height);
    // The app may still hold the block it finalized before: Commit that one.
    refused = result.status();
    return Status::Ok();
  }
  const Status contract = app::CheckFinalizeBlockResult(request, *result);
  if (!contract.ok()) return contract.With("the app's FinalizeBlock answer breaks the contract");
  attempt.finalized = std::move(result).value();
  attempt.results_written = false;
  return Status::Ok();
}

Status Executor::WriteResults(const BlockTxs& txs, Attempt& attempt) {
  if (attempt.results_written) return Status::Ok();
  HOTBFT_ASSERT(attempt.finalized.has_value());
  const std::vector<app::TxResult>& results = attempt.finalized->tx_results;
  HOTBFT_ASSERT(results.size() == txs.to_app.size());
  storage::ExecutionRecord record;
  record.height = attempt.height;
  record.txs.reserve(results.size());
  for (size_t k = 0; k < results.size(); ++k) {
    const uint32_t position = txs.to_app[k];
    record.txs.emplace_back(
        txs.hashes[position],
        storage::TxRecord{attempt.height, position, EncodeStoredTxResult(results[k])});
  }
  // With the transaction results, so that a crash after the app's Commit loses none of it.
  record.block_result = EncodeStoredBlockResult(*attempt.finalized);
  storage::WriteBatch batch;
  batch.finalized = std::move(record);
  const Status status = store_.Write(batch);
  if (!status.ok()) {
    return status.With("writing the results of height " + Num(attempt.height) +
                       " ahead of the app's Commit");
  }
  attempt.results_written = true;
  return Status::Ok();
}

Status Executor::CommitInApp(Attempt& attempt, const Status& refused) {
  auto commit = app_.Commit();
  if (!commit.ok()) {
    Status error = AppError(commit.status(), "Commit", attempt.height);
    if (refused.ok()) return error;
    return error.With("after FinalizeBlock, sent again, was refused (" + refused.message() + ")");
  }
  attempt.app_hash = std::move(commit->app_hash);
  return Status::Ok();
}

Status Executor::WriteAppHash(Height height, const Bytes& app_hash) {
  storage::WriteBatch batch;
  // The app hash alone: the block result written ahead stays.
  batch.executed.push_back(storage::ExecutionRecord{height, app_hash, {}, {}});
  // Not synced: a crash that loses it is the crash between Commit and this write, which
  // Recover completes from the app's Info; the next synced write makes it durable.
  batch.sync = false;
  const Status status = store_.Write(batch);
  if (!status.ok()) return status.With("writing the app hash of height " + Num(height));
  return Status::Ok();
}

}  // namespace hotbft::node
