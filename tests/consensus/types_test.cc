#include "consensus/types.h"

#include <gtest/gtest.h>

namespace hotbft {
namespace {

TEST(VoteData, CanonicalRoundTrip) {
  VoteData v{3, Hash32{}, 10, 12, Hash32{}, 11};
  CanonicalWriter w;
  v.Encode(w);
  EXPECT_EQ(w.bytes().size(), 8 + 32 + 8 + 8 + 32 + 8u);
  CanonicalReader r(w.bytes());
  auto decoded = VoteData::Decode(r);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_TRUE(r.Finish().ok());
  EXPECT_EQ(*decoded, v);
}

}  // namespace
}  // namespace hotbft
