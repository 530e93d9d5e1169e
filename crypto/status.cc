#include "crypto/status.h"

#include <cstdio>
#include <cstdlib>

namespace hotbft {

std::string_view CodeName(Status::Code code) {
  switch (code) {
    case Status::Code::kOk: return "OK";
    case Status::Code::kInvalidArgument: return "InvalidArgument";
    case Status::Code::kNotFound: return "NotFound";
    case Status::Code::kCorruption: return "Corruption";
    case Status::Code::kIoError: return "IoError";
    case Status::Code::kPermissionDenied: return "PermissionDenied";
    case Status::Code::kFailedPrecondition: return "FailedPrecondition";
    case Status::Code::kResourceExhausted: return "ResourceExhausted";
    case Status::Code::kUnauthenticated: return "Unauthenticated";
    case Status::Code::kInternal: return "Internal";
    case Status::Code::kSafetyViolation: return "SafetyViolation";
  }
  return "Unknown";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string out(CodeName(code_));
  out += ": ";
  out += message_;
  return out;
}

Status Status::With(std::string_view context) const {
  if (ok()) return *this;
  std::string msg(context);
  msg += ": ";
  msg += message_;
  return Status(code_, std::move(msg));
}

namespace detail {
void AssertFail(const char* condition, const char* file, int line, const char* msg) {
  std::fprintf(stderr, "hotbft: assertion failed: %s at %s:%d%s%s\n", condition, file, line,
               msg ? ": " : "", msg ? msg : "");
  std::fflush(stderr);
  std::abort();
}
}  // namespace detail

}  // namespace hotbft
