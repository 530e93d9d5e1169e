// Small, durable file writes for the files a node keeps beside its database: key files,
// the genesis document, the config.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "crypto/status.h"

namespace hotbft {

// Writes `data` to `path` durably and atomically: a temporary file created with `mode`,
// fsync, then moved into place, and the directory synced. Without `overwrite`, fails with
// kFailedPrecondition if `path` exists (also if it appears meanwhile: the move never
// replaces a file then); `what` names the file in that error ("key file", "genesis file").
Status WriteFileAtomic(const std::string& path, std::string_view data, mode_t mode, bool overwrite,
                       std::string_view what);

// Reads a whole file of at most `max_bytes`; kNotFound if it does not exist,
// kInvalidArgument if it is larger.
Result<std::string> ReadFileBounded(const std::string& path, size_t max_bytes);

}  // namespace hotbft
