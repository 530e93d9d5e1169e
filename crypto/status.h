// Status and Result<T>: the error currency at every module boundary.
//
// A Status is a cheap value: a code plus a message that names the offending values
// ("round 7 is not above last voted round 9"). No exceptions cross module boundaries;
// a programming error is an assertion (crypto/assert.h), not a Status.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "crypto/assert.h"

namespace hotbft {

class Status {
 public:
  enum class Code {
    kOk = 0,
    kInvalidArgument,     // malformed input: bad encoding, wrong length, bad signature
    kNotFound,            // a lookup found nothing
    kCorruption,          // stored data does not decode or fails a check
    kIoError,             // the OS or a library reported an I/O failure
    kPermissionDenied,    // e.g. a key file readable by others
    kFailedPrecondition,  // the operation is not allowed in the current state
    kResourceExhausted,   // a bound was hit (queue full, mempool full)
    kUnauthenticated,     // an unknown or unverifiable peer
    kInternal,            // a dependency failed in a way that should not happen
    kSafetyViolation,     // a guarantee that needs at most f faulty validators is broken
  };

  Status() = default;  // OK

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string msg) {
    return {Code::kInvalidArgument, std::move(msg)};
  }
  static Status NotFound(std::string msg) { return {Code::kNotFound, std::move(msg)}; }
  static Status Corruption(std::string msg) { return {Code::kCorruption, std::move(msg)}; }
  static Status IoError(std::string msg) { return {Code::kIoError, std::move(msg)}; }
  static Status PermissionDenied(std::string msg) {
    return {Code::kPermissionDenied, std::move(msg)};
  }
  static Status FailedPrecondition(std::string msg) {
    return {Code::kFailedPrecondition, std::move(msg)};
  }
  static Status ResourceExhausted(std::string msg) {
    return {Code::kResourceExhausted, std::move(msg)};
  }
  static Status Unauthenticated(std::string msg) {
    return {Code::kUnauthenticated, std::move(msg)};
  }
  static Status Internal(std::string msg) { return {Code::kInternal, std::move(msg)}; }
  static Status SafetyViolation(std::string msg) {
    return {Code::kSafetyViolation, std::move(msg)};
  }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string ToString() const;  // "InvalidArgument: <message>" or "OK"

  // Prefixes the message with context: Status::IoError("x").With("reading key") reads
  // "reading key: x". Keeps the code.
  Status With(std::string_view context) const;

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}

  Code code_ = Code::kOk;
  std::string message_;
};

std::string_view CodeName(Status::Code code);

// Result<T>: a T or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    HOTBFT_ASSERT(!status_.ok());
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  // REQUIRES: ok().
  const T& value() const& {
    HOTBFT_ASSERT(ok());
    return *value_;
  }
  T& value() & {
    HOTBFT_ASSERT(ok());
    return *value_;
  }
  T&& value() && {
    HOTBFT_ASSERT(ok());
    return std::move(*value_);
  }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace hotbft

// Returns the Status of an expression from the enclosing function if it is not OK.
#define HOTBFT_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::hotbft::Status _hotbft_status = (expr);        \
    if (!_hotbft_status.ok()) return _hotbft_status; \
  } while (0)
