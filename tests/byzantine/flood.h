// flood: the one misbehaviour of hotbft-byzantine that the simulator has no use for. It
// loads the honest validators with input they must refuse, at a bounded rate:
//
//   - over its authenticated connections, every tick: a gossip batch of transactions the
//     kvstore and counter apps' CheckTx refuse (the mempool counts them against this
//     peer and penalises it), and a vote and a timeout of the current round whose
//     signatures do not verify;
//   - over raw TCP connections to the peers' p2p ports, one per peer every
//     kFloodRawIntervalMs: frames the transport must refuse before any handshake (a
//     length over the pre-handshake limit, a zero length, a body that is not a
//     PeerMessage, a Hello for another chain).
//
// Every rate is bounded by a named constant, so that a flooding validator on the machine
// of a 4-validator testnet leaves the honest ones CPU to commit with.
#pragma once

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "network/codec.h"
#include "tests/byzantine/strategy.h"

namespace hotbft::byzantine {

// Invalid transactions gossiped to each peer per second: the default and the ceiling.
inline constexpr uint32_t kFloodTxsPerSecondDefault = 2'000;
inline constexpr uint32_t kFloodTxsPerSecondMax = 20'000;
// The size of each invalid transaction.
inline constexpr size_t kFloodTxBytes = 64;
// One raw connection to each peer per this interval, closed after kFloodRawConnectionMs.
inline constexpr uint32_t kFloodRawIntervalMs = 500;
inline constexpr uint32_t kFloodRawConnectionMs = 2'000;
static_assert(kFloodTxsPerSecondDefault <= kFloodTxsPerSecondMax);
static_assert(kFloodTxsPerSecondMax * kTickIntervalMs / 1000 <= network::kGossipTxsMax,
              "one tick's invalid transactions fit in one gossip batch");

// The invalid transactions of one tick at `txs_per_s`. REQUIRES: txs_per_s <=
// kFloodTxsPerSecondMax.
size_t FloodTxsPerTick(uint32_t txs_per_s);

// `count` transactions of kFloodTxBytes random bytes with no '=' in them (the kvstore
// app refuses a transaction without one; the counter app one that is not a number).
// REQUIRES: 0 < count <= network::kGossipTxsMax.
network::TxBatch InvalidTxBatch(size_t count, RandomSource& rng);

// A vote for a random block and a timeout, both of the core's current round and signed by
// ctx.self, whose signatures do not verify; to every other validator.
std::vector<Envelope> BadSignatureMessages(Context& ctx);

// The garbage a raw connection sends, in rotation.
enum class RawGarbage : uint8_t {
  kOversizedLength,  // a length prefix over the pre-handshake frame limit
  kZeroLength,       // a length prefix of 0
  kNotAPeerMessage,  // a frame of random bytes
  kWrongChainHello,  // a Hello naming another chain
  kCount,
};
// The bytes sent for `kind` (to a node of chain `chain_id`). REQUIRES: kind != kCount.
Bytes RawGarbageBytes(RawGarbage kind, const std::string& chain_id, RandomSource& rng);

// Raw connections to the peers, on a thread of its own (Asio), from Start to destruction.
// Thread-safe: connections() from any thread.
class RawFlood {
 public:
  // `peers` are "host:port" addresses; empty ones are skipped.
  RawFlood(std::vector<std::string> peers, std::string chain_id);
  ~RawFlood();  // stops and joins
  RawFlood(const RawFlood&) = delete;
  RawFlood& operator=(const RawFlood&) = delete;

  void Start();
  // Connections made so far (the garbage written).
  uint64_t connections() const { return connections_.load(); }

 private:
  void Schedule();
  void Attack(const std::string& peer);

  std::vector<std::string> peers_;
  std::string chain_id_;
  SeededRandom rng_;
  size_t next_kind_ = 0;
  std::atomic<uint64_t> connections_{0};
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
      io_.get_executor()};
  boost::asio::steady_timer timer_{io_};
  std::thread thread_;
};

}  // namespace hotbft::byzantine
