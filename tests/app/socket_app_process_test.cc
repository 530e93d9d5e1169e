// The socket transport against apps in processes of their own: hotbft-app-server and the
// Python example (app/examples/kvstore_app.py), killed with SIGKILL and restarted.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/app/socket_test_util.h"
#include "tests/child_process.h"

namespace hotbft::app {
namespace {

using hotbft::testing::ChildProcess;
using testing::Block;
using testing::BlockId;
using testing::ExpectSame;
using ::testing::HasSubstr;
using testing::InfoEventually;
using testing::kRetryDelay;
using testing::kStartTimeout;
using testing::NonceTx;
using testing::OpenSample;
using testing::RunBlock;
using testing::SampleApp;
using testing::TempDir;
using testing::TestOptions;
using testing::Tx;

// ---- Apps in processes of their own ----

// Connects to the app `child` serves at `address` once it accepts connections.
std::unique_ptr<Application> ConnectToChild(ChildProcess& child, const std::string& address) {
  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  Status last = Status::Internal("not tried");
  while (std::chrono::steady_clock::now() < deadline) {
    if (child.Exited()) {
      ADD_FAILURE() << "the app process exited; its output:\n" << child.Log();
      return nullptr;
    }
    auto app = ConnectSocketApp(address, TestOptions());
    if (app.ok()) return std::move(app).value();
    last = app.status();
    std::this_thread::sleep_for(kRetryDelay);
  }
  ADD_FAILURE() << "no app at " << address << ": " << last.ToString() << "\nits output:\n"
                << child.Log();
  return nullptr;
}

TEST(AppServerProcessTest, KilledAppFailsCallsThenRestartedAppServesAgain) {
  TempDir dir;
  const std::string address = "unix:" + dir.Sub("counter.sock");
  const std::vector<std::string> argv = {HOTBFT_APP_SERVER, "--app",  "counter",      "--address",
                                         address,           "--data", dir.Sub("data")};
  auto child = std::make_unique<ChildProcess>(argv, dir.Sub("server.log"));
  std::unique_ptr<Application> remote = ConnectToChild(*child, address);
  ASSERT_TRUE(remote);
  RunBlock(*remote, 1, {NonceTx(0), NonceTx(1)});

  child->Kill();  // SIGKILL, as a crash
  auto down = remote->Info();
  ASSERT_FALSE(down.ok());
  EXPECT_THAT(down.status().message(), HasSubstr("Info: app at " + address + ": "));

  child = std::make_unique<ChildProcess>(argv, dir.Sub("server.log"));
  auto info = InfoEventually(*remote);
  ASSERT_TRUE(info.ok()) << info.status().ToString() << "\n" << child->Log();
  EXPECT_EQ(info->app_name, "counter");
  EXPECT_EQ(info->last_height, 1u);  // committed before the crash, so it survived it
  const auto outcome = RunBlock(*remote, 2, {NonceTx(2)});
  EXPECT_EQ(outcome.result.tx_results.size(), 1u);
}

// ---- The Python example app ----

// A python3 that can import the protobuf runtime: $HOTBFT_PYTHON3, then each python3 on
// PATH, then Debian's /usr/bin/python3 (python3-protobuf installs there, and a python3
// earlier on PATH, from a virtualenv or version manager, may not see it). "" if none.
std::string FindPython() {
  std::vector<std::string> candidates;
  if (const char* forced = std::getenv("HOTBFT_PYTHON3")) candidates.emplace_back(forced);
  if (const char* path = std::getenv("PATH")) {
    std::string dirs = path;
    for (size_t start = 0; start <= dirs.size();) {
      const size_t end = std::min(dirs.find(':', start), dirs.size());
      if (end > start) candidates.push_back(dirs.substr(start, end - start) + "/python3");
      start = end + 1;
    }
  }
  candidates.emplace_back("/usr/bin/python3");
  for (const std::string& python : candidates) {
    if (access(python.c_str(), X_OK) != 0) continue;
    const std::string probe = "'" + python + "' -c 'import google.protobuf' >/dev/null 2>&1";
    if (std::system(probe.c_str()) == 0) return python;
  }
  return "";
}

class PythonKvStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static const std::string python = FindPython();
    if (python.empty()) {
      GTEST_SKIP() << "no python3 that can import google.protobuf (Debian: python3-protobuf) "
                      "in $HOTBFT_PYTHON3, on PATH or at /usr/bin/python3";
    }
    python_ = python;
  }

  std::unique_ptr<ChildProcess> StartApp() {
    const std::vector<std::string> argv = {
        python_,  HOTBFT_KVSTORE_PY, "--address",   address_,
        "--data", dir_.Sub("data"),  "--proto-dir", HOTBFT_APP_PYTHON_DIR};
    return std::make_unique<ChildProcess>(argv, dir_.Sub("python.log"));
  }

  TempDir dir_;
  std::string python_;
  const std::string address_ = "unix:" + dir_.Sub("kv.sock");
};

TEST_F(PythonKvStoreTest, AnswersAsTheLinkedInKvStore) {
  std::unique_ptr<ChildProcess> child = StartApp();
  std::unique_ptr<Application> remote = ConnectToChild(*child, address_);
  ASSERT_TRUE(remote);
  std::unique_ptr<Application> linked = OpenSample(SampleApp::kKvStore, dir_.Sub("linked"));
  ASSERT_TRUE(linked);

  auto info = remote->Info();
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->app_name, "kvstore.py");
  EXPECT_EQ(info->last_height, 0u);
  EXPECT_TRUE(info->last_app_hash.empty());

  const InitChainRequest genesis{"python-test", {}, {}, 1};
  ExpectSame(linked->InitChain(genesis), remote->InitChain(genesis), "InitChain");
  const std::vector<Bytes> txs = {Tx("a=1"),
                                  Tx("b=two"),
                                  Tx("broken"),
                                  Tx("=empty"),
                                  Tx("sp ace=1"),
                                  Tx(std::string(257, 'k') + "=v"),
                                  Tx("big=" + std::string(KvStore::kValueBytesMax + 1, 'v'))};
  for (const Bytes& tx : txs) {
    ExpectSame(linked->CheckTx(tx, CheckTxKind::kNew), remote->CheckTx(tx, CheckTxKind::kNew),
               "CheckTx");
  }
  ExpectSame(linked->PrepareProposal(1, txs, 8), remote->PrepareProposal(1, txs, 8),
             "PrepareProposal");
  ExpectSame(linked->ProcessProposal(1, BlockId(1), txs),
             remote->ProcessProposal(1, BlockId(1), txs), "ProcessProposal");
  ExpectSame(linked->FinalizeBlock(Block(2, {})), remote->FinalizeBlock(Block(2, {})),
             "FinalizeBlock at a wrong height");
  const std::vector<std::vector<Bytes>> blocks = {txs, {}, {Tx("a=3"), Tx("c=")}};
  for (Height height = 1; height <= blocks.size(); ++height) {
    const std::string at = " at height " + std::to_string(height);
    ExpectSame(linked->FinalizeBlock(Block(height, blocks[height - 1])),
               remote->FinalizeBlock(Block(height, blocks[height - 1])), "FinalizeBlock" + at);
    // The same app hash: the Python app follows kvstore.h's rule.
    ExpectSame(linked->Commit(), remote->Commit(), "Commit" + at);
  }
  ExpectSame(linked->Commit(), remote->Commit(), "Commit without FinalizeBlock");
  for (const QueryRequest& query :
       {QueryRequest{"/key", Tx("a"), 0}, QueryRequest{"/key", Tx("a"), 2},
        QueryRequest{"", Tx("c"), 0}, QueryRequest{"/key", Tx("c"), 1},
        QueryRequest{"/key", Tx("a"), 4}, QueryRequest{"/nope", Tx("\x01"), 0}}) {
    ExpectSame(linked->Query(query), remote->Query(query), "Query " + query.path);
  }
  auto remote_info = remote->Info();
  auto linked_info = linked->Info();
  ASSERT_TRUE(remote_info.ok() && linked_info.ok());
  EXPECT_EQ(remote_info->last_height, 3u);
  EXPECT_EQ(remote_info->last_app_hash, linked_info->last_app_hash);
}

TEST_F(PythonKvStoreTest, SurvivesSigkillAndRestart) {
  std::unique_ptr<ChildProcess> child = StartApp();
  std::unique_ptr<Application> remote = ConnectToChild(*child, address_);
  ASSERT_TRUE(remote);
  const Bytes app_hash = RunBlock(*remote, 1, {Tx("a=1")}).app_hash;
  ASSERT_FALSE(app_hash.empty());
  // Finalized but never committed: lost in the crash, as Commit alone promises durability.
  ASSERT_TRUE(remote->FinalizeBlock(Block(2, {Tx("a=2")})).ok());

  child->Kill();
  for (int i = 0; i < 2; ++i) {
    auto down = remote->Query(QueryRequest{"/key", Tx("a"), 0});
    ASSERT_FALSE(down.ok());
    EXPECT_THAT(down.status().message(), HasSubstr("Query: app at " + address_ + ": "));
  }

  child = StartApp();
  auto info = InfoEventually(*remote);
  ASSERT_TRUE(info.ok()) << info.status().ToString() << "\n" << child->Log();
  EXPECT_EQ(info->last_height, 1u);
  EXPECT_EQ(info->last_app_hash, app_hash);
  auto outcome = RunBlock(*remote, 2, {Tx("a=2")});
  EXPECT_EQ(outcome.result.tx_results.size(), 1u);
  auto old = remote->Query(QueryRequest{"/key", Tx("a"), 1});
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  EXPECT_EQ(testing::Text(old->value), "1");
  auto latest = remote->Query(QueryRequest{"/key", Tx("a"), 0});
  ASSERT_TRUE(latest.ok()) << latest.status().ToString();
  EXPECT_EQ(testing::Text(latest->value), "2");
}

}  // namespace
}  // namespace hotbft::app
