// BatchVerifier: checks many signatures across a pool of threads and reports which failed.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "crypto/signer.h"

namespace hotbft {

struct VerifyItem {
  PublicKey key;
  Hash32 digest;
  Signature signature;
};

struct BatchResult {
  // Indexes (into the input) of the signatures that did not verify, ascending.
  std::vector<size_t> failed;
  bool all_ok() const { return failed.empty(); }
};

class BatchVerifier {
 public:
  // Items per task handed to a worker; small batches stay on the calling thread.
  static constexpr size_t kChunkItems = 8;
  static constexpr size_t kThreadsMax = 64;

  // `threads` workers (1 means: verify on the calling thread, no pool).
  // REQUIRES: 1 <= threads <= kThreadsMax. `verifier` outlives this object.
  BatchVerifier(const Verifier& verifier, size_t threads);
  ~BatchVerifier();
  BatchVerifier(const BatchVerifier&) = delete;
  BatchVerifier& operator=(const BatchVerifier&) = delete;

  // Verifies every item; blocks until done. Thread-safe: concurrent calls share the pool.
  BatchResult Verify(const std::vector<VerifyItem>& items) const;

  size_t threads() const { return threads_; }
  const Verifier& verifier() const { return verifier_; }

 private:
  void WorkerLoop();

  const Verifier& verifier_;
  const size_t threads_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  mutable std::deque<std::function<void()>> tasks_;  // GUARDED_BY(mu_)
  bool stopping_ = false;                            // GUARDED_BY(mu_)
  std::vector<std::thread> workers_;
};

}  // namespace hotbft
