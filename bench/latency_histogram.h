// LatencyHistogram: a fixed-size log-linear histogram of latencies in microseconds, for the
// load generator's percentiles. Memory is constant however many values are recorded (a
// run of hours costs what a run of seconds does), and two histograms merge by adding
// buckets, so each thread records into its own and a reporter merges them.
//
// Values below kExactBelow (128 us) have a bucket each and are exact. Above, each power of
// two is split into kSubBuckets (64) buckets, so a reported value is within 1/64 (1.6%)
// above the recorded one, and never above the maximum recorded.
//
// Thread-safety: none; callers lock (the load generator holds one mutex per worker).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace hotbft::bench {

class LatencyHistogram {
 public:
  static constexpr uint64_t kExactBelow = 128;
  static constexpr uint64_t kSubBuckets = 64;
  static constexpr size_t kBucketCount = kExactBelow + (64 - 7) * kSubBuckets;

  void Record(uint64_t value_us);
  void Merge(const LatencyHistogram& other);
  void Reset();

  uint64_t count() const { return count_; }
  uint64_t min_us() const { return count_ == 0 ? 0 : min_us_; }
  uint64_t max_us() const { return max_us_; }
  double mean_us() const;

  // The nearest-rank percentile: the smallest recorded value v such that at least
  // `percentile`% of the values are <= v, reported as the highest value of v's bucket
  // (capped at the maximum recorded). 0 when empty. REQUIRES: 0 <= percentile <= 100.
  uint64_t Percentile(double percentile) const;

  // Bucket arithmetic, public for tests.
  static size_t BucketOf(uint64_t value_us);
  static uint64_t BucketHighest(size_t bucket);  // the largest value mapped to `bucket`

 private:
  std::array<uint64_t, kBucketCount> buckets_{};
  uint64_t count_ = 0;
  uint64_t min_us_ = UINT64_MAX;
  uint64_t max_us_ = 0;
  long double sum_us_ = 0;
};

}  // namespace hotbft::bench
