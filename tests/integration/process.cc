#include "tests/integration/process.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <deque>
#include <fstream>
#include <thread>

#include "crypto/assert.h"

namespace hotbft::integration {

namespace {

constexpr uint64_t kPollMs = 10;

uint64_t NowMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace

Status Process::Start(const std::vector<std::string>& argv, const std::string& log_path) {
  HOTBFT_ASSERT(pid_ <= 0);
  HOTBFT_ASSERT(!argv.empty());
  // Everything the child needs is prepared before fork: between fork and exec only
  // async-signal-safe calls (the test process may have threads).
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const char* log = log_path.c_str();
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) return Status::IoError("fork for " + argv[0] + ": " + std::strerror(errno));
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);  // the parent died before prctl
    const int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) _exit(126);
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    // A fresh signal state: the test runner may block or ignore signals the node waits for.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    signal(SIGPIPE, SIG_DFL);
    execv(args[0], args.data());
    _exit(127);
  }
  pid_ = pid;
  wait_status_.reset();
  return Status::Ok();
}

bool Process::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  pid_t r = 0;
  do {
    r = waitpid(pid_, &status, WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == 0) return true;
  // r == pid_: it ended; r < 0 (ECHILD) cannot happen for our own unreaped child.
  HOTBFT_ASSERT(r == pid_);
  wait_status_ = status;
  pid_ = -1;
  return false;
}

void Process::Signal(int signal) {
  if (running()) kill(pid_, signal);
}

bool Process::WaitExit(uint64_t timeout_ms) {
  const uint64_t deadline = NowMs() + timeout_ms;
  while (running()) {
    if (NowMs() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(kPollMs));
  }
  return true;
}

bool Process::Stop(uint64_t timeout_ms) {
  if (!running()) return true;
  Signal(SIGTERM);
  if (WaitExit(timeout_ms)) return true;
  Kill();
  return false;
}

void Process::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  wait_status_ = status;
  pid_ = -1;
}

std::string DescribeWaitStatus(int wait_status) {
  if (WIFEXITED(wait_status)) return "exit " + std::to_string(WEXITSTATUS(wait_status));
  if (WIFSIGNALED(wait_status)) {
    return "killed by signal " + std::to_string(WTERMSIG(wait_status)) + " (" +
           strsignal(WTERMSIG(wait_status)) + ")";
  }
  return "wait status " + std::to_string(wait_status);
}

Status RunToCompletion(const std::vector<std::string>& argv, const std::string& log_path,
                       uint64_t timeout_ms) {
  Process process;
  HOTBFT_RETURN_IF_ERROR(process.Start(argv, log_path));
  std::string command;
  for (const std::string& arg : argv) command += (command.empty() ? "" : " ") + arg;
  if (!process.WaitExit(timeout_ms)) {
    process.Kill();
    return Status::IoError("'" + command + "' did not finish within " + std::to_string(timeout_ms) +
                           " ms; its output:\n" + FileTail(log_path, 20));
  }
  const int status = *process.wait_status();
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Status::Ok();
  return Status::Internal("'" + command + "' ended with " + DescribeWaitStatus(status) +
                          "; its output:\n" + FileTail(log_path, 20));
}

std::string FileTail(const std::string& path, size_t lines) {
  std::ifstream in(path);
  if (!in) return "(cannot read " + path + ")\n";
  std::deque<std::string> tail;
  std::string line;
  while (std::getline(in, line)) {
    tail.push_back(std::move(line));
    if (tail.size() > lines) tail.pop_front();
  }
  std::string out;
  for (const std::string& l : tail) out += l + "\n";
  return out;
}

}  // namespace hotbft::integration
