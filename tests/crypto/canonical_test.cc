// The canonical encoding (crypto/canonical.h) and hex (crypto/bytes.h).
#include "crypto/canonical.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>

namespace hotbft {
namespace {

using ::testing::HasSubstr;

Bytes Of(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

// ---- CanonicalWriter ----

TEST(CanonicalWriter, IntegersAreFixedWidthBigEndian) {
  CanonicalWriter w;
  w.U8(0xab).U32(0x01020304).U64(0x0102030405060708ULL);
  EXPECT_EQ(w.bytes(),
            (Bytes{0xab, 0x01, 0x02, 0x03, 0x04, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08}));
  CanonicalWriter small;
  small.U32(1).U64(1);
  EXPECT_EQ(small.bytes(), (Bytes{0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1}));
  CanonicalWriter max;
  max.U32(std::numeric_limits<uint32_t>::max()).U64(std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(max.bytes(), Bytes(12, 0xff));
}

TEST(CanonicalWriter, VarHasAU32LengthPrefixAndFixedHasNone) {
  CanonicalWriter w;
  w.Var(Of("abc")).Fixed(Of("xy")).Var(Bytes{});
  EXPECT_EQ(w.bytes(), (Bytes{0, 0, 0, 3, 'a', 'b', 'c', 'x', 'y', 0, 0, 0, 0}));
  CanonicalWriter big;
  big.Var(Bytes(300, 0x11));
  ASSERT_EQ(big.bytes().size(), 304u);
  EXPECT_EQ(Bytes(big.bytes().begin(), big.bytes().begin() + 4), (Bytes{0, 0, 0x01, 0x2c}));
}

TEST(CanonicalWriter, TakeMovesTheBytesOut) {
  CanonicalWriter w;
  w.U8(7);
  EXPECT_EQ(w.Take(), Bytes{7});
}

// ---- CanonicalReader ----

TEST(CanonicalReader, ReadsWhatTheWriterWrote) {
  CanonicalWriter w;
  w.U8(9).U32(0xdeadbeef).U64(0x0123456789abcdefULL).Fixed(Of("fixed")).Var(Of("var"));
  CanonicalReader r(w.bytes());
  EXPECT_EQ(*r.U8(), 9);
  EXPECT_EQ(*r.U32(), 0xdeadbeefu);
  EXPECT_EQ(*r.U64(), 0x0123456789abcdefULL);
  Result<ByteView> fixed = r.Fixed(5);
  ASSERT_TRUE(fixed.ok());
  EXPECT_EQ(Bytes(fixed->begin(), fixed->end()), Of("fixed"));
  Result<ByteView> var = r.Var(16);
  ASSERT_TRUE(var.ok());
  EXPECT_EQ(Bytes(var->begin(), var->end()), Of("var"));
  EXPECT_TRUE(r.Finish().ok());
}

TEST(CanonicalReader, DecodesBigEndian) {
  const Bytes data = {0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00};
  CanonicalReader r(data);
  EXPECT_EQ(*r.U32(), 0x01020304u);
  EXPECT_EQ(*r.U64(), 256u);
  EXPECT_TRUE(r.Finish().ok());
}

TEST(CanonicalReader, EveryReadFailsPastTheEnd) {
  const Bytes three = {1, 2, 3};
  {
    CanonicalReader r(three);
    Result<uint32_t> v = r.U32();
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.status().code(), Status::Code::kInvalidArgument);
    EXPECT_THAT(v.status().message(), HasSubstr("need 4 bytes at offset 0, only 3 left"));
  }
  {
    const Bytes seven(7, 0);
    CanonicalReader r(seven);
    EXPECT_FALSE(r.U64().ok());
  }
  {
    CanonicalReader r(ByteView{});
    EXPECT_FALSE(r.U8().ok());
    EXPECT_FALSE(r.Fixed(1).ok());
    EXPECT_TRUE(r.Fixed(0).ok());
    EXPECT_TRUE(r.Finish().ok());
  }
  {
    CanonicalReader r(three);
    EXPECT_TRUE(r.U8().ok());
    Result<ByteView> f = r.Fixed(3);
    ASSERT_FALSE(f.ok());
    EXPECT_THAT(f.status().message(), HasSubstr("at offset 1, only 2 left"));
  }
}

TEST(CanonicalReader, VarFailsWhenTheLengthOverrunsTheData) {
  const Bytes data = {0, 0, 0, 5, 'a', 'b'};
  CanonicalReader r(data);
  EXPECT_FALSE(r.Var(100).ok());
  // A hostile length near 2^32 with no limit in the way fails cleanly too.
  const Bytes huge = {0xff, 0xff, 0xff, 0xff, 'a'};
  CanonicalReader rh(huge);
  EXPECT_FALSE(rh.Var(std::numeric_limits<size_t>::max()).ok());
  // A truncated length prefix.
  const Bytes short_prefix = {0, 0, 1};
  CanonicalReader rs(short_prefix);
  EXPECT_FALSE(rs.Var(100).ok());
}

TEST(CanonicalReader, VarEnforcesMaxLen) {
  CanonicalWriter w;
  w.Var(Of("abc"));
  {
    CanonicalReader r(w.bytes());
    Result<ByteView> v = r.Var(2);
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.status().code(), Status::Code::kInvalidArgument);
    EXPECT_THAT(v.status().message(), HasSubstr("field length 3 exceeds limit 2"));
  }
  {
    CanonicalReader r(w.bytes());
    Result<ByteView> v = r.Var(3);  // the limit is inclusive
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(v->size(), 3u);
    EXPECT_TRUE(r.Finish().ok());
  }
}

TEST(CanonicalReader, FinishRejectsTrailingBytes) {
  const Bytes data = {0, 0, 0, 1, 0xee, 0xee};
  CanonicalReader r(data);
  EXPECT_EQ(*r.U32(), 1u);
  Status st = r.Finish();
  EXPECT_EQ(st.code(), Status::Code::kInvalidArgument);
  EXPECT_THAT(st.message(), HasSubstr("2 trailing bytes"));
  EXPECT_TRUE(r.U8().ok());
  EXPECT_FALSE(r.Finish().ok());
  EXPECT_TRUE(r.U8().ok());
  EXPECT_TRUE(r.Finish().ok());
}

// ---- Hex ----

TEST(Hex, ToHexIsLowerCase) {
  EXPECT_EQ(ToHex(Bytes{}), "");
  EXPECT_EQ(ToHex(Bytes{0x00, 0x01, 0xab, 0xcd, 0xef, 0xff}), "0001abcdefff");
}

TEST(Hex, FromHexAcceptsEitherCase) {
  for (std::string_view hex : {"0001abcdefff", "0001ABCDEFFF", "0001AbCdEfFf"}) {
    Result<Bytes> b = FromHex(hex);
    ASSERT_TRUE(b.ok()) << hex;
    EXPECT_EQ(*b, (Bytes{0x00, 0x01, 0xab, 0xcd, 0xef, 0xff})) << hex;
  }
  Result<Bytes> empty = FromHex("");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(Hex, RoundTripsEveryByte) {
  Bytes all(256);
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<uint8_t>(i);
  Result<Bytes> back = FromHex(ToHex(all));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, all);
}

TEST(Hex, FromHexRejectsOddLength) {
  for (std::string_view hex : {"0", "abc", "00112"}) {
    Result<Bytes> b = FromHex(hex);
    ASSERT_FALSE(b.ok()) << hex;
    EXPECT_EQ(b.status().code(), Status::Code::kInvalidArgument);
    EXPECT_THAT(b.status().message(), HasSubstr("odd length " + std::to_string(hex.size())));
  }
}

TEST(Hex, FromHexRejectsBadCharacters) {
  struct Case {
    std::string hex;
    size_t offset;  // of the pair holding the bad character
  };
  for (const Case& c :
       {Case{"0g", 0}, Case{"g0", 0}, Case{"00 1", 2}, Case{"0x12", 0}, Case{"00-1", 2},
        Case{"0011\xc3\xa9", 4}, Case{std::string("00\0a", 4), 2}, Case{"+1", 0}}) {
    Result<Bytes> b = FromHex(c.hex);
    ASSERT_FALSE(b.ok()) << c.hex;
    EXPECT_EQ(b.status().code(), Status::Code::kInvalidArgument);
    EXPECT_THAT(b.status().message(), HasSubstr("at offset " + std::to_string(c.offset)));
  }
}

TEST(FixedBytes, FromHexAndFromBytesCheckTheLength) {
  EXPECT_TRUE(Hash32::FromHex(std::string(64, 'a')).ok());
  for (size_t len : {0u, 62u, 66u}) {
    Result<Hash32> h = Hash32::FromHex(std::string(len, 'a'));
    ASSERT_FALSE(h.ok()) << len;
    EXPECT_THAT(h.status().message(),
                HasSubstr("expected 32 bytes, got " + std::to_string(len / 2)));
  }
  EXPECT_FALSE(Hash32::FromHex(std::string(63, 'a')).ok());
  EXPECT_FALSE(FixedBytes<4>::FromBytes(Bytes{1, 2, 3}).ok());
  Result<FixedBytes<4>> four = FixedBytes<4>::FromBytes(Bytes{1, 2, 3, 4});
  ASSERT_TRUE(four.ok());
  EXPECT_EQ(four->hex(), "01020304");
}

TEST(FixedBytes, ZeroAndOrdering) {
  FixedBytes<4> zero;
  EXPECT_TRUE(zero.is_zero());
  FixedBytes<4> one = *FixedBytes<4>::FromBytes(Bytes{0, 0, 0, 1});
  FixedBytes<4> big = *FixedBytes<4>::FromBytes(Bytes{1, 0, 0, 0});
  EXPECT_FALSE(one.is_zero());
  EXPECT_LT(zero, one);
  EXPECT_LT(one, big);  // lexicographic: the first byte dominates
  EXPECT_NE(one, big);
}

}  // namespace
}  // namespace hotbft
