#include "crypto/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace hotbft {
namespace {

std::string Errno() {
  return std::strerror(errno);
}

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::IoError("writing " + path + ": " + Errno());
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return Status::IoError("fsync " + path + ": " + Errno());
  return Status::Ok();
}

// Makes a rename or link in `path`'s directory durable.
Status SyncParentDir(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::IoError("opening directory " + dir + ": " + Errno());
  const bool synced = ::fsync(fd) == 0;
  const std::string err = synced ? "" : Errno();
  ::close(fd);
  if (!synced) return Status::IoError("fsync directory " + dir + ": " + err);
  return Status::Ok();
}

}  // namespace

Status WriteFileAtomic(const std::string& path, std::string_view data, mode_t mode, bool overwrite,
                       std::string_view what) {
  const Status exists = Status::FailedPrecondition(std::string(what) + " " + path +
                                                   " already exists; refusing to overwrite it");
  if (!overwrite && ::access(path.c_str(), F_OK) == 0) return exists;
  const std::string tmp = path + ".tmp";
  ::unlink(tmp.c_str());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return Status::IoError("creating " + tmp + ": " + Errno());
  Status st = Status::Ok();
  if (::fchmod(fd, mode) != 0) st = Status::IoError("chmod " + tmp + ": " + Errno());
  if (st.ok()) st = WriteAll(fd, data, tmp);
  ::close(fd);
  if (st.ok()) {
    if (overwrite) {
      if (::rename(tmp.c_str(), path.c_str()) != 0) {
        st = Status::IoError("renaming " + tmp + " to " + path + ": " + Errno());
      }
    } else if (::link(tmp.c_str(), path.c_str()) != 0) {
      // link() never replaces: a file created at `path` since the check above survives.
      st = errno == EEXIST ? exists
                           : Status::IoError("linking " + tmp + " to " + path + ": " + Errno());
    }
  }
  ::unlink(tmp.c_str());
  if (st.ok()) st = SyncParentDir(path);
  return st;
}

Result<std::string> ReadFileBounded(const std::string& path, size_t max_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound(path + " does not exist");
    return Status::IoError("cannot open " + path + ": " + Errno());
  }
  std::string text;
  char buf[4096];
  Status st = Status::Ok();
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      st = Status::IoError("reading " + path + ": " + Errno());
      break;
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > max_bytes) {
      st =
          Status::InvalidArgument(path + " is larger than " + std::to_string(max_bytes) + " bytes");
      break;
    }
  }
  ::close(fd);
  if (!st.ok()) return st;
  return text;
}

}  // namespace hotbft
