// The codec (app/codec.h): every request and response kind through the wire and back,
// HandleRequest's errors, and ProtoClientApplication's checks of what comes back.
#include "app/codec.h"

#include <gtest/gtest.h>

#include <optional>

#include "app/evidence_codec.h"
#include "app/limits.h"
#include "tests/app/app_test_util.h"

namespace hotbft::app {
namespace {

using testing::Block;
using testing::Filled;
using testing::MakeDoubleProposal;
using testing::MakeDoubleVote;
using testing::Tx;

// An app that records what it was asked and answers what the test set. Any method can be
// made to fail with `error`.
class ScriptedApp : public Application {
 public:
  std::optional<Status> error;
  InfoResult info;
  Bytes init_chain_hash;
  CheckTxResult check_tx;
  std::vector<Bytes> prepared;
  bool accept = true;
  FinalizeBlockResult finalized;
  CommitResult committed;
  QueryResult queried;

  std::optional<InitChainRequest> seen_init_chain;
  std::optional<std::pair<Bytes, CheckTxKind>> seen_check_tx;
  std::optional<std::tuple<Height, std::vector<Bytes>, uint64_t>> seen_prepare;
  std::optional<std::tuple<Height, Hash32, std::vector<Bytes>>> seen_process;
  std::optional<FinalizeBlockRequest> seen_finalize;
  std::optional<QueryRequest> seen_query;

  Result<InfoResult> Info() override {
    if (error) return *error;
    return info;
  }
  Result<Bytes> InitChain(const InitChainRequest& request) override {
    seen_init_chain = request;
    if (error) return *error;
    return init_chain_hash;
  }
  Result<CheckTxResult> CheckTx(ByteView tx, CheckTxKind kind) override {
    seen_check_tx.emplace(Bytes(tx.begin(), tx.end()), kind);
    if (error) return *error;
    return check_tx;
  }
  Result<std::vector<Bytes>> PrepareProposal(Height height, std::vector<Bytes> txs,
                                             uint64_t bytes_max) override {
    seen_prepare.emplace(height, std::move(txs), bytes_max);
    if (error) return *error;
    return prepared;
  }
  Result<bool> ProcessProposal(Height height, const Hash32& block_id,
                               const std::vector<Bytes>& txs) override {
    seen_process.emplace(height, block_id, txs);
    if (error) return *error;
    return accept;
  }
  Result<FinalizeBlockResult> FinalizeBlock(const FinalizeBlockRequest& request) override {
    seen_finalize = request;
    if (error) return *error;
    return finalized;
  }
  Result<CommitResult> Commit() override {
    if (error) return *error;
    return committed;
  }
  Result<QueryResult> Query(const QueryRequest& request) override {
    seen_query = request;
    if (error) return *error;
    return queried;
  }
};

// Through serialized bytes both ways, as over a socket or the plugin ABI.
template <typename Message>
Message ThroughBytes(const Message& message) {
  std::string bytes;
  EXPECT_TRUE(message.SerializeToString(&bytes));
  Message parsed;
  EXPECT_TRUE(parsed.ParseFromString(bytes));
  return parsed;
}

// A client wired to a ScriptedApp through HandleRequest and serialized messages.
class CodecRoundTrip : public ::testing::Test {
 protected:
  CodecRoundTrip()
      : client_([this](const wire::AppRequest& request) -> Result<wire::AppResponse> {
          ++calls_;
          return ThroughBytes(HandleRequest(app_, ThroughBytes(request)));
        }) {}

  ScriptedApp app_;
  int calls_ = 0;
  ProtoClientApplication client_;
};

TEST_F(CodecRoundTrip, Info) {
  for (bool stateless : {false, true}) {
    app_.info = InfoResult{"scripted", "1.2.3", 42, Bytes(32, 0xAB), stateless};
    auto info = client_.Info();
    ASSERT_TRUE(info.ok()) << info.status().ToString();
    EXPECT_EQ(*info, app_.info);
  }
}

TEST_F(CodecRoundTrip, InitChain) {
  InitChainRequest request{"chain-7", {{Bytes(32, 1), 10}, {Bytes(32, 2), 0}}, Tx("genesis"), 7};
  app_.init_chain_hash = Bytes(32, 0x5A);
  auto hash = client_.InitChain(request);
  ASSERT_TRUE(hash.ok()) << hash.status().ToString();
  EXPECT_EQ(*hash, app_.init_chain_hash);
  ASSERT_TRUE(app_.seen_init_chain.has_value());
  EXPECT_EQ(*app_.seen_init_chain, request);
}

TEST_F(CodecRoundTrip, CheckTxBothKinds) {
  app_.check_tx = CheckTxResult{17, "not today", -5};
  const Bytes tx = {0x00, 0xFF, '=', 0x80};  // raw bytes travel as they are
  for (CheckTxKind kind : {CheckTxKind::kNew, CheckTxKind::kRecheck}) {
    auto result = client_.CheckTx(tx, kind);
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    EXPECT_EQ(*result, app_.check_tx);
    ASSERT_TRUE(app_.seen_check_tx.has_value());
    EXPECT_EQ(app_.seen_check_tx->first, tx);
    EXPECT_EQ(app_.seen_check_tx->second, kind);
  }
}

TEST_F(CodecRoundTrip, PrepareProposal) {
  app_.prepared = {Tx("b"), Tx("")};
  auto txs = client_.PrepareProposal(9, {Tx("a"), Tx("b"), Tx("")}, 100);
  ASSERT_TRUE(txs.ok()) << txs.status().ToString();
  EXPECT_EQ(*txs, app_.prepared);
  ASSERT_TRUE(app_.seen_prepare.has_value());
  EXPECT_EQ(
      *app_.seen_prepare,
      std::make_tuple(Height{9}, std::vector<Bytes>{Tx("a"), Tx("b"), Tx("")}, uint64_t{100}));
}

TEST_F(CodecRoundTrip, ProcessProposal) {
  for (bool accept : {true, false}) {
    app_.accept = accept;
    auto answer = client_.ProcessProposal(4, Filled<Hash32>(0x3C), {Tx("x")});
    ASSERT_TRUE(answer.ok()) << answer.status().ToString();
    EXPECT_EQ(*answer, accept);
  }
  ASSERT_TRUE(app_.seen_process.has_value());
  EXPECT_EQ(*app_.seen_process,
            std::make_tuple(Height{4}, Filled<Hash32>(0x3C), std::vector<Bytes>{Tx("x")}));
}

TEST_F(CodecRoundTrip, FinalizeBlockWithEvidenceEventsAndUpdates) {
  FinalizeBlockRequest request = Block(12, {Tx("a=1"), Tx("junk")});
  request.misbehaviour = {MakeDoubleVote(), MakeDoubleProposal(8)};
  app_.finalized.tx_results = {
      TxResult{0, Tx("out"), "", {Event{"kv", {{"key", "a"}, {"note", "é"}}}}},
      TxResult{3, {}, "malformed", {}}};
  app_.finalized.events = {Event{"block", {{"height", "12"}}}, Event{"empty", {}}};
  app_.finalized.validator_updates = {{Bytes(32, 9), 0}};

  auto result = client_.FinalizeBlock(request);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(*result, app_.finalized);

  ASSERT_TRUE(app_.seen_finalize.has_value());
  const FinalizeBlockRequest& seen = *app_.seen_finalize;
  EXPECT_EQ(seen.height, request.height);
  EXPECT_EQ(seen.block_id, request.block_id);
  EXPECT_EQ(seen.timestamp_ms, request.timestamp_ms);
  EXPECT_EQ(seen.proposer, request.proposer);
  EXPECT_EQ(seen.txs, request.txs);
  ASSERT_EQ(seen.misbehaviour.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    wire::Evidence sent;
    wire::Evidence got;
    EvidenceToProto(request.misbehaviour[i], &sent);
    EvidenceToProto(seen.misbehaviour[i], &got);
    EXPECT_EQ(got.SerializeAsString(), sent.SerializeAsString()) << "misbehaviour " << i;
  }
}

TEST_F(CodecRoundTrip, Commit) {
  app_.committed = CommitResult{Bytes(32, 0xC0), 77};
  auto result = client_.Commit();
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(*result, app_.committed);
}

TEST_F(CodecRoundTrip, Query) {
  const QueryRequest request{"/key", Tx("name"), 5};
  app_.queried = QueryResult{0, Tx("name"), Bytes{0, 1, 2}, 5, ""};
  auto result = client_.Query(request);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(*result, app_.queried);
  ASSERT_TRUE(app_.seen_query.has_value());
  EXPECT_EQ(*app_.seen_query, request);
}

TEST_F(CodecRoundTrip, EventAttributesArriveSortedByKey) {
  app_.finalized.tx_results = {TxResult{0, {}, "", {Event{"e", {{"z", "1"}, {"a", "2"}}}}}};
  auto result = client_.FinalizeBlock(Block(1, {Tx("t")}));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  const auto& attributes = result->tx_results[0].events[0].attributes;
  EXPECT_EQ(attributes, (std::vector<std::pair<std::string, std::string>>{{"a", "2"}, {"z", "1"}}));
}

// ---- HandleRequest: every failure becomes an `exception` ----

wire::AppResponse Handle(Application& app, const wire::AppRequest& request) {
  return ThroughBytes(HandleRequest(app, ThroughBytes(request)));
}

TEST(HandleRequest, EmptyRequestIsAnException) {
  ScriptedApp app;
  const wire::AppResponse response = Handle(app, wire::AppRequest());
  ASSERT_EQ(response.resp_case(), wire::AppResponse::kException);
  EXPECT_EQ(response.exception(), "InvalidArgument: the request names no method this app knows");
}

TEST(HandleRequest, AppErrorBecomesTheException) {
  ScriptedApp app;
  app.error = Status::IoError("disk on fire");
  wire::AppRequest request;
  request.mutable_commit();
  const wire::AppResponse response = Handle(app, request);
  ASSERT_EQ(response.resp_case(), wire::AppResponse::kException);
  EXPECT_EQ(response.exception(), "IoError: disk on fire");
}

TEST(HandleRequest, BadBlockIdIsRefusedBeforeTheApp) {
  ScriptedApp app;
  wire::AppRequest request;
  request.mutable_finalize_block()->set_height(1);
  request.mutable_finalize_block()->set_block_id("abc");
  const wire::AppResponse response = Handle(app, request);
  ASSERT_EQ(response.resp_case(), wire::AppResponse::kException);
  EXPECT_EQ(response.exception(), "InvalidArgument: request: block_id: expected 32 bytes, got 3");
  EXPECT_FALSE(app.seen_finalize.has_value());
}

TEST(HandleRequest, UnknownCheckTxKindIsRefused) {
  ScriptedApp app;
  wire::AppRequest request;
  request.mutable_check_tx()->set_tx("t");
  request.mutable_check_tx()->set_kind(static_cast<wire::CheckTxKind>(7));
  const wire::AppResponse response = Handle(app, request);
  ASSERT_EQ(response.resp_case(), wire::AppResponse::kException);
  EXPECT_EQ(response.exception(), "InvalidArgument: request: unknown CheckTx kind 7");
  EXPECT_FALSE(app.seen_check_tx.has_value());
}

TEST(HandleRequest, OversizedTxIsRefused) {
  ScriptedApp app;
  wire::AppRequest request;
  request.mutable_check_tx()->set_tx(std::string(kTxBytesMax + 1, 'x'));
  const wire::AppResponse response = Handle(app, request);
  ASSERT_EQ(response.resp_case(), wire::AppResponse::kException);
  EXPECT_EQ(response.exception(),
            "InvalidArgument: request: tx has 1048577 bytes; at most 1048576");
}

TEST(HandleRequest, InitialHeightZeroIsRefused) {
  ScriptedApp app;
  wire::AppRequest request;
  request.mutable_init_chain()->set_chain_id("c");
  const wire::AppResponse response = Handle(app, request);
  ASSERT_EQ(response.resp_case(), wire::AppResponse::kException);
  EXPECT_EQ(response.exception(),
            "InvalidArgument: request: initial_height is 0; heights start at 1");
}

TEST(HandleRequest, AnswerWithInvalidUtf8IsRefusedAndNamed) {
  ScriptedApp app;
  app.finalized.tx_results = {TxResult{}, TxResult{1, {}, "bad \xFF byte", {}}};
  wire::AppRequest request;
  ASSERT_TRUE(ToProto(Block(1, {Tx("a"), Tx("b")}), request.mutable_finalize_block()).ok());
  const wire::AppResponse response = Handle(app, request);
  ASSERT_EQ(response.resp_case(), wire::AppResponse::kException);
  EXPECT_EQ(response.exception(),
            "InvalidArgument: answer: tx_results[1].log is not valid UTF-8: \"bad \\xff byte\"");
}

TEST(HandleRequest, AnswerWithARepeatedAttributeKeyIsRefused) {
  ScriptedApp app;
  app.finalized.events = {Event{"e", {{"k", "1"}, {"k", "2"}}}};
  wire::AppRequest request;
  ASSERT_TRUE(ToProto(Block(1, {}), request.mutable_finalize_block()).ok());
  const wire::AppResponse response = Handle(app, request);
  ASSERT_EQ(response.resp_case(), wire::AppResponse::kException);
  EXPECT_EQ(response.exception(),
            "InvalidArgument: answer: events[0].attributes[1] repeats the key \"k\"");
}

TEST(HandleRequest, LongExceptionsAreCut) {
  ScriptedApp app;
  app.error = Status::Internal(std::string(2 * kExceptionBytesMax, 'e'));
  wire::AppRequest request;
  request.mutable_info();
  const wire::AppResponse response = Handle(app, request);
  ASSERT_EQ(response.resp_case(), wire::AppResponse::kException);
  EXPECT_EQ(response.exception().size(), kExceptionBytesMax);
  EXPECT_TRUE(response.exception().ends_with("..."));
}

// ---- ProtoClientApplication: what comes back is checked ----

// A client whose transport answers `response` (or `error`) whatever it is asked.
struct CannedClient {
  std::optional<Status> error;
  wire::AppResponse response;
  int calls = 0;
  ProtoClientApplication client{[this](const wire::AppRequest&) -> Result<wire::AppResponse> {
    ++calls;
    if (error) return *error;
    return response;
  }};
};

TEST(ProtoClient, ExceptionBecomesAnErrorNamingTheMethod) {
  CannedClient canned;
  canned.response.set_exception("IoError: disk on fire");
  auto result = canned.client.Commit();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), Status::Code::kInternal);
  EXPECT_EQ(result.status().message(), "Commit: the app failed: IoError: disk on fire");
}

TEST(ProtoClient, ResponseOfTheWrongKindIsAnError) {
  CannedClient canned;
  canned.response.mutable_commit();
  auto result = canned.client.Info();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message(), "Info: the app answered with a response of kind Commit");

  canned.response.Clear();
  auto empty = canned.client.Query(QueryRequest{});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().message(), "Query: the app answered with a response of kind empty");
}

TEST(ProtoClient, TransportErrorKeepsItsCode) {
  CannedClient canned;
  canned.error = Status::IoError("socket closed");
  auto result = canned.client.CheckTx(Tx("t"), CheckTxKind::kNew);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), Status::Code::kIoError);
  EXPECT_EQ(result.status().message(), "CheckTx: socket closed");
}

TEST(ProtoClient, OversizedAppHashIsRefused) {
  CannedClient canned;
  canned.response.mutable_commit()->set_app_hash(std::string(kAppHashBytesMax + 1, 'h'));
  auto result = canned.client.Commit();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message(), "Commit: response: app_hash has 65 bytes; at most 64");
}

TEST(ProtoClient, FinalizeBlockNeedsOneResultPerTransaction) {
  CannedClient canned;
  canned.response.mutable_finalize_block()->add_tx_results();
  auto result = canned.client.FinalizeBlock(Block(3, {Tx("a"), Tx("b")}));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message(),
            "FinalizeBlock: response: height 3: 1 results for 2 transactions");
}

TEST(ProtoClient, FinalizeBlockRefusesAReservedCode) {
  CannedClient canned;
  canned.response.mutable_finalize_block()->add_tx_results()->set_code(kCodeDuplicate);
  auto result = canned.client.FinalizeBlock(Block(3, {Tx("a")}));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message(),
            "FinalizeBlock: response: height 3: transaction 0 has result code 4294901761, "
            "which is reserved for the node");
}

TEST(ProtoClient, PrepareProposalMustStayWithinBytesMax) {
  CannedClient canned;
  canned.response.mutable_prepare_proposal()->add_txs("0123456789");
  auto result = canned.client.PrepareProposal(1, {}, 9);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message(),
            "PrepareProposal: response: the proposal's 1 transactions take 10 bytes; at most 9");
}

TEST(ProtoClient, RequestThatCannotBeEncodedIsNotSent) {
  CannedClient canned;
  auto result = canned.client.Query(QueryRequest{"/\xFF", {}, 0});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message(), "Query: request: path is not valid UTF-8: \"/\\xff\"");
  EXPECT_EQ(canned.calls, 0);
}

// ---- Conversions on their own ----

TEST(Codec, ValidatorKeyMustBe32Bytes) {
  wire::ValidatorInfo info;
  info.set_public_key(std::string(31, 'k'));
  auto decoded = FromProto(info);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().message(), "validator.public_key has 31 bytes; a key has 32");
}

TEST(Codec, TooManyTransactionsAreRefusedByCount) {
  wire::FinalizeBlockRequest request;
  request.set_block_id(std::string(32, 'i'));
  for (size_t i = 0; i <= kTxsMax; ++i) request.add_txs("t");
  auto decoded = FromProto(request);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().message(), "txs has 100001 entries; at most 100000");
}

TEST(Codec, MethodNames) {
  wire::AppRequest request;
  EXPECT_EQ(MethodName(request), "none");
  request.mutable_finalize_block();
  EXPECT_EQ(MethodName(request), "FinalizeBlock");
  request.mutable_query();
  EXPECT_EQ(MethodName(request), "Query");
}

}  // namespace
}  // namespace hotbft::app
