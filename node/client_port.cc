#include "node/client_port.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <thread>
#include <unordered_map>

#include "app/text.h"
#include "crypto/sha256.h"
#include "crypto/thread_name.h"
#include "network/frame.h"
#include "node/executor.h"
#include "node/rpc_io.h"
#include "proto/client.pb.h"

namespace hotbft::node {

using rpc::tcp;
using rpc::asio::io_context;
using Clock = std::chrono::steady_clock;

namespace {

constexpr size_t kReadBytes = 64 * 1024;
// Bytes a TxAdmission takes besides its log (outcome, code, hash, flags, tags).
constexpr size_t kAdmissionOverheadBytes = 64;

class Connection;

wire::TxOutcome ToWire(mempool::AddOutcome outcome) {
  switch (outcome) {
    case mempool::AddOutcome::kAdded: return wire::TX_ADDED;
    case mempool::AddOutcome::kInPool: return wire::TX_IN_POOL;
    case mempool::AddOutcome::kCommitted: return wire::TX_COMMITTED;
    case mempool::AddOutcome::kRejectedBefore: return wire::TX_REJECTED_BEFORE;
    case mempool::AddOutcome::kRejected: return wire::TX_REJECTED;
    case mempool::AddOutcome::kTooLarge: return wire::TX_TOO_LARGE;
    case mempool::AddOutcome::kFull: return wire::TX_FULL;
    case mempool::AddOutcome::kAppError: return wire::TX_APP_ERROR;
    case mempool::AddOutcome::kCount: break;
  }
  return wire::TX_APP_ERROR;
}

// An admitted transaction stays watched (it may still execute).
bool MayExecute(mempool::AddOutcome outcome) {
  return outcome == mempool::AddOutcome::kAdded || outcome == mempool::AddOutcome::kInPool ||
         outcome == mempool::AddOutcome::kCommitted;
}

Bytes FrameOf(const wire::ClientResponse& response) {
  std::string body;
  HOTBFT_ASSERT(response.SerializeToString(&body));
  return network::EncodeFrame(AsBytes(body));
}

}  // namespace

std::string_view ClientDisconnectName(ClientDisconnect reason) {
  switch (reason) {
    case ClientDisconnect::kClosedByClient: return "closed_by_client";
    case ClientDisconnect::kMalformedFrame: return "malformed_frame";
    case ClientDisconnect::kMalformedMessage: return "malformed_message";
    case ClientDisconnect::kBatchTooLarge: return "batch_too_large";
    case ClientDisconnect::kSlowClient: return "slow_client";
    case ClientDisconnect::kInternal: return "internal";
    case ClientDisconnect::kStopped: return "stopped";
    case ClientDisconnect::kCount: break;
  }
  return "unknown";
}

class ClientPort::Impl {
 public:
  Impl(ClientPortConfig config, RpcBackend& backend, NodeMetrics* metrics);
  ~Impl() {
    Stop();
    io_.reset();  // destroys pending handlers while *this is whole
  }

  Status Start();
  void Stop();
  uint16_t port() const { return port_; }
  ClientPortStats stats() const;

  // ---- For connections (io thread) ----
  const ClientPortConfig& config() const { return config_; }
  RpcBackend& backend() { return backend_; }
  const std::shared_ptr<rpc::PostGate>& gate() const { return gate_; }
  void OnClosed(uint64_t id, ClientDisconnect reason);
  void CountBatch(size_t txs) {
    ++batches_;
    txs_submitted_ += txs;
    if (metrics_) metrics_->client_txs_submitted.Inc(txs);
  }
  void CountNotified(size_t committed, size_t expired) {
    txs_notified_ += committed;
    txs_expired_ += expired;
  }

 private:
  void Accept();
  void OnAccept(const boost::system::error_code& ec, tcp::socket socket);
  void Refuse(tcp::socket socket);
  void ArmSweep();

  const ClientPortConfig config_;
  RpcBackend& backend_;
  NodeMetrics* const metrics_;
  std::unique_ptr<io_context> io_;
  std::shared_ptr<rpc::PostGate> gate_;
  std::unique_ptr<tcp::acceptor> acceptor_;
  std::unique_ptr<rpc::asio::steady_timer> sweep_timer_;
  std::thread thread_;
  uint16_t port_ = 0;
  bool running_ = false;

  std::atomic<uint64_t> accepted_{0};
  std::atomic<uint64_t> refused_{0};
  std::atomic<uint64_t> open_{0};
  std::atomic<uint64_t> batches_{0};
  std::atomic<uint64_t> txs_submitted_{0};
  std::atomic<uint64_t> txs_notified_{0};
  std::atomic<uint64_t> txs_expired_{0};
  std::array<std::atomic<uint64_t>, static_cast<size_t>(ClientDisconnect::kCount)> disconnects_{};

  // io thread only. A connection is here from accept to close.
  uint64_t next_id_ = 0;
  std::map<uint64_t, std::shared_ptr<Connection>> connections_;
};

namespace {

// One client connection. io thread only, except the inbox, which commit callbacks fill
// from the thread that reports executions.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(ClientPort::Impl& port, tcp::socket socket, uint64_t id)
      : port_(port),
        socket_(std::move(socket)),
        id_(id),
        decoder_(port.config().frame_bytes_max),
        read_buffer_(std::make_unique<std::array<uint8_t, kReadBytes>>()),
        inbox_(std::make_shared<Inbox>()) {}

  void Start() { ProcessFrames(); }
  void Close(ClientDisconnect reason, const Status& why);
  void Expire(Clock::time_point now);

 private:
  struct Note {
    Hash32 hash;
    Height height = 0;
    uint32_t index = 0;
    uint32_t code = 0;
  };
  struct Inbox {
    std::mutex mutex;
    std::vector<Note> notes;    // guarded by mutex
    bool flush_posted = false;  // guarded by mutex
  };
  struct Watch {
    uint64_t id = 0;
    Clock::time_point deadline;
  };

  void ProcessFrames();
  void OnRead(const boost::system::error_code& ec, size_t n);
  void OnFrame(const Bytes& body);
  void OnSubmit(const wire::SubmitBatch& batch);
  void OnAdmitted(uint64_t request_id, size_t expected, const std::vector<Hash32>& new_watches,
                  const std::vector<mempool::AddResult>& results);
  void AfterBatch();
  CommitCallback MakeCommitCallback();
  bool WatchNew(const Hash32& hash);
  void DropWatch(const Hash32& hash);
  void CompactExpiry();
  void Flush();
  void QueueNotifications(std::vector<Note> committed, std::vector<Hash32> expired);
  void Queue(const wire::ClientResponse& response);
  void Write();
  void OnWrite(const boost::system::error_code& ec);
  void SendErrorNow(const std::string& reason);

  ClientPort::Impl& port_;
  tcp::socket socket_;
  const uint64_t id_;
  network::FrameDecoder decoder_;
  std::unique_ptr<std::array<uint8_t, kReadBytes>> read_buffer_;
  bool reading_ = false;
  bool busy_ = false;      // a batch is in admission, or its answer waits for the queue to drain
  bool draining_ = false;  // busy_ until the queue is below half its bound
  bool closed_ = false;
  std::deque<Bytes> out_;  // frames to send; the front one is being written
  size_t out_bytes_ = 0;
  bool writing_ = false;
  std::unordered_map<Hash32, Watch, Hash32Hasher> watched_;
  std::deque<std::pair<Clock::time_point, Hash32>> expiry_;  // in watch order
  const std::shared_ptr<Inbox> inbox_;
};

void Connection::ProcessFrames() {
  while (!closed_ && !busy_) {
    auto body = decoder_.Next();
    if (!body.ok()) {
      SendErrorNow(body.status().message());
      return Close(ClientDisconnect::kMalformedFrame, body.status());
    }
    if (!body->has_value()) break;
    OnFrame(**body);
  }
  if (closed_ || busy_ || reading_) return;
  reading_ = true;
  socket_.async_read_some(rpc::asio::buffer(*read_buffer_),
                          [self = shared_from_this()](const boost::system::error_code& ec,
                                                      size_t n) { self->OnRead(ec, n); });
}

void Connection::OnRead(const boost::system::error_code& ec, size_t n) {
  reading_ = false;
  if (closed_) return;
  if (ec) {
    return Close(ClientDisconnect::kClosedByClient, ec == rpc::asio::error::eof
                                                        ? Status::IoError("end of stream")
                                                        : Status::IoError("read: " + ec.message()));
  }
  decoder_.Append(ByteView(read_buffer_->data(), n));
  ProcessFrames();
}

void Connection::OnFrame(const Bytes& body) {
  wire::ClientRequest request;
  if (!request.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    const Status why = Status::InvalidArgument("a frame of " + std::to_string(body.size()) +
                                               " bytes is not a ClientRequest");
    SendErrorNow(why.message());
    return Close(ClientDisconnect::kMalformedMessage, why);
  }
  if (request.req_case() != wire::ClientRequest::kSubmit) {
    const Status why = Status::InvalidArgument("a ClientRequest without a SubmitBatch");
    SendErrorNow(why.message());
    return Close(ClientDisconnect::kMalformedMessage, why);
  }
  const size_t max = port_.config().batch_txs_max;
  if (static_cast<size_t>(request.submit().txs_size()) > max) {
    const Status why =
        Status::InvalidArgument("a batch of " + std::to_string(request.submit().txs_size()) +
                                " transactions; this port takes at most " + std::to_string(max));
    SendErrorNow(why.message());
    return Close(ClientDisconnect::kBatchTooLarge, why);
  }
  OnSubmit(request.submit());
}

void Connection::OnSubmit(const wire::SubmitBatch& batch) {
  busy_ = true;
  port_.CountBatch(batch.txs_size());
  std::vector<Bytes> txs;
  txs.reserve(batch.txs_size());
  std::vector<Hash32> new_watches;
  for (const std::string& tx : batch.txs()) {
    txs.emplace_back(tx.begin(), tx.end());
    // Watch before submitting: an execution between the two cannot be missed.
    if (batch.notify()) {
      const Hash32 hash = Sha256(txs.back());
      if (WatchNew(hash)) new_watches.push_back(hash);
    }
  }
  std::weak_ptr<Connection> weak = weak_from_this();
  const size_t count = txs.size();
  port_.backend().SubmitTxs(
      std::move(txs), mempool::Sender::Client(id_),
      [gate = port_.gate(), weak, request_id = batch.request_id(), expected = count,
       new_watches = std::move(new_watches)](std::vector<mempool::AddResult> results) {
        gate->Post([weak, request_id, expected, new_watches, results = std::move(results)] {
          if (auto c = weak.lock()) c->OnAdmitted(request_id, expected, new_watches, results);
        });
      });
}

void Connection::OnAdmitted(uint64_t request_id, size_t expected,
                            const std::vector<Hash32>& new_watches,
                            const std::vector<mempool::AddResult>& results) {
  if (closed_) return;
  if (results.size() != expected) {
    return Close(ClientDisconnect::kInternal,
                 Status::Internal("the backend answered " + std::to_string(results.size()) +
                                  " admission results for a batch of " + std::to_string(expected)));
  }
  std::unordered_map<Hash32, bool, Hash32Hasher> mine;  // watches this batch began
  for (const Hash32& h : new_watches) mine.emplace(h, true);
  wire::ClientResponse response;
  wire::SubmitBatchResult* out = response.mutable_submit_result();
  out->set_request_id(request_id);
  std::vector<Note> executed;  // committed before the watch began
  for (const mempool::AddResult& r : results) {
    if (!MayExecute(r.outcome) && mine.count(r.hash)) DropWatch(r.hash);
    if (r.outcome == mempool::AddOutcome::kCommitted && watched_.count(r.hash)) {
      const Height executed_height = port_.backend().ExecutedHeight();  // before the record
      const auto record = port_.backend().Tx(r.hash);
      // A result that does not decode is not reported: the watch runs to its expiry.
      auto result = record && record->height <= executed_height
                        ? DecodeStoredTxResult(record->result)
                        : Result<app::TxResult>(Status::NotFound("not executed yet"));
      if (result.ok()) executed.push_back({r.hash, record->height, record->index, result->code});
    }
    wire::TxAdmission* a = out->add_results();
    a->set_outcome(ToWire(r.outcome));
    a->set_code(r.code);
    a->set_log(app::CutText(r.log, kAdmissionLogBytesMax));
    a->set_hash(r.hash.bytes.data(), r.hash.bytes.size());
    a->set_watched(MayExecute(r.outcome) && watched_.count(r.hash) != 0);
  }
  Queue(response);
  for (const Note& n : executed) DropWatch(n.hash);
  if (!executed.empty()) QueueNotifications(std::move(executed), {});
  AfterBatch();
}

void Connection::AfterBatch() {
  if (closed_) return;
  if (out_bytes_ > port_.config().queue_bytes_max / 2) {
    draining_ = true;  // OnWrite resumes
    return;
  }
  busy_ = false;
  ProcessFrames();
}

CommitCallback Connection::MakeCommitCallback() {
  return [inbox = inbox_, gate = port_.gate(), weak = weak_from_this()](const TxCommit& c) {
    bool post = false;
    {
      std::lock_guard lock(inbox->mutex);
      inbox->notes.push_back({c.hash, c.height, c.index, c.result.code});
      post = !inbox->flush_posted;
      inbox->flush_posted = true;
    }
    if (post) {
      gate->Post([weak] {
        if (auto conn = weak.lock()) conn->Flush();
      });
    }
  };
}

bool Connection::WatchNew(const Hash32& hash) {
  if (watched_.count(hash) || watched_.size() >= port_.config().watches_max) return false;
  const uint64_t id = port_.backend().WatchTx(hash, MakeCommitCallback());
  if (id == 0) return false;
  const Clock::time_point deadline =
      Clock::now() + std::chrono::milliseconds(port_.config().watch_timeout_ms);
  watched_.emplace(hash, Watch{id, deadline});
  expiry_.emplace_back(deadline, hash);
  CompactExpiry();
  return true;
}

void Connection::DropWatch(const Hash32& hash) {
  auto it = watched_.find(hash);
  if (it == watched_.end()) return;
  port_.backend().UnwatchTx(it->second.id);
  watched_.erase(it);
}

// Entries of watches that fired stay in expiry_ until their deadline; rebuild it when they
// outnumber the live ones, so it stays within twice the watches (plus a constant).
void Connection::CompactExpiry() {
  if (expiry_.size() <= 2 * watched_.size() + 1024) return;
  std::deque<std::pair<Clock::time_point, Hash32>> live;
  for (const auto& entry : expiry_) {
    auto it = watched_.find(entry.second);
    if (it != watched_.end() && it->second.deadline == entry.first) live.push_back(entry);
  }
  expiry_.swap(live);
}

void Connection::Expire(Clock::time_point now) {
  if (closed_) return;
  std::vector<Hash32> expired;
  while (!expiry_.empty() && expiry_.front().first <= now) {
    const auto [deadline, hash] = expiry_.front();
    expiry_.pop_front();
    auto it = watched_.find(hash);
    if (it == watched_.end() || it->second.deadline != deadline) continue;
    port_.backend().UnwatchTx(it->second.id);
    watched_.erase(it);
    expired.push_back(hash);
  }
  if (!expired.empty()) QueueNotifications({}, std::move(expired));
}

void Connection::Flush() {
  std::vector<Note> notes;
  {
    std::lock_guard lock(inbox_->mutex);
    notes.swap(inbox_->notes);
    inbox_->flush_posted = false;
  }
  if (closed_) return;
  std::vector<Note> committed;
  for (const Note& n : notes) {
    // Gone if it expired (or the connection dropped it) while the callback was under way.
    if (watched_.erase(n.hash) != 0) committed.push_back(n);
  }
  if (!committed.empty()) QueueNotifications(std::move(committed), {});
}

void Connection::QueueNotifications(std::vector<Note> committed, std::vector<Hash32> expired) {
  port_.CountNotified(committed.size(), expired.size());
  const size_t per_message = port_.config().notification_txs_max;
  size_t c = 0;
  size_t e = 0;
  while (!closed_ && (c < committed.size() || e < expired.size())) {
    wire::ClientResponse response;
    wire::CommitNotification* n = response.mutable_commits();
    for (size_t k = 0; k < per_message && c < committed.size(); ++k, ++c) {
      wire::TxCommitted* t = n->add_txs();
      t->set_hash(committed[c].hash.bytes.data(), committed[c].hash.bytes.size());
      t->set_height(committed[c].height);
      t->set_index(committed[c].index);
      t->set_code(committed[c].code);
    }
    for (size_t k = n->txs_size(); k < per_message && e < expired.size(); ++k, ++e) {
      n->add_expired(expired[e].bytes.data(), expired[e].bytes.size());
    }
    Queue(response);
  }
}

void Connection::Queue(const wire::ClientResponse& response) {
  if (closed_) return;
  Bytes frame = FrameOf(response);
  const size_t max = port_.config().queue_bytes_max;
  if (!out_.empty() && out_bytes_ + frame.size() > max) {
    return Close(ClientDisconnect::kSlowClient,
                 Status::ResourceExhausted(std::to_string(out_bytes_) + " bytes wait to be sent, " +
                                           std::to_string(frame.size()) + " more would exceed " +
                                           std::to_string(max) + ": a slow client"));
  }
  out_bytes_ += frame.size();
  out_.push_back(std::move(frame));
  if (!writing_) Write();
}

void Connection::Write() {
  writing_ = true;
  rpc::asio::async_write(socket_, rpc::asio::buffer(out_.front()),
                         [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
                           self->OnWrite(ec);
                         });
}

void Connection::OnWrite(const boost::system::error_code& ec) {
  writing_ = false;
  if (closed_) return;
  if (ec)
    return Close(ClientDisconnect::kClosedByClient, Status::IoError("write: " + ec.message()));
  out_bytes_ -= out_.front().size();
  out_.pop_front();
  if (!out_.empty()) Write();
  if (draining_ && out_bytes_ <= port_.config().queue_bytes_max / 2) {
    draining_ = false;
    busy_ = false;
    ProcessFrames();
  }
}

// Best effort, before closing for bad input: only when nothing else is being written (the
// error must not land inside another frame), and without waiting.
void Connection::SendErrorNow(const std::string& reason) {
  if (closed_ || writing_) return;
  wire::ClientResponse response;
  response.mutable_error()->set_reason(app::CutText(reason, 4096));
  const Bytes frame = FrameOf(response);
  boost::system::error_code ec;
  socket_.non_blocking(true, ec);
  if (!ec) socket_.write_some(rpc::asio::buffer(frame), ec);
}

void Connection::Close(ClientDisconnect reason, const Status& why) {
  if (closed_) return;
  closed_ = true;
  auto self = shared_from_this();  // the port drops its reference below
  for (const auto& [hash, watch] : watched_) port_.backend().UnwatchTx(watch.id);
  watched_.clear();
  expiry_.clear();
  out_.clear();
  out_bytes_ = 0;
  boost::system::error_code ec;
  socket_.shutdown(tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  if (reason == ClientDisconnect::kClosedByClient || reason == ClientDisconnect::kStopped) {
    spdlog::debug("client connection {} closed: {}", id_, why.ToString());
  } else {
    spdlog::warn("client connection {} closed ({}): {}", id_, ClientDisconnectName(reason),
                 why.ToString());
  }
  port_.OnClosed(id_, reason);
}

}  // namespace

// ---- ClientPort::Impl ----

ClientPort::Impl::Impl(ClientPortConfig config, RpcBackend& backend, NodeMetrics* metrics)
    : config_(std::move(config)),
      backend_(backend),
      metrics_(metrics),
      io_(std::make_unique<io_context>()),
      gate_(std::make_shared<rpc::PostGate>(*io_)) {
  HOTBFT_ASSERT(config_.frame_bytes_max > 0);
  HOTBFT_ASSERT(config_.frame_bytes_max <= network::kFrameBytesCeiling);
  HOTBFT_ASSERT(config_.batch_txs_max > 0);
  HOTBFT_ASSERT(config_.batch_txs_max * (kAdmissionLogBytesMax + kAdmissionOverheadBytes) <
                network::kFrameBytesCeiling);
  HOTBFT_ASSERT(config_.notification_txs_max > 0);
  HOTBFT_ASSERT(config_.notification_txs_max * 64 < network::kFrameBytesCeiling);
  HOTBFT_ASSERT(config_.connections_max > 0);
  HOTBFT_ASSERT(config_.queue_bytes_max > 0);
  HOTBFT_ASSERT(config_.watch_timeout_ms > 0);
}

Status ClientPort::Impl::Start() {
  HOTBFT_ASSERT(!running_);
  auto address = rpc::ParseListenAddress(config_.listen);
  if (!address.ok()) return address.status().With("client port");
  auto acceptor = rpc::Listen(*io_, *address);
  if (!acceptor.ok()) return acceptor.status().With("client port");
  acceptor_ = std::move(*acceptor);
  port_ = acceptor_->local_endpoint().port();
  sweep_timer_ = std::make_unique<rpc::asio::steady_timer>(*io_);
  running_ = true;
  Accept();
  ArmSweep();
  thread_ = std::thread([this] {
    SetThreadName("rpc-client");
    io_->run();
  });
  spdlog::info("client port listening on {}:{}", address->host, port_);
  return Status::Ok();
}

void ClientPort::Impl::Stop() {
  if (!running_) return;
  running_ = false;
  gate_->Close();
  io_->stop();
  thread_.join();
  acceptor_.reset();
  sweep_timer_.reset();
  {
    auto connections = std::move(connections_);
    connections_.clear();
    for (auto& [id, connection] : connections) {
      connection->Close(ClientDisconnect::kStopped, Status::Ok());
    }
  }
  // Pending handlers (and the calls and connections they hold) go now, not at destruction,
  // so their watches end with the stop.
  io_.reset();
}

ClientPortStats ClientPort::Impl::stats() const {
  ClientPortStats s;
  s.connections_accepted = accepted_.load();
  s.connections_refused = refused_.load();
  s.connections_open = open_.load();
  s.batches = batches_.load();
  s.txs_submitted = txs_submitted_.load();
  s.txs_notified = txs_notified_.load();
  s.txs_expired = txs_expired_.load();
  for (size_t i = 0; i < s.disconnects.size(); ++i) s.disconnects[i] = disconnects_[i].load();
  return s;
}

void ClientPort::Impl::OnClosed(uint64_t id, ClientDisconnect reason) {
  connections_.erase(id);  // already gone when the port stops
  --open_;
  ++disconnects_[static_cast<size_t>(reason)];
  if (metrics_) {
    metrics_->client_connections.Add(-1);
    metrics_->client_disconnects.With(ClientDisconnectName(reason)).Inc();
  }
}

void ClientPort::Impl::Accept() {
  acceptor_->async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
    OnAccept(ec, std::move(socket));
  });
}

void ClientPort::Impl::OnAccept(const boost::system::error_code& ec, tcp::socket socket) {
  if (ec == rpc::asio::error::operation_aborted || !acceptor_->is_open()) return;
  if (ec) {
    spdlog::warn("client port: accept failed: {}", ec.message());
  } else if (connections_.size() >= config_.connections_max) {
    Refuse(std::move(socket));
  } else {
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    if (config_.send_buffer_bytes > 0) {
      socket.set_option(rpc::asio::socket_base::send_buffer_size(config_.send_buffer_bytes),
                        ignored);
    }
    ++accepted_;
    ++open_;
    if (metrics_) metrics_->client_connections.Add(1);
    const uint64_t id = ++next_id_;
    auto connection = std::make_shared<Connection>(*this, std::move(socket), id);
    connections_.emplace(id, connection);
    connection->Start();
  }
  Accept();
}

void ClientPort::Impl::Refuse(tcp::socket socket) {
  ++refused_;
  wire::ClientResponse response;
  response.mutable_error()->set_reason("too many connections: this port takes " +
                                       std::to_string(config_.connections_max));
  const Bytes frame = FrameOf(response);
  boost::system::error_code ec;
  socket.non_blocking(true, ec);
  socket.write_some(rpc::asio::buffer(frame), ec);
  socket.shutdown(tcp::socket::shutdown_send, ec);
  socket.close(ec);
}

void ClientPort::Impl::ArmSweep() {
  const uint64_t interval_ms =
      std::max<uint64_t>(10, std::min<uint64_t>(1'000, config_.watch_timeout_ms / 2));
  sweep_timer_->expires_after(std::chrono::milliseconds(interval_ms));
  sweep_timer_->async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    const Clock::time_point now = Clock::now();
    // Expire may close a connection (a slow client): iterate over a copy.
    std::vector<std::shared_ptr<Connection>> connections;
    for (const auto& [id, c] : connections_) connections.push_back(c);
    for (const auto& c : connections) c->Expire(now);
    ArmSweep();
  });
}

// ---- ClientPort ----

ClientPort::ClientPort(ClientPortConfig config, RpcBackend& backend, NodeMetrics* metrics)
    : impl_(std::make_unique<Impl>(std::move(config), backend, metrics)) {}
ClientPort::~ClientPort() = default;
Status ClientPort::Start() {
  return impl_->Start();
}
void ClientPort::Stop() {
  impl_->Stop();
}
uint16_t ClientPort::port() const {
  return impl_->port();
}
ClientPortStats ClientPort::stats() const {
  return impl_->stats();
}

}  // namespace hotbft::node
