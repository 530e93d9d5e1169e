// The frame decoder: split reads, the exact limit, oversized and zero lengths, garbage.
#include "network/frame.h"

#include <gtest/gtest.h>

#include "crypto/random.h"

namespace hotbft::network {
namespace {

Bytes Body(size_t n, uint8_t fill = 0xab) {
  return Bytes(n, fill);
}

// Takes every complete body the decoder holds.
std::vector<Bytes> Drain(FrameDecoder& d) {
  std::vector<Bytes> out;
  while (true) {
    auto next = d.Next();
    EXPECT_TRUE(next.ok()) << next.status().ToString();
    if (!next.ok() || !next->has_value()) return out;
    out.push_back(std::move(**next));
  }
}

TEST(FrameTest, EncodesBigEndianLength) {
  const Bytes frame = EncodeFrame(Body(0x010203));
  ASSERT_EQ(frame.size(), 4u + 0x010203);
  EXPECT_EQ(frame[0], 0x00);
  EXPECT_EQ(frame[1], 0x01);
  EXPECT_EQ(frame[2], 0x02);
  EXPECT_EQ(frame[3], 0x03);
}

TEST(FrameTest, WholeFramesInOneRead) {
  FrameDecoder d(1024);
  Bytes stream = EncodeFrame(Body(3, 1));
  const Bytes second = EncodeFrame(Body(5, 2));
  stream.insert(stream.end(), second.begin(), second.end());
  d.Append(stream);
  const auto bodies = Drain(d);
  ASSERT_EQ(bodies.size(), 2u);
  EXPECT_EQ(bodies[0], Body(3, 1));
  EXPECT_EQ(bodies[1], Body(5, 2));
  EXPECT_EQ(d.buffered_bytes(), 0u);
}

TEST(FrameTest, SplitReadsAtEveryByteBoundary) {
  Bytes stream;
  std::vector<Bytes> sent;
  for (size_t n : {1, 2, 7, 300, 4}) {
    sent.push_back(Body(n, static_cast<uint8_t>(n)));
    const Bytes f = EncodeFrame(sent.back());
    stream.insert(stream.end(), f.begin(), f.end());
  }
  for (size_t chunk = 1; chunk <= 9; ++chunk) {
    FrameDecoder d(1024);
    std::vector<Bytes> got;
    for (size_t pos = 0; pos < stream.size(); pos += chunk) {
      const size_t len = std::min(chunk, stream.size() - pos);
      d.Append(ByteView(stream).subspan(pos, len));
      for (Bytes& b : Drain(d)) got.push_back(std::move(b));
    }
    EXPECT_EQ(got, sent) << "chunk " << chunk;
    EXPECT_EQ(d.buffered_bytes(), 0u);
  }
}

TEST(FrameTest, PartialHeaderWaits) {
  FrameDecoder d(16);
  const Bytes f = EncodeFrame(Body(16));
  d.Append(ByteView(f).first(3));
  auto next = d.Next();
  ASSERT_TRUE(next.ok());
  EXPECT_FALSE(next->has_value());
  d.Append(ByteView(f).subspan(3));
  EXPECT_EQ(Drain(d).size(), 1u);
}

TEST(FrameTest, ExactLimitIsAccepted) {
  FrameDecoder d(100);
  d.Append(EncodeFrame(Body(100)));
  const auto bodies = Drain(d);
  ASSERT_EQ(bodies.size(), 1u);
  EXPECT_EQ(bodies[0].size(), 100u);
}

TEST(FrameTest, OneOverTheLimitFailsNamingBothSizes) {
  FrameDecoder d(100);
  d.Append(EncodeFrame(Body(101)));
  auto next = d.Next();
  ASSERT_FALSE(next.ok());
  EXPECT_NE(next.status().message().find("101"), std::string::npos) << next.status().ToString();
  EXPECT_NE(next.status().message().find("100"), std::string::npos) << next.status().ToString();
  EXPECT_TRUE(d.failed());
}

TEST(FrameTest, OversizedLengthFailsBeforeTheBodyArrives) {
  FrameDecoder d(1 << 20);
  const uint8_t header[4] = {0xff, 0xff, 0xff, 0xff};
  d.Append(header);
  auto next = d.Next();
  ASSERT_FALSE(next.ok());
  EXPECT_NE(next.status().message().find("4294967295"), std::string::npos);
}

TEST(FrameTest, ZeroLengthFails) {
  FrameDecoder d(100);
  const uint8_t header[4] = {0, 0, 0, 0};
  d.Append(header);
  auto next = d.Next();
  ASSERT_FALSE(next.ok());
  EXPECT_NE(next.status().message().find("length 0"), std::string::npos);
}

TEST(FrameTest, LimitCanBeRaisedForLaterFrames) {
  FrameDecoder d(8);
  d.Append(EncodeFrame(Body(8)));
  EXPECT_EQ(Drain(d).size(), 1u);
  d.set_frame_bytes_max(100);
  d.Append(EncodeFrame(Body(100)));
  EXPECT_EQ(Drain(d).size(), 1u);
}

TEST(FrameTest, FailureIsSticky) {
  FrameDecoder d(8);
  d.Append(EncodeFrame(Body(9)));
  EXPECT_FALSE(d.Next().ok());
  d.Append(EncodeFrame(Body(1)));  // a good frame after the bad one is never delivered
  EXPECT_FALSE(d.Next().ok());
  EXPECT_FALSE(d.Next().ok());
}

TEST(FrameTest, GarbageNeverCrashesAndBoundsTheBuffer) {
  SeededRandom rng(7);
  for (int run = 0; run < 200; ++run) {
    FrameDecoder d(64);
    Bytes junk(1 + rng.Next() % 300);
    rng.Fill(junk);
    for (size_t pos = 0; pos < junk.size() && !d.failed(); pos += 13) {
      d.Append(ByteView(junk).subspan(pos, std::min<size_t>(13, junk.size() - pos)));
      while (true) {
        auto next = d.Next();
        if (!next.ok() || !next->has_value()) break;
        EXPECT_GT((*next)->size(), 0u);
        EXPECT_LE((*next)->size(), 64u);
      }
      EXPECT_LE(d.buffered_bytes(), 4u + 64u + 13u);
    }
  }
}

}  // namespace
}  // namespace hotbft::network
