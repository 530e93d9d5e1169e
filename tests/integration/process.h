// Process: one program run by an integration test in a process of its own (a validator, or
// a `hotbft testnet` command), its stdout and stderr appended to a log file.
//
// Every process a test starts ends with the test: the destructor SIGKILLs and reaps one
// still running (also when an assertion failed and the test returns early), and
// PR_SET_PDEATHSIG kills it if the test process itself dies (a crash, a CTest timeout).
//
// Thread-safety: none; one test thread owns the object.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "crypto/status.h"

namespace hotbft::integration {

class Process {
 public:
  Process() = default;
  ~Process() { Kill(); }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // Runs argv (argv[0] a path) with stdout and stderr appended to `log_path`.
  // REQUIRES: !running(). Fails if the process cannot be created; an exec failure shows as
  // exit status 127.
  Status Start(const std::vector<std::string>& argv, const std::string& log_path);

  // True from Start until the process has been seen to end (it is reaped then).
  bool running();
  pid_t pid() const { return pid_; }
  // The last ended process' wait status (as waitpid gives it), if one ended.
  std::optional<int> wait_status() const { return wait_status_; }

  // Sends `signal` if running.
  void Signal(int signal);
  // Waits up to timeout_ms for the process to end. True if it has ended.
  bool WaitExit(uint64_t timeout_ms);
  // SIGTERM, then up to timeout_ms for a graceful exit, then SIGKILL. True if it exited on
  // SIGTERM (with any status).
  bool Stop(uint64_t timeout_ms);
  // SIGKILL and reap. No-op if not running.
  void Kill();

 private:
  pid_t pid_ = -1;
  std::optional<int> wait_status_;
};

// "exit 0", "exit 3", "killed by signal 9": a wait status for messages.
std::string DescribeWaitStatus(int wait_status);

// Runs argv to completion (output to log_path), killing it after timeout_ms. OK only if it
// exited with status 0; otherwise the error names the status and the log's tail.
Status RunToCompletion(const std::vector<std::string>& argv, const std::string& log_path,
                       uint64_t timeout_ms);

// The last `lines` lines of a text file, or a note that it cannot be read.
std::string FileTail(const std::string& path, size_t lines);

}  // namespace hotbft::integration
