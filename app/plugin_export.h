// Exports a C++ Application as a plugin (plugin_abi.h). In exactly one source file of the
// shared library:
//
//   hotbft::Result<std::unique_ptr<hotbft::app::Application>> MakeApp(const std::string& config);
//   HOTBFT_EXPORT_APP(MakeApp);
//
// and build it with hotbft_app_plugin() (app/CMakeLists.txt), which links the plugin
// runtime and hides every other symbol. Requests are served by HandleRequest (codec.h), so
// a plugin answers exactly as the same app linked into the node.
//
// A plugin built otherwise must not carry the full (non-lite) generated code of
// proto/app.proto while it shares the node's libprotobuf: the second registration of the
// same .proto file in one process aborts at load time. The runtime uses the lite code.
//
// Nothing unwinds across the boundary: a C++ exception from the factory or the app becomes
// a failed create or an `exception` response.
#pragma once

#include <memory>
#include <string>

#include "app/application.h"
#include "app/plugin_abi.h"

namespace hotbft::app::plugin_export {

using Factory = Result<std::unique_ptr<Application>> (*)(const std::string& config);

// The bodies of the exported functions; see plugin_abi.h for each contract.
hotbft_app_handle* Create(Factory factory, const char* config, char* error,
                          size_t error_len) noexcept;
int Call(hotbft_app_handle* app, const uint8_t* request, size_t request_len, uint8_t** response,
         size_t* response_len) noexcept;
void FreeBuffer(uint8_t* buffer) noexcept;
void Destroy(hotbft_app_handle* app) noexcept;

}  // namespace hotbft::app::plugin_export

#define HOTBFT_EXPORT_APP(factory)                                                                 \
  extern "C" HOTBFT_APP_EXPORT uint32_t hotbft_app_abi_version(void) {                             \
    return HOTBFT_APP_ABI_VERSION;                                                                 \
  }                                                                                                \
  extern "C" HOTBFT_APP_EXPORT hotbft_app_handle* hotbft_app_create(                               \
      const char* config, char* error, size_t error_len) {                                         \
    return ::hotbft::app::plugin_export::Create((factory), config, error, error_len);              \
  }                                                                                                \
  extern "C" HOTBFT_APP_EXPORT int hotbft_app_call(hotbft_app_handle* app, const uint8_t* request, \
                                                   size_t request_len, uint8_t** response,         \
                                                   size_t* response_len) {                         \
    return ::hotbft::app::plugin_export::Call(app, request, request_len, response, response_len);  \
  }                                                                                                \
  extern "C" HOTBFT_APP_EXPORT void hotbft_app_free_buffer(uint8_t* buffer) {                      \
    ::hotbft::app::plugin_export::FreeBuffer(buffer);                                              \
  }                                                                                                \
  extern "C" HOTBFT_APP_EXPORT void hotbft_app_destroy(hotbft_app_handle* app) {                   \
    ::hotbft::app::plugin_export::Destroy(app);                                                    \
  }                                                                                                \
  static_assert(true, "HOTBFT_EXPORT_APP is used with a trailing semicolon")
