#include "tests/byzantine/flood.h"

#include <spdlog/spdlog.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <memory>
#include <utility>

#include "network/frame.h"
#include "network/handshake.h"
#include "tests/byzantine/craft.h"

namespace hotbft::byzantine {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

size_t FloodTxsPerTick(uint32_t txs_per_s) {
  HOTBFT_ASSERT(txs_per_s <= kFloodTxsPerSecondMax);
  return static_cast<size_t>(uint64_t{txs_per_s} * kTickIntervalMs / 1000);
}

network::TxBatch InvalidTxBatch(size_t count, RandomSource& rng) {
  HOTBFT_ASSERT(count > 0);
  HOTBFT_ASSERT(count <= network::kGossipTxsMax);
  network::TxBatch batch;
  batch.txs.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    Bytes tx(kFloodTxBytes);
    rng.Fill(tx);
    for (uint8_t& b : tx) {
      if (b == '=') b = '#';
    }
    batch.txs.push_back(std::make_shared<const Bytes>(std::move(tx)));
  }
  return batch;
}

std::vector<Envelope> BadSignatureMessages(Context& ctx) {
  const QC high_qc = HighestKnownQC(ctx);
  const Round round = CurrentRound(ctx, high_qc.vote_data.round + 1);
  Vote vote;
  vote.data.epoch = ctx.epoch;
  vote.data.block_id = RandomHash(*ctx.rng);
  vote.data.height = AddChecked(high_qc.vote_data.height, 1);
  vote.data.round = round;
  vote.data.parent_id = high_qc.vote_data.block_id;
  vote.data.parent_round = high_qc.vote_data.round;
  vote.voter = ctx.self;
  vote.signature = RandomSignature(*ctx.rng);
  Timeout timeout = SignTimeout(round, high_qc, high_qc, ctx);
  FlipBits(timeout.signature, *ctx.rng);
  std::vector<Envelope> out;
  out.push_back(Envelope{OtherValidators(ctx), std::move(vote)});
  out.push_back(Envelope{OtherValidators(ctx), std::move(timeout)});
  return out;
}

Bytes RawGarbageBytes(RawGarbage kind, const std::string& chain_id, RandomSource& rng) {
  switch (kind) {
    case RawGarbage::kOversizedLength: {
      Bytes out = {0xff, 0xff, 0xff, 0xff};
      out.resize(out.size() + 64);
      rng.Fill(std::span<uint8_t>(out).subspan(4));
      return out;
    }
    case RawGarbage::kZeroLength: return Bytes(network::kFrameHeaderBytes, 0);
    case RawGarbage::kNotAPeerMessage: {
      // 0xff cannot start a protobuf field key of a message with small field numbers.
      Bytes body(256);
      rng.Fill(body);
      body[0] = 0xff;
      return network::EncodeFrame(body);
    }
    case RawGarbage::kWrongChainHello: {
      wire::PeerMessage message;
      wire::Hello* hello = message.mutable_hello();
      hello->set_protocol_version(network::kProtocolVersion);
      hello->set_chain_id(chain_id + "-forged");
      std::string key(32, '\0');
      std::string challenge(network::kChallengeBytes, '\0');
      rng.Fill(std::span<uint8_t>(reinterpret_cast<uint8_t*>(key.data()), key.size()));
      rng.Fill(std::span<uint8_t>(reinterpret_cast<uint8_t*>(challenge.data()), challenge.size()));
      hello->set_node_key(key);
      hello->set_challenge(challenge);
      return network::EncodeFrame(network::SerializePeerMessage(message));
    }
    case RawGarbage::kCount: break;
  }
  HOTBFT_ASSERT(false);
  return {};
}

RawFlood::RawFlood(std::vector<std::string> peers, std::string chain_id)
    : peers_(std::move(peers)), chain_id_(std::move(chain_id)), rng_(SystemRandom().NextU64()) {}

RawFlood::~RawFlood() {
  work_.reset();
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

void RawFlood::Start() {
  HOTBFT_ASSERT(!thread_.joinable());
  Schedule();
  thread_ = std::thread([this] { io_.run(); });
}

void RawFlood::Schedule() {
  timer_.expires_after(std::chrono::milliseconds(kFloodRawIntervalMs));
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    for (const std::string& peer : peers_) {
      if (!peer.empty()) Attack(peer);
    }
    Schedule();
  });
}

// One connection: connect, write the garbage, and close once the peer does or after
// kFloodRawConnectionMs, whichever comes first.
void RawFlood::Attack(const std::string& peer) {
  struct Connection {
    explicit Connection(asio::io_context& io) : socket(io), deadline(io) {}
    tcp::socket socket;
    asio::steady_timer deadline;
    Bytes garbage;
    uint8_t read_buffer[256];
  };
  const size_t colon = peer.rfind(':');
  boost::system::error_code ec;
  tcp::resolver resolver(io_);
  auto endpoints = resolver.resolve(peer.substr(0, colon), peer.substr(colon + 1), ec);
  if (ec) {
    spdlog::debug("flood: cannot resolve {}: {}", peer, ec.message());
    return;
  }
  auto kind = static_cast<RawGarbage>(next_kind_++ % static_cast<size_t>(RawGarbage::kCount));
  auto c = std::make_shared<Connection>(io_);
  c->garbage = RawGarbageBytes(kind, chain_id_, rng_);
  c->deadline.expires_after(std::chrono::milliseconds(kFloodRawConnectionMs));
  c->deadline.async_wait([c](const boost::system::error_code&) { c->socket.close(); });
  asio::async_connect(c->socket, endpoints,
                      [this, c](const boost::system::error_code& e, const tcp::endpoint&) {
                        if (e) return;
                        asio::async_write(c->socket, asio::buffer(c->garbage),
                                          [this, c](const boost::system::error_code& w, size_t) {
                                            if (w) return;
                                            ++connections_;
                                            // Reads until the peer closes (its refusal), then lets
                                            // go.
                                            c->socket.async_read_some(
                                                asio::buffer(c->read_buffer),
                                                [c](const boost::system::error_code&, size_t) {
                                                  c->deadline.cancel();
                                                  c->socket.close();
                                                });
                                          });
                      });
}

}  // namespace hotbft::byzantine
