#include "crypto/key_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "crypto/random.h"

namespace hotbft {
namespace {

std::string Errno() { return std::strerror(errno); }

std::string OctalMode(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

Status WriteAll(int fd, const std::string& data, const std::string& path) {
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

}  // namespace

KeyFile GenerateKeyFile(SignatureScheme scheme, RandomSource& rng) {
  KeyFile key;
  key.scheme = scheme;
  key.secret_key = GenerateSecretKey(scheme, rng);
  Result<PublicKey> pk = DerivePublicKey(scheme, key.secret_key);
  HOTBFT_ASSERT(pk.ok());  // GenerateSecretKey only returns valid keys
  key.public_key = *pk;
  return key;
}

Status WriteKeyFile(const std::string& path, const KeyFile& key, bool overwrite) {
  if (!overwrite && ::access(path.c_str(), F_OK) == 0) {
    return Status::FailedPrecondition("key file " + path +
                                      " already exists; refusing to overwrite a key");
  }
  nlohmann::json j = {
      {"scheme", std::string(SchemeName(key.scheme))},
      {"public_key", key.public_key.hex()},
      {"secret_key", ToHex(key.secret_key.bytes())},
  };
  std::string text = j.dump(2) + "\n";
  const std::string tmp = path + ".tmp";
  ::unlink(tmp.c_str());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IoError("creating " + tmp + ": " + Errno());
  Status st = Status::Ok();
  if (::fchmod(fd, 0600) != 0) st = Status::IoError("chmod 0600 " + tmp + ": " + Errno());
  if (st.ok()) st = WriteAll(fd, text, tmp);
  ::close(fd);
  std::fill(text.begin(), text.end(), '\0');
  if (st.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    st = Status::IoError("renaming " + tmp + " to " + path + ": " + Errno());
  }
  if (!st.ok()) ::unlink(tmp.c_str());
  return st;
}

Result<KeyFile> LoadKeyFile(const std::string& path) {
  struct stat sb;
  if (::stat(path.c_str(), &sb) != 0) {
    return Status::NotFound("key file " + path + ": " + Errno() +
                            " (create one with `hotbft keygen --out " + path + "`)");
  }
  if ((sb.st_mode & 077) != 0) {
    return Status::PermissionDenied("key file " + path + " has mode " + OctalMode(sb.st_mode) +
                                    "; it must not be accessible by group or others. Fix it "
                                    "with: chmod 600 " + path);
  }
  std::ifstream in(path);
  if (!in) return Status::IoError("cannot open key file " + path + ": " + Errno());
  std::stringstream ss;
  ss << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::InvalidArgument("key file " + path + " is not valid JSON");
  }
  for (const char* field : {"scheme", "public_key", "secret_key"}) {
    if (!j.contains(field) || !j[field].is_string()) {
      return Status::InvalidArgument("key file " + path + " lacks string field '" + field + "'");
    }
  }
  Result<SignatureScheme> scheme = SchemeFromName(j["scheme"].get<std::string>());
  if (!scheme.ok()) return scheme.status().With("key file " + path);
  auto pk = FixedBytes<32>::FromHex(j["public_key"].get<std::string>());
  if (!pk.ok()) return pk.status().With("key file " + path + ": public_key");
  auto sk = FixedBytes<32>::FromHex(j["secret_key"].get<std::string>());
  if (!sk.ok()) return sk.status().With("key file " + path + ": secret_key");

  KeyFile key;
  key.scheme = *scheme;
  key.secret_key = SecretKey(sk->bytes);
  Result<PublicKey> derived = DerivePublicKey(key.scheme, key.secret_key);
  if (!derived.ok()) return derived.status().With("key file " + path);
  if (derived->bytes != pk->bytes) {
    return Status::InvalidArgument("key file " + path + ": public_key " + pk->hex() +
                                   " does not match the secret key (which gives " +
                                   derived->hex() + ")");
  }
  key.public_key = *derived;
  return key;
}

}  // namespace hotbft
