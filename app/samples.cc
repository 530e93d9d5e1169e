#include "app/samples.h"

#include "app/counter.h"
#include "app/kvstore.h"
#include "app/noop.h"
#include "app/plugin.h"
#include "app/socket_app.h"

namespace hotbft::app {
namespace {

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

Result<std::unique_ptr<Application>> OpenSampleApp(const std::string& name,
                                                   const std::string& data_dir) {
  if (name == "noop") return std::unique_ptr<Application>(std::make_unique<Noop>());
  if (name != "kvstore" && name != "counter") {
    return Status::InvalidArgument("unknown sample app \"" + name +
                                   "\": choose kvstore, counter or noop");
  }
  if (data_dir.empty())
    return Status::InvalidArgument("the " + name + " app needs a data directory");
  if (name == "kvstore") {
    auto store = KvStore::Open(data_dir);
    if (!store.ok()) return store.status();
    return std::unique_ptr<Application>(std::move(store).value());
  }
  auto counter = Counter::Open(data_dir);
  if (!counter.ok()) return counter.status();
  return std::unique_ptr<Application>(std::move(counter).value());
}

Result<std::unique_ptr<Application>> OpenApp(const std::string& spec, const std::string& data_dir,
                                             const std::string& node_version) {
  if (spec.rfind("unix:", 0) == 0 || spec.rfind("tcp:", 0) == 0) {
    SocketAppOptions options;
    options.node_version = node_version;
    return ConnectSocketApp(spec, options);
  }
  if (EndsWith(spec, ".so")) return LoadPlugin(spec, data_dir);
  return OpenSampleApp(spec, data_dir);
}

}  // namespace hotbft::app
