// The socket transport (app/socket_app.h, app/socket_server.h): the client against the
// server serving each sample app, against fakes that break the protocol, and the server
// against bad clients. socket_app_process_test.cc has the apps in processes of their own.
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "app/codec.h"
#include "app/limits.h"
#include "app/socket_io.h"
#include "tests/app/socket_test_util.h"

namespace hotbft::app {
namespace {

using socket_io::IoLimit;
using socket_io::UniqueFd;
using testing::Block;
using testing::BlockId;
using testing::ExpectSame;
using ::testing::HasSubstr;
using testing::InfoEventually;
using testing::kRetryDelay;
using testing::kStartTimeout;
using testing::kTestCallTimeoutMs;
using testing::MustConnect;
using testing::MustServe;
using testing::NonceTx;
using testing::OpenSample;
using testing::RunBlock;
using testing::SampleApp;
using testing::SampleBlocks;
using testing::SampleQuery;
using testing::TempDir;
using testing::TestOptions;
using testing::Tx;

// ---- Each sample app, linked in and behind a socket ----

// Drives `linked` and `remote` through the same calls, comparing every answer.
void CompareSession(SampleApp kind, Application& linked, Application& remote) {
  ExpectSame(linked.Info(), remote.Info(), "Info");
  const InitChainRequest genesis{"socket-test", {}, {}, 1};
  ExpectSame(linked.InitChain(genesis), remote.InitChain(genesis), "InitChain");
  const std::vector<std::vector<Bytes>> blocks = SampleBlocks(kind);
  for (const Bytes& tx : blocks[0]) {
    ExpectSame(linked.CheckTx(tx, CheckTxKind::kNew), remote.CheckTx(tx, CheckTxKind::kNew),
               "CheckTx");
  }
  ExpectSame(linked.CheckTx(blocks[1][0], CheckTxKind::kRecheck),
             remote.CheckTx(blocks[1][0], CheckTxKind::kRecheck), "CheckTx recheck");
  ExpectSame(linked.PrepareProposal(1, blocks[0], 12), remote.PrepareProposal(1, blocks[0], 12),
             "PrepareProposal");
  ExpectSame(linked.ProcessProposal(1, BlockId(1), blocks[0]),
             remote.ProcessProposal(1, BlockId(1), blocks[0]), "ProcessProposal");
  // A block at the wrong height: both refuse it, for the same reason.
  ExpectSame(linked.FinalizeBlock(Block(3, {})), remote.FinalizeBlock(Block(3, {})),
             "FinalizeBlock at a wrong height");
  for (Height height = 1; height <= blocks.size(); ++height) {
    const std::string at = " at height " + std::to_string(height);
    ExpectSame(linked.FinalizeBlock(Block(height, blocks[height - 1])),
               remote.FinalizeBlock(Block(height, blocks[height - 1])), "FinalizeBlock" + at);
    ExpectSame(linked.Commit(), remote.Commit(), "Commit" + at);
  }
  for (Height height : {Height{0}, Height{1}, Height{9}}) {
    ExpectSame(linked.Query(SampleQuery(kind, height)), remote.Query(SampleQuery(kind, height)),
               "Query at height " + std::to_string(height));
  }
  ExpectSame(linked.Info(), remote.Info(), "Info after the blocks");
}

struct SampleCase {
  SampleApp app;
  bool tcp;
};

class SocketAppSampleTest : public ::testing::TestWithParam<SampleCase> {
 protected:
  std::string Address() const {
    return GetParam().tcp ? "tcp:127.0.0.1:0" : "unix:" + dir_.Sub("app.sock");
  }
  TempDir dir_;
};

TEST_P(SocketAppSampleTest, AnswersAsTheLinkedInApp) {
  const SampleApp kind = GetParam().app;
  std::unique_ptr<Application> linked = OpenSample(kind, dir_.Sub("linked"));
  std::unique_ptr<Application> served = OpenSample(kind, dir_.Sub("served"));
  ASSERT_TRUE(linked && served);
  std::unique_ptr<SocketServer> server = MustServe(Address(), *served);
  ASSERT_TRUE(server);
  std::unique_ptr<Application> remote = MustConnect(server->address());
  ASSERT_TRUE(remote);
  CompareSession(kind, *linked, *remote);
  EXPECT_EQ(server->connections_accepted(), 1u);  // every call on the one connection
}

std::string SampleCaseText(const SampleCase& sample) {
  const char* names[] = {"KvStore", "Counter", "Noop"};
  return std::string(names[static_cast<int>(sample.app)]) + (sample.tcp ? "OverTcp" : "OverUnix");
}

void PrintTo(const SampleCase& sample, std::ostream* out) {
  *out << SampleCaseText(sample);
}

std::string SampleCaseName(const ::testing::TestParamInfo<SampleCase>& info) {
  return SampleCaseText(info.param);
}

INSTANTIATE_TEST_SUITE_P(
    AppsAndTransports, SocketAppSampleTest,
    ::testing::Values(SampleCase{SampleApp::kKvStore, false}, SampleCase{SampleApp::kKvStore, true},
                      SampleCase{SampleApp::kCounter, false}, SampleCase{SampleApp::kCounter, true},
                      SampleCase{SampleApp::kNoop, false}, SampleCase{SampleApp::kNoop, true}),
    SampleCaseName);

TEST(SocketAppTest, ThreeCallersShareOneConnection) {
  TempDir dir;
  std::unique_ptr<Application> served = OpenSample(SampleApp::kKvStore, dir.Sub("kv"));
  ASSERT_TRUE(served);
  std::unique_ptr<SocketServer> server = MustServe("unix:" + dir.Sub("app.sock"), *served);
  ASSERT_TRUE(server);
  std::unique_ptr<Application> remote = MustConnect(server->address());
  ASSERT_TRUE(remote);
  constexpr Height kBlocks = 30;
  constexpr int kCalls = 300;
  // The consensus, mempool and query connections of application.h, on their own threads.
  std::thread consensus([&] {
    for (Height height = 1; height <= kBlocks; ++height) {
      RunBlock(*remote, height, {Tx("k" + std::to_string(height) + "=v")});
    }
  });
  std::thread mempool([&] {
    for (int i = 0; i < kCalls; ++i) {
      auto checked = remote->CheckTx(Tx("m=" + std::to_string(i)), CheckTxKind::kNew);
      EXPECT_TRUE(checked.ok() && checked->code == kCodeOk) << checked.status().ToString();
    }
  });
  std::thread query([&] {
    for (int i = 0; i < kCalls; ++i) {
      auto info = remote->Info();
      EXPECT_TRUE(info.ok()) << info.status().ToString();
      EXPECT_TRUE(remote->Query(QueryRequest{"/key", Tx("k1"), 0}).ok());
    }
  });
  consensus.join();
  mempool.join();
  query.join();
  auto info = remote->Info();
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->last_height, kBlocks);
  EXPECT_EQ(server->connections_accepted(), 1u);
}

// ---- Addresses and options ----

TEST(SocketAddressTest, ParsesAndPrintsBothKinds) {
  for (const char* text :
       {"unix:/tmp/app.sock", "tcp:127.0.0.1:26658", "tcp:localhost:1", "tcp:[::1]:26658"}) {
    auto address = socket_io::ParseSocketAddress(text);
    ASSERT_TRUE(address.ok()) << text << ": " << address.status().ToString();
    EXPECT_EQ(socket_io::ToString(*address), text);
  }
  auto v6 = socket_io::ParseSocketAddress("tcp:[::1]:80");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 80);
}

TEST(SocketAddressTest, RefusesMalformedAddresses) {
  const std::string long_path = "unix:/" + std::string(200, 'p');
  for (const std::string& text :
       {std::string("udp:1.2.3.4:5"), std::string("unix:"), std::string("tcp:host"),
        std::string("tcp::80"), std::string("tcp:host:99999"), std::string("tcp:host:8x"),
        std::string("tcp:::1:80"), std::string("tcp:[::1]80"), long_path, std::string("")}) {
    auto app = ConnectSocketApp(text, TestOptions());
    ASSERT_FALSE(app.ok()) << text;
    EXPECT_EQ(app.status().code(), Status::Code::kInvalidArgument) << app.status().ToString();
    EXPECT_THAT(app.status().message(), HasSubstr("expected unix:PATH or tcp:HOST:PORT"));
  }
}

TEST(SocketAppTest, RefusesBadOptions) {
  std::vector<SocketAppOptions> bad(4, TestOptions());
  bad[0].call_timeout_ms = 0;
  bad[1].connect_timeout_ms = SocketAppOptions::kTimeoutMsMax + 1;
  bad[2].reconnect_backoff_ms_min = bad[2].reconnect_backoff_ms_max + 1;
  bad[3].node_version = std::string(kNameBytesMax + 1, 'v');
  for (const SocketAppOptions& options : bad) {
    auto app = ConnectSocketApp("unix:/nonexistent.sock", options);
    ASSERT_FALSE(app.ok());
    EXPECT_EQ(app.status().code(), Status::Code::kInvalidArgument) << app.status().ToString();
  }
}

TEST(SocketAppTest, ConnectFailureNamesTheAddress) {
  TempDir dir;
  const std::string address = "unix:" + dir.Sub("nobody.sock");
  auto app = ConnectSocketApp(address, TestOptions());
  ASSERT_FALSE(app.ok());
  EXPECT_EQ(app.status().code(), Status::Code::kIoError);
  EXPECT_THAT(app.status().message(), HasSubstr("app at " + address + ": connect: "));
}

// ---- A fake app that misbehaves on its first connection ----

// Serves connections one after another on a unix socket: the first with `misbehave`, every
// later one properly (a Noop app through HandleRequest).
class FakeAppServer {
 public:
  using Handler = std::function<void(int fd, const std::atomic<bool>& stopping)>;

  FakeAppServer(const std::string& path, Handler misbehave)
      : address_("unix:" + path), misbehave_(std::move(misbehave)) {
    auto parsed = socket_io::ParseSocketAddress(address_);
    HOTBFT_ASSERT(parsed.ok());
    auto listener = socket_io::Listen(*parsed, 4);
    HOTBFT_ASSERT(listener.ok());
    listener_ = std::move(listener).value();
    thread_ = std::thread([this] { Run(); });
  }
  ~FakeAppServer() {
    stopping_ = true;
    thread_.join();
  }

  const std::string& address() const { return address_; }
  int connections() const { return connections_.load(); }

 private:
  void Run() {
    while (!stopping_) {
      if (!socket_io::WaitReadable(listener_.get(), IoLimit::After(kPollMs)).ok()) continue;
      UniqueFd fd(accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
      if (!fd.valid()) continue;
      if (connections_.fetch_add(1) == 0) {
        misbehave_(fd.get(), stopping_);
      } else {
        ServeProperly(fd.get());
      }
    }
  }

  void ServeProperly(int fd) {
    Noop app;
    while (!stopping_) {
      if (!socket_io::WaitReadable(fd, IoLimit::After(kPollMs)).ok()) continue;
      auto payload = socket_io::ReadFrame(fd, IoLimit::After(kTestCallTimeoutMs), "a request");
      if (!payload.ok() || !payload->has_value()) return;
      wire::AppRequest request;
      if (!request.ParseFromString(**payload)) return;
      auto frame = socket_io::EncodeFrame(HandleRequest(app, request), "a response");
      if (!frame.ok()) return;
      if (!socket_io::WriteFrame(fd, *frame, IoLimit::After(kTestCallTimeoutMs), "a response")
               .ok()) {
        return;
      }
    }
  }

  static constexpr uint64_t kPollMs = 20;
  const std::string address_;
  const Handler misbehave_;
  UniqueFd listener_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
};

// Reads the request the client sent, so the misbehaviour is an answer to it.
void ReadRequest(int fd) {
  auto request = socket_io::ReadFrame(fd, IoLimit::After(kTestCallTimeoutMs), "a request");
  ASSERT_TRUE(request.ok() && request->has_value()) << request.status().ToString();
}

void WriteRaw(int fd, const std::string& bytes) {
  ASSERT_EQ(send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL), static_cast<ssize_t>(bytes.size()));
}

std::string LengthPrefix(uint32_t length) {
  return {static_cast<char>(length >> 24), static_cast<char>(length >> 16),
          static_cast<char>(length >> 8), static_cast<char>(length)};
}

struct Misbehaviour {
  const char* name;
  FakeAppServer::Handler handler;
  const char* error;  // what the failed call's message says
};

std::vector<Misbehaviour> Misbehaviours() {
  return {
      {"OversizedFrame",
       [](int fd, const std::atomic<bool>&) {
         ReadRequest(fd);
         WriteRaw(fd, LengthPrefix(static_cast<uint32_t>(kAppMessageBytesMax + 1)));
       },
       "the FinalizeBlock response announces a frame of 67108865 bytes, above the limit of "
       "67108864"},
      {"MalformedFrame",
       [](int fd, const std::atomic<bool>&) {
         ReadRequest(fd);
         WriteRaw(fd, LengthPrefix(3) + "\xff\xff\xff");
       },
       "the FinalizeBlock response (3 bytes) does not parse as an AppResponse"},
      {"ShortFrame",
       [](int fd, const std::atomic<bool>&) {
         ReadRequest(fd);
         WriteRaw(fd, LengthPrefix(100) + std::string(10, 'x'));
       },
       "connection closed after receiving 10 of 100 bytes of the FinalizeBlock response"},
      {"ShortLengthPrefix",
       [](int fd, const std::atomic<bool>&) {
         ReadRequest(fd);
         WriteRaw(fd, std::string(2, '\0'));
       },
       "connection closed after receiving 2 of 4 bytes of the length prefix of the FinalizeBlock "
       "response"},
      {"ClosedMidCall", [](int fd, const std::atomic<bool>&) { ReadRequest(fd); },
       "connection closed while waiting for the FinalizeBlock response"},
      {"NeverAnswers",
       [](int fd, const std::atomic<bool>& stopping) {
         ReadRequest(fd);
         // Holds the connection open, silent, until the client has given up.
         while (!stopping && !socket_io::ReadableNow(fd)) std::this_thread::sleep_for(kRetryDelay);
       },
       "timed out after 300 ms waiting for the FinalizeBlock response"},
  };
}

// For test names and failure messages.
void PrintTo(const Misbehaviour& misbehaviour, std::ostream* out) {
  *out << misbehaviour.name;
}

class SocketAppMisbehaviourTest : public ::testing::TestWithParam<Misbehaviour> {};

TEST_P(SocketAppMisbehaviourTest, FailsTheCallClearlyThenReconnects) {
  TempDir dir;
  FakeAppServer fake(dir.Sub("fake.sock"), GetParam().handler);
  SocketAppOptions options = TestOptions();
  options.call_timeout_ms = 300;  // for NeverAnswers
  std::unique_ptr<Application> remote = MustConnect(fake.address(), options);
  ASSERT_TRUE(remote);

  auto failed = remote->FinalizeBlock(Block(1, {}));
  ASSERT_FALSE(failed.ok());
  EXPECT_THAT(failed.status().message(),
              HasSubstr("FinalizeBlock: app at " + fake.address() + ": " + GetParam().error));

  // The bad connection was closed; the next call makes a new one and succeeds.
  auto info = remote->Info();
  EXPECT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(fake.connections(), 2);
}

INSTANTIATE_TEST_SUITE_P(Fakes, SocketAppMisbehaviourTest, ::testing::ValuesIn(Misbehaviours()),
                         [](const ::testing::TestParamInfo<Misbehaviour>& info) {
                           return std::string(info.param.name);
                         });

// ---- The server against bad clients ----

// Collects what a SocketServer reports, for a test thread to wait on.
class ErrorLog {
 public:
  SocketServer::Options ServerOptions() {
    SocketServer::Options options;
    options.frame_timeout_ms = 300;
    options.on_error = [this](const Status& status) {
      std::lock_guard<std::mutex> lock(mutex_);
      errors_.push_back(status.ToString());
      changed_.notify_all();
    };
    return options;
  }
  // The first report containing `text`, waiting for it if need be; "" if none comes.
  std::string WaitFor(const std::string& text) {
    std::unique_lock<std::mutex> lock(mutex_);
    std::string found;
    changed_.wait_for(lock, kStartTimeout, [&] {
      for (const std::string& error : errors_) {
        if (error.find(text) != std::string::npos) found = error;
      }
      return !found.empty();
    });
    return found;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> errors_;
};

UniqueFd RawConnect(const std::string& address) {
  auto parsed = socket_io::ParseSocketAddress(address);
  HOTBFT_ASSERT(parsed.ok());
  auto fd = socket_io::Connect(*parsed, IoLimit::After(kTestCallTimeoutMs));
  EXPECT_TRUE(fd.ok()) << fd.status().ToString();
  return fd.ok() ? std::move(fd).value() : UniqueFd();
}

// True once the server has closed the connection (what is left to read ends).
bool ClosedByPeer(int fd) {
  auto frame = socket_io::ReadFrame(fd, IoLimit::After(kTestCallTimeoutMs), "anything");
  return frame.ok() && !frame->has_value();
}

TEST(SocketServerTest, ClosesTheConnectionOnABadFrame) {
  TempDir dir;
  Noop app;
  ErrorLog log;
  std::unique_ptr<SocketServer> server =
      MustServe("unix:" + dir.Sub("app.sock"), app, log.ServerOptions());
  ASSERT_TRUE(server);
  struct Case {
    std::string bytes;
    std::string error;
  };
  const Case cases[] = {
      {LengthPrefix(static_cast<uint32_t>(kAppMessageBytesMax + 1)),
       "a request announces a frame of 67108865 bytes, above the limit of 67108864"},
      {LengthPrefix(2) + "\xff\xff", "a request of 2 bytes does not parse as an AppRequest"},
      {LengthPrefix(50) + "abc", "timed out after 300 ms with 3 of 50 bytes of a request received"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.error);
    UniqueFd fd = RawConnect(server->address());
    ASSERT_TRUE(fd.valid());
    WriteRaw(fd.get(), c.bytes);
    EXPECT_TRUE(ClosedByPeer(fd.get()));
    EXPECT_THAT(log.WaitFor(c.error), HasSubstr("serving a client on " + server->address()));
  }
  // A client that hangs up inside a frame.
  {
    UniqueFd fd = RawConnect(server->address());
    WriteRaw(fd.get(), LengthPrefix(10) + "abc");
  }
  EXPECT_NE(log.WaitFor("connection closed after receiving 3 of 10 bytes of a request"), "");
  // Still serving.
  std::unique_ptr<Application> remote = MustConnect(server->address());
  ASSERT_TRUE(remote);
  EXPECT_TRUE(remote->Info().ok());
}

// Noop whose FinalizeBlock blocks until released, so a test can stop the server mid-call.
class BlockingApp : public Application {
 public:
  Result<InfoResult> Info() override { return app_.Info(); }
  Result<Bytes> InitChain(const InitChainRequest& r) override { return app_.InitChain(r); }
  Result<CheckTxResult> CheckTx(ByteView tx, CheckTxKind kind) override {
    return app_.CheckTx(tx, kind);
  }
  Result<std::vector<Bytes>> PrepareProposal(Height h, std::vector<Bytes> txs,
                                             uint64_t bytes_max) override {
    return app_.PrepareProposal(h, std::move(txs), bytes_max);
  }
  Result<bool> ProcessProposal(Height h, const Hash32& id, const std::vector<Bytes>& txs) override {
    return app_.ProcessProposal(h, id, txs);
  }
  Result<FinalizeBlockResult> FinalizeBlock(const FinalizeBlockRequest& request) override {
    entered_.set_value();
    // Bounded, so a broken test cannot hang here.
    release_.get_future().wait_for(kStartTimeout);
    return app_.FinalizeBlock(request);
  }
  Result<CommitResult> Commit() override { return app_.Commit(); }
  Result<QueryResult> Query(const QueryRequest& r) override { return app_.Query(r); }

  std::future<void> Entered() { return entered_.get_future(); }
  void Release() { release_.set_value(); }

 private:
  Noop app_;
  std::promise<void> entered_;
  std::promise<void> release_;
};

TEST(SocketAppTest, ServerStoppedMidCallNamesTheAddressThenReconnects) {
  TempDir dir;
  const std::string address = "unix:" + dir.Sub("app.sock");
  BlockingApp blocking;
  std::unique_ptr<SocketServer> server = MustServe(address, blocking);
  ASSERT_TRUE(server);
  std::unique_ptr<Application> remote = MustConnect(address);
  ASSERT_TRUE(remote);

  std::future<void> entered = blocking.Entered();
  auto call = std::async(std::launch::async, [&] { return remote->FinalizeBlock(Block(1, {})); });
  ASSERT_EQ(entered.wait_for(kStartTimeout), std::future_status::ready);
  // The server goes away while the app is inside FinalizeBlock.
  std::thread stopper([&] { server->Stop(); });
  Result<FinalizeBlockResult> failed = call.get();
  blocking.Release();
  stopper.join();
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), Status::Code::kIoError);
  EXPECT_THAT(failed.status().message(),
              HasSubstr("app at " + address +
                        ": connection closed while waiting for the FinalizeBlock response"));

  // While no server runs, calls fail naming the address.
  auto down = remote->Info();
  ASSERT_FALSE(down.ok());
  EXPECT_THAT(down.status().message(), HasSubstr("app at " + address));

  // Back on the same address: calls succeed again.
  Noop fresh;
  server = MustServe(address, fresh);
  ASSERT_TRUE(server);
  auto info = InfoEventually(*remote);
  EXPECT_TRUE(info.ok()) << info.status().ToString();
  RunBlock(*remote, 1, {Tx("after the restart")});
}

TEST(SocketAppTest, BackoffSpacesReconnectAttempts) {
  TempDir dir;
  const std::string address = "unix:" + dir.Sub("app.sock");
  Noop app;
  std::unique_ptr<SocketServer> server = MustServe(address, app);
  ASSERT_TRUE(server);
  SocketAppOptions options = TestOptions();
  options.reconnect_backoff_ms_min = 400;
  options.reconnect_backoff_ms_max = 400;
  std::unique_ptr<Application> remote = MustConnect(address, options);
  ASSERT_TRUE(remote);
  server->Stop();

  // The first failure allows an immediate retry; the retry fails too, and starts the backoff.
  auto first = remote->Info();
  auto second = remote->Info();
  ASSERT_FALSE(first.ok());
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(first.status().message(), HasSubstr("app at " + address + ": connect: "));
  EXPECT_THAT(second.status().message(), HasSubstr("app at " + address + ": connect: "));
  server = MustServe(address, app);
  ASSERT_TRUE(server);
  // Within the backoff no attempt is made, even though the app is back.
  auto early = remote->Info();
  ASSERT_FALSE(early.ok());
  EXPECT_THAT(early.status().message(), HasSubstr("app at " + address + ": not connected ("));
  EXPECT_THAT(early.status().message(), HasSubstr("the next attempt is due in"));
  std::this_thread::sleep_for(std::chrono::milliseconds(options.reconnect_backoff_ms_max + 100));
  auto info = remote->Info();
  EXPECT_TRUE(info.ok()) << info.status().ToString();
}

}  // namespace
}  // namespace hotbft::app
