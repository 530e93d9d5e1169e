// Helpers for the socket transport's tests (socket_app_test.cc, socket_app_process_test.cc):
// client options with short timeouts, the sample apps, and answer comparison.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "app/counter.h"
#include "app/kvstore.h"
#include "app/noop.h"
#include "app/socket_app.h"
#include "app/socket_server.h"
#include "tests/app/app_test_util.h"

namespace hotbft::app::testing {

using ::testing::HasSubstr;

inline constexpr uint64_t kTestCallTimeoutMs = 10'000;
inline constexpr uint64_t kTestBackoffMs = 50;
// How long a started process (or a restarted server) gets to accept connections.
inline constexpr auto kStartTimeout = std::chrono::seconds(20);
inline constexpr auto kRetryDelay = std::chrono::milliseconds(20);

inline SocketAppOptions TestOptions() {
  SocketAppOptions options;
  options.connect_timeout_ms = kTestCallTimeoutMs;
  options.call_timeout_ms = kTestCallTimeoutMs;
  options.reconnect_backoff_ms_min = kTestBackoffMs;
  options.reconnect_backoff_ms_max = kTestBackoffMs;
  options.node_version = "test";
  return options;
}

inline std::unique_ptr<Application> MustConnect(const std::string& address,
                                                SocketAppOptions options = TestOptions()) {
  auto app = ConnectSocketApp(address, std::move(options));
  EXPECT_TRUE(app.ok()) << app.status().ToString();
  return app.ok() ? std::move(app).value() : nullptr;
}

inline std::unique_ptr<SocketServer> MustServe(const std::string& address, Application& app,
                                               SocketServer::Options options = {}) {
  auto server = SocketServer::Start(address, app, std::move(options));
  EXPECT_TRUE(server.ok()) << server.status().ToString();
  return server.ok() ? std::move(server).value() : nullptr;
}

// Info until it succeeds (a reconnect may have to wait out the backoff), or the last error.
inline Result<InfoResult> InfoEventually(Application& app) {
  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  for (;;) {
    Result<InfoResult> info = app.Info();
    if (info.ok() || std::chrono::steady_clock::now() >= deadline) return info;
    std::this_thread::sleep_for(kRetryDelay);
  }
}

// ---- Each sample app, linked in and behind a socket ----

enum class SampleApp { kKvStore, kCounter, kNoop };

inline std::unique_ptr<Application> OpenSample(SampleApp kind, const std::string& dir) {
  Result<std::unique_ptr<Application>> app = Status::Internal("unset");
  switch (kind) {
    case SampleApp::kKvStore: {
      auto store = KvStore::Open(dir);
      app = store.ok() ? Result<std::unique_ptr<Application>>(std::move(store).value())
                       : Result<std::unique_ptr<Application>>(store.status());
      break;
    }
    case SampleApp::kCounter: {
      auto counter = Counter::Open(dir);
      app = counter.ok() ? Result<std::unique_ptr<Application>>(std::move(counter).value())
                         : Result<std::unique_ptr<Application>>(counter.status());
      break;
    }
    case SampleApp::kNoop: app = std::unique_ptr<Application>(std::make_unique<Noop>()); break;
  }
  EXPECT_TRUE(app.ok()) << app.status().ToString();
  return app.ok() ? std::move(app).value() : nullptr;
}

// Transactions for two blocks, each mixing ones the app accepts and ones it refuses.
inline std::vector<std::vector<Bytes>> SampleBlocks(SampleApp kind) {
  switch (kind) {
    case SampleApp::kKvStore:
      return {{Tx("a=1"), Tx("b=two"), Tx("broken"), Tx("=empty")}, {Tx("a=3"), Tx("c=")}};
    case SampleApp::kCounter:
      return {{NonceTx(0), NonceTx(1), NonceTx(7), Tx("short")}, {NonceTx(2)}};
    case SampleApp::kNoop: return {{Tx("x"), Tx("y")}, {Tx("z")}};
  }
  return {};
}

inline QueryRequest SampleQuery(SampleApp kind, Height height) {
  switch (kind) {
    case SampleApp::kKvStore: return QueryRequest{"/key", Tx("a"), height};
    case SampleApp::kCounter: return QueryRequest{"/count", {}, height};
    case SampleApp::kNoop: return QueryRequest{"/anything", {}, height};
  }
  return {};
}

// The same answer, or the same failure: the remote error carries the app's message.
template <typename T>
void ExpectSame(const Result<T>& linked, const Result<T>& remote, const std::string& call) {
  SCOPED_TRACE(call);
  ASSERT_EQ(linked.ok(), remote.ok())
      << "linked: " << linked.status().ToString() << "\nremote: " << remote.status().ToString();
  if (linked.ok()) {
    EXPECT_TRUE(*linked == *remote);
  } else {
    EXPECT_THAT(remote.status().message(), HasSubstr(linked.status().message()));
  }
}

}  // namespace hotbft::app::testing
