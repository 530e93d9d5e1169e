// The conversions of codec.h: for each type, Encode and Decode only convert, Validate
// checks the bounds; ToProto is Validate then Encode, FromProto is Decode then Validate.
#include "app/codec.h"

#include <algorithm>
#include <set>

#include "app/codec_internal.h"
#include "app/evidence_codec.h"
#include "app/limits.h"
#include "app/text.h"
#include "consensus/wire.h"
#include "crypto/validator_set.h"

namespace hotbft::app {

// The app boundary must carry whatever consensus accepts into a block.
static_assert(kTxsMax == ::hotbft::kBlockTxsMax);
static_assert(kTxBytesMax == ::hotbft::kTxBytesMax);
static_assert(kAppHashBytesMax == ::hotbft::kAppHashBytesMax);
static_assert(kMisbehaviourMax >= ::hotbft::kBlockEvidenceMax,
              "a block's evidence fits FinalizeBlock");
static_assert(kValidatorsMax == ValidatorSet::kValidatorsMax);
static_assert(kPublicKeyBytes == PublicKey::kSize);
static_assert(kBlockIdBytes == Hash32::kSize);

using codec_internal::CheckCount;
using codec_internal::CheckSize;
using codec_internal::CheckText;
using codec_internal::CheckTxs;
using codec_internal::DecodeBlockId;
using codec_internal::DecodeTxs;
using codec_internal::EncodeTxs;
using codec_internal::Indexed;
using codec_internal::ToBytes;
using codec_internal::ToString;

namespace codec_internal {

std::string Indexed(std::string_view field, size_t index) {
  return std::string(field) + "[" + std::to_string(index) + "]";
}

Status CheckSize(size_t size, size_t bytes_max, std::string_view field) {
  if (size <= bytes_max) return Status::Ok();
  return Status::InvalidArgument(std::string(field) + " has " + std::to_string(size) +
                                 " bytes; at most " + std::to_string(bytes_max));
}

Status CheckCount(size_t count, size_t count_max, std::string_view field) {
  if (count <= count_max) return Status::Ok();
  return Status::InvalidArgument(std::string(field) + " has " + std::to_string(count) +
                                 " entries; at most " + std::to_string(count_max));
}

Status CheckText(std::string_view text, size_t bytes_max, std::string_view field) {
  HOTBFT_RETURN_IF_ERROR(CheckSize(text.size(), bytes_max, field));
  if (IsValidUtf8(text)) return Status::Ok();
  constexpr size_t kQuotedBytesMax = 64;
  return Status::InvalidArgument(std::string(field) + " is not valid UTF-8: \"" +
                                 CutText(EscapeBytes(text), kQuotedBytesMax) + "\"");
}

Status CheckTxs(const std::vector<Bytes>& txs, std::string_view field) {
  HOTBFT_RETURN_IF_ERROR(CheckCount(txs.size(), kTxsMax, field));
  for (size_t i = 0; i < txs.size(); ++i) {
    HOTBFT_RETURN_IF_ERROR(CheckSize(txs[i].size(), kTxBytesMax, Indexed(field, i)));
  }
  return Status::Ok();
}

void EncodeTxs(const std::vector<Bytes>& txs, RepeatedBytes* out) {
  out->Clear();
  out->Reserve(static_cast<int>(txs.size()));
  for (const Bytes& tx : txs) out->Add(ToString(tx));
}

Result<std::vector<Bytes>> DecodeTxs(const RepeatedBytes& in, std::string_view field) {
  HOTBFT_RETURN_IF_ERROR(CheckCount(static_cast<size_t>(in.size()), kTxsMax, field));
  std::vector<Bytes> txs;
  txs.reserve(static_cast<size_t>(in.size()));
  for (const std::string& tx : in) {
    HOTBFT_RETURN_IF_ERROR(CheckSize(tx.size(), kTxBytesMax, Indexed(field, txs.size())));
    txs.push_back(ToBytes(tx));
  }
  return txs;
}

Result<Hash32> DecodeBlockId(const std::string& in) {
  auto id = Hash32::FromBytes(AsBytes(in));
  if (!id.ok()) return id.status().With("block_id");
  return *id;
}

}  // namespace codec_internal

namespace {

// ---- Validate: the bounds of limits.h, on the C++ values ----

Status ValidateEvent(const Event& in, const std::string& field) {
  HOTBFT_RETURN_IF_ERROR(CheckText(in.type, kEventTextBytesMax, field + ".type"));
  HOTBFT_RETURN_IF_ERROR(
      CheckCount(in.attributes.size(), kEventAttributesMax, field + ".attributes"));
  std::set<std::string_view> keys;
  for (size_t i = 0; i < in.attributes.size(); ++i) {
    const auto& [key, value] = in.attributes[i];
    const std::string at = Indexed(field + ".attributes", i);
    HOTBFT_RETURN_IF_ERROR(CheckText(key, kEventTextBytesMax, at + ".key"));
    HOTBFT_RETURN_IF_ERROR(CheckText(value, kEventTextBytesMax, at + ".value"));
    if (!keys.insert(key).second) {
      return Status::InvalidArgument(at + " repeats the key \"" + key + "\"");
    }
  }
  return Status::Ok();
}

Status ValidateEvents(const std::vector<Event>& in, const std::string& field) {
  HOTBFT_RETURN_IF_ERROR(CheckCount(in.size(), kEventsMax, field));
  for (size_t i = 0; i < in.size(); ++i) {
    HOTBFT_RETURN_IF_ERROR(ValidateEvent(in[i], Indexed(field, i)));
  }
  return Status::Ok();
}

Status ValidateTxResult(const TxResult& in, const std::string& field) {
  HOTBFT_RETURN_IF_ERROR(CheckSize(in.data.size(), kResultDataBytesMax, field + ".data"));
  HOTBFT_RETURN_IF_ERROR(CheckText(in.log, kLogBytesMax, field + ".log"));
  return ValidateEvents(in.events, field + ".events");
}

Status ValidateValidatorUpdate(const ValidatorUpdate& in, const std::string& field) {
  if (in.public_key.size() == kPublicKeyBytes) return Status::Ok();
  return Status::InvalidArgument(field + ".public_key has " + std::to_string(in.public_key.size()) +
                                 " bytes; a key has " + std::to_string(kPublicKeyBytes));
}

Status ValidateValidatorUpdates(const std::vector<ValidatorUpdate>& in, const std::string& field) {
  HOTBFT_RETURN_IF_ERROR(CheckCount(in.size(), kValidatorsMax, field));
  for (size_t i = 0; i < in.size(); ++i) {
    HOTBFT_RETURN_IF_ERROR(ValidateValidatorUpdate(in[i], Indexed(field, i)));
  }
  return Status::Ok();
}

Status ValidateInfoResult(const InfoResult& in) {
  HOTBFT_RETURN_IF_ERROR(CheckText(in.app_name, kNameBytesMax, "app_name"));
  HOTBFT_RETURN_IF_ERROR(CheckText(in.app_version, kNameBytesMax, "app_version"));
  return CheckSize(in.last_app_hash.size(), kAppHashBytesMax, "last_app_hash");
}

Status ValidateInitChainRequest(const InitChainRequest& in) {
  HOTBFT_RETURN_IF_ERROR(CheckText(in.chain_id, kChainIdBytesMax, "chain_id"));
  HOTBFT_RETURN_IF_ERROR(ValidateValidatorUpdates(in.validators, "validators"));
  HOTBFT_RETURN_IF_ERROR(CheckSize(in.app_state.size(), kAppStateBytesMax, "app_state"));
  if (in.initial_height >= 1) return Status::Ok();
  return Status::InvalidArgument("initial_height is 0; heights start at 1");
}

Status ValidateFinalizeBlockRequest(const FinalizeBlockRequest& in) {
  HOTBFT_RETURN_IF_ERROR(CheckTxs(in.txs, "txs"));
  return CheckCount(in.misbehaviour.size(), kMisbehaviourMax, "misbehaviour");
}

Status ValidateFinalizeBlockResult(const FinalizeBlockResult& in) {
  HOTBFT_RETURN_IF_ERROR(CheckCount(in.tx_results.size(), kTxsMax, "tx_results"));
  for (size_t i = 0; i < in.tx_results.size(); ++i) {
    HOTBFT_RETURN_IF_ERROR(ValidateTxResult(in.tx_results[i], Indexed("tx_results", i)));
  }
  HOTBFT_RETURN_IF_ERROR(ValidateEvents(in.events, "events"));
  return ValidateValidatorUpdates(in.validator_updates, "validator_updates");
}

Status ValidateQueryRequest(const QueryRequest& in) {
  HOTBFT_RETURN_IF_ERROR(CheckText(in.path, kQueryPathBytesMax, "path"));
  return CheckSize(in.data.size(), kQueryDataBytesMax, "data");
}

Status ValidateQueryResult(const QueryResult& in) {
  HOTBFT_RETURN_IF_ERROR(CheckSize(in.key.size(), kQueryDataBytesMax, "key"));
  HOTBFT_RETURN_IF_ERROR(CheckSize(in.value.size(), kQueryValueBytesMax, "value"));
  return CheckText(in.log, kLogBytesMax, "log");
}

// ---- Encode: C++ to protobuf, after validation ----

void EncodeEvent(const Event& in, wire::Event* out) {
  out->Clear();
  out->set_type(in.type);
  auto& attributes = *out->mutable_attributes();
  for (const auto& [key, value] : in.attributes) attributes[key] = value;
}

void EncodeEvents(const std::vector<Event>& in,
                  google::protobuf::RepeatedPtrField<wire::Event>* out) {
  out->Clear();
  for (const Event& event : in) EncodeEvent(event, out->Add());
}

void EncodeTxResult(const TxResult& in, wire::TxResult* out) {
  out->Clear();
  out->set_code(in.code);
  out->set_data(ToString(in.data));
  out->set_log(in.log);
  EncodeEvents(in.events, out->mutable_events());
}

void EncodeValidatorUpdate(const ValidatorUpdate& in, wire::ValidatorInfo* out) {
  out->set_public_key(ToString(in.public_key));
  out->set_power(in.power);
}

void EncodeValidatorUpdates(const std::vector<ValidatorUpdate>& in,
                            google::protobuf::RepeatedPtrField<wire::ValidatorInfo>* out) {
  out->Clear();
  for (const ValidatorUpdate& update : in) EncodeValidatorUpdate(update, out->Add());
}

// ---- Decode: protobuf to C++, before validation ----

Event DecodeEvent(const wire::Event& in) {
  Event out;
  out.type = in.type();
  out.attributes.assign(in.attributes().begin(), in.attributes().end());
  // A protobuf map has no order; sorting makes the decoded event deterministic.
  std::sort(out.attributes.begin(), out.attributes.end());
  return out;
}

std::vector<Event> DecodeEvents(const google::protobuf::RepeatedPtrField<wire::Event>& in) {
  std::vector<Event> out;
  out.reserve(static_cast<size_t>(in.size()));
  for (const wire::Event& event : in) out.push_back(DecodeEvent(event));
  return out;
}

TxResult DecodeTxResult(const wire::TxResult& in) {
  TxResult out;
  out.code = in.code();
  out.data = ToBytes(in.data());
  out.log = in.log();
  out.events = DecodeEvents(in.events());
  return out;
}

std::vector<ValidatorUpdate> DecodeValidatorUpdates(
    const google::protobuf::RepeatedPtrField<wire::ValidatorInfo>& in) {
  std::vector<ValidatorUpdate> out;
  out.reserve(static_cast<size_t>(in.size()));
  for (const wire::ValidatorInfo& info : in) {
    out.push_back(ValidatorUpdate{ToBytes(info.public_key()), info.power()});
  }
  return out;
}

Status DecodeMisbehaviour(const google::protobuf::RepeatedPtrField<wire::Evidence>& in,
                          std::vector<Evidence>* out) {
  HOTBFT_RETURN_IF_ERROR(
      CheckCount(static_cast<size_t>(in.size()), kMisbehaviourMax, "misbehaviour"));
  for (const wire::Evidence& evidence : in) {
    auto decoded = EvidenceFromProto(evidence);
    if (!decoded.ok()) return decoded.status().With(Indexed("misbehaviour", out->size()));
    out->push_back(std::move(decoded).value());
  }
  return Status::Ok();
}

// FromProto's last step: `value` if it passes `validate`, else why not.
template <typename T, typename Validate>
Result<T> Validated(T value, Validate validate) {
  HOTBFT_RETURN_IF_ERROR(validate(value));
  return value;
}

}  // namespace

// ---- ToProto ----

Status ToProto(const Event& in, wire::Event* out) {
  HOTBFT_RETURN_IF_ERROR(ValidateEvent(in, "event"));
  EncodeEvent(in, out);
  return Status::Ok();
}

Status ToProto(const TxResult& in, wire::TxResult* out) {
  HOTBFT_RETURN_IF_ERROR(ValidateTxResult(in, "tx_result"));
  EncodeTxResult(in, out);
  return Status::Ok();
}

Status ToProto(const ValidatorUpdate& in, wire::ValidatorInfo* out) {
  HOTBFT_RETURN_IF_ERROR(ValidateValidatorUpdate(in, "validator"));
  EncodeValidatorUpdate(in, out);
  return Status::Ok();
}

Status ToProto(const InfoResult& in, wire::InfoResponse* out) {
  HOTBFT_RETURN_IF_ERROR(ValidateInfoResult(in));
  out->set_app_name(in.app_name);
  out->set_app_version(in.app_version);
  out->set_last_height(in.last_height);
  out->set_last_app_hash(ToString(in.last_app_hash));
  out->set_check_tx_stateless(in.check_tx_stateless);
  return Status::Ok();
}

Status ToProto(const InitChainRequest& in, wire::InitChainRequest* out) {
  HOTBFT_RETURN_IF_ERROR(ValidateInitChainRequest(in));
  out->set_chain_id(in.chain_id);
  EncodeValidatorUpdates(in.validators, out->mutable_validators());
  out->set_app_state(ToString(in.app_state));
  out->set_initial_height(in.initial_height);
  return Status::Ok();
}

Status ToProto(const CheckTxResult& in, wire::CheckTxResponse* out) {
  HOTBFT_RETURN_IF_ERROR(CheckText(in.log, kLogBytesMax, "log"));
  out->set_code(in.code);
  out->set_log(in.log);
  out->set_priority(in.priority);
  return Status::Ok();
}

Status ToProto(const FinalizeBlockRequest& in, wire::FinalizeBlockRequest* out) {
  HOTBFT_RETURN_IF_ERROR(ValidateFinalizeBlockRequest(in));
  out->set_height(in.height);
  out->set_block_id(ToString(in.block_id.view()));
  out->set_timestamp_ms(in.timestamp_ms);
  out->set_proposer(in.proposer);
  EncodeTxs(in.txs, out->mutable_txs());
  out->clear_misbehaviour();
  for (const Evidence& evidence : in.misbehaviour) {
    EvidenceToProto(evidence, out->add_misbehaviour());
  }
  return Status::Ok();
}

Status ToProto(const FinalizeBlockResult& in, wire::FinalizeBlockResponse* out) {
  HOTBFT_RETURN_IF_ERROR(ValidateFinalizeBlockResult(in));
  out->clear_tx_results();
  for (const TxResult& result : in.tx_results) EncodeTxResult(result, out->add_tx_results());
  EncodeEvents(in.events, out->mutable_events());
  EncodeValidatorUpdates(in.validator_updates, out->mutable_validator_updates());
  return Status::Ok();
}

Status ToProto(const CommitResult& in, wire::CommitResponse* out) {
  HOTBFT_RETURN_IF_ERROR(CheckSize(in.app_hash.size(), kAppHashBytesMax, "app_hash"));
  out->set_app_hash(ToString(in.app_hash));
  out->set_retain_height(in.retain_height);
  return Status::Ok();
}

Status ToProto(const QueryRequest& in, wire::QueryRequest* out) {
  HOTBFT_RETURN_IF_ERROR(ValidateQueryRequest(in));
  out->set_path(in.path);
  out->set_data(ToString(in.data));
  out->set_height(in.height);
  return Status::Ok();
}

Status ToProto(const QueryResult& in, wire::QueryResponse* out) {
  HOTBFT_RETURN_IF_ERROR(ValidateQueryResult(in));
  out->set_code(in.code);
  out->set_key(ToString(in.key));
  out->set_value(ToString(in.value));
  out->set_height(in.height);
  out->set_log(in.log);
  return Status::Ok();
}

// ---- FromProto ----

Result<Event> FromProto(const wire::Event& in) {
  return Validated(DecodeEvent(in), [](const Event& e) { return ValidateEvent(e, "event"); });
}

Result<TxResult> FromProto(const wire::TxResult& in) {
  return Validated(DecodeTxResult(in),
                   [](const TxResult& r) { return ValidateTxResult(r, "tx_result"); });
}

Result<ValidatorUpdate> FromProto(const wire::ValidatorInfo& in) {
  return Validated(
      ValidatorUpdate{ToBytes(in.public_key()), in.power()},
      [](const ValidatorUpdate& u) { return ValidateValidatorUpdate(u, "validator"); });
}

Result<InfoResult> FromProto(const wire::InfoResponse& in) {
  InfoResult out{in.app_name(), in.app_version(), in.last_height(), ToBytes(in.last_app_hash()),
                 in.check_tx_stateless()};
  return Validated(std::move(out), ValidateInfoResult);
}

Result<InitChainRequest> FromProto(const wire::InitChainRequest& in) {
  HOTBFT_RETURN_IF_ERROR(
      CheckCount(static_cast<size_t>(in.validators_size()), kValidatorsMax, "validators"));
  InitChainRequest out;
  out.chain_id = in.chain_id();
  out.validators = DecodeValidatorUpdates(in.validators());
  out.app_state = ToBytes(in.app_state());
  out.initial_height = in.initial_height();
  return Validated(std::move(out), ValidateInitChainRequest);
}

Result<CheckTxResult> FromProto(const wire::CheckTxResponse& in) {
  HOTBFT_RETURN_IF_ERROR(CheckText(in.log(), kLogBytesMax, "log"));
  return CheckTxResult{in.code(), in.log(), in.priority()};
}

Result<FinalizeBlockRequest> FromProto(const wire::FinalizeBlockRequest& in) {
  FinalizeBlockRequest out;
  out.height = in.height();
  auto block_id = DecodeBlockId(in.block_id());
  if (!block_id.ok()) return block_id.status();
  out.block_id = *block_id;
  out.timestamp_ms = in.timestamp_ms();
  out.proposer = in.proposer();
  auto txs = DecodeTxs(in.txs(), "txs");
  if (!txs.ok()) return txs.status();
  out.txs = std::move(txs).value();
  HOTBFT_RETURN_IF_ERROR(DecodeMisbehaviour(in.misbehaviour(), &out.misbehaviour));
  return Validated(std::move(out), ValidateFinalizeBlockRequest);
}

Result<FinalizeBlockResult> FromProto(const wire::FinalizeBlockResponse& in) {
  HOTBFT_RETURN_IF_ERROR(
      CheckCount(static_cast<size_t>(in.tx_results_size()), kTxsMax, "tx_results"));
  FinalizeBlockResult out;
  out.tx_results.reserve(static_cast<size_t>(in.tx_results_size()));
  for (const wire::TxResult& result : in.tx_results()) {
    out.tx_results.push_back(DecodeTxResult(result));
  }
  out.events = DecodeEvents(in.events());
  out.validator_updates = DecodeValidatorUpdates(in.validator_updates());
  return Validated(std::move(out), ValidateFinalizeBlockResult);
}

Result<CommitResult> FromProto(const wire::CommitResponse& in) {
  HOTBFT_RETURN_IF_ERROR(CheckSize(in.app_hash().size(), kAppHashBytesMax, "app_hash"));
  return CommitResult{ToBytes(in.app_hash()), in.retain_height()};
}

Result<QueryRequest> FromProto(const wire::QueryRequest& in) {
  return Validated(QueryRequest{in.path(), ToBytes(in.data()), in.height()}, ValidateQueryRequest);
}

Result<QueryResult> FromProto(const wire::QueryResponse& in) {
  QueryResult out{in.code(), ToBytes(in.key()), ToBytes(in.value()), in.height(), in.log()};
  return Validated(std::move(out), ValidateQueryResult);
}

std::string_view MethodName(const wire::AppRequest& request) {
  switch (request.req_case()) {
    case wire::AppRequest::kInfo: return "Info";
    case wire::AppRequest::kInitChain: return "InitChain";
    case wire::AppRequest::kCheckTx: return "CheckTx";
    case wire::AppRequest::kPrepareProposal: return "PrepareProposal";
    case wire::AppRequest::kProcessProposal: return "ProcessProposal";
    case wire::AppRequest::kFinalizeBlock: return "FinalizeBlock";
    case wire::AppRequest::kCommit: return "Commit";
    case wire::AppRequest::kQuery: return "Query";
    case wire::AppRequest::REQ_NOT_SET: break;
  }
  return "none";
}

}  // namespace hotbft::app
