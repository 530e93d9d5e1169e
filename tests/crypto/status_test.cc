// Status and Result<T> (crypto/status.h).
#include "crypto/status.h"

#include <gtest/gtest.h>

#include <memory>
#include <set>

namespace hotbft {
namespace {

TEST(Status, DefaultIsOk) {
  Status st;
  EXPECT_TRUE(st.ok());
  EXPECT_EQ(st.code(), Status::Code::kOk);
  EXPECT_EQ(st.ToString(), "OK");
  EXPECT_TRUE(Status::Ok().ok());
  EXPECT_EQ(Status::Ok().message(), "");
}

TEST(Status, NamedConstructorsSetCodeAndMessage) {
  struct Case {
    Status status;
    Status::Code code;
    std::string text;
  };
  const Case cases[] = {
      {Status::InvalidArgument("m"), Status::Code::kInvalidArgument, "InvalidArgument: m"},
      {Status::NotFound("m"), Status::Code::kNotFound, "NotFound: m"},
      {Status::Corruption("m"), Status::Code::kCorruption, "Corruption: m"},
      {Status::IoError("m"), Status::Code::kIoError, "IoError: m"},
      {Status::PermissionDenied("m"), Status::Code::kPermissionDenied, "PermissionDenied: m"},
      {Status::FailedPrecondition("m"), Status::Code::kFailedPrecondition, "FailedPrecondition: m"},
      {Status::ResourceExhausted("m"), Status::Code::kResourceExhausted, "ResourceExhausted: m"},
      {Status::Unauthenticated("m"), Status::Code::kUnauthenticated, "Unauthenticated: m"},
      {Status::Internal("m"), Status::Code::kInternal, "Internal: m"},
  };
  std::set<std::string_view> names;
  for (const Case& c : cases) {
    EXPECT_FALSE(c.status.ok()) << c.text;
    EXPECT_EQ(c.status.code(), c.code) << c.text;
    EXPECT_EQ(c.status.message(), "m");
    EXPECT_EQ(c.status.ToString(), c.text);
    names.insert(CodeName(c.code));
  }
  EXPECT_EQ(names.size(), std::size(cases));
  EXPECT_EQ(CodeName(Status::Code::kOk), "OK");
}

TEST(Status, WithPrefixesContextAndKeepsTheCode) {
  const Status st = Status::IoError("disk full").With("writing block 7");
  EXPECT_EQ(st.code(), Status::Code::kIoError);
  EXPECT_EQ(st.message(), "writing block 7: disk full");
  EXPECT_EQ(st.ToString(), "IoError: writing block 7: disk full");
  // Nested context reads outermost first.
  EXPECT_EQ(st.With("commit").message(), "commit: writing block 7: disk full");
  // OK stays OK, with no message.
  const Status ok = Status::Ok().With("anything");
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(ok.message(), "");
}

TEST(Result, HoldsAValue) {
  Result<int> r = 42;
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.status().ok());
  EXPECT_EQ(*r, 42);
  EXPECT_EQ(r.value(), 42);
  Result<std::string> s = std::string("abc");
  EXPECT_EQ(s->size(), 3u);
  Result<std::unique_ptr<int>> moved = std::make_unique<int>(5);
  std::unique_ptr<int> out = std::move(moved).value();
  EXPECT_EQ(*out, 5);
}

TEST(Result, HoldsAnError) {
  Result<int> r = Status::NotFound("no block 9");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kNotFound);
  EXPECT_EQ(r.status().message(), "no block 9");
  EXPECT_EQ(r.status().ToString(), "NotFound: no block 9");
}

Status FailsAt(int step, int fail_step, int* reached) {
  for (int i = 0; i < step; ++i) {
    HOTBFT_RETURN_IF_ERROR(i == fail_step ? Status::Corruption("step " + std::to_string(i))
                                          : Status::Ok());
    *reached = i;
  }
  return Status::Ok();
}

TEST(Status, ReturnIfErrorStopsAtTheFirstError) {
  int reached = -1;
  Status st = FailsAt(5, 2, &reached);
  EXPECT_EQ(st.code(), Status::Code::kCorruption);
  EXPECT_EQ(st.message(), "step 2");
  EXPECT_EQ(reached, 1);
  reached = -1;
  EXPECT_TRUE(FailsAt(5, 99, &reached).ok());
  EXPECT_EQ(reached, 4);
}

// Programming errors are assertions, on in release builds too.
TEST(ResultDeathTest, MisuseAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH({ Result<int> r = Status::Ok(); }, "assertion failed");
  EXPECT_DEATH(
      {
        Result<int> r = Status::Internal("x");
        (void)r.value();
      },
      "assertion failed");
}

}  // namespace
}  // namespace hotbft
