// hotbft-app-server: serves a sample application over a socket, as an app in its own
// process would (socket_server.h). The C++ example of an out-of-process app, and what the
// tests start and kill to play a crashing app.
//
//   hotbft-app-server --app kvstore|counter|noop --address unix:PATH|tcp:HOST:PORT
//                     [--data DIR]
//
// Prints one line "serving <app> on <address>" once it accepts connections (with a TCP port
// 0 resolved), reports closed connections on stderr, and stops on SIGINT or SIGTERM.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "app/samples.h"
#include "app/socket_server.h"

namespace {

using hotbft::Status;

int Fail(const Status& status) {
  std::fprintf(stderr, "hotbft-app-server: %s\n", status.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"Serves a sample hotbft application over a Unix or TCP socket."};
  std::string app_name;
  std::string address;
  std::string data;
  cli.add_option("--app", app_name, "The sample app to serve")
      ->required()
      ->check(CLI::IsMember({"kvstore", "counter", "noop"}));
  cli.add_option("--address", address, "unix:PATH or tcp:HOST:PORT (port 0: any free port)")
      ->required();
  cli.add_option("--data", data, "The app's data directory (kvstore and counter)");
  CLI11_PARSE(cli, argc, argv);

  // Blocked before any thread starts, so every thread inherits the mask and the signals
  // wait for sigwait below instead of killing the process mid-Commit.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto app = hotbft::app::OpenSampleApp(app_name, data);
  if (!app.ok()) return Fail(app.status());
  hotbft::app::SocketServer::Options options;
  options.on_error = [](const Status& status) {
    std::fprintf(stderr, "hotbft-app-server: %s\n", status.ToString().c_str());
  };
  auto server = hotbft::app::SocketServer::Start(address, **app, std::move(options));
  if (!server.ok()) return Fail(server.status());
  std::printf("serving %s on %s\n", app_name.c_str(), (*server)->address().c_str());
  std::fflush(stdout);

  int signal = 0;
  sigwait(&stop_signals, &signal);
  (*server)->Stop();
  return 0;
}
