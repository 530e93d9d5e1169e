// BatchVerifier: exactly the bad indexes are reported, whatever the pool size.
#include "crypto/batch_verifier.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <thread>

#include "crypto/sha256.h"
#include "tests/crypto/test_util.h"

namespace hotbft {
namespace {

using testing_util::FlipByte;

constexpr uint64_t kSeed = 0xba7c4;
constexpr size_t kItems = 100;
constexpr size_t kSigners = 5;

// Items i: signer i % kSigners over Sha256("item i"), all valid. Built once per process.
const std::vector<VerifyItem>& ValidItems() {
  static const std::vector<VerifyItem> items = [] {
    auto signers = testing_util::MakeSchnorrSigners(kSigners, kSeed);
    std::vector<VerifyItem> out;
    for (size_t i = 0; i < kItems; ++i) {
      Signer& s = *signers[i % kSigners];
      const Hash32 digest = Sha256(AsBytes("item " + std::to_string(i)));
      out.push_back({s.public_key(), digest, s.Sign(digest)});
    }
    return out;
  }();
  return items;
}

// Breaks item `i` in one of three ways, chosen by `i`: signature, digest or key.
void Corrupt(VerifyItem& item, size_t i) {
  switch (i % 3) {
    case 0: item.signature = FlipByte(item.signature, i % 64); break;
    case 1: item.digest = FlipByte(item.digest, i % 32); break;
    default: item.key = ValidItems()[(i + 1) % kSigners].key; break;
  }
}

std::vector<VerifyItem> WithBadAt(const std::vector<size_t>& bad) {
  std::vector<VerifyItem> items = ValidItems();
  for (size_t i : bad) Corrupt(items[i], i);
  return items;
}

class BatchVerifierTest : public ::testing::TestWithParam<size_t> {
 protected:
  const Verifier& verifier() const { return VerifierFor(SignatureScheme::kSchnorrBip340); }
};

TEST_P(BatchVerifierTest, AllValid) {
  SCOPED_TRACE("seed " + std::to_string(kSeed));
  BatchVerifier batch(verifier(), GetParam());
  EXPECT_EQ(batch.threads(), GetParam());
  EXPECT_EQ(&batch.verifier(), &verifier());
  BatchResult result = batch.Verify(ValidItems());
  EXPECT_TRUE(result.all_ok());
  EXPECT_TRUE(result.failed.empty());
}

TEST_P(BatchVerifierTest, EmptyBatch) {
  BatchVerifier batch(verifier(), GetParam());
  BatchResult result = batch.Verify({});
  EXPECT_TRUE(result.all_ok());
}

TEST_P(BatchVerifierTest, ReportsExactlyTheBadIndexes) {
  SCOPED_TRACE("seed " + std::to_string(kSeed));
  // First and last item, both sides of chunk boundaries (kChunkItems = 8), a run.
  const std::vector<size_t> bad = {0, 7, 8, 15, 16, 41, 42, 43, 63, 64, 98, 99};
  static_assert(BatchVerifier::kChunkItems == 8, "bad indexes straddle 8-item chunks");
  BatchVerifier batch(verifier(), GetParam());
  BatchResult result = batch.Verify(WithBadAt(bad));
  EXPECT_FALSE(result.all_ok());
  EXPECT_EQ(result.failed, bad);
}

TEST_P(BatchVerifierTest, AllBad) {
  std::vector<size_t> bad(kItems);
  for (size_t i = 0; i < kItems; ++i) bad[i] = i;
  BatchVerifier batch(verifier(), GetParam());
  EXPECT_EQ(batch.Verify(WithBadAt(bad)).failed, bad);
}

// Batches shorter than one chunk stay on the calling thread; they must still be exact.
TEST_P(BatchVerifierTest, SmallBatches) {
  BatchVerifier batch(verifier(), GetParam());
  for (size_t size : {1u, 2u, 7u, 8u, 9u}) {
    std::vector<VerifyItem> items(ValidItems().begin(), ValidItems().begin() + size);
    EXPECT_TRUE(batch.Verify(items).all_ok()) << "size " << size;
    Corrupt(items[size - 1], size - 1);
    EXPECT_EQ(batch.Verify(items).failed, std::vector<size_t>{size - 1}) << "size " << size;
  }
}

// Random bad sets from a fixed seed, many calls on one pool (reuse across calls).
TEST_P(BatchVerifierTest, RandomBadSetsReplayFromSeed) {
  constexpr uint64_t kBadSeed = 0x5ead;
  SCOPED_TRACE("bad-set seed " + std::to_string(kBadSeed));
  SeededRandom rng(kBadSeed);
  BatchVerifier batch(verifier(), GetParam());
  for (int round = 0; round < 5; ++round) {
    std::set<size_t> bad_set;
    const size_t bad_count = rng.Next() % 20;
    while (bad_set.size() < bad_count) bad_set.insert(rng.Next() % kItems);
    const std::vector<size_t> bad(bad_set.begin(), bad_set.end());
    EXPECT_EQ(batch.Verify(WithBadAt(bad)).failed, bad) << "round " << round;
  }
}

// Two threads share one pool; each must get its own batch's answer.
TEST_P(BatchVerifierTest, ConcurrentCallers) {
  SCOPED_TRACE("seed " + std::to_string(kSeed));
  BatchVerifier batch(verifier(), GetParam());
  const std::vector<size_t> bad_a = {3, 50, 97};
  const std::vector<size_t> bad_b = {0, 8, 9, 60};
  const std::vector<VerifyItem> items_a = WithBadAt(bad_a);
  const std::vector<VerifyItem> items_b = WithBadAt(bad_b);
  constexpr int kCalls = 10;
  std::vector<std::vector<size_t>> results_a(kCalls);
  std::vector<std::vector<size_t>> results_b(kCalls);
  std::thread ta([&] {
    for (int i = 0; i < kCalls; ++i) results_a[i] = batch.Verify(items_a).failed;
  });
  std::thread tb([&] {
    for (int i = 0; i < kCalls; ++i) results_b[i] = batch.Verify(items_b).failed;
  });
  ta.join();
  tb.join();
  for (int i = 0; i < kCalls; ++i) {
    EXPECT_EQ(results_a[i], bad_a) << "call " << i;
    EXPECT_EQ(results_b[i], bad_b) << "call " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Threads, BatchVerifierTest, ::testing::Values(1, 2, 4),
                         [](const auto& info) { return std::to_string(info.param) + "threads"; });

// A large batch under the cheap test-only scheme: many chunks, many workers.
TEST(BatchVerifier, LargeTestOnlyBatch) {
  constexpr uint64_t kLargeSeed = 0x1a49e;
  SCOPED_TRACE("seed " + std::to_string(kLargeSeed));
  SeededRandom rng(kLargeSeed);
  auto signer = testing_util::MakeSeededSigner(SignatureScheme::kTestOnlyKeyedHash, rng, 1);
  ASSERT_NE(signer, nullptr);
  std::vector<VerifyItem> items;
  std::vector<size_t> bad;
  for (size_t i = 0; i < 2000; ++i) {
    const Hash32 digest = Sha256(AsBytes(std::to_string(i)));
    items.push_back({signer->public_key(), digest, signer->Sign(digest)});
    if (rng.Next() % 10 == 0) {
      items.back().signature = FlipByte(items.back().signature, i % 64);
      bad.push_back(i);
    }
  }
  ASSERT_FALSE(bad.empty());
  BatchVerifier batch(VerifierFor(SignatureScheme::kTestOnlyKeyedHash), 8);
  EXPECT_EQ(batch.Verify(items).failed, bad);
}

}  // namespace
}  // namespace hotbft
