#include "app/plugin_export.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string_view>

#include "app/codec.h"
#include "app/limits.h"
#include "app/text.h"

static_assert(HOTBFT_APP_MESSAGE_BYTES_MAX == hotbft::app::kAppMessageBytesMax);

// What the C side holds as an opaque handle.
struct hotbft_app_handle {
  std::unique_ptr<hotbft::app::Application> app;
};

namespace hotbft::app::plugin_export {
namespace {

void WriteError(std::string_view message, char* error, size_t error_len) {
  if (error == nullptr || error_len == 0) return;
  const size_t length = std::min(message.size(), error_len - 1);
  std::memcpy(error, message.data(), length);
  error[length] = '\0';
}

wire::AppResponse ExceptionResponse(std::string_view text) {
  wire::AppResponse response;
  response.set_exception(CutText(text, kExceptionBytesMax));
  return response;
}

// HandleRequest, with a C++ exception from the app turned into an `exception` response:
// unwinding into the node's C frames would be undefined.
wire::AppResponse Serve(Application& app, const wire::AppRequest& request) {
  try {
    return HandleRequest(app, request);
  } catch (const std::exception& e) {
    return ExceptionResponse(std::string("Internal: the app threw: ") + e.what());
  } catch (...) {
    return ExceptionResponse("Internal: the app threw something other than a std::exception");
  }
}

// Serializes `response` into a malloc'd buffer, which FreeBuffer releases.
int Emit(const wire::AppResponse& response, uint8_t** out, size_t* out_len) {
  const size_t size = response.ByteSizeLong();
  if (size > kAppMessageBytesMax) {
    // The node would refuse it; say why instead, in a response that fits.
    return Emit(ExceptionResponse("ResourceExhausted: the response has " + std::to_string(size) +
                                  " bytes; at most " + std::to_string(kAppMessageBytesMax)),
                out, out_len);
  }
  // malloc(0) may return NULL, which would read as a failure: allocate at least a byte.
  auto* buffer = static_cast<uint8_t*>(std::malloc(std::max<size_t>(size, 1)));
  if (buffer == nullptr) return HOTBFT_APP_CALL_FAILED;
  if (!response.SerializeToArray(buffer, static_cast<int>(size))) {
    std::free(buffer);
    return HOTBFT_APP_CALL_FAILED;
  }
  *out = buffer;
  *out_len = size;
  return HOTBFT_APP_CALL_OK;
}

}  // namespace

hotbft_app_handle* Create(Factory factory, const char* config, char* error,
                          size_t error_len) noexcept {
  try {
    Result<std::unique_ptr<Application>> app = factory(config == nullptr ? "" : config);
    if (!app.ok()) {
      WriteError(app.status().ToString(), error, error_len);
      return nullptr;
    }
    if (*app == nullptr) {
      WriteError("Internal: the factory returned no app", error, error_len);
      return nullptr;
    }
    return new hotbft_app_handle{std::move(app).value()};
  } catch (const std::exception& e) {
    WriteError(std::string("Internal: the factory threw: ") + e.what(), error, error_len);
  } catch (...) {
    WriteError("Internal: the factory threw something other than a std::exception", error,
               error_len);
  }
  return nullptr;
}

int Call(hotbft_app_handle* app, const uint8_t* request, size_t request_len, uint8_t** response,
         size_t* response_len) noexcept {
  if (response == nullptr || response_len == nullptr) return HOTBFT_APP_CALL_FAILED;
  *response = nullptr;
  *response_len = 0;
  if (app == nullptr || app->app == nullptr) return HOTBFT_APP_CALL_FAILED;
  if (request == nullptr && request_len != 0) return HOTBFT_APP_CALL_BAD_REQUEST;
  if (request_len > kAppMessageBytesMax) return HOTBFT_APP_CALL_BAD_REQUEST;
  try {
    wire::AppRequest parsed;
    static constexpr uint8_t kEmpty = 0;  // a valid pointer for an empty request
    if (!parsed.ParseFromArray(request_len == 0 ? &kEmpty : request,
                               static_cast<int>(request_len))) {
      return HOTBFT_APP_CALL_BAD_REQUEST;
    }
    return Emit(Serve(*app->app, parsed), response, response_len);
  } catch (...) {
    // Parsing or serializing ran out of memory: there is no response to give.
    return HOTBFT_APP_CALL_FAILED;
  }
}

void FreeBuffer(uint8_t* buffer) noexcept {
  std::free(buffer);
}

void Destroy(hotbft_app_handle* app) noexcept {
  // An app's destructor that throws would terminate here, inside the plugin, rather than
  // unwind into the node.
  delete app;
}

}  // namespace hotbft::app::plugin_export
