// The binary client port on loopback against a scripted backend: batches and their
// admission results, commit notifications and expiries, and bad or slow clients cut off
// while the port goes on serving the others.
#include "node/client_port.h"

#include <gtest/gtest.h>

#include <boost/asio.hpp>

#include "network/frame.h"
#include "node/client.h"
#include "proto/client.pb.h"
#include "tests/node/rpc_fake_backend.h"

namespace hotbft::node {
namespace {

namespace asio = boost::asio;
using testing::B;
using testing::FakeBackend;
using testing::WaitFor;

std::vector<Bytes> Txs(const std::string& prefix, size_t n) {
  std::vector<Bytes> out;
  for (size_t i = 0; i < n; ++i) out.push_back(B(prefix + std::to_string(i)));
  return out;
}

// A socket speaking the port's framing by hand, for clients that misbehave.
class RawClient {
 public:
  explicit RawClient(uint16_t port, int receive_buffer_bytes = 0) : socket_(io_) {
    socket_.open(asio::ip::tcp::v4());
    if (receive_buffer_bytes > 0) {
      socket_.set_option(asio::socket_base::receive_buffer_size(receive_buffer_bytes));
    }
    socket_.connect({asio::ip::make_address("127.0.0.1"), port});
  }
  void Send(const Bytes& bytes) { asio::write(socket_, asio::buffer(bytes)); }
  void SendRequest(const wire::ClientRequest& request) {
    std::string body;
    ASSERT_TRUE(request.SerializeToString(&body));
    Send(network::EncodeFrame(AsBytes(body)));
  }
  // Reads frames until the node closes the connection; returns them.
  std::vector<wire::ClientResponse> ReadUntilClosed() {
    std::vector<wire::ClientResponse> out;
    network::FrameDecoder decoder(network::kFrameBytesCeiling);
    std::array<uint8_t, 4096> buffer;
    boost::system::error_code ec;
    while (!ec) {
      const size_t n = socket_.read_some(asio::buffer(buffer), ec);
      decoder.Append(ByteView(buffer.data(), n));
      while (true) {
        auto body = decoder.Next();
        if (!body.ok() || !body->has_value()) break;
        out.emplace_back();
        out.back().ParseFromArray((*body)->data(), static_cast<int>((*body)->size()));
      }
    }
    return out;
  }
  // Reads one frame.
  wire::ClientResponse ReadOne() {
    std::array<uint8_t, 4096> buffer;
    while (true) {
      auto body = decoder_.Next();
      EXPECT_TRUE(body.ok());
      if (!body.ok()) return {};
      if (body->has_value()) {
        wire::ClientResponse response;
        EXPECT_TRUE(response.ParseFromArray((*body)->data(), static_cast<int>((*body)->size())));
        return response;
      }
      const size_t n = socket_.read_some(asio::buffer(buffer));
      decoder_.Append(ByteView(buffer.data(), n));
    }
  }

 private:
  asio::io_context io_;
  asio::ip::tcp::socket socket_;
  network::FrameDecoder decoder_{network::kFrameBytesCeiling};
};

wire::ClientRequest SubmitRequest(const std::vector<Bytes>& txs, bool notify, uint64_t id = 1) {
  wire::ClientRequest request;
  request.mutable_submit()->set_request_id(id);
  request.mutable_submit()->set_notify(notify);
  for (const Bytes& tx : txs) request.mutable_submit()->add_txs(tx.data(), tx.size());
  return request;
}

class ClientPortTest : public ::testing::Test {
 protected:
  void SetUp() override { Start({}); }
  void Start(ClientPortConfig config) {
    if (port_) port_->Stop();
    config.listen = "127.0.0.1:0";
    port_ = std::make_unique<ClientPort>(config, backend_, &backend_.metrics());
    ASSERT_TRUE(port_->Start().ok());
    address_ = "127.0.0.1:" + std::to_string(port_->port());
  }
  std::unique_ptr<PortClient> Client() {
    auto client = PortClient::Connect(address_);
    EXPECT_TRUE(client.ok()) << client.status().ToString();
    return client.ok() ? std::move(*client) : nullptr;
  }
  // Receives until `n` transactions were reported committed (and returns them, in order).
  std::vector<CommittedTx> ReceiveCommits(PortClient& client, size_t n) {
    std::vector<CommittedTx> out;
    while (out.size() < n) {
      auto message = client.Receive(60'000);
      EXPECT_TRUE(message.ok()) << message.status().ToString();
      if (!message.ok()) break;
      auto* notice = std::get_if<CommitNotice>(&*message);
      EXPECT_NE(notice, nullptr);
      if (!notice) break;
      out.insert(out.end(), notice->committed.begin(), notice->committed.end());
    }
    return out;
  }
  // A well-behaved client is served.
  void ExpectServed() {
    auto client = Client();
    ASSERT_NE(client, nullptr);
    auto result = client->Submit({B("probe-" + std::to_string(probes_++))}, false);
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    EXPECT_EQ(result->results.size(), 1u);
  }

  FakeBackend backend_;
  std::unique_ptr<ClientPort> port_;
  std::string address_;
  int probes_ = 0;
};

TEST_F(ClientPortTest, ABatchGetsOneAdmissionPerTransactionInOrder) {
  backend_.Script(B("rejected"), mempool::AddOutcome::kRejected, 12, "bad signature");
  backend_.Script(B("full"), mempool::AddOutcome::kFull, 0, "mempool full: 10 transactions");
  backend_.Script(B("long"), mempool::AddOutcome::kRejected, 1, std::string(5000, 'x'));
  auto client = Client();
  auto result = client->Submit({B("ok"), B("rejected"), B("full"), B("long")}, false);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(result->results.size(), 4u);
  EXPECT_EQ(result->results[0].outcome, mempool::AddOutcome::kAdded);
  EXPECT_EQ(result->results[0].hash, Sha256(B("ok")));
  EXPECT_EQ(result->results[1].outcome, mempool::AddOutcome::kRejected);
  EXPECT_EQ(result->results[1].code, 12u);
  EXPECT_EQ(result->results[1].log, "bad signature");
  EXPECT_EQ(result->results[2].outcome, mempool::AddOutcome::kFull);
  EXPECT_EQ(result->results[2].log, "mempool full: 10 transactions");
  EXPECT_LE(result->results[3].log.size(), kAdmissionLogBytesMax);  // cut
  for (const Admission& a : result->results) EXPECT_FALSE(a.watched);
  EXPECT_EQ(backend_.submitted().size(), 4u);
  EXPECT_EQ(backend_.senders().front(), mempool::Sender::Client(1));
  EXPECT_EQ(backend_.waiters().size(), 0u);
  EXPECT_EQ(port_->stats().txs_submitted, 4u);
}

TEST_F(ClientPortTest, PipelinedBatchesAreAnsweredInOrder) {
  backend_.AnswerOnThread(true);
  auto client = Client();
  std::vector<uint64_t> ids;
  for (int i = 0; i < 20; ++i) {
    auto id = client->Send(Txs("p" + std::to_string(i) + "-", 50), false);
    ASSERT_TRUE(id.ok());
    ids.push_back(*id);
  }
  for (uint64_t id : ids) {
    auto message = client->Receive();
    ASSERT_TRUE(message.ok()) << message.status().ToString();
    auto* result = std::get_if<BatchResult>(&*message);
    ASSERT_NE(result, nullptr);
    EXPECT_EQ(result->request_id, id);
    EXPECT_EQ(result->results.size(), 50u);
  }
}

TEST_F(ClientPortTest, AdmittedTransactionsAreNotifiedWhenExecuted) {
  backend_.Script(B("refused"), mempool::AddOutcome::kRejected, 3, "no");
  auto client = Client();
  const std::vector<Bytes> txs = {B("a"), B("refused"), B("b"), B("c")};
  auto result = client->Submit(txs, true);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_TRUE(result->results[0].watched);
  EXPECT_FALSE(result->results[1].watched);
  EXPECT_EQ(backend_.waiters().size(), 3u);

  backend_.Execute({B("x"), B("b")}, 9);
  backend_.Execute({B("a"), B("c"), B("b")}, 0);  // b again: a duplicate, not reported twice
  const auto commits = ReceiveCommits(*client, 3);
  ASSERT_EQ(commits.size(), 3u);
  EXPECT_EQ(commits[0].hash, Sha256(B("b")));
  EXPECT_EQ(commits[0].height, 1u);
  EXPECT_EQ(commits[0].index, 1u);
  EXPECT_EQ(commits[0].code, 9u);
  EXPECT_EQ(commits[1].hash, Sha256(B("a")));
  EXPECT_EQ(commits[1].height, 2u);
  EXPECT_EQ(commits[2].hash, Sha256(B("c")));
  EXPECT_EQ(commits[2].index, 1u);
  EXPECT_EQ(backend_.waiters().size(), 0u);
  ASSERT_TRUE(WaitFor([&] { return port_->stats().txs_notified == 3; }));
}

TEST_F(ClientPortTest, ATransactionCommittedBeforeIsNotifiedFromTheIndex) {
  backend_.Execute({B("old")}, 4);
  backend_.Script(B("old"), mempool::AddOutcome::kCommitted, 0, "already committed");
  auto client = Client();
  auto result = client->Submit({B("old")}, true);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->results[0].outcome, mempool::AddOutcome::kCommitted);
  EXPECT_TRUE(result->results[0].watched);
  const auto commits = ReceiveCommits(*client, 1);
  ASSERT_EQ(commits.size(), 1u);
  EXPECT_EQ(commits[0].height, 1u);
  EXPECT_EQ(commits[0].code, 4u);
  EXPECT_EQ(backend_.waiters().size(), 0u);
}

TEST_F(ClientPortTest, WatchesExpire) {
  ClientPortConfig config;
  config.watch_timeout_ms = 50;
  Start(config);
  auto client = Client();
  ASSERT_TRUE(client->Submit({B("never"), B("also never")}, true).ok());
  std::vector<Hash32> expired;
  while (expired.size() < 2) {
    auto message = client->Receive();
    ASSERT_TRUE(message.ok()) << message.status().ToString();
    auto* notice = std::get_if<CommitNotice>(&*message);
    ASSERT_NE(notice, nullptr);
    EXPECT_TRUE(notice->committed.empty());
    expired.insert(expired.end(), notice->expired.begin(), notice->expired.end());
  }
  EXPECT_EQ(expired[0], Sha256(B("never")));
  EXPECT_EQ(expired[1], Sha256(B("also never")));
  EXPECT_EQ(backend_.waiters().size(), 0u);
  EXPECT_EQ(port_->stats().txs_expired, 2u);
}

TEST_F(ClientPortTest, WatchesPerConnectionAreBounded) {
  ClientPortConfig config;
  config.watches_max = 3;
  Start(config);
  auto client = Client();
  auto result = client->Submit(Txs("w", 5), true);
  ASSERT_TRUE(result.ok());
  int watched = 0;
  for (const Admission& a : result->results) watched += a.watched;
  EXPECT_EQ(watched, 3);
  EXPECT_EQ(backend_.waiters().size(), 3u);
}

TEST_F(ClientPortTest, MalformedFramesDisconnectOnlyTheirClient) {
  auto good = Client();
  ASSERT_TRUE(good->Submit({B("before")}, false).ok());
  struct Case {
    Bytes bytes;
    ClientDisconnect reason;
  };
  const std::vector<Case> cases = {
      {{0, 0, 0, 0}, ClientDisconnect::kMalformedFrame},              // zero length
      {{0x01, 0x00, 0x00, 0x01}, ClientDisconnect::kMalformedFrame},  // 16 MiB + 1 announced
      {{0, 0, 0, 3, 0xff, 0xff, 0xff}, ClientDisconnect::kMalformedMessage},
  };
  for (const Case& c : cases) {
    RawClient bad(port_->port());
    bad.Send(c.bytes);
    const auto answers = bad.ReadUntilClosed();
    if (!answers.empty()) {
      EXPECT_TRUE(answers.back().has_error());
    }
    EXPECT_TRUE(WaitFor([&] { return port_->stats().disconnects_of(c.reason) >= 1; }));
  }
  EXPECT_EQ(port_->stats().disconnects_of(ClientDisconnect::kMalformedFrame), 2u);
  EXPECT_EQ(port_->stats().disconnects_of(ClientDisconnect::kMalformedMessage), 1u);
  // A ClientRequest without a SubmitBatch (only an unknown field 15, as from a newer client).
  {
    RawClient bad(port_->port());
    bad.Send({0, 0, 0, 2, 0x78, 0x01});
    bad.ReadUntilClosed();
  }
  EXPECT_TRUE(WaitFor(
      [&] { return port_->stats().disconnects_of(ClientDisconnect::kMalformedMessage) == 2; }));
  // The connection that behaved is still served, and so are new ones.
  auto after = good->Submit({B("after")}, false);
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  ExpectServed();
}

TEST_F(ClientPortTest, ABatchOverTheLimitDisconnects) {
  ClientPortConfig config;
  config.batch_txs_max = 10;
  Start(config);
  RawClient bad(port_->port());
  bad.SendRequest(SubmitRequest(Txs("t", 11), false));
  const auto answers = bad.ReadUntilClosed();
  if (!answers.empty()) {
    ASSERT_TRUE(answers.back().has_error());
    EXPECT_NE(answers.back().error().reason().find("at most 10"), std::string::npos);
  }
  EXPECT_TRUE(WaitFor(
      [&] { return port_->stats().disconnects_of(ClientDisconnect::kBatchTooLarge) == 1; }));
  EXPECT_TRUE(backend_.submitted().empty());
  ExpectServed();
}

TEST_F(ClientPortTest, ASlowClientIsDisconnectedNotBuffered) {
  ClientPortConfig config;
  config.queue_bytes_max = 64 * 1024;
  config.send_buffer_bytes = 4096;
  config.notification_txs_max = 256;
  Start(config);
  // A client that submits with notify, reads its admission results, then stops reading.
  RawClient slow(port_->port(), /*receive_buffer_bytes=*/4096);
  auto reader = PortClient::Connect(address_);  // a well-behaved one, for comparison
  ASSERT_TRUE(reader.ok());
  std::vector<Bytes> all;
  for (int b = 0; b < 20; ++b) {
    const auto txs = Txs("slow" + std::to_string(b) + "-", 1000);
    all.insert(all.end(), txs.begin(), txs.end());
    slow.SendRequest(SubmitRequest(txs, true, b + 1));
    const wire::ClientResponse answer = slow.ReadOne();
    ASSERT_TRUE(answer.has_submit_result());
    ASSERT_EQ(answer.submit_result().results_size(), 1000);
  }
  ASSERT_EQ(backend_.waiters().size(), all.size());
  // Executions now produce far more notifications than its buffers and queue can hold.
  for (size_t i = 0; i < all.size(); i += 500) {
    backend_.Execute(
        std::vector<Bytes>(all.begin() + i, all.begin() + std::min(all.size(), i + 500)));
  }
  ASSERT_TRUE(
      WaitFor([&] { return port_->stats().disconnects_of(ClientDisconnect::kSlowClient) == 1; }));
  EXPECT_EQ(backend_.waiters().size(), 0u);
  // The other client is unaffected.
  auto result = (*reader)->Submit({B("still served")}, false);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
}

TEST_F(ClientPortTest, ConnectionsOverTheLimitAreRefused) {
  ClientPortConfig config;
  config.connections_max = 1;
  Start(config);
  auto first = Client();
  ASSERT_TRUE(first->Submit({B("x")}, false).ok());
  RawClient second(port_->port());
  const auto answers = second.ReadUntilClosed();
  if (!answers.empty()) {
    ASSERT_TRUE(answers[0].has_error());
    EXPECT_NE(answers[0].error().reason().find("too many connections"), std::string::npos);
  }
  EXPECT_EQ(port_->stats().connections_refused, 1u);
  ASSERT_TRUE(first->Submit({B("y")}, false).ok());
}

TEST_F(ClientPortTest, StoppingDropsEveryWatch) {
  backend_.AnswerOnThread(true);
  auto client = Client();
  ASSERT_TRUE(client->Submit(Txs("s", 100), true).ok());
  EXPECT_EQ(backend_.waiters().size(), 100u);
  port_->Stop();
  EXPECT_EQ(backend_.waiters().size(), 0u);
  backend_.Execute(Txs("s", 100));  // nothing left to notify
  auto message = client->Receive(5'000);
  EXPECT_FALSE(message.ok());
}

TEST_F(ClientPortTest, ReceiveTimesOutWithoutBreakingTheConnection) {
  auto client = Client();
  auto nothing = client->Receive(20);
  EXPECT_FALSE(nothing.ok());
  auto result = client->Submit({B("later")}, false);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
}

}  // namespace
}  // namespace hotbft::node
