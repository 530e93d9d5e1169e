// The hotbft validator node binary.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "node/keygen.h"

namespace {

constexpr const char* kVersion = "0.1.0";

int Keygen(const hotbft::node::KeygenOptions& options) {
  auto result = hotbft::node::RunKeygen(options);
  if (!result.ok()) {
    std::fprintf(stderr, "hotbft keygen: %s\n", result.status().ToString().c_str());
    return 1;
  }
  std::printf("wrote %s (mode 0600)\npublic key: %s\n", options.out_path.c_str(), result->c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "hotbft: a Byzantine fault-tolerant replicated state machine (chained HotStuff).\n"
      "This build provides the key tools; the node commands arrive with the node layer."};
  app.require_subcommand(1);
  app.set_version_flag("--version", kVersion);

  hotbft::node::KeygenOptions keygen;
  CLI::App* keygen_cmd =
      app.add_subcommand("keygen", "Generate a secp256k1 BIP-340 key file (JSON, mode 0600)");
  keygen_cmd->add_option("--out,-o", keygen.out_path, "Path of the key file to write")->required();
  keygen_cmd->add_flag("--force", keygen.overwrite, "Overwrite an existing key file");

  CLI11_PARSE(app, argc, argv);
  if (keygen_cmd->parsed()) return Keygen(keygen);
  return 0;
}
