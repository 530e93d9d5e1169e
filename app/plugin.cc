#include "app/plugin.h"

#include <dlfcn.h>

#include <array>
#include <cstring>

#include "app/codec.h"
#include "app/limits.h"
#include "app/plugin_abi.h"
#include "app/text.h"

namespace hotbft::app {
namespace {

// The longest reason hotbft_app_create may give, NUL included.
constexpr size_t kCreateErrorBytesMax = 1'024;

std::string Quoted(const std::string& path) {
  return "'" + EscapeBytes(path) + "'";
}

std::string DlError() {
  const char* error = dlerror();
  return error == nullptr ? "no reason given" : error;
}

// The open library and its functions. Closes the library when destroyed, after the app
// (if any) is destroyed, so no plugin code runs once the library is gone.
class PluginLibrary {
 public:
  PluginLibrary(std::string path, void* library) : path_(std::move(path)), library_(library) {}
  ~PluginLibrary() {
    if (app_ != nullptr) destroy_(app_);
    dlclose(library_);
  }
  PluginLibrary(const PluginLibrary&) = delete;
  PluginLibrary& operator=(const PluginLibrary&) = delete;

  // The version first: a plugin of another version may lack this version's symbols, and
  // "ABI version 2" says more than "no hotbft_app_call".
  Status CheckVersion();
  Status FindSymbols();
  Status CreateApp(const std::string& config);
  // The transport of the plugin's ProtoClientApplication: one hotbft_app_call.
  Result<wire::AppResponse> Call(const wire::AppRequest& request) const;

 private:
  template <typename Fn>
  Status Find(const char* name, Fn* out);
  Result<wire::AppResponse> Parse(const uint8_t* bytes, size_t length) const;

  const std::string path_;
  void* const library_;
  hotbft_app_abi_version_fn abi_version_ = nullptr;
  hotbft_app_create_fn create_ = nullptr;
  hotbft_app_call_fn call_ = nullptr;
  hotbft_app_free_buffer_fn free_buffer_ = nullptr;
  hotbft_app_destroy_fn destroy_ = nullptr;
  hotbft_app_handle* app_ = nullptr;
};

template <typename Fn>
Status PluginLibrary::Find(const char* name, Fn* out) {
  dlerror();  // clear a stale error, so the one read below is this lookup's
  void* symbol = dlsym(library_, name);
  if (symbol == nullptr) {
    return Status::NotFound("plugin " + Quoted(path_) + " does not export '" + name + "' (" +
                            DlError() + ")");
  }
  *out = reinterpret_cast<Fn>(symbol);
  return Status::Ok();
}

Status PluginLibrary::FindSymbols() {
  HOTBFT_RETURN_IF_ERROR(Find(HOTBFT_APP_SYMBOL_CREATE, &create_));
  HOTBFT_RETURN_IF_ERROR(Find(HOTBFT_APP_SYMBOL_CALL, &call_));
  HOTBFT_RETURN_IF_ERROR(Find(HOTBFT_APP_SYMBOL_FREE_BUFFER, &free_buffer_));
  return Find(HOTBFT_APP_SYMBOL_DESTROY, &destroy_);
}

Status PluginLibrary::CheckVersion() {
  HOTBFT_RETURN_IF_ERROR(Find(HOTBFT_APP_SYMBOL_ABI_VERSION, &abi_version_));
  const uint32_t version = abi_version_();
  if (version == HOTBFT_APP_ABI_VERSION) return Status::Ok();
  return Status::FailedPrecondition("plugin " + Quoted(path_) + " has ABI version " +
                                    std::to_string(version) + ", this node speaks " +
                                    std::to_string(HOTBFT_APP_ABI_VERSION));
}

Status PluginLibrary::CreateApp(const std::string& config) {
  HOTBFT_ASSERT(app_ == nullptr);
  if (config.find('\0') != std::string::npos) {
    return Status::InvalidArgument("the config of plugin " + Quoted(path_) +
                                   " contains a NUL byte, which a C string cannot carry");
  }
  std::array<char, kCreateErrorBytesMax> error{};
  app_ = create_(config.c_str(), error.data(), error.size());
  if (app_ != nullptr) return Status::Ok();
  error.back() = '\0';  // in case the plugin filled the buffer without terminating it
  return Status::FailedPrecondition("plugin " + Quoted(path_) + " could not create its app: " +
                                    CutText(error.data(), kExceptionBytesMax));
}

Result<wire::AppResponse> PluginLibrary::Parse(const uint8_t* bytes, size_t length) const {
  if (length > kAppMessageBytesMax) {
    return Status::ResourceExhausted("plugin " + Quoted(path_) + " answered " +
                                     std::to_string(length) + " bytes; at most " +
                                     std::to_string(kAppMessageBytesMax));
  }
  if (bytes == nullptr) {
    return Status::Internal("plugin " + Quoted(path_) + " reported success with no response");
  }
  wire::AppResponse response;
  if (!response.ParseFromArray(bytes, static_cast<int>(length))) {
    return Status::Internal("plugin " + Quoted(path_) + " answered " + std::to_string(length) +
                            " bytes that are not an AppResponse");
  }
  return response;
}

Result<wire::AppResponse> PluginLibrary::Call(const wire::AppRequest& request) const {
  HOTBFT_ASSERT(app_ != nullptr);
  std::string bytes;
  if (!request.SerializeToString(&bytes)) {
    return Status::Internal("could not serialize the request for plugin " + Quoted(path_));
  }
  if (bytes.size() > kAppMessageBytesMax) {
    return Status::ResourceExhausted("request of " + std::to_string(bytes.size()) +
                                     " bytes for plugin " + Quoted(path_) + "; at most " +
                                     std::to_string(kAppMessageBytesMax));
  }
  uint8_t* out = nullptr;
  size_t out_length = 0;
  const int code =
      call_(app_, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), &out, &out_length);
  // The buffer is the plugin's: it goes back through its own free function.
  std::unique_ptr<uint8_t, hotbft_app_free_buffer_fn> owned(out, free_buffer_);
  if (code != HOTBFT_APP_CALL_OK) {
    const char* why =
        code == HOTBFT_APP_CALL_BAD_REQUEST ? " (it could not parse the request)" : "";
    return Status::Internal("plugin " + Quoted(path_) + " failed the call with code " +
                            std::to_string(code) + why);
  }
  return Parse(out, out_length);
}

// A ProtoClientApplication that also owns the library its transport calls into. The base
// is destroyed after `library_`, but only holds a pointer it no longer uses by then.
class PluginApplication final : public ProtoClientApplication {
 public:
  explicit PluginApplication(std::unique_ptr<PluginLibrary> library)
      : ProtoClientApplication(
            [raw = library.get()](const wire::AppRequest& request) { return raw->Call(request); }),
        library_(std::move(library)) {}

 private:
  const std::unique_ptr<PluginLibrary> library_;
};

}  // namespace

Result<std::unique_ptr<Application>> LoadPlugin(const std::string& path,
                                                const std::string& config) {
  if (path.find('\0') != std::string::npos) {
    return Status::InvalidArgument("plugin path " + Quoted(path) + " contains a NUL byte");
  }
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    return Status::NotFound("cannot load plugin " + Quoted(path) + ": " + DlError());
  }
  auto library = std::make_unique<PluginLibrary>(path, handle);
  HOTBFT_RETURN_IF_ERROR(library->CheckVersion());
  HOTBFT_RETURN_IF_ERROR(library->FindSymbols());
  HOTBFT_RETURN_IF_ERROR(library->CreateApp(config));
  return std::unique_ptr<Application>(std::make_unique<PluginApplication>(std::move(library)));
}

}  // namespace hotbft::app
