// HOTBFT_ASSERT: an always-on assertion, in release builds too.
//
// A failed assertion is a programming error: it logs the condition and location to
// stderr and aborts. Runtime failures (bad input, I/O) are Status values, never asserts.
#pragma once

namespace hotbft::detail {
[[noreturn]] void AssertFail(const char* condition, const char* file, int line, const char* msg);
}  // namespace hotbft::detail

#define HOTBFT_ASSERT(cond)                                             \
  do {                                                                  \
    if (!(cond)) [[unlikely]] {                                         \
      ::hotbft::detail::AssertFail(#cond, __FILE__, __LINE__, nullptr); \
    }                                                                   \
  } while (0)

#define HOTBFT_ASSERT_MSG(cond, msg)                                  \
  do {                                                                \
    if (!(cond)) [[unlikely]] {                                       \
      ::hotbft::detail::AssertFail(#cond, __FILE__, __LINE__, (msg)); \
    }                                                                 \
  } while (0)
