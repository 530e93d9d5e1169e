// A validator whose application runs in a process of its own (hotbft-app-server over a Unix
// socket): when the app process is killed, the node stops executing and says so; when the
// app is back, it resumes where it stopped and reaches the others' app hash.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "app/socket_app.h"
#include "tests/app/socket_test_util.h"
#include "tests/child_process.h"
#include "tests/node/node_cluster.h"
#include "tests/temp_dir.h"

namespace hotbft::node::testing {
namespace {

using hotbft::testing::ChildProcess;
using hotbft::testing::TempDir;

// The app at `address` once it answers Info, or the last error.
Result<std::unique_ptr<app::Application>> ConnectWhenUp(const std::string& address) {
  const auto deadline = std::chrono::steady_clock::now() + app::testing::kStartTimeout;
  Status last = Status::Internal("not tried");
  while (std::chrono::steady_clock::now() < deadline) {
    auto app = app::ConnectSocketApp(address, app::testing::TestOptions());
    if (app.ok()) {
      auto info = (*app)->Info();
      if (info.ok()) return std::move(app).value();
      last = info.status();
    } else {
      last = app.status();
    }
    std::this_thread::sleep_for(app::testing::kRetryDelay);
  }
  return last;
}

TEST(NodeCoreSocketApp, KilledAppStopsExecutionAndItResumesWhenTheAppIsBack) {
  TempDir dir;
  const std::string address = "unix:" + dir.Sub("app.sock");
  const std::vector<std::string> argv = {
      HOTBFT_APP_SERVER, "--app", "kvstore", "--address", address, "--data", dir.Sub("appdata")};
  auto child = std::make_unique<ChildProcess>(argv, dir.Sub("app.log"));

  ClusterOptions options;
  options.seed = 5;
  NodeCluster cluster(options, dir.Sub("cluster"));
  cluster.set_app_factory(
      [&](uint32_t i, const std::string& app_dir) -> Result<std::unique_ptr<app::Application>> {
        if (i == 0) return ConnectWhenUp(address);
        auto kv = app::KvStore::Open(app_dir);
        if (!kv.ok()) return kv.status();
        return std::unique_ptr<app::Application>(std::move(kv).value());
      });
  for (uint32_t i = 0; i < 4; ++i) {
    Status started = cluster.Start(i, /*init_safety=*/true);
    ASSERT_TRUE(started.ok()) << "validator " << i << ": " << started.ToString() << "\n"
                              << child->Log();
  }
  cluster.RunUntil(1'500);
  ASSERT_GT(cluster.core(0).executed_height(), 5u) << child->Log();
  ASSERT_TRUE(cluster.core(0).execution_status().ok());

  child->Kill();  // SIGKILL: the app process crashes
  cluster.RunUntil(cluster.now() + 1'000);
  const Status down = cluster.core(0).execution_status();
  EXPECT_FALSE(down.ok());
  EXPECT_NE(down.message().find(address), std::string::npos) << down.ToString();
  const Height stalled = cluster.core(0).executed_height();
  cluster.RunUntil(cluster.now() + 2'000);
  EXPECT_EQ(cluster.core(0).executed_height(), stalled);  // nothing applied while it is down
  EXPECT_GT(cluster.core(1).executed_height(), stalled);  // the others carry on
  EXPECT_TRUE(cluster.core(0).halted().ok());

  // The app process comes back over the data it had committed.
  child = std::make_unique<ChildProcess>(argv, dir.Sub("app.log"));
  ASSERT_TRUE(ConnectWhenUp(address).ok()) << child->Log();
  const Height target = cluster.core(1).executed_height() + 5;
  ASSERT_TRUE(cluster.RunUntil(cluster.now() + 20'000,
                               [&] {
                                 for (uint32_t i = 0; i < 4; ++i) {
                                   if (cluster.core(i).executed_height() < target) return false;
                                 }
                                 return true;
                               }))
      << "validator 0 stayed at height " << cluster.core(0).executed_height() << "\n"
      << child->Log();
  EXPECT_TRUE(cluster.core(0).execution_status().ok());
  EXPECT_TRUE(cluster.violations().empty()) << cluster.violations().front();
  for (uint32_t i = 1; i < 4; ++i) {
    EXPECT_EQ(cluster.store(0).AppHashAt(target), cluster.store(i).AppHashAt(target))
        << "validator " << i;
  }
  auto info = cluster.app(0).Info();
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_GE(info->last_height, target);
}

}  // namespace
}  // namespace hotbft::node::testing
