#include "node/client.h"

#include <array>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>

#include "network/frame.h"
#include "node/rpc_io.h"
#include "node/rpc_json.h"
#include "proto/client.pb.h"

namespace hotbft::node {

namespace beast = boost::beast;
namespace http = beast::http;
using rpc::tcp;
using rpc::asio::io_context;
using Json = nlohmann::json;

namespace {

// An HTTP reply larger than this is refused (a block of 4 MiB of transactions is ~6 MiB).
constexpr uint64_t kReplyBytesMax = uint64_t{256} << 20;
constexpr size_t kReadBytes = 64 * 1024;

Result<tcp::resolver::results_type> Resolve(io_context& io, const std::string& address) {
  auto parsed = rpc::ParseListenAddress(address);
  if (!parsed.ok()) return parsed.status();
  boost::system::error_code ec;
  tcp::resolver resolver(io);
  auto endpoints = resolver.resolve(parsed->host, std::to_string(parsed->port),
                                    tcp::resolver::numeric_service, ec);
  if (ec || endpoints.empty()) {
    return Status::IoError("cannot resolve " + address + ": " + ec.message());
  }
  return endpoints;
}

// The Status a JSON-RPC error object maps to (client.h).
Status ErrorStatus(const Json& error) {
  const int code = error.value("code", 0);
  std::string text =
      error.value("message", std::string("error")) + " (" + std::to_string(code) + ")";
  if (error.contains("data") && error["data"].is_string()) {
    text += ": " + error["data"].get<std::string>();
  }
  switch (code) {
    case -32700:
    case -32600:
    case -32602: return Status::InvalidArgument(text);
    case -32601:
    case -32001: return Status::NotFound(text);
    case -32002: return Status::FailedPrecondition(text);
    case -32003: return Status::IoError(text);
    case -32004: return Status::ResourceExhausted(text);
    default: return Status::Internal(text);
  }
}

}  // namespace

// ---- RpcClient ----

class RpcClient::Impl {
 public:
  Impl(std::string host, uint64_t timeout_ms)
      : stream_(io_), host_(std::move(host)), timeout_ms_(timeout_ms) {}

  Status Connect(const tcp::resolver::results_type& endpoints) {
    boost::system::error_code result = rpc::asio::error::would_block;
    stream_.expires_after(std::chrono::milliseconds(timeout_ms_));
    stream_.async_connect(
        endpoints, [&](const boost::system::error_code& ec, const tcp::endpoint&) { result = ec; });
    Run();
    if (result) return Status::IoError("connect to " + host_ + ": " + result.message());
    return Status::Ok();
  }

  Result<HttpReply> Exchange(http::request<http::string_body> request) {
    if (!broken_.ok()) return broken_;
    request.set(http::field::host, host_);
    request.set(http::field::user_agent, "hotbft");
    request.keep_alive(true);
    request.prepare_payload();
    boost::system::error_code result = rpc::asio::error::would_block;
    stream_.expires_after(std::chrono::milliseconds(timeout_ms_));
    http::async_write(stream_, request,
                      [&](const boost::system::error_code& ec, size_t) { result = ec; });
    Run();
    if (result) return Break("write: " + result.message());
    http::response_parser<http::string_body> parser;
    parser.header_limit(1 << 20);
    parser.body_limit(kReplyBytesMax);
    result = rpc::asio::error::would_block;
    stream_.expires_after(std::chrono::milliseconds(timeout_ms_));
    http::async_read(stream_, buffer_, parser,
                     [&](const boost::system::error_code& ec, size_t) { result = ec; });
    Run();
    if (result) return Break("read: " + result.message());
    auto response = parser.release();
    if (!response.keep_alive()) broken_ = Status::IoError("the node closed the connection");
    return HttpReply{static_cast<unsigned>(response.result_int()),
                     std::string(response[http::field::content_type]), std::move(response.body())};
  }

  uint64_t NextId() { return next_id_++; }

 private:
  void Run() {
    io_.restart();
    io_.run();
  }
  Status Break(const std::string& why) {
    broken_ = Status::IoError("rpc " + host_ + ": " + why);
    return broken_;
  }

  io_context io_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  const std::string host_;
  const uint64_t timeout_ms_;
  Status broken_;
  uint64_t next_id_ = 1;
};

Result<std::unique_ptr<RpcClient>> RpcClient::Connect(const std::string& address,
                                                      uint64_t timeout_ms) {
  auto impl = std::make_unique<Impl>(address, timeout_ms);
  io_context resolver_io;
  auto endpoints = Resolve(resolver_io, address);
  if (!endpoints.ok()) return endpoints.status();
  HOTBFT_RETURN_IF_ERROR(impl->Connect(*endpoints));
  return std::unique_ptr<RpcClient>(new RpcClient(std::move(impl)));
}

RpcClient::RpcClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RpcClient::~RpcClient() = default;

Result<HttpReply> RpcClient::Get(const std::string& target) {
  return impl_->Exchange(http::request<http::string_body>(http::verb::get, target, 11));
}

Result<HttpReply> RpcClient::Post(const std::string& target, const std::string& body,
                                  const std::string& content_type) {
  http::request<http::string_body> request(http::verb::post, target, 11);
  request.set(http::field::content_type, content_type);
  request.body() = body;
  return impl_->Exchange(std::move(request));
}

Result<Json> RpcClient::Call(const std::string& method, const Json& params) {
  const Json request{
      {"jsonrpc", "2.0"}, {"id", impl_->NextId()}, {"method", method}, {"params", params}};
  auto reply = Post("/", request.dump());
  if (!reply.ok()) return reply.status();
  Json doc = Json::parse(reply->body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Status::Internal("the node's answer to " + method + " (HTTP " +
                            std::to_string(reply->status) + ") is not a JSON-RPC response");
  }
  if (doc.contains("error")) return ErrorStatus(doc["error"]);
  if (!doc.contains("result")) return Status::Internal("the node's answer has no result");
  return doc["result"];
}

Result<Json> RpcClient::BroadcastTxSync(ByteView tx) {
  return Call("broadcast_tx_sync", Json{{"tx", rpc::Base64Encode(tx)}});
}

Result<Json> RpcClient::BroadcastTxCommit(ByteView tx) {
  return Call("broadcast_tx_commit", Json{{"tx", rpc::Base64Encode(tx)}});
}

Result<Json> RpcClient::Query(const std::string& path, ByteView data, Height height) {
  return Call("abci_query",
              Json{{"path", path}, {"data", ToHex(data)}, {"height", std::to_string(height)}});
}

Result<Json> RpcClient::Tx(const Hash32& hash) {
  return Call("tx", Json{{"hash", hash.hex()}});
}

Result<Json> RpcClient::Block(std::optional<Height> height) {
  Json params = Json::object();
  if (height) params["height"] = std::to_string(*height);
  return Call("block", params);
}

// ---- PortClient ----

namespace {

Result<Hash32> HashOf(const std::string& bytes) {
  return Hash32::FromBytes(AsBytes(bytes));
}

Result<PortMessage> Convert(const wire::ClientResponse& response) {
  switch (response.resp_case()) {
    case wire::ClientResponse::kSubmitResult: {
      BatchResult out;
      out.request_id = response.submit_result().request_id();
      for (const wire::TxAdmission& a : response.submit_result().results()) {
        auto hash = HashOf(a.hash());
        if (!hash.ok() || a.outcome() < 0 ||
            a.outcome() >= static_cast<int>(mempool::AddOutcome::kCount)) {
          return Status::Corruption("the node sent a malformed TxAdmission");
        }
        out.results.push_back(
            {static_cast<mempool::AddOutcome>(a.outcome()), a.code(), a.log(), *hash, a.watched()});
      }
      return PortMessage(std::move(out));
    }
    case wire::ClientResponse::kCommits: {
      CommitNotice out;
      for (const wire::TxCommitted& t : response.commits().txs()) {
        auto hash = HashOf(t.hash());
        if (!hash.ok()) return Status::Corruption("the node sent a malformed TxCommitted");
        out.committed.push_back({*hash, t.height(), t.index(), t.code()});
      }
      for (const std::string& h : response.commits().expired()) {
        auto hash = HashOf(h);
        if (!hash.ok()) return Status::Corruption("the node sent a malformed expired hash");
        out.expired.push_back(*hash);
      }
      return PortMessage(std::move(out));
    }
    case wire::ClientResponse::kError: return PortMessage(PortError{response.error().reason()});
    case wire::ClientResponse::RESP_NOT_SET: break;
  }
  return Status::Corruption("the node sent an empty ClientResponse");
}

}  // namespace

class PortClient::Impl {
 public:
  explicit Impl(std::string address)
      : socket_(io_), address_(std::move(address)), decoder_(network::kFrameBytesCeiling) {}

  Status Connect(const tcp::resolver::results_type& endpoints, uint64_t timeout_ms) {
    boost::system::error_code result = rpc::asio::error::would_block;
    rpc::asio::async_connect(
        socket_, endpoints,
        [&](const boost::system::error_code& ec, const tcp::endpoint&) { result = ec; });
    RunFor(timeout_ms);
    if (result == rpc::asio::error::operation_aborted) {
      return Status::IoError("connect to " + address_ + ": timed out");
    }
    if (result) return Status::IoError("connect to " + address_ + ": " + result.message());
    boost::system::error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);
    return Status::Ok();
  }

  Result<uint64_t> Send(const std::vector<Bytes>& txs, bool notify, uint64_t timeout_ms) {
    if (!broken_.ok()) return broken_;
    wire::ClientRequest request;
    wire::SubmitBatch* batch = request.mutable_submit();
    const uint64_t id = next_request_id_++;
    batch->set_request_id(id);
    batch->set_notify(notify);
    for (const Bytes& tx : txs) batch->add_txs(tx.data(), tx.size());
    std::string body;
    if (!request.SerializeToString(&body) || body.size() > network::kFrameBytesCeiling) {
      return Status::InvalidArgument("a batch of " + std::to_string(body.size()) +
                                     " bytes does not fit in a frame");
    }
    const Bytes frame = network::EncodeFrame(AsBytes(body));
    boost::system::error_code result = rpc::asio::error::would_block;
    rpc::asio::async_write(socket_, rpc::asio::buffer(frame),
                           [&](const boost::system::error_code& ec, size_t) { result = ec; });
    RunFor(timeout_ms);
    if (result == rpc::asio::error::operation_aborted) return Break("write timed out");
    if (result) return Break("write: " + result.message());
    return id;
  }

  Result<PortMessage> Receive(uint64_t timeout_ms) {
    if (!held_.empty()) {
      PortMessage m = std::move(held_.front());
      held_.pop_front();
      return m;
    }
    return ReadMessage(timeout_ms);
  }

  Result<BatchResult> Submit(const std::vector<Bytes>& txs, bool notify, uint64_t timeout_ms) {
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    auto id = Send(txs, notify, timeout_ms);
    if (!id.ok()) return id.status();
    while (true) {
      auto message = ReadMessage(Remaining(deadline));
      if (!message.ok()) return message.status();
      if (auto* result = std::get_if<BatchResult>(&*message); result && result->request_id == *id) {
        return std::move(*result);
      }
      if (auto* error = std::get_if<PortError>(&*message)) {
        return Status::FailedPrecondition("the node closed the connection: " + error->reason);
      }
      held_.push_back(std::move(*message));
    }
  }

 private:
  using Clock = std::chrono::steady_clock;

  static uint64_t Remaining(Clock::time_point deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    return left.count() > 0 ? static_cast<uint64_t>(left.count()) : 0;
  }

  // Runs the pending operation for at most timeout_ms, then cancels it if it has not
  // completed: when this returns its handler has run, with operation_aborted if cancelled.
  void RunFor(uint64_t timeout_ms) {
    io_.restart();
    io_.run_for(std::chrono::milliseconds(timeout_ms));
    if (io_.stopped()) return;
    boost::system::error_code ignored;
    socket_.cancel(ignored);
    io_.restart();
    io_.run();
  }

  Result<PortMessage> ReadMessage(uint64_t timeout_ms) {
    if (!broken_.ok()) return broken_;
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    while (true) {
      auto body = decoder_.Next();
      if (!body.ok()) return Break(body.status().ToString());
      if (body->has_value()) {
        wire::ClientResponse response;
        if (!response.ParseFromArray((*body)->data(), static_cast<int>((*body)->size()))) {
          return Break("a frame that is not a ClientResponse");
        }
        auto message = Convert(response);
        if (!message.ok()) return Break(message.status().ToString());
        return message;
      }
      boost::system::error_code result = rpc::asio::error::would_block;
      size_t n = 0;
      socket_.async_read_some(rpc::asio::buffer(buffer_),
                              [&](const boost::system::error_code& ec, size_t bytes) {
                                result = ec;
                                n = bytes;
                              });
      RunFor(Remaining(deadline));
      // A read cancelled at the timeout took no bytes: the stream is intact.
      if (result == rpc::asio::error::operation_aborted) {
        return Status::IoError("no message within the timeout");
      }
      if (result) return Break("read: " + result.message());
      decoder_.Append(ByteView(buffer_.data(), n));
    }
  }

  Status Break(const std::string& why) {
    broken_ = Status::IoError("client port " + address_ + ": " + why);
    return broken_;
  }

  io_context io_;
  tcp::socket socket_;
  const std::string address_;
  network::FrameDecoder decoder_;
  std::array<uint8_t, kReadBytes> buffer_{};
  std::deque<PortMessage> held_;
  uint64_t next_request_id_ = 1;
  Status broken_;
};

Result<std::unique_ptr<PortClient>> PortClient::Connect(const std::string& address,
                                                        uint64_t timeout_ms) {
  auto impl = std::make_unique<Impl>(address);
  io_context resolver_io;
  auto endpoints = Resolve(resolver_io, address);
  if (!endpoints.ok()) return endpoints.status();
  HOTBFT_RETURN_IF_ERROR(impl->Connect(*endpoints, timeout_ms));
  return std::unique_ptr<PortClient>(new PortClient(std::move(impl)));
}

PortClient::PortClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PortClient::~PortClient() = default;

Result<uint64_t> PortClient::Send(const std::vector<Bytes>& txs, bool notify, uint64_t timeout_ms) {
  return impl_->Send(txs, notify, timeout_ms);
}

Result<PortMessage> PortClient::Receive(uint64_t timeout_ms) {
  return impl_->Receive(timeout_ms);
}

Result<BatchResult> PortClient::Submit(const std::vector<Bytes>& txs, bool notify,
                                       uint64_t timeout_ms) {
  return impl_->Submit(txs, notify, timeout_ms);
}

}  // namespace hotbft::node
