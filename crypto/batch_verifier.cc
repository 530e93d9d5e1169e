#include "crypto/batch_verifier.h"

#include <algorithm>
#include <atomic>
#include <latch>

#include "crypto/thread_name.h"

namespace hotbft {

BatchVerifier::BatchVerifier(const Verifier& verifier, size_t threads)
    : verifier_(verifier), threads_(threads) {
  HOTBFT_ASSERT(threads >= 1);
  HOTBFT_ASSERT(threads <= kThreadsMax);
  // The calling thread works too, so a pool of N threads has N - 1 workers.
  for (size_t i = 1; i < threads; ++i) {
    workers_.emplace_back([this] {
      SetThreadName("verify");
      WorkerLoop();
    });
  }
}

BatchVerifier::~BatchVerifier() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
}

void BatchVerifier::WorkerLoop() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) return;  // stopping and drained
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

BatchResult BatchVerifier::Verify(const std::vector<VerifyItem>& items) const {
  std::vector<uint8_t> ok(items.size(), 0);
  auto run = [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      ok[i] = verifier_.Verify(items[i].key, items[i].digest, items[i].signature) ? 1 : 0;
    }
  };

  const size_t chunks = (items.size() + kChunkItems - 1) / kChunkItems;
  if (workers_.empty() || chunks <= 1) {
    run(0, items.size());
  } else {
    // Chunks are claimed from a shared counter by the caller and by pool tasks alike,
    // so the caller never waits idle while work remains.
    std::atomic<size_t> next{0};
    auto drain = [&] {
      for (size_t c; (c = next.fetch_add(1)) < chunks;) {
        run(c * kChunkItems, std::min(items.size(), (c + 1) * kChunkItems));
      }
    };
    const size_t helpers = std::min(workers_.size(), chunks - 1);
    std::latch done(static_cast<std::ptrdiff_t>(helpers));
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (size_t i = 0; i < helpers; ++i) {
        tasks_.emplace_back([&] {
          drain();
          done.count_down();
        });
      }
    }
    cv_.notify_all();
    drain();
    done.wait();
  }

  BatchResult result;
  for (size_t i = 0; i < items.size(); ++i) {
    if (!ok[i]) result.failed.push_back(i);
  }
  return result;
}

}  // namespace hotbft
