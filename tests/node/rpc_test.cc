// The HTTP RPC on loopback against a scripted backend: every route's result shape, over
// URI and JSON-RPC, and every kind of bad request answered with a JSON error and an HTTP
// status while the server goes on serving.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <mutex>

#include "app/application.h"
#include "node/client.h"
#include "node/rpc_json.h"
#include "node/rpc_server.h"
#include "tests/node/rpc_fake_backend.h"

namespace hotbft::node {
namespace {

using Json = nlohmann::json;
using testing::B;
using testing::FakeBackend;
using testing::WaitFor;

class RpcTest : public ::testing::Test {
 protected:
  void StartServer(RpcServerConfig config = {}) {
    config.listen = "127.0.0.1:0";
    server_ = std::make_unique<RpcServer>(config, backend_, &backend_.metrics());
    ASSERT_TRUE(server_->Start().ok());
    address_ = "127.0.0.1:" + std::to_string(server_->port());
  }
  void SetUp() override { StartServer(); }
  void Restart(RpcServerConfig config) {
    server_->Stop();
    StartServer(std::move(config));
  }

  std::unique_ptr<RpcClient> Client() {
    auto client = RpcClient::Connect(address_);
    EXPECT_TRUE(client.ok()) << client.status().ToString();
    return client.ok() ? std::move(*client) : nullptr;
  }
  // GET `target`: the HTTP status and the parsed body.
  std::pair<unsigned, Json> Get(const std::string& target) {
    auto reply = Client()->Get(target);
    EXPECT_TRUE(reply.ok()) << reply.status().ToString();
    if (!reply.ok()) return {0, nullptr};
    Json body = Json::parse(reply->body, nullptr, false);
    EXPECT_FALSE(body.is_discarded()) << reply->body;
    return {reply->status, body};
  }
  std::pair<unsigned, Json> PostJson(const std::string& body) {
    auto reply = Client()->Post("/", body);
    EXPECT_TRUE(reply.ok()) << reply.status().ToString();
    if (!reply.ok()) return {0, nullptr};
    Json parsed = Json::parse(reply->body, nullptr, false);
    EXPECT_FALSE(parsed.is_discarded()) << reply->body;
    return {reply->status, parsed};
  }
  // A GET that must succeed: its result.
  Json Result(const std::string& target) {
    auto [status, body] = Get(target);
    EXPECT_EQ(status, 200u) << target << ": " << body.dump();
    EXPECT_EQ(body["jsonrpc"], "2.0");
    EXPECT_EQ(body["id"], -1);
    return body["result"];
  }
  // A GET that must fail with `http_status` and JSON-RPC `code`: the error's data.
  std::string Error(const std::string& target, unsigned http_status, int code) {
    auto [status, body] = Get(target);
    EXPECT_EQ(status, http_status) << target << ": " << body.dump();
    EXPECT_TRUE(body.contains("error")) << body.dump();
    EXPECT_FALSE(body.contains("result")) << body.dump();
    EXPECT_EQ(body["error"]["code"], code) << body.dump();
    EXPECT_TRUE(body["error"]["message"].is_string());
    return body["error"].value("data", std::string());
  }

  FakeBackend backend_;
  std::unique_ptr<RpcServer> server_;
  std::string address_;
};

// Raw bytes to the server, then everything it answers until it closes or `until` appears.
std::string RawExchange(uint16_t port, const std::string& request, bool until_close = true) {
  namespace asio = boost::asio;
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  socket.connect({asio::ip::make_address("127.0.0.1"), port});
  boost::system::error_code ec;
  asio::write(socket, asio::buffer(request), ec);
  std::string out;
  std::array<char, 4096> buffer;
  while (true) {
    const size_t n = socket.read_some(asio::buffer(buffer), ec);
    out.append(buffer.data(), n);
    if (ec) break;
    if (!until_close && out.find("\r\n\r\n") != std::string::npos) break;
  }
  return out;
}

// ---- Routes ----

TEST_F(RpcTest, HealthIsAnEmptyObjectAnd503WhenHalted) {
  EXPECT_EQ(Result("/health"), Json::object());
  backend_.SetHalted(Status::Corruption("execution diverged at height 5"));
  const std::string data = Error("/health", 503, -32004);
  EXPECT_NE(data.find("execution diverged at height 5"), std::string::npos) << data;
}

TEST_F(RpcTest, StatusShape) {
  backend_.Execute({B("a")});
  const Json r = Result("/status");
  EXPECT_EQ(r["node_info"]["moniker"], "fake");
  EXPECT_EQ(r["node_info"]["network"], "test-chain");
  EXPECT_EQ(r["node_info"]["validator_index"], 2);
  EXPECT_EQ(r["node_info"]["public_key"], ToHex(Bytes(32, 0xab)));
  EXPECT_EQ(r["sync_info"]["latest_block_height"], "1");
  EXPECT_EQ(r["sync_info"]["executed_height"], "1");
  EXPECT_EQ(r["sync_info"]["latest_block_hash"], Sha256(B("block 1")).hex());
  EXPECT_EQ(r["sync_info"]["latest_app_hash"], ToHex(Bytes(32, 1)));
  EXPECT_EQ(r["sync_info"]["latest_block_time"], "2023-11-14T22:13:20.124Z");
  EXPECT_EQ(r["sync_info"]["catching_up"], false);
  EXPECT_EQ(r["consensus"]["can_sign"], true);
  EXPECT_TRUE(r["consensus"]["halted"].is_null());
  EXPECT_TRUE(r["consensus"]["execution_error"].is_null());
  EXPECT_EQ(r["peers"]["connected"], 3);
  EXPECT_TRUE(r["mempool"]["txs"].is_string());
}

TEST_F(RpcTest, BlockByHeightTheLatestAndErrors) {
  backend_.Execute({B("tx-1"), B("tx-2")});
  backend_.Execute({});
  Json r = Result("/block?height=1");
  EXPECT_EQ(r["block_id"], Sha256(B("block 1")).hex());
  EXPECT_EQ(r["block"]["header"]["height"], "1");
  EXPECT_EQ(r["block"]["header"]["round"], "2");
  EXPECT_EQ(r["block"]["header"]["proposer"], 1);
  EXPECT_EQ(r["block"]["header"]["time"], "2023-11-14T22:13:20.124Z");
  EXPECT_EQ(r["block"]["data"]["txs"],
            Json::array({rpc::Base64Encode(B("tx-1")), rpc::Base64Encode(B("tx-2"))}));
  EXPECT_EQ(r["block"]["justify"]["signers"], "00");
  EXPECT_EQ(Result("/block")["block"]["header"]["height"], "2");  // no height: the latest
  EXPECT_EQ(Result("/block?height=\"1\"")["block"]["header"]["height"], "1");
  EXPECT_EQ(Result("/block?height=0")["block"]["header"]["height"], "0");  // genesis

  EXPECT_NE(Error("/block?height=3", 404, -32001).find("above the committed height 2"),
            std::string::npos);
  EXPECT_NE(Error("/block?height=abc", 400, -32602).find("parameter 'height'"), std::string::npos);
  EXPECT_NE(Error("/block?height=-1", 400, -32602).find("parameter 'height'"), std::string::npos);
  backend_.Prune(2);
  EXPECT_NE(Error("/block?height=1", 404, -32001).find("pruned"), std::string::npos);
}

TEST_F(RpcTest, EvidencePendingAndCommitted) {
  const Bytes piece_a = B("piece a");
  const Bytes piece_b = B("piece b");
  backend_.evidence.pending.push_back(
      EvidenceRecord{EvidenceKey{EvidenceKind::kDoubleProposal, 2, 0, 9}, std::nullopt, piece_a});
  backend_.evidence.committed.push_back(
      EvidenceRecord{EvidenceKey{EvidenceKind::kDoubleVote, 3, 0, 4}, 7, piece_b});
  Json r = Result("/evidence");
  EXPECT_EQ(r["n_pending"], "1");
  EXPECT_EQ(r["pending"][0], (Json{{"type", "double_proposal"},
                                   {"validator", 2},
                                   {"epoch", "0"},
                                   {"round", "9"},
                                   {"hash", Sha256(piece_a).hex()},
                                   {"evidence", rpc::Base64Encode(piece_a)}}));
  EXPECT_EQ(r["n_committed"], "1");
  EXPECT_EQ(r["committed"][0]["type"], "double_vote");
  EXPECT_EQ(r["committed"][0]["validator"], 3);
  EXPECT_EQ(r["committed"][0]["round"], "4");
  EXPECT_EQ(r["committed"][0]["height"], "7");
  EXPECT_EQ(Result("/evidence?round_min=5")["n_committed"], "0");
  EXPECT_NE(Error("/evidence?limit=0", 400, -32602).find("limit"), std::string::npos);
  EXPECT_NE(Error("/evidence?limit=1001", 400, -32602).find("limit"), std::string::npos);
}

TEST_F(RpcTest, TxExecutedCommittedButNotExecutedAndUnknown) {
  backend_.Execute({B("first"), B("second")}, 7);
  const std::string hash = Sha256(B("second")).hex();
  Json r = Result("/tx?hash=" + hash);
  EXPECT_EQ(r["hash"], hash);
  EXPECT_EQ(r["height"], "1");
  EXPECT_EQ(r["index"], 1);
  EXPECT_EQ(r["executed"], true);
  EXPECT_EQ(r["tx"], rpc::Base64Encode(B("second")));
  EXPECT_EQ(r["tx_result"]["code"], 7);
  EXPECT_EQ(r["tx_result"]["log"], "executed at 1");
  EXPECT_EQ(r["tx_result"]["data"], rpc::Base64Encode(B("data")));
  EXPECT_EQ(r["tx_result"]["events"][0]["type"], "transfer");
  EXPECT_EQ(r["tx_result"]["events"][0]["attributes"][1]["key"], "to");
  // Upper case and a 0x prefix are the same hash.
  std::string upper = hash;
  for (char& c : upper) c = static_cast<char>(std::toupper(c));
  EXPECT_EQ(Result("/tx?hash=0x" + upper)["index"], 1);

  // Its record was written ahead of execution: committed, result not final.
  backend_.CommitOnly({B("pending")});
  r = Result("/tx?hash=" + Sha256(B("pending")).hex());
  EXPECT_EQ(r["height"], "2");
  EXPECT_EQ(r["executed"], false);
  EXPECT_TRUE(r["tx_result"].is_null());

  EXPECT_NE(Error("/tx?hash=" + Sha256(B("nope")).hex(), 404, -32001).find("not committed"),
            std::string::npos);
  EXPECT_NE(Error("/tx?hash=zz", 400, -32602).find("bad hex"), std::string::npos);
  EXPECT_NE(Error("/tx?hash=abcd", 400, -32602).find("32 bytes"), std::string::npos);
  EXPECT_NE(Error("/tx", 400, -32602).find("missing parameter 'hash'"), std::string::npos);
}

TEST_F(RpcTest, AbciQueryPassesPathDataAndHeightAndReportsAnAppThatCannotAnswer) {
  std::mutex mutex;
  app::QueryRequest seen_by_app;
  const auto seen = [&] {
    std::lock_guard lock(mutex);
    return seen_by_app;
  };
  backend_.SetQuery([&](const app::QueryRequest& q) -> hotbft::Result<app::QueryResult> {
    std::lock_guard lock(mutex);
    seen_by_app = q;
    app::QueryResult r;
    r.code = 0;
    r.key = q.data;
    r.value = B("bar");
    r.height = 9;
    r.log = "exists";
    return r;
  });
  Json r = Result("/abci_query?path=%22/store%22&data=0x666f6f&height=9");
  EXPECT_EQ(seen().path, "/store");
  EXPECT_EQ(seen().data, B("foo"));
  EXPECT_EQ(seen().height, 9u);
  EXPECT_EQ(r["response"]["code"], 0);
  EXPECT_EQ(r["response"]["key"], rpc::Base64Encode(B("foo")));
  EXPECT_EQ(r["response"]["value"], rpc::Base64Encode(B("bar")));
  EXPECT_EQ(r["response"]["height"], "9");
  EXPECT_EQ(r["response"]["log"], "exists");
  // Unquoted path, quoted data, no height.
  Result("/abci_query?path=/store&data=%22foo%22");
  EXPECT_EQ(seen().path, "/store");
  EXPECT_EQ(seen().data, B("foo"));
  EXPECT_EQ(seen().height, 0u);

  EXPECT_NE(Error("/abci_query?data=0xzz", 400, -32602).find("parameter 'data'"),
            std::string::npos);
  backend_.SetQuery([](const app::QueryRequest&) -> hotbft::Result<app::QueryResult> {
    return Status::IoError("app at unix:/tmp/app.sock: connect: Connection refused");
  });
  EXPECT_NE(Error("/abci_query?path=x", 503, -32004).find("Connection refused"), std::string::npos);
}

TEST_F(RpcTest, BroadcastTxSyncAcceptsHexWithAndWithoutPrefixAndQuotedStrings) {
  for (const std::string arg : {"0x616263", "616263", "0X616263", "%22abc%22"}) {
    backend_.Script(B("abc"), mempool::AddOutcome::kAdded);
    Json r = Result("/broadcast_tx_sync?tx=" + arg);
    EXPECT_EQ(r["code"], 0);
    EXPECT_EQ(r["hash"], Sha256(B("abc")).hex());
    EXPECT_EQ(r["outcome"], "added");
    EXPECT_EQ(r["log"], "");
    EXPECT_EQ(backend_.submitted().back(), B("abc")) << arg;
  }
  const auto senders = backend_.senders();
  EXPECT_EQ(senders.back().kind, mempool::Sender::Kind::kClient);
  EXPECT_GE(senders.back().id, kHttpSenderIdBase);
}

TEST_F(RpcTest, BroadcastTxSyncReportsTheAppsVerdictAndTheMempoolsRefusals) {
  backend_.Script(B("bad"), mempool::AddOutcome::kRejected, 17, "insufficient funds");
  Json r = Result("/broadcast_tx_sync?tx=0x" + ToHex(B("bad")));
  EXPECT_EQ(r["code"], 17);
  EXPECT_EQ(r["log"], "insufficient funds");
  EXPECT_EQ(r["outcome"], "rejected");

  const std::string full =
      "mempool full: 100000 transactions (limit 100000), 5 + 3 bytes (limit 268435456); "
      "retry after the next blocks commit";
  backend_.Script(B("full"), mempool::AddOutcome::kFull, 0, full);
  auto [status, body] = Get("/broadcast_tx_sync?tx=0x" + ToHex(B("full")));
  EXPECT_EQ(status, 503u);
  EXPECT_EQ(body["error"]["code"], -32002);
  EXPECT_EQ(body["error"]["message"], "Transaction refused: full");
  EXPECT_EQ(body["error"]["data"], full);  // the mempool's message, as it is

  backend_.Script(B("dup"), mempool::AddOutcome::kInPool, 0, "already in the mempool");
  EXPECT_EQ(Error("/broadcast_tx_sync?tx=0x" + ToHex(B("dup")), 409, -32002),
            "already in the mempool");
  backend_.Script(B("big"), mempool::AddOutcome::kTooLarge, 0, "2000000 bytes, limit 1048576");
  Error("/broadcast_tx_sync?tx=0x" + ToHex(B("big")), 413, -32002);
  backend_.Script(B("down"), mempool::AddOutcome::kAppError, 0, "CheckTx failed");
  Error("/broadcast_tx_sync?tx=0x" + ToHex(B("down")), 503, -32002);
}

TEST_F(RpcTest, BroadcastParameterErrors) {
  for (const std::string route :
       {"broadcast_tx_async", "broadcast_tx_sync", "broadcast_tx_commit"}) {
    EXPECT_NE(Error("/" + route, 400, -32602).find("missing parameter 'tx'"), std::string::npos);
    EXPECT_NE(Error("/" + route + "?tx=0xabc", 400, -32602).find("odd length"), std::string::npos);
    EXPECT_NE(Error("/" + route + "?tx=0xzz", 400, -32602).find("bad hex"), std::string::npos);
    EXPECT_NE(Error("/" + route + "?tx=0x", 400, -32602).find("empty"), std::string::npos);
    EXPECT_NE(Error("/" + route + "?tx=%zz", 400, -32600).find("percent"), std::string::npos);
  }
  EXPECT_TRUE(backend_.submitted().empty());
}

TEST_F(RpcTest, BroadcastTxAsyncAnswersAtOnceWithTheHash) {
  backend_.HoldAdmissions(true);  // admission never answers before the reply
  Json r = Result("/broadcast_tx_async?tx=0x" + ToHex(B("async")));
  EXPECT_EQ(r["code"], 0);
  EXPECT_EQ(r["hash"], Sha256(B("async")).hex());
  EXPECT_FALSE(r.contains("outcome"));  // admission has not answered
  EXPECT_EQ(backend_.submitted().back(), B("async"));
  backend_.ReleaseAdmissions();
}

TEST_F(RpcTest, BroadcastTxCommitWaitsForTheExecution) {
  backend_.AutoExecute(true);
  backend_.AnswerOnThread(true);
  backend_.Execute({B("earlier")});
  Json r = Result("/broadcast_tx_commit?tx=0x" + ToHex(B("pay")));
  EXPECT_EQ(r["check_tx"]["code"], 0);
  EXPECT_EQ(r["check_tx"]["outcome"], "added");
  EXPECT_EQ(r["hash"], Sha256(B("pay")).hex());
  EXPECT_EQ(r["height"], "2");
  EXPECT_EQ(r["index"], 0);
  EXPECT_EQ(r["tx_result"]["code"], 0);
  EXPECT_EQ(r["tx_result"]["log"], "executed at 2");
  EXPECT_EQ(backend_.waiters().size(), 0u);  // the watch is gone
}

TEST_F(RpcTest, BroadcastTxCommitOfATransactionCommittedBeforeAnswersFromTheIndex) {
  backend_.Execute({B("x"), B("old")}, 3);
  backend_.Script(B("old"), mempool::AddOutcome::kCommitted, 0, "already committed");
  Json r = Result("/broadcast_tx_commit?tx=0x" + ToHex(B("old")));
  EXPECT_EQ(r["check_tx"]["outcome"], "committed");
  EXPECT_EQ(r["height"], "1");
  EXPECT_EQ(r["index"], 1);
  EXPECT_EQ(r["tx_result"]["code"], 3);
  EXPECT_EQ(backend_.waiters().size(), 0u);
}

TEST_F(RpcTest, BroadcastTxCommitOfARejectedTransactionHasNoExecution) {
  backend_.Script(B("bad"), mempool::AddOutcome::kRejected, 5, "bad nonce");
  Json r = Result("/broadcast_tx_commit?tx=0x" + ToHex(B("bad")));
  EXPECT_EQ(r["check_tx"]["code"], 5);
  EXPECT_EQ(r["check_tx"]["log"], "bad nonce");
  EXPECT_TRUE(r["tx_result"].is_null());
  EXPECT_EQ(r["height"], "0");
  EXPECT_EQ(backend_.waiters().size(), 0u);
}

TEST_F(RpcTest, BroadcastTxCommitTimesOut) {
  RpcServerConfig config;
  config.commit_timeout_ms = 100;
  Restart(config);
  const std::string hash = Sha256(B("never")).hex();
  const std::string data = Error("/broadcast_tx_commit?tx=0x" + ToHex(B("never")), 504, -32003);
  EXPECT_NE(data.find("was not executed within 100 ms"), std::string::npos) << data;
  EXPECT_NE(data.find("/tx?hash=" + hash), std::string::npos) << data;
  EXPECT_EQ(backend_.waiters().size(), 0u);
  // The connection and the server go on.
  EXPECT_EQ(Result("/health"), Json::object());
}

TEST_F(RpcTest, AdmissionThatNeverAnswersTimesOut) {
  RpcServerConfig config;
  config.call_timeout_ms = 100;
  Restart(config);
  backend_.HoldAdmissions(true);
  const std::string data = Error("/broadcast_tx_sync?tx=0x01", 504, -32003);
  EXPECT_NE(data.find("no admission result within 100 ms"), std::string::npos) << data;
  backend_.ReleaseAdmissions();  // a late answer is ignored
  EXPECT_EQ(Result("/health"), Json::object());
}

TEST_F(RpcTest, MetricsRouteServesPrometheusText) {
  backend_.metrics().height.Set(12);
  auto reply = Client()->Get("/metrics");
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->status, 200u);
  EXPECT_EQ(reply->content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(reply->body.find("# TYPE hotbft_height gauge\nhotbft_height 12\n"), std::string::npos);
  // The server's own counters are there too.
  EXPECT_NE(reply->body.find("hotbft_rpc_requests_total "), std::string::npos);
}

TEST_F(RpcTest, TheRootListsTheRoutes) {
  const Json routes = Result("/")["routes"];
  EXPECT_NE(std::find(routes.begin(), routes.end(), "/broadcast_tx_commit?tx=_"), routes.end());
  EXPECT_NE(std::find(routes.begin(), routes.end(), "/abci_query?path=_&data=_&height=_"),
            routes.end());
}

// ---- JSON-RPC ----

TEST_F(RpcTest, JsonRpcCallsWithNamedAndPositionalParams) {
  backend_.Execute({B("t")});
  auto [status, body] =
      PostJson(R"({"jsonrpc":"2.0","id":"abc","method":"broadcast_tx_sync","params":{"tx":")" +
               rpc::Base64Encode(B("hello")) + R"("}})");
  EXPECT_EQ(status, 200u);
  EXPECT_EQ(body["id"], "abc");
  EXPECT_EQ(body["result"]["hash"], Sha256(B("hello")).hex());
  EXPECT_EQ(backend_.submitted().back(), B("hello"));

  std::tie(status, body) = PostJson(R"({"jsonrpc":"2.0","id":7,"method":"block","params":["1"]})");
  EXPECT_EQ(status, 200u);
  EXPECT_EQ(body["id"], 7);
  EXPECT_EQ(body["result"]["block"]["header"]["height"], "1");
  std::tie(status, body) =
      PostJson(R"({"jsonrpc":"2.0","id":8,"method":"block","params":{"height":1}})");
  EXPECT_EQ(body["result"]["block"]["header"]["height"], "1");

  // A hash in base64 (Go's []byte) or hex; data in hex.
  const Hash32 h = Sha256(B("t"));
  std::tie(status, body) = PostJson(R"({"jsonrpc":"2.0","id":1,"method":"tx","params":{"hash":")" +
                                    rpc::Base64Encode(h.view()) + R"("}})");
  EXPECT_EQ(body["result"]["hash"], h.hex());
  std::tie(status, body) = PostJson(
      R"({"jsonrpc":"2.0","id":1,"method":"abci_query","params":{"path":"/p","data":"0x6b"}})");
  EXPECT_EQ(body["result"]["response"]["key"], rpc::Base64Encode(B("k")));

  // The client library speaks the same.
  auto client = Client();
  auto committed = client->Tx(h);
  ASSERT_TRUE(committed.ok()) << committed.status().ToString();
  EXPECT_EQ((*committed)["height"], "1");
  auto metrics = client->Call("metrics");
  ASSERT_TRUE(metrics.ok());
  EXPECT_TRUE(metrics->is_string());
}

TEST_F(RpcTest, JsonRpcBatch) {
  auto [status, body] =
      PostJson(R"([{"jsonrpc":"2.0","id":1,"method":"health"},)"
               R"({"jsonrpc":"2.0","id":2,"method":"nope"},)"
               R"({"jsonrpc":"2.0","id":3,"method":"broadcast_tx_sync","params":{"tx":"AQI="}}])");
  EXPECT_EQ(status, 200u);
  ASSERT_TRUE(body.is_array());
  ASSERT_EQ(body.size(), 3u);
  EXPECT_EQ(body[0]["id"], 1);
  EXPECT_EQ(body[0]["result"], Json::object());
  EXPECT_EQ(body[1]["error"]["code"], -32601);
  EXPECT_EQ(body[2]["result"]["hash"], Sha256(Bytes{1, 2}).hex());

  std::tie(status, body) = PostJson("[]");
  EXPECT_EQ(status, 400u);
  EXPECT_EQ(body["error"]["code"], -32600);
}

TEST_F(RpcTest, JsonRpcErrors) {
  struct Case {
    std::string body;
    unsigned status;
    int code;
    std::string data_has;
  };
  const std::vector<Case> cases = {
      {"{not json", 400, -32700, "not valid JSON"},
      {R"("a string")", 400, -32600, "JSON object"},
      {R"({"jsonrpc":"2.0","method":"health"})", 400, -32600, "needs an id"},
      {R"({"jsonrpc":"1.0","id":1,"method":"health"})", 400, -32600, "\"2.0\""},
      {R"({"jsonrpc":"2.0","id":1})", 400, -32600, "\"method\""},
      {R"({"jsonrpc":"2.0","id":1,"method":"nope"})", 404, -32601, "unknown method 'nope'"},
      {R"({"jsonrpc":"2.0","id":1,"method":"block","params":[1,2]})", 400, -32602, "at most 1"},
      {R"({"jsonrpc":"2.0","id":1,"method":"block","params":"x"})", 400, -32602,
       "object or an array"},
      {R"({"jsonrpc":"2.0","id":1,"method":"block","params":{"height":-5}})", 400, -32602,
       "parameter 'height'"},
      {R"({"jsonrpc":"2.0","id":1,"method":"broadcast_tx_sync","params":{"tx":"not base64!"}})",
       400, -32602, "bad base64"},
      {R"({"jsonrpc":"2.0","id":1,"method":"broadcast_tx_sync","params":{"tx":5}})", 400, -32602,
       "expected a string"},
      {R"({"jsonrpc":"2.0","id":1,"method":"tx","params":{"hash":"00"}})", 400, -32602, "32 bytes"},
  };
  for (const Case& c : cases) {
    auto [status, body] = PostJson(c.body);
    EXPECT_EQ(status, c.status) << c.body << " -> " << body.dump();
    EXPECT_EQ(body["jsonrpc"], "2.0");
    EXPECT_EQ(body["error"]["code"], c.code) << c.body << " -> " << body.dump();
    EXPECT_NE(body["error"].value("data", std::string()).find(c.data_has), std::string::npos)
        << c.body << " -> " << body.dump();
  }
  // The client maps error codes to Status codes.
  auto client = Client();
  EXPECT_EQ(client->Call("nope").status().code(), Status::Code::kNotFound);
  EXPECT_EQ(client->Tx(Sha256(B("missing"))).status().code(), Status::Code::kNotFound);
  backend_.Script(B("full"), mempool::AddOutcome::kFull, 0, "mempool full");
  auto refused = client->BroadcastTxSync(B("full"));
  EXPECT_EQ(refused.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("mempool full"), std::string::npos);
}

// ---- HTTP errors and limits ----

TEST_F(RpcTest, TheAdminMethodIsOffByDefault) {
  EXPECT_NE(Error("/unsafe_faults?drop=0.5", 404, -32601).find("set [rpc] admin = true"),
            std::string::npos);
  EXPECT_FALSE(backend_.Faults(std::nullopt)->enabled);
  // Nor does the route list name it.
  EXPECT_EQ(Result("/")["routes"].dump().find("unsafe"), std::string::npos);
}

TEST_F(RpcTest, TheAdminMethodChangesOnlyWhatItNames) {
  RpcServerConfig config;
  config.admin = true;
  Restart(config);
  Json read = Result("/unsafe_faults");
  EXPECT_EQ(read["enabled"], false);
  Json set = Result("/unsafe_faults?partition=\"1,3\"&delay_min_ms=5&delay_max_ms=20");
  EXPECT_EQ(set["enabled"], true);
  EXPECT_EQ(set["partition"], Json::array({1, 3}));
  EXPECT_EQ(set["delay_max_ms"], 20);
  Json drop = Result("/unsafe_faults?drop=\"0.25\"");
  EXPECT_EQ(drop["drop"], 0.25);
  EXPECT_EQ(drop["partition"], Json::array({1, 3}));  // kept
  Json healed = Result("/unsafe_faults?partition=\"\"&enabled=\"false\"");
  EXPECT_EQ(healed["partition"], Json::array());
  EXPECT_EQ(healed["enabled"], false);
  EXPECT_NE(Error("/unsafe_faults?drop=\"2\"", 400, -32602).find("drop"), std::string::npos);
  EXPECT_NE(Error("/unsafe_faults?partition=\"1,x\"", 400, -32602).find("partition"),
            std::string::npos);
  EXPECT_NE(Error("/unsafe_faults?enabled=\"maybe\"", 400, -32602).find("enabled"),
            std::string::npos);
  EXPECT_EQ(backend_.Faults(std::nullopt)->drop_probability, 0.25);
}

TEST_F(RpcTest, UnknownRoutesAndMethodsAreRefused) {
  EXPECT_NE(Error("/nope", 404, -32601).find("unknown route '/nope'; routes: /health"),
            std::string::npos);
  auto client = Client();
  auto post = client->Post("/status", "{}");
  ASSERT_TRUE(post.ok());
  EXPECT_EQ(post->status, 405u);
  EXPECT_NE(post->body.find("a GET route"), std::string::npos);
  const std::string put =
      RawExchange(server_->port(), "PUT /status HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
                  /*until_close=*/false);
  EXPECT_TRUE(put.starts_with("HTTP/1.1 405")) << put;
  const std::string garbage = RawExchange(server_->port(), "NOT HTTP AT ALL\r\n\r\n");
  EXPECT_TRUE(garbage.starts_with("HTTP/1.1 400")) << garbage;
  EXPECT_NE(garbage.find("malformed HTTP request"), std::string::npos) << garbage;
  EXPECT_EQ(Result("/health"), Json::object());
}

TEST_F(RpcTest, OversizedRequestsGet413AndTheServerGoesOn) {
  RpcServerConfig config;
  config.request_bytes_max = 4096;
  Restart(config);
  // A body announced over the limit is refused from its header.
  const std::string body = RawExchange(server_->port(),
                                       "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: "
                                       "application/json\r\nContent-Length: 100000\r\n\r\n");
  EXPECT_TRUE(body.starts_with("HTTP/1.1 413")) << body;
  EXPECT_NE(body.find("\"code\":-32600"), std::string::npos) << body;
  EXPECT_NE(body.find("exceeds 4096 bytes"), std::string::npos) << body;
  // A target over the limit (a URI call's arguments are in it).
  auto client = Client();
  auto big = client->Get("/broadcast_tx_sync?tx=0x" + std::string(10'000, 'a'));
  ASSERT_TRUE(big.ok()) << big.status().ToString();
  EXPECT_EQ(big->status, 413u);
  EXPECT_EQ(Result("/health"), Json::object());
  EXPECT_TRUE(backend_.submitted().empty());
}

TEST_F(RpcTest, KeepAliveServesManyRequestsOnOneConnection) {
  auto client = Client();
  for (int i = 0; i < 5; ++i) {
    auto r = client->Health();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  auto error = client->Get("/nope");  // an error keeps the connection too
  ASSERT_TRUE(error.ok());
  EXPECT_EQ(error->status, 404u);
  ASSERT_TRUE(client->GetStatus().ok());
  EXPECT_EQ(server_->stats().connections_accepted, 1u);
}

TEST_F(RpcTest, ConnectionsOverTheLimitGet503) {
  RpcServerConfig config;
  config.connections_max = 2;
  Restart(config);
  auto a = Client();
  auto b = Client();
  ASSERT_TRUE(a->Health().ok());
  ASSERT_TRUE(b->Health().ok());
  ASSERT_TRUE(WaitFor([&] { return server_->stats().connections_open == 2; }));
  const std::string refused = RawExchange(server_->port(), "");
  if (!refused.empty()) {
    EXPECT_TRUE(refused.starts_with("HTTP/1.1 503")) << refused;
    EXPECT_NE(refused.find("too many connections"), std::string::npos) << refused;
  }
  EXPECT_EQ(server_->stats().connections_refused, 1u);
  a.reset();
  ASSERT_TRUE(WaitFor([&] { return server_->stats().connections_open == 1; }));
  EXPECT_EQ(Result("/health"), Json::object());
}

TEST_F(RpcTest, StoppingWithACallInFlightDropsIt) {
  backend_.HoldAdmissions(true);
  auto client = Client();
  std::thread caller([&] {
    auto r = client->Call("broadcast_tx_commit", Json{{"tx", rpc::Base64Encode(B("x"))}});
    EXPECT_FALSE(r.ok());
  });
  ASSERT_TRUE(WaitFor([&] { return backend_.waiters().size() == 1; }));
  server_->Stop();
  caller.join();
  EXPECT_EQ(backend_.waiters().size(), 0u);
  backend_.ReleaseAdmissions();  // a late answer after the stop is dropped
}

TEST_F(RpcTest, MetricsCountCallsAndErrors) {
  Result("/health");
  Error("/nope", 404, -32601);
  Error("/tx", 400, -32602);
  EXPECT_GE(backend_.metrics().rpc_requests.value(), 3u);
  EXPECT_EQ(backend_.metrics().rpc_errors.With("method_not_found").value(), 1u);
  EXPECT_EQ(backend_.metrics().rpc_errors.With("invalid_params").value(), 1u);
}

// ---- The pure parts ----

TEST(RpcJsonTest, TargetsAndArguments) {
  auto t = rpc::ParseTarget("/abci_query?path=%22%2Fa%20b%22&data=0x01&height=&x");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->path, "/abci_query");
  EXPECT_EQ(t->params.at("path"), "\"/a b\"");
  EXPECT_EQ(t->params.at("data"), "0x01");
  EXPECT_EQ(t->params.at("height"), "");
  EXPECT_FALSE(rpc::ParseTarget("/x?a=1&a=2").ok());
  EXPECT_FALSE(rpc::ParseTarget("/x?a=%4").ok());
  EXPECT_FALSE(rpc::ParseTarget("/x?a=%g0").ok());

  EXPECT_EQ(*rpc::DecodeUriBytes("0xA0b1"), (Bytes{0xa0, 0xb1}));
  EXPECT_EQ(*rpc::DecodeUriBytes("a0b1"), (Bytes{0xa0, 0xb1}));
  EXPECT_EQ(*rpc::DecodeUriBytes("\"a\\u0062\""), B("ab"));
  EXPECT_FALSE(rpc::DecodeUriBytes("\"unterminated\\\"").ok());
  EXPECT_FALSE(rpc::DecodeUriBytes("0x1").ok());
}

TEST(RpcJsonTest, Base64RoundTripsAndRefusesMalformedInput) {
  for (const std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    const std::string encoded = rpc::Base64Encode(B(s));
    auto decoded = rpc::Base64Decode(encoded);
    ASSERT_TRUE(decoded.ok()) << encoded;
    EXPECT_EQ(*decoded, B(s));
  }
  EXPECT_EQ(rpc::Base64Encode(B("foobar")), "Zm9vYmFy");
  EXPECT_EQ(rpc::Base64Encode(B("fo")), "Zm8=");
  for (const std::string bad : {"Zm8", "Zm=8", "Z===", "Zm8*", " Zm8=", "Zm8=\n", "=Zm8"}) {
    EXPECT_FALSE(rpc::Base64Decode(bad).ok()) << bad;
  }
}

TEST(RpcJsonTest, TimesAreRfc3339WithMilliseconds) {
  EXPECT_EQ(rpc::TimeRfc3339(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(rpc::TimeRfc3339(1'700'000'000'123), "2023-11-14T22:13:20.123Z");
}

// ---- CommitWaiters ----

ExecutedBlock BlockOf(Height height, const std::vector<std::pair<std::string, uint32_t>>& txs) {
  ExecutedBlock b;
  b.height = height;
  for (const auto& [tx, code] : txs) {
    b.tx_hashes.push_back(Sha256(B(tx)));
    b.tx_results.push_back(app::TxResult{code, {}, "", {}});
  }
  return b;
}

TEST(CommitWaitersTest, FiresOnceOnTheFirstExecutionAndNotForDuplicates) {
  CommitWaiters waiters;
  std::vector<TxCommit> fired;
  const auto record = [&](const TxCommit& c) { fired.push_back(c); };
  waiters.Watch(Sha256(B("a")), record);
  waiters.Watch(Sha256(B("a")), record);  // two watchers of one transaction
  const uint64_t dropped = waiters.Watch(Sha256(B("b")), record);
  waiters.Watch(Sha256(B("c")), record);
  waiters.Unwatch(dropped);
  EXPECT_EQ(waiters.size(), 3u);
  // c appears as a duplicate first (executed before the watch began): not its execution.
  waiters.OnExecuted(BlockOf(4, {{"x", 0}, {"c", app::kCodeDuplicate}, {"a", 6}, {"b", 0}}));
  ASSERT_EQ(fired.size(), 2u);
  EXPECT_EQ(fired[0].height, 4u);
  EXPECT_EQ(fired[0].index, 2u);
  EXPECT_EQ(fired[0].result.code, 6u);
  EXPECT_EQ(waiters.size(), 1u);
  waiters.OnExecuted(BlockOf(5, {{"a", 0}, {"c", 1}}));
  ASSERT_EQ(fired.size(), 3u);
  EXPECT_EQ(fired[2].hash, Sha256(B("c")));
  EXPECT_EQ(waiters.size(), 0u);
}

TEST(CommitWaitersTest, RefusesWatchesBeyondItsBound) {
  CommitWaiters waiters(2);
  EXPECT_NE(waiters.Watch(Sha256(B("a")), [](const TxCommit&) {}), 0u);
  EXPECT_NE(waiters.Watch(Sha256(B("b")), [](const TxCommit&) {}), 0u);
  EXPECT_EQ(waiters.Watch(Sha256(B("c")), [](const TxCommit&) {}), 0u);
  waiters.OnExecuted(BlockOf(1, {{"a", 0}}));
  EXPECT_NE(waiters.Watch(Sha256(B("c")), [](const TxCommit&) {}), 0u);
}

}  // namespace
}  // namespace hotbft::node
