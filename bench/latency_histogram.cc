#include "bench/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include "crypto/assert.h"

namespace hotbft::bench {

// 2^7 = kExactBelow: the first power of two split into sub-buckets.
static_assert(LatencyHistogram::kExactBelow == uint64_t{1} << 7);
// Each power of two from 2^7 up is split into kSubBuckets = its upper half's width, so the
// top 7 bits of a value (its leading 1 and 6 more) name its bucket.
static_assert(LatencyHistogram::kSubBuckets == LatencyHistogram::kExactBelow / 2);

size_t LatencyHistogram::BucketOf(uint64_t value_us) {
  if (value_us < kExactBelow) return static_cast<size_t>(value_us);
  const int exponent = std::bit_width(value_us) - 1;  // 7..63
  const int shift = exponent - 6;
  const uint64_t mantissa = value_us >> shift;  // kSubBuckets..2*kSubBuckets-1
  HOTBFT_ASSERT(mantissa >= kSubBuckets);
  HOTBFT_ASSERT(mantissa < 2 * kSubBuckets);
  const size_t bucket = kExactBelow + static_cast<size_t>(exponent - 7) * kSubBuckets +
                        static_cast<size_t>(mantissa - kSubBuckets);
  HOTBFT_ASSERT(bucket < kBucketCount);
  return bucket;
}

uint64_t LatencyHistogram::BucketHighest(size_t bucket) {
  HOTBFT_ASSERT(bucket < kBucketCount);
  if (bucket < kExactBelow) return bucket;
  const size_t above = bucket - kExactBelow;
  const int exponent = static_cast<int>(above / kSubBuckets) + 7;
  const uint64_t mantissa = kSubBuckets + above % kSubBuckets;
  const int shift = exponent - 6;
  // The last bucket ends at UINT64_MAX: (128 << 57) - 1 wraps to it.
  return ((mantissa + 1) << shift) - 1;
}

void LatencyHistogram::Record(uint64_t value_us) {
  ++buckets_[BucketOf(value_us)];
  ++count_;
  min_us_ = std::min(min_us_, value_us);
  max_us_ = std::max(max_us_, value_us);
  sum_us_ += static_cast<long double>(value_us);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (size_t i = 0; i < kBucketCount; ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  min_us_ = std::min(min_us_, other.min_us_);
  max_us_ = std::max(max_us_, other.max_us_);
  sum_us_ += other.sum_us_;
}

void LatencyHistogram::Reset() {
  *this = LatencyHistogram();
}

double LatencyHistogram::mean_us() const {
  return count_ == 0 ? 0.0 : static_cast<double>(sum_us_ / static_cast<long double>(count_));
}

uint64_t LatencyHistogram::Percentile(double percentile) const {
  HOTBFT_ASSERT(percentile >= 0.0);
  HOTBFT_ASSERT(percentile <= 100.0);
  if (count_ == 0) return 0;
  // Nearest rank: the ceil(p/100 * n)-th smallest value, at least the first.
  const auto rank = std::max<uint64_t>(
      1, static_cast<uint64_t>(std::ceil(percentile * static_cast<double>(count_) / 100.0)));
  uint64_t seen = 0;
  for (size_t i = 0; i < kBucketCount; ++i) {
    seen += buckets_[i];
    if (seen >= rank) return std::clamp(BucketHighest(i), min_us_, max_us_);
  }
  HOTBFT_ASSERT_MSG(false, "bucket counts sum below count_");
  return max_us_;
}

}  // namespace hotbft::bench
