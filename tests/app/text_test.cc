// Text helpers of the app boundary (app/text.h).
#include "app/text.h"

#include <gtest/gtest.h>

namespace hotbft::app {
namespace {

TEST(Utf8, AcceptsWellFormedText) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("\xC3\xA9"));          // U+00E9
  EXPECT_TRUE(IsValidUtf8("\xE2\x82\xAC"));      // U+20AC
  EXPECT_TRUE(IsValidUtf8("\xF0\x9F\x98\x80"));  // U+1F600
  EXPECT_TRUE(IsValidUtf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF, the last code point
}

TEST(Utf8, RefusesWhatProtobufRefuses) {
  EXPECT_FALSE(IsValidUtf8("\xFF"));
  EXPECT_FALSE(IsValidUtf8("\x80"));              // a lone continuation byte
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xE0\x80\xAF"));      // overlong, 3 bytes
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // a surrogate
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xE2\x82"));          // cut short
  EXPECT_FALSE(IsValidUtf8("ok\xC3"));            // cut short at the end
}

TEST(EscapeBytes, KeepsPrintableAsciiAndEscapesTheRest) {
  EXPECT_EQ(EscapeBytes(std::string_view("key=1")), "key=1");
  EXPECT_EQ(EscapeBytes(std::string_view("a\\b")), "a\\x5cb");
  EXPECT_EQ(EscapeBytes(std::string_view("\x00\n\xFF", 3)), "\\x00\\x0a\\xff");
  EXPECT_TRUE(IsValidUtf8(EscapeBytes(std::string_view("\xC3\xA9\xFF"))));
}

TEST(CutText, KeepsShortTextAndCutsLongTextWithAMarker) {
  EXPECT_EQ(CutText("short", 10), "short");
  EXPECT_EQ(CutText("0123456789", 8), "01234...");
  EXPECT_EQ(CutText("0123456789", 8).size(), 8u);
}

TEST(CutText, NeverSplitsACharacterAndEscapesInvalidText) {
  // "ab" then U+20AC (3 bytes): a cut after 4 bytes would split the euro sign.
  const std::string cut = CutText(
      "ab\xE2\x82\xAC"
      "cdef",
      7);
  EXPECT_EQ(cut, "ab...");
  EXPECT_TRUE(IsValidUtf8(cut));
  EXPECT_EQ(CutText("\xFF", 10), "\\xff");
}

}  // namespace
}  // namespace hotbft::app
