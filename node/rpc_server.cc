// The HTTP side of the RPC: accepting, reading requests within the limits, routing URI
// calls and JSON-RPC requests to the methods (rpc_methods.h), writing the answers.
#include "node/rpc_server.h"

#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <map>
#include <optional>
#include <thread>

#include "crypto/thread_name.h"
#include "node/rpc_io.h"
#include "node/rpc_methods.h"

namespace hotbft::node {

namespace beast = boost::beast;
namespace http = beast::http;
using rpc::Json;
using rpc::RpcError;
using rpc::RpcReply;
using rpc::tcp;
using rpc::asio::io_context;

namespace {

class Session;

constexpr std::string_view kJsonType = "application/json";
constexpr std::string_view kMetricsType = "text/plain; version=0.0.4; charset=utf-8";
// How long a connection the server closes may still send before the close (Session::Linger).
constexpr uint64_t kLingerMs = 2'000;

std::string RouteList() {
  std::string out;
  for (const rpc::MethodInfo& m : rpc::AllMethods()) {
    if (!out.empty()) out += ", ";
    out += "/" + m.name;
  }
  return out;
}

}  // namespace

class RpcServer::Impl {
 public:
  Impl(RpcServerConfig config, RpcBackend& backend, NodeMetrics* metrics)
      : config_(std::move(config)),
        backend_(backend),
        metrics_(metrics),
        io_(std::make_unique<io_context>()),
        gate_(std::make_shared<rpc::PostGate>(*io_)),
        methods_(backend_, *io_, gate_,
                 rpc::MethodTimeouts{config_.commit_timeout_ms, config_.call_timeout_ms,
                                     config_.admin}) {
    HOTBFT_ASSERT(config_.connections_max > 0);
    HOTBFT_ASSERT(config_.request_bytes_max > 0);
    HOTBFT_ASSERT(config_.batch_calls_max > 0);
  }
  ~Impl() {
    Stop();
    io_.reset();  // destroys pending handlers (and the sessions they hold) while *this is whole
  }

  Status Start();
  void Stop();
  uint16_t port() const { return port_; }
  RpcServerStats stats() const {
    return {accepted_.load(), refused_.load(), open_.load(), requests_.load()};
  }

  // ---- For sessions (io thread) ----
  const RpcServerConfig& config() const { return config_; }
  rpc::Methods& methods() { return methods_; }
  void OnReply(const RpcReply& reply) {
    if (!metrics_) return;
    metrics_->rpc_requests.Inc();
    if (reply.error) metrics_->rpc_errors.With(reply.error->kind).Inc();
  }
  void OnRequest() { ++requests_; }
  void OnSessionClosed(uint64_t id) {
    sessions_.erase(id);
    --open_;
    if (metrics_) metrics_->rpc_connections.Add(-1);
  }

 private:
  void Accept();
  void OnAccept(const boost::system::error_code& ec, tcp::socket socket);
  void Refuse(tcp::socket socket);

  const RpcServerConfig config_;
  RpcBackend& backend_;
  NodeMetrics* const metrics_;
  std::unique_ptr<io_context> io_;
  std::shared_ptr<rpc::PostGate> gate_;
  rpc::Methods methods_;
  std::unique_ptr<tcp::acceptor> acceptor_;
  std::thread thread_;
  uint16_t port_ = 0;
  bool running_ = false;
  std::atomic<uint64_t> accepted_{0};
  std::atomic<uint64_t> refused_{0};
  std::atomic<uint64_t> open_{0};
  std::atomic<uint64_t> requests_{0};
  // io thread only.
  uint64_t next_session_id_ = 0;
  std::map<uint64_t, std::weak_ptr<Session>> sessions_;
};

namespace {

// One HTTP connection: read a request, answer it, and again while the client keeps it alive.
// io thread only.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(RpcServer::Impl& server, tcp::socket socket, uint64_t id)
      : server_(server), stream_(std::move(socket)), id_(id) {}
  ~Session() { server_.OnSessionClosed(id_); }

  void Start() { Read(); }

  void Close() {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

 private:
  using Request = http::request<http::string_body>;
  using ReplyJson = std::function<void(Json response, unsigned http_status)>;

  void Read();
  void OnRead(const beast::error_code& ec);
  void Handle(Request request);
  void HandleUri(const rpc::Target& target);
  void HandleJsonRpc(const std::string& body);
  void RunJsonCall(const Json& request, ReplyJson done);
  void RespondJson(unsigned status, const Json& body) {
    Respond(status, body.dump(-1, ' ', false, Json::error_handler_t::replace), kJsonType);
  }
  void RespondError(const RpcError& error, const Json& id = -1) {
    server_.OnReply(RpcReply::Fail(error));
    RespondJson(error.http_status, rpc::Envelope(id, RpcReply::Fail(error)));
  }
  void Respond(unsigned status, std::string body, std::string_view content_type);
  void Linger();
  void Discard();
  uint64_t sender_id() const { return kHttpSenderIdBase + id_; }

  RpcServer::Impl& server_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;  // the one being written
  const uint64_t id_;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool closed_ = false;
  std::unique_ptr<std::array<char, 16 * 1024>> discard_;  // while lingering
  size_t linger_left_ = 0;
};

void Session::Read() {
  if (closed_) return;
  const RpcServerConfig& c = server_.config();
  parser_.emplace();
  parser_->header_limit(c.request_bytes_max);
  parser_->body_limit(c.request_bytes_max);
  stream_.expires_after(std::chrono::milliseconds(c.idle_timeout_ms));
  http::async_read(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](const beast::error_code& ec, size_t) { self->OnRead(ec); });
}

void Session::OnRead(const beast::error_code& ec) {
  if (closed_) return;
  if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
      ec == rpc::asio::error::eof || ec == rpc::asio::error::connection_reset ||
      ec == rpc::asio::error::operation_aborted) {
    return Close();
  }
  if (ec) {
    keep_alive_ = false;  // the stream cannot be trusted after a bad request
    if (ec == http::error::body_limit || ec == http::error::header_limit ||
        ec == http::error::buffer_overflow) {
      return RespondError(RpcError::TooLarge(
          "the request exceeds " + std::to_string(server_.config().request_bytes_max) + " bytes (" +
          ec.message() + "); POST large transactions as JSON-RPC"));
    }
    return RespondError(RpcError::InvalidRequest("malformed HTTP request: " + ec.message()));
  }
  Handle(parser_->release());
}

void Session::Handle(Request request) {
  version_ = request.version();
  keep_alive_ = request.keep_alive();
  auto target =
      rpc::ParseTarget(std::string_view(request.target().data(), request.target().size()));
  if (!target.ok()) {
    return RespondError(
        RpcError::InvalidRequest("bad request target: " + target.status().message()));
  }
  if (request.method() == http::verb::post) {
    if (target->path != "/") {
      return RespondError(RpcError::MethodNotAllowed("POST is for JSON-RPC requests to /; " +
                                                     target->path + " is a GET route"));
    }
    return HandleJsonRpc(request.body());
  }
  if (request.method() != http::verb::get) {
    return RespondError(RpcError::MethodNotAllowed("method " +
                                                   std::string(request.method_string()) +
                                                   " is not served: GET a route, or POST "
                                                   "a JSON-RPC request to /"));
  }
  HandleUri(*target);
}

void Session::HandleUri(const rpc::Target& target) {
  if (target.path == "/") {
    Json routes = Json::array();
    for (const rpc::MethodInfo& m : rpc::AllMethods()) {
      std::string route = "/" + m.name;
      for (size_t i = 0; i < m.params.size(); ++i) route += (i ? "&" : "?") + m.params[i] + "=_";
      routes.push_back(route);
    }
    server_.OnReply(RpcReply::Ok(routes));
    return RespondJson(200, rpc::Envelope(-1, RpcReply::Ok(Json{{"routes", routes}})));
  }
  const rpc::MethodInfo* method = rpc::FindMethod(std::string_view(target.path).substr(1));
  if (method == nullptr) {
    return RespondError(
        RpcError::MethodNotFound("unknown route '" + target.path + "'; routes: " + RouteList()));
  }
  server_.methods().Call(*method, rpc::Params::FromUri(target.params), sender_id(),
                         [self = shared_from_this()](RpcReply reply) {
                           self->server_.OnReply(reply);
                           if (reply.text) {
                             return self->Respond(200, std::move(*reply.text), kMetricsType);
                           }
                           const unsigned status = reply.error ? reply.error->http_status : 200;
                           self->RespondJson(status, rpc::Envelope(-1, reply));
                         });
}

void Session::HandleJsonRpc(const std::string& body) {
  Json doc = Json::parse(body, nullptr, false);
  if (doc.is_discarded()) {
    return RespondError(RpcError::Parse("the body is not valid JSON"), nullptr);
  }
  auto self = shared_from_this();
  if (!doc.is_array()) {
    return RunJsonCall(
        doc, [self](Json response, unsigned status) { self->RespondJson(status, response); });
  }
  const size_t max = server_.config().batch_calls_max;
  if (doc.empty() || doc.size() > max) {
    return RespondError(RpcError::InvalidRequest("a batch holds 1 to " + std::to_string(max) +
                                                 " requests, not " + std::to_string(doc.size())),
                        nullptr);
  }
  struct Batch {
    Json responses;
    size_t remaining;
  };
  auto batch = std::make_shared<Batch>(Batch{Json::array(), doc.size()});
  for (size_t i = 0; i < doc.size(); ++i) batch->responses.push_back(nullptr);
  for (size_t i = 0; i < doc.size(); ++i) {
    RunJsonCall(doc[i], [self, batch, i](Json response, unsigned) {
      batch->responses[i] = std::move(response);
      if (--batch->remaining == 0) self->RespondJson(200, batch->responses);
    });
  }
}

void Session::RunJsonCall(const Json& request, ReplyJson done) {
  const auto fail = [&](const RpcError& error, const Json& id) {
    server_.OnReply(RpcReply::Fail(error));
    done(rpc::Envelope(id, RpcReply::Fail(error)), error.http_status);
  };
  if (!request.is_object())
    return fail(RpcError::InvalidRequest("a request is a JSON object"), nullptr);
  const auto id = request.find("id");
  const Json id_value = id == request.end() ? Json(nullptr) : *id;
  if (id == request.end() || !(id->is_string() || id->is_number() || id->is_null())) {
    return fail(RpcError::InvalidRequest("a request needs an id (a string, a number or null); "
                                         "notifications are not served"),
                nullptr);
  }
  const auto version = request.find("jsonrpc");
  if (version == request.end() || *version != "2.0") {
    return fail(RpcError::InvalidRequest("\"jsonrpc\" must be \"2.0\""), id_value);
  }
  const auto name = request.find("method");
  if (name == request.end() || !name->is_string()) {
    return fail(RpcError::InvalidRequest("\"method\" must be a string"), id_value);
  }
  const rpc::MethodInfo* method = rpc::FindMethod(name->get_ref<const std::string&>());
  if (method == nullptr) {
    return fail(RpcError::MethodNotFound("unknown method '" + name->get<std::string>() +
                                         "'; methods: " + RouteList()),
                id_value);
  }
  const auto params_it = request.find("params");
  auto params = rpc::Params::FromJson(params_it == request.end() ? Json(nullptr) : *params_it,
                                      method->params);
  if (!params.ok()) return fail(RpcError::InvalidParams(params.status().message()), id_value);
  server_.methods().Call(*method, *params, sender_id(),
                         [self = shared_from_this(), id_value, done](RpcReply reply) {
                           self->server_.OnReply(reply);
                           const unsigned status = reply.error ? reply.error->http_status : 200;
                           done(rpc::Envelope(id_value, reply), status);
                         });
}

void Session::Respond(unsigned status, std::string body, std::string_view content_type) {
  if (closed_) return;
  server_.OnRequest();
  response_ = http::response<http::string_body>(static_cast<http::status>(status), version_);
  response_.set(http::field::server, "hotbft");
  response_.set(http::field::content_type, std::string(content_type));
  response_.keep_alive(keep_alive_);
  response_.body() = std::move(body);
  response_.prepare_payload();
  stream_.expires_after(std::chrono::milliseconds(server_.config().idle_timeout_ms));
  http::async_write(stream_, response_,
                    [self = shared_from_this()](const beast::error_code& ec, size_t) {
                      if (ec) return self->Close();
                      if (!self->keep_alive_) return self->Linger();
                      self->Read();
                    });
}

// Closing a socket with unread input makes the kernel send a reset, which can destroy the
// answer just written before the client reads it (a 413 for a body still arriving). So the
// server first stops sending, then reads and discards what the client still sends, within
// bounds, and closes at the client's end of stream or at the bound.
void Session::Linger() {
  boost::system::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  linger_left_ = server_.config().request_bytes_max;
  stream_.expires_after(std::chrono::milliseconds(kLingerMs));
  Discard();
}

void Session::Discard() {
  if (closed_) return;
  if (!discard_) discard_ = std::make_unique<std::array<char, 16 * 1024>>();
  stream_.async_read_some(rpc::asio::buffer(*discard_),
                          [self = shared_from_this()](const beast::error_code& ec, size_t n) {
                            if (ec || n >= self->linger_left_) return self->Close();
                            self->linger_left_ -= n;
                            self->Discard();
                          });
}

}  // namespace

// ---- RpcServer::Impl ----

Status RpcServer::Impl::Start() {
  HOTBFT_ASSERT(!running_);
  auto address = rpc::ParseListenAddress(config_.listen);
  if (!address.ok()) return address.status().With("rpc");
  auto acceptor = rpc::Listen(*io_, *address);
  if (!acceptor.ok()) return acceptor.status().With("rpc");
  acceptor_ = std::move(*acceptor);
  port_ = acceptor_->local_endpoint().port();
  running_ = true;
  Accept();
  thread_ = std::thread([this] {
    SetThreadName("rpc-http");
    io_->run();
  });
  spdlog::info("rpc listening on {}:{}", address->host, port_);
  return Status::Ok();
}

void RpcServer::Impl::Stop() {
  if (!running_) return;
  running_ = false;
  gate_->Close();
  io_->stop();
  thread_.join();
  acceptor_.reset();
  for (auto& [id, weak] : sessions_) {
    if (auto session = weak.lock()) session->Close();
  }
  // Pending handlers (and the calls and connections they hold) go now, not at destruction,
  // so their watches end with the stop.
  io_.reset();
}

void RpcServer::Impl::Accept() {
  acceptor_->async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
    OnAccept(ec, std::move(socket));
  });
}

void RpcServer::Impl::OnAccept(const boost::system::error_code& ec, tcp::socket socket) {
  if (ec == rpc::asio::error::operation_aborted || !acceptor_->is_open()) return;
  if (!ec) {
    if (open_.load() >= config_.connections_max) {
      Refuse(std::move(socket));
    } else {
      ++accepted_;
      ++open_;
      if (metrics_) metrics_->rpc_connections.Add(1);
      const uint64_t id = ++next_session_id_;
      auto session = std::make_shared<Session>(*this, std::move(socket), id);
      sessions_.emplace(id, session);
      session->Start();
    }
  } else {
    spdlog::warn("rpc: accept failed: {}", ec.message());
  }
  Accept();
}

// Over the limit: a short 503 written without waiting (a new socket's send buffer takes it),
// then the connection closes.
void RpcServer::Impl::Refuse(tcp::socket socket) {
  ++refused_;
  const RpcError error = RpcError::Unavailable("too many connections: this server takes " +
                                               std::to_string(config_.connections_max));
  if (metrics_) metrics_->rpc_errors.With("too_many_connections").Inc();
  const std::string body = rpc::Envelope(-1, RpcReply::Fail(error)).dump();
  const std::string response =
      "HTTP/1.1 503 Service Unavailable\r\nServer: hotbft\r\n"
      "Content-Type: application/json\r\nConnection: close\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body;
  boost::system::error_code ec;
  socket.non_blocking(true, ec);
  socket.write_some(rpc::asio::buffer(response), ec);
  socket.shutdown(tcp::socket::shutdown_send, ec);
  socket.close(ec);
}

// ---- RpcServer ----

RpcServer::RpcServer(RpcServerConfig config, RpcBackend& backend, NodeMetrics* metrics)
    : impl_(std::make_unique<Impl>(std::move(config), backend, metrics)) {}
RpcServer::~RpcServer() = default;
Status RpcServer::Start() {
  return impl_->Start();
}
void RpcServer::Stop() {
  impl_->Stop();
}
uint16_t RpcServer::port() const {
  return impl_->port();
}
RpcServerStats RpcServer::stats() const {
  return impl_->stats();
}

}  // namespace hotbft::node
