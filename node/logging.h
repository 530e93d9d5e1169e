// The node's logs through spdlog: text for people, or one JSON object per line for log
// pipelines ({"time", "level", "msg"}; the message JSON-escaped).
#pragma once

#include <string>

#include "crypto/status.h"

namespace hotbft::node {

// `level`: trace, debug, info, warn or error; `format`: text or json (config.toml [log]).
Status ConfigureLogging(const std::string& level, const std::string& format);

}  // namespace hotbft::node
