#include "app/socket_app.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "app/codec.h"
#include "app/limits.h"
#include "app/socket_io.h"
#include "app/text.h"

namespace hotbft::app {
namespace {

using socket_io::Clock;
using socket_io::IoLimit;
using socket_io::SocketAddress;
using socket_io::UniqueFd;

std::string Ms(uint64_t ms) {
  return std::to_string(ms) + " ms";
}

Status CheckTimeout(uint64_t value_ms, std::string_view name) {
  if (value_ms >= 1 && value_ms <= SocketAppOptions::kTimeoutMsMax) return Status::Ok();
  return Status::InvalidArgument(std::string(name) + " is " + Ms(value_ms) +
                                 "; it must be from 1 to " + Ms(SocketAppOptions::kTimeoutMsMax));
}

Status CheckOptions(const SocketAppOptions& options) {
  HOTBFT_RETURN_IF_ERROR(CheckTimeout(options.connect_timeout_ms, "connect_timeout_ms"));
  HOTBFT_RETURN_IF_ERROR(CheckTimeout(options.call_timeout_ms, "call_timeout_ms"));
  HOTBFT_RETURN_IF_ERROR(
      CheckTimeout(options.reconnect_backoff_ms_min, "reconnect_backoff_ms_min"));
  HOTBFT_RETURN_IF_ERROR(
      CheckTimeout(options.reconnect_backoff_ms_max, "reconnect_backoff_ms_max"));
  if (options.reconnect_backoff_ms_min > options.reconnect_backoff_ms_max) {
    return Status::InvalidArgument(
        "reconnect_backoff_ms_min (" + Ms(options.reconnect_backoff_ms_min) +
        ") is above reconnect_backoff_ms_max (" + Ms(options.reconnect_backoff_ms_max) + ")");
  }
  if (options.node_version.size() > kNameBytesMax || !IsValidUtf8(options.node_version)) {
    return Status::InvalidArgument("node_version must be UTF-8 of at most " +
                                   std::to_string(kNameBytesMax) + " bytes");
  }
  return Status::Ok();
}

// The delay before the next connection attempt after `failures` consecutive failures: none
// after the first (a restarted app is reached by the very next call), then doubling from
// min_ms up to max_ms.
uint64_t BackoffMs(uint32_t failures, uint64_t min_ms, uint64_t max_ms) {
  HOTBFT_ASSERT(failures >= 1);
  HOTBFT_ASSERT(min_ms <= max_ms);
  if (failures == 1) return 0;
  uint64_t backoff_ms = min_ms;
  for (uint32_t i = 2; i < failures && backoff_ms < max_ms; ++i) backoff_ms *= 2;
  return std::min(backoff_ms, max_ms);
}

// One socket to the app, shared by every caller; see socket_app.h for the policy.
class SocketTransport {
 public:
  SocketTransport(SocketAddress address, SocketAppOptions options)
      : address_(std::move(address)),
        context_("app at " + socket_io::ToString(address_)),
        options_(std::move(options)) {}

  // Makes the first connection.
  Status Connect() {
    const bool taken = Acquire(options_.connect_timeout_ms);
    HOTBFT_ASSERT(taken);  // nobody else holds the transport yet
    const Status connected = EnsureConnected().With(context_);
    Release();
    return connected;
  }

  Result<wire::AppResponse> Call(const wire::AppRequest& request) {
    const std::string method(MethodName(request));
    if (!Acquire(options_.call_timeout_ms)) {
      return Status::IoError("the connection stayed busy with other calls for " +
                             Ms(options_.call_timeout_ms))
          .With(context_);
    }
    Result<wire::AppResponse> response = CallHoldingConnection(request, method);
    Release();
    return response;
  }

 private:
  // Waits up to `timeout_ms` for the connection to be free and takes it. True if taken.
  bool Acquire(uint64_t timeout_ms) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!free_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [this] { return !busy_; })) {
      return false;
    }
    busy_ = true;
    return true;
  }

  void Release() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      HOTBFT_ASSERT(busy_);
      busy_ = false;
    }
    free_.notify_one();
  }

  // REQUIRES: the connection taken (Acquire).
  Result<wire::AppResponse> CallHoldingConnection(const wire::AppRequest& request,
                                                  const std::string& method) {
    Result<std::string> frame = socket_io::EncodeFrame(request, "the " + method + " request");
    if (!frame.ok()) return frame.status().With(context_);  // the socket is still fine
    HOTBFT_RETURN_IF_ERROR(EnsureConnected().With(context_));
    Result<wire::AppResponse> response = Exchange(*frame, method);
    if (!response.ok()) {
      // The stream is out of step (or gone): an answer arriving late would be taken for the
      // next call's.
      fd_.Reset();
      RecordFailure(response.status());
      return response.status().With(context_);
    }
    failures_ = 0;
    return response;
  }

  // REQUIRES: the connection taken, fd_ connected.
  Result<wire::AppResponse> Exchange(const std::string& frame, const std::string& method) {
    HOTBFT_ASSERT(fd_.valid());
    const IoLimit limit = IoLimit::After(options_.call_timeout_ms);
    const std::string response_name = "the " + method + " response";
    HOTBFT_RETURN_IF_ERROR(
        socket_io::WriteFrame(fd_.get(), frame, limit, "the " + method + " request"));
    Result<std::optional<std::string>> payload =
        socket_io::ReadFrame(fd_.get(), limit, response_name);
    if (!payload.ok()) return payload.status();
    if (!payload->has_value()) {
      return Status::IoError("connection closed while waiting for " + response_name);
    }
    wire::AppResponse response;
    if (!response.ParseFromString(**payload)) {
      return Status::InvalidArgument(response_name + " (" + std::to_string((*payload)->size()) +
                                     " bytes) does not parse as an AppResponse");
    }
    return response;
  }

  // Leaves fd_ connected, or says why it is not. A connection the app closed (or wrote to
  // unasked) while idle is replaced without counting as a failure: no request was lost.
  // REQUIRES: the connection taken.
  Status EnsureConnected() {
    if (fd_.valid() && !socket_io::ReadableNow(fd_.get())) return Status::Ok();
    fd_.Reset();
    const Clock::time_point now = Clock::now();
    if (now < next_connect_at_) {
      const auto wait_ms =
          std::chrono::ceil<std::chrono::milliseconds>(next_connect_at_ - now).count();
      return Status::IoError("not connected (" + last_error_ + "); the next attempt is due in " +
                             Ms(static_cast<uint64_t>(wait_ms)));
    }
    Result<UniqueFd> fd = socket_io::Connect(address_, IoLimit::After(options_.connect_timeout_ms));
    if (!fd.ok()) {
      RecordFailure(fd.status());
      return fd.status();
    }
    fd_ = std::move(fd).value();
    return Status::Ok();
  }

  // REQUIRES: the connection taken.
  void RecordFailure(const Status& status) {
    HOTBFT_ASSERT(!status.ok());
    HOTBFT_ASSERT(!fd_.valid());
    if (failures_ < UINT32_MAX) ++failures_;
    last_error_ = status.message();
    next_connect_at_ = Clock::now() + std::chrono::milliseconds(
                                          BackoffMs(failures_, options_.reconnect_backoff_ms_min,
                                                    options_.reconnect_backoff_ms_max));
  }

  const SocketAddress address_;
  const std::string context_;  // "app at unix:/path", the prefix of every error
  const SocketAppOptions options_;

  // A call takes the connection from its request to its response. A flag under a mutex
  // rather than a std::timed_mutex: the wait is bounded all the same, and ThreadSanitizer
  // does not see the locks of a timed mutex taken with a timeout.
  std::mutex mutex_;
  std::condition_variable free_;
  bool busy_ = false;  // guarded by mutex_

  // Used only by the call that has taken the connection (busy_ set by it).
  UniqueFd fd_;            // invalid when not connected
  uint32_t failures_ = 0;  // consecutive failed calls and connects since the last answer
  Clock::time_point next_connect_at_{};
  std::string last_error_;  // why the last failure happened, for "not connected" errors
};

}  // namespace

Result<std::unique_ptr<Application>> ConnectSocketApp(const std::string& address,
                                                      SocketAppOptions options) {
  Result<SocketAddress> parsed = socket_io::ParseSocketAddress(address);
  if (!parsed.ok()) return parsed.status();
  HOTBFT_RETURN_IF_ERROR(CheckOptions(options).With("socket app " + socket_io::ToString(*parsed)));
  std::string node_version = options.node_version;
  auto transport = std::make_shared<SocketTransport>(std::move(parsed).value(), std::move(options));
  HOTBFT_RETURN_IF_ERROR(transport->Connect());
  AppTransport call = [transport](const wire::AppRequest& request) {
    return transport->Call(request);
  };
  return std::unique_ptr<Application>(
      std::make_unique<ProtoClientApplication>(std::move(call), std::move(node_version)));
}

}  // namespace hotbft::app
