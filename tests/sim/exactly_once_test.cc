// The exactly-once checker fires on a transaction dropped and on one taking effect twice,
// and stays quiet on duplicates, crashes and transactions within their bound.
#include "tests/sim/exactly_once.h"

#include <gtest/gtest.h>

#include "app/application.h"
#include "crypto/sha256.h"

namespace hotbft::sim {
namespace {

Hash32 Tx(std::string_view s) {
  return Sha256(AsBytes(s));
}

constexpr uint64_t kGst = 1'000;
constexpr uint64_t kBound = 5'000;

TEST(ExactlyOnceCheckerTest, FiresOnAnAdmittedTransactionThatNeverTakesEffect) {
  ExactlyOnceChecker checker(4, kGst, kBound);
  checker.OnAdmitted(1, Tx("a"), 200);
  EXPECT_FALSE(checker.Check(kGst + kBound).has_value());  // due at max(200, GST) + bound
  auto v = checker.Check(kGst + kBound + 1);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->checker, "exactly-once");
  EXPECT_NE(v->message.find("admitted by validator 1"), std::string::npos) << v->message;
}

TEST(ExactlyOnceCheckerTest, FiresOnATransactionTakingEffectTwice) {
  ExactlyOnceChecker checker(4, kGst, kBound);
  checker.OnAdmitted(0, Tx("a"), 10);
  EXPECT_FALSE(checker.OnExecuted(0, Tx("a"), 5, app::kCodeOk, 20).has_value());
  auto v = checker.OnExecuted(0, Tx("a"), 9, app::kCodeOk, 30);
  ASSERT_TRUE(v.has_value());
  EXPECT_NE(v->message.find("took effect twice, at heights 5 and 9"), std::string::npos)
      << v->message;
  // An app's own error code counts as taking effect too.
  ExactlyOnceChecker other(4, kGst, kBound);
  EXPECT_FALSE(other.OnExecuted(2, Tx("b"), 1, 7, 0).has_value());
  EXPECT_TRUE(other.OnExecuted(2, Tx("b"), 2, app::kCodeOk, 0).has_value());
}

TEST(ExactlyOnceCheckerTest, DuplicatesAndOtherValidatorsAreFine) {
  ExactlyOnceChecker checker(4, kGst, kBound);
  checker.OnAdmitted(0, Tx("a"), 10);
  checker.OnAdmitted(1, Tx("a"), 10);  // submitted to two validators
  for (uint32_t v = 0; v < 4; ++v) {
    EXPECT_FALSE(checker.OnExecuted(v, Tx("a"), 3, app::kCodeOk, 50).has_value());
    // Replayed by a Byzantine leader: executed as a duplicate.
    EXPECT_FALSE(checker.OnExecuted(v, Tx("a"), 8, app::kCodeDuplicate, 90).has_value());
  }
  EXPECT_FALSE(checker.Check(1'000'000).has_value());
  EXPECT_EQ(checker.took_effect(), 4u);
  EXPECT_EQ(checker.duplicates(), 4u);
}

TEST(ExactlyOnceCheckerTest, ACrashedValidatorOwesNothingItHeld) {
  ExactlyOnceChecker checker(4, kGst, kBound);
  checker.OnAdmitted(3, Tx("a"), 10);
  checker.OnCrash(3);
  EXPECT_FALSE(checker.Check(1'000'000).has_value());
  // Admitted again after the restart: owed again.
  checker.OnAdmitted(3, Tx("a"), 2'000);
  EXPECT_TRUE(checker.Check(2'000 + kBound + 1).has_value());
}

TEST(ExactlyOnceCheckerTest, AdmittedAfterItTookEffectIsNotOwed) {
  ExactlyOnceChecker checker(4, kGst, kBound);
  EXPECT_FALSE(checker.OnExecuted(0, Tx("a"), 3, app::kCodeOk, 50).has_value());
  checker.OnAdmitted(0, Tx("a"), 60);
  EXPECT_FALSE(checker.Check(1'000'000).has_value());
}

}  // namespace
}  // namespace hotbft::sim
