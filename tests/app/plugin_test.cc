// Plugins (app/plugin.h): the sample apps as shared libraries behave like the same apps
// linked in, and every way a plugin can be unfit is reported clearly.
#include "app/plugin.h"

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <thread>

#include "app/counter.h"
#include "app/kvstore.h"
#include "app/noop.h"
#include "app/plugin_abi.h"
#include "proto/app.pb.h"
#include "tests/app/app_test_util.h"

namespace hotbft::app {
namespace {

using testing::Block;
using testing::BlockId;
using testing::NonceTx;
using testing::RunBlock;
using testing::TempDir;
using testing::Text;
using testing::Tx;

std::unique_ptr<Application> Load(const std::string& path, const std::string& config) {
  auto app = LoadPlugin(path, config);
  EXPECT_TRUE(app.ok()) << app.status().ToString();
  return app.ok() ? std::move(app).value() : nullptr;
}

// Feeds the same blocks to `linked` and `plugin`; their results and hashes must agree.
void ExpectSameExecution(Application& linked, Application& plugin,
                         const std::vector<std::vector<Bytes>>& blocks) {
  for (size_t i = 0; i < blocks.size(); ++i) {
    const Height height = i + 1;
    const testing::BlockOutcome a = RunBlock(linked, height, blocks[i]);
    const testing::BlockOutcome b = RunBlock(plugin, height, blocks[i]);
    EXPECT_EQ(b.result.tx_results, a.result.tx_results) << "height " << height;
    EXPECT_EQ(b.app_hash, a.app_hash) << "height " << height;
  }
  auto linked_info = linked.Info();
  auto plugin_info = plugin.Info();
  ASSERT_TRUE(linked_info.ok());
  ASSERT_TRUE(plugin_info.ok()) << plugin_info.status().ToString();
  EXPECT_EQ(*plugin_info, *linked_info);
}

TEST(Plugin, KvStoreBehavesLikeTheLinkedInApp) {
  TempDir dir;
  auto linked = KvStore::Open(dir.Sub("linked"));
  ASSERT_TRUE(linked.ok());
  auto plugin = Load(HOTBFT_KVSTORE_PLUGIN, dir.Sub("plugin"));
  ASSERT_NE(plugin, nullptr);
  ExpectSameExecution(**linked, *plugin,
                      {{Tx("a=1"), Tx("b=2")}, {}, {Tx("a=3"), Tx("bad"), Tx("=x")}});

  for (Height height : {1, 3}) {
    const QueryRequest query{"/key", Tx("a"), height};
    EXPECT_EQ(*plugin->Query(query), *(*linked)->Query(query)) << "height " << height;
  }
  const QueryRequest missing{"/key", Tx("zz"), 0};
  EXPECT_EQ(*plugin->Query(missing), *(*linked)->Query(missing));
  EXPECT_EQ(*plugin->CheckTx(Tx("no separator"), CheckTxKind::kNew),
            *(*linked)->CheckTx(Tx("no separator"), CheckTxKind::kNew));
  EXPECT_EQ(*plugin->PrepareProposal(4, {Tx("a=1"), Tx("bad"), Tx("b=2")}, 4),
            (std::vector<Bytes>{Tx("a=1")}));
  EXPECT_FALSE(*plugin->ProcessProposal(4, BlockId(4), {Tx("bad")}));
}

TEST(Plugin, KvStoreRestartsFromItsDirectory) {
  TempDir dir;
  Bytes hash;
  {
    auto plugin = Load(HOTBFT_KVSTORE_PLUGIN, dir.Sub("kv"));
    ASSERT_NE(plugin, nullptr);
    RunBlock(*plugin, 1, {Tx("a=1")});
    hash = RunBlock(*plugin, 2, {Tx("a=2")}).app_hash;
  }  // unloads the library
  auto plugin = Load(HOTBFT_KVSTORE_PLUGIN, dir.Sub("kv"));
  ASSERT_NE(plugin, nullptr);
  auto info = plugin->Info();
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->last_height, 2u);
  EXPECT_EQ(info->last_app_hash, hash);
  EXPECT_EQ(Text(plugin->Query(QueryRequest{"/key", Tx("a"), 1})->value), "1");
}

TEST(Plugin, CounterBehavesLikeTheLinkedInApp) {
  TempDir dir;
  auto linked = Counter::Open(dir.Sub("linked"));
  ASSERT_TRUE(linked.ok());
  auto plugin = Load(HOTBFT_COUNTER_PLUGIN, dir.Sub("plugin"));
  ASSERT_NE(plugin, nullptr);
  ExpectSameExecution(**linked, *plugin,
                      {{NonceTx(0), NonceTx(1)}, {NonceTx(3), NonceTx(2)}, {Tx("short")}});
  EXPECT_EQ(*plugin->CheckTx(NonceTx(3), CheckTxKind::kNew),
            *(*linked)->CheckTx(NonceTx(3), CheckTxKind::kNew));
  EXPECT_EQ(*plugin->CheckTx(NonceTx(9), CheckTxKind::kNew),
            *(*linked)->CheckTx(NonceTx(9), CheckTxKind::kNew));
}

TEST(Plugin, NoopBehavesLikeTheLinkedInApp) {
  Noop linked;
  auto plugin = Load(HOTBFT_NOOP_PLUGIN, "");
  ASSERT_NE(plugin, nullptr);
  ExpectSameExecution(linked, *plugin, {{Tx("a"), Tx("")}, {}, {Tx("\xFF")}});
}

TEST(Plugin, SeveralPluginsLiveInOneProcess) {
  TempDir dir;
  auto kvstore = Load(HOTBFT_KVSTORE_PLUGIN, dir.Sub("kv"));
  auto counter = Load(HOTBFT_COUNTER_PLUGIN, dir.Sub("counter"));
  auto noop = Load(HOTBFT_NOOP_PLUGIN, "");
  auto noop_again = Load(HOTBFT_NOOP_PLUGIN, "");  // the same library twice
  ASSERT_TRUE(kvstore && counter && noop && noop_again);
  EXPECT_EQ(kvstore->Info()->app_name, "kvstore");
  EXPECT_EQ(counter->Info()->app_name, "counter");
  RunBlock(*noop, 1, {});
  EXPECT_EQ(noop->Info()->last_height, 1u);
  EXPECT_EQ(noop_again->Info()->last_height, 0u);  // separate instances
}

TEST(Plugin, AppErrorsComeBackNamingTheMethod) {
  TempDir dir;
  auto plugin = Load(HOTBFT_KVSTORE_PLUGIN, dir.Sub("kv"));
  ASSERT_NE(plugin, nullptr);
  auto result = plugin->FinalizeBlock(Block(5, {}));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message(),
            "FinalizeBlock: the app failed: FailedPrecondition: kvstore: FinalizeBlock at "
            "height 5, expected height 1");
}

TEST(Plugin, ConcurrentConnectionsAreSafe) {
  TempDir dir;
  auto plugin = Load(HOTBFT_KVSTORE_PLUGIN, dir.Sub("kv"));
  ASSERT_NE(plugin, nullptr);
  constexpr Height kBlocks = 50;
  std::thread consensus([&] {
    for (Height h = 1; h <= kBlocks; ++h) RunBlock(*plugin, h, {Tx("k=" + std::to_string(h))});
  });
  std::thread mempool([&] {
    for (int i = 0; i < 200; ++i) EXPECT_TRUE(plugin->CheckTx(Tx("k=v"), CheckTxKind::kNew).ok());
  });
  std::thread query([&] {
    for (int i = 0; i < 200; ++i) EXPECT_TRUE(plugin->Query(QueryRequest{"/key", Tx("k"), 0}).ok());
  });
  consensus.join();
  mempool.join();
  query.join();
  auto last = plugin->Query(QueryRequest{"/key", Tx("k"), 0});
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(Text(last->value), std::to_string(kBlocks));
}

// ---- Unfit plugins ----

TEST(Plugin, NonexistentPathFailsClearly) {
  const std::string path = "/nonexistent/libnothing.so";
  auto app = LoadPlugin(path, "");
  ASSERT_FALSE(app.ok());
  EXPECT_EQ(app.status().code(), Status::Code::kNotFound);
  EXPECT_EQ(app.status().message().rfind("cannot load plugin '" + path + "': ", 0), 0u)
      << app.status().message();
  EXPECT_NE(app.status().message().find("No such file"), std::string::npos)
      << app.status().message();
}

TEST(Plugin, MissingSymbolIsNamed) {
  auto app = LoadPlugin(HOTBFT_MISSING_SYMBOL_PLUGIN, "");
  ASSERT_FALSE(app.ok());
  const std::string prefix = std::string("plugin '") + HOTBFT_MISSING_SYMBOL_PLUGIN +
                             "' does not export 'hotbft_app_call' (";
  EXPECT_EQ(app.status().message().rfind(prefix, 0), 0u) << app.status().message();
}

TEST(Plugin, WrongAbiVersionNamesBothVersions) {
  auto app = LoadPlugin(HOTBFT_WRONG_ABI_PLUGIN, "");
  ASSERT_FALSE(app.ok());
  EXPECT_EQ(app.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_EQ(app.status().message(), std::string("plugin '") + HOTBFT_WRONG_ABI_PLUGIN +
                                        "' has ABI version 2, this node speaks 1");
}

TEST(Plugin, CreateFailureCarriesThePluginsReason) {
  auto app = LoadPlugin(HOTBFT_NOOP_PLUGIN, "unexpected");
  ASSERT_FALSE(app.ok());
  EXPECT_EQ(app.status().message(),
            std::string("plugin '") + HOTBFT_NOOP_PLUGIN +
                "' could not create its app: InvalidArgument: noop takes no config; got "
                "\"unexpected\"");
}

// ---- The C ABI as a plugin exports it ----

class RawAbi : public ::testing::Test {
 protected:
  void SetUp() override {
    library_ = dlopen(HOTBFT_NOOP_PLUGIN, RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(library_, nullptr) << dlerror();
    create_ = reinterpret_cast<hotbft_app_create_fn>(dlsym(library_, HOTBFT_APP_SYMBOL_CREATE));
    call_ = reinterpret_cast<hotbft_app_call_fn>(dlsym(library_, HOTBFT_APP_SYMBOL_CALL));
    free_ =
        reinterpret_cast<hotbft_app_free_buffer_fn>(dlsym(library_, HOTBFT_APP_SYMBOL_FREE_BUFFER));
    destroy_ = reinterpret_cast<hotbft_app_destroy_fn>(dlsym(library_, HOTBFT_APP_SYMBOL_DESTROY));
    ASSERT_TRUE(create_ && call_ && free_ && destroy_);
    char error[64];
    app_ = create_("", error, sizeof(error));
    ASSERT_NE(app_, nullptr) << error;
  }
  void TearDown() override {
    if (app_ != nullptr) destroy_(app_);
    if (library_ != nullptr) dlclose(library_);
  }

  void* library_ = nullptr;
  hotbft_app_create_fn create_ = nullptr;
  hotbft_app_call_fn call_ = nullptr;
  hotbft_app_free_buffer_fn free_ = nullptr;
  hotbft_app_destroy_fn destroy_ = nullptr;
  hotbft_app_handle* app_ = nullptr;
};

TEST_F(RawAbi, GarbageRequestIsRefused) {
  const uint8_t garbage[] = {0xFF, 0xFF, 0xFF};
  uint8_t* response = reinterpret_cast<uint8_t*>(1);
  size_t length = 99;
  EXPECT_EQ(call_(app_, garbage, sizeof(garbage), &response, &length), HOTBFT_APP_CALL_BAD_REQUEST);
  EXPECT_EQ(response, nullptr);
  EXPECT_EQ(length, 0u);
}

TEST_F(RawAbi, EmptyRequestGetsAnExceptionResponse) {
  uint8_t* response = nullptr;
  size_t length = 0;
  ASSERT_EQ(call_(app_, nullptr, 0, &response, &length), HOTBFT_APP_CALL_OK);
  wire::AppResponse parsed;
  EXPECT_TRUE(parsed.ParseFromArray(response, static_cast<int>(length)));
  free_(response);
  ASSERT_EQ(parsed.resp_case(), wire::AppResponse::kException);
  EXPECT_EQ(parsed.exception(), "InvalidArgument: the request names no method this app knows");
}

TEST_F(RawAbi, CreateErrorIsTruncatedAndTerminated) {
  char error[8];
  EXPECT_EQ(create_("config", error, sizeof(error)), nullptr);
  EXPECT_EQ(std::string(error), "Invalid");
}

}  // namespace
}  // namespace hotbft::app
