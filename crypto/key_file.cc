#include "crypto/key_file.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "crypto/file_io.h"
#include "crypto/random.h"

namespace hotbft {
namespace {

std::string Errno() {
  return std::strerror(errno);
}

std::string OctalMode(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

// A key file is a few hundred bytes; anything far larger is not one.
constexpr size_t kKeyFileBytesMax = 64 * 1024;

Result<KeyFile> ParseKeyFile(const std::string& text, const std::string& path) {
  if (text.size() > kKeyFileBytesMax) {
    return Status::InvalidArgument("key file " + path + " is larger than " +
                                   std::to_string(kKeyFileBytesMax) + " bytes");
  }
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::InvalidArgument("key file " + path + " is not valid JSON");
  }
  for (const char* field : {"scheme", "public_key", "secret_key"}) {
    if (!j.contains(field) || !j[field].is_string()) {
      return Status::InvalidArgument("key file " + path + " lacks string field '" + field + "'");
    }
  }
  std::string* secret_hex = j["secret_key"].get_ptr<std::string*>();
  auto sk = FixedBytes<32>::FromHex(*secret_hex);
  OPENSSL_cleanse(secret_hex->data(), secret_hex->size());
  if (!sk.ok()) return sk.status().With("key file " + path + ": secret_key");
  KeyFile key;
  key.secret_key = SecretKey(sk->bytes);
  OPENSSL_cleanse(sk->bytes.data(), sk->bytes.size());

  Result<SignatureScheme> scheme = SchemeFromName(j["scheme"].get<std::string>());
  if (!scheme.ok()) return scheme.status().With("key file " + path);
  key.scheme = *scheme;
  auto pk = FixedBytes<32>::FromHex(j["public_key"].get<std::string>());
  if (!pk.ok()) return pk.status().With("key file " + path + ": public_key");
  Result<PublicKey> derived = DerivePublicKey(key.scheme, key.secret_key);
  if (!derived.ok()) return derived.status().With("key file " + path);
  if (derived->bytes != pk->bytes) {
    return Status::InvalidArgument("key file " + path + ": public_key " + pk->hex() +
                                   " does not match the secret key (which gives " + derived->hex() +
                                   ")");
  }
  key.public_key = *derived;
  return key;
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
  OPENSSL_cleanse(j["secret_key"].get_ptr<std::string*>()->data(),
                  j["secret_key"].get_ptr<std::string*>()->size());
  Status st = WriteFileAtomic(path, text, 0600, overwrite, "key file");
  OPENSSL_cleanse(text.data(), text.size());
  return st;
}

Result<KeyFile> LoadKeyFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) {
      return Status::NotFound("key file " + path + " does not exist (create one with " +
                              "`hotbft keygen --out " + path + "`)");
    }
    return Status::IoError("cannot open key file " + path + ": " + Errno() +
                           (errno == ELOOP ? " (key files must not be symbolic links)" : ""));
  }
  struct stat sb;
  if (::fstat(fd, &sb) != 0) {
    const std::string err = Errno();
    ::close(fd);
    return Status::IoError("stat key file " + path + ": " + err);
  }
  if ((sb.st_mode & 077) != 0) {
    ::close(fd);
    return Status::PermissionDenied("key file " + path + " has mode " + OctalMode(sb.st_mode) +
                                    "; it must not be accessible by group or others. Fix it "
                                    "with: chmod 600 " +
                                    path);
  }
  std::string text;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || text.size() > kKeyFileBytesMax) break;
    text.append(buf, static_cast<size_t>(n));
  }
  OPENSSL_cleanse(buf, sizeof(buf));
  ::close(fd);
  Result<KeyFile> key = ParseKeyFile(text, path);
  OPENSSL_cleanse(text.data(), text.size());
  return key;
}

}  // namespace hotbft
