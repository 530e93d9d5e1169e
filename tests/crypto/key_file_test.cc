// Key files on disk (crypto/key_file.h): round trip, permissions, and every way to be wrong.
#include "crypto/key_file.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "crypto/sha256.h"
#include "tests/crypto/test_util.h"

namespace hotbft {
namespace {

using ::testing::HasSubstr;

constexpr uint64_t kSeed = 0xf11e;

class KeyFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = ::testing::TempDir() + "hotbft_key_file_XXXXXX";
    ASSERT_NE(::mkdtemp(templ.data()), nullptr) << "mkdtemp " << templ;
    dir_ = templ;
    path_ = dir_ + "/validator.key";
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  static KeyFile NewKey(uint64_t seed, SignatureScheme scheme = SignatureScheme::kSchnorrBip340) {
    SeededRandom rng(seed);
    return GenerateKeyFile(scheme, rng);
  }
  static mode_t ModeOf(const std::string& path) {
    struct stat sb {};
    EXPECT_EQ(::stat(path.c_str(), &sb), 0) << path;
    return sb.st_mode & 07777;
  }
  static std::string ReadText(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  // Writes `text` to path_ with mode 0600, bypassing WriteKeyFile.
  void WriteRaw(const std::string& text) const {
    std::filesystem::remove(path_);
    {
      std::ofstream out(path_);
      out << text;
    }
    ASSERT_EQ(::chmod(path_.c_str(), 0600), 0);
  }
  // A valid key file's JSON with `from` replaced by `to` (which must occur).
  std::string ValidJsonWith(const std::string& from, const std::string& to) const {
    EXPECT_TRUE(WriteKeyFile(path_, NewKey(kSeed), /*overwrite=*/true).ok());
    std::string text = ReadText(path_);
    const size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << "'" << from << "' not in " << text;
    if (at != std::string::npos) text.replace(at, from.size(), to);
    return text;
  }

  std::string dir_;
  std::string path_;
};

TEST_F(KeyFileTest, WriteThenLoadRoundTrips) {
  for (SignatureScheme scheme :
       {SignatureScheme::kSchnorrBip340, SignatureScheme::kTestOnlyKeyedHash}) {
    SCOPED_TRACE(std::string(SchemeName(scheme)) + ", seed " + std::to_string(kSeed));
    const KeyFile key = NewKey(kSeed, scheme);
    ASSERT_TRUE(WriteKeyFile(path_, key, /*overwrite=*/true).ok());
    Result<KeyFile> loaded = LoadKeyFile(path_);
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    EXPECT_EQ(loaded->scheme, scheme);
    EXPECT_EQ(loaded->public_key, key.public_key);
    EXPECT_EQ(loaded->secret_key.bytes(), key.secret_key.bytes());
    EXPECT_FALSE(key.public_key.is_zero());

    // The loaded key signs for the stored public key.
    auto signer = MakeSigner(scheme, SecretKey(loaded->secret_key.bytes()),
                             std::make_unique<SeededRandom>(kSeed));
    ASSERT_TRUE(signer.ok());
    const Hash32 digest = Sha256(AsBytes("handshake"));
    EXPECT_TRUE(VerifierFor(scheme).Verify(key.public_key, digest, (*signer)->Sign(digest)));
  }
}

TEST_F(KeyFileTest, FileIsJsonWithTheDocumentedFields) {
  const KeyFile key = NewKey(kSeed);
  ASSERT_TRUE(WriteKeyFile(path_, key, false).ok());
  const std::string text = ReadText(path_);
  EXPECT_THAT(text, HasSubstr("\"scheme\": \"secp256k1-schnorr-bip340\""));
  EXPECT_THAT(text, HasSubstr("\"public_key\": \"" + key.public_key.hex() + "\""));
  EXPECT_THAT(text, HasSubstr("\"secret_key\": \"" + ToHex(key.secret_key.bytes()) + "\""));
}

TEST_F(KeyFileTest, WrittenWithMode0600AndNoTemporaryLeftBehind) {
  ASSERT_TRUE(WriteKeyFile(path_, NewKey(kSeed), false).ok());
  EXPECT_EQ(ModeOf(path_), 0600u);
  EXPECT_FALSE(std::filesystem::exists(path_ + ".tmp"));
  // Even with a permissive umask.
  const std::string other = dir_ + "/other.key";
  const mode_t old_umask = ::umask(0);
  const Status st = WriteKeyFile(other, NewKey(kSeed + 1), false);
  ::umask(old_umask);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(ModeOf(other), 0600u);
}

TEST_F(KeyFileTest, OverwriteReplacesAWorldReadableFileWithA0600One) {
  ASSERT_TRUE(WriteKeyFile(path_, NewKey(kSeed), false).ok());
  ASSERT_EQ(::chmod(path_.c_str(), 0644), 0);
  ASSERT_TRUE(WriteKeyFile(path_, NewKey(kSeed + 1), /*overwrite=*/true).ok());
  EXPECT_EQ(ModeOf(path_), 0600u);
}

TEST_F(KeyFileTest, LoadRefusesFilesOthersCanAccess) {
  ASSERT_TRUE(WriteKeyFile(path_, NewKey(kSeed), false).ok());
  for (mode_t mode : {0644, 0640, 0604, 0660, 0602, 0620, 0610, 0601}) {
    SCOPED_TRACE("mode " + std::to_string(mode));
    ASSERT_EQ(::chmod(path_.c_str(), mode), 0);
    Result<KeyFile> loaded = LoadKeyFile(path_);
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.status().code(), Status::Code::kPermissionDenied);
    EXPECT_THAT(loaded.status().message(), HasSubstr("chmod 600"));
    EXPECT_THAT(loaded.status().message(), HasSubstr(path_));
  }
  ASSERT_EQ(::chmod(path_.c_str(), 0644), 0);
  EXPECT_THAT(LoadKeyFile(path_).status().message(), HasSubstr("0644"));
  // Owner-only modes load.
  for (mode_t mode : {0600, 0400}) {
    ASSERT_EQ(::chmod(path_.c_str(), mode), 0);
    EXPECT_TRUE(LoadKeyFile(path_).ok()) << "mode " << mode;
  }
}

TEST_F(KeyFileTest, RefusesToOverwriteWithoutTheFlag) {
  const KeyFile first = NewKey(kSeed);
  const KeyFile second = NewKey(kSeed + 1);
  ASSERT_NE(first.public_key, second.public_key);
  ASSERT_TRUE(WriteKeyFile(path_, first, false).ok());
  Status st = WriteKeyFile(path_, second, /*overwrite=*/false);
  EXPECT_EQ(st.code(), Status::Code::kFailedPrecondition);
  EXPECT_THAT(st.message(), HasSubstr(path_));
  Result<KeyFile> kept = LoadKeyFile(path_);
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->public_key, first.public_key);

  ASSERT_TRUE(WriteKeyFile(path_, second, /*overwrite=*/true).ok());
  Result<KeyFile> replaced = LoadKeyFile(path_);
  ASSERT_TRUE(replaced.ok());
  EXPECT_EQ(replaced->public_key, second.public_key);
}

TEST_F(KeyFileTest, MissingFileIsNotFound) {
  Result<KeyFile> loaded = LoadKeyFile(dir_ + "/absent.key");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), Status::Code::kNotFound);
  EXPECT_THAT(loaded.status().message(), HasSubstr(dir_ + "/absent.key"));
}

TEST_F(KeyFileTest, WriteIntoMissingDirectoryIsAnIoError) {
  Status st = WriteKeyFile(dir_ + "/no/such/dir.key", NewKey(kSeed), false);
  EXPECT_EQ(st.code(), Status::Code::kIoError);
}

TEST_F(KeyFileTest, CorruptedJsonFails) {
  const std::string valid = ValidJsonWith("{", "{");
  for (const std::string& text :
       {std::string("{not json"), valid.substr(0, valid.size() / 2), std::string(""),
        std::string("[\"scheme\"]"), std::string("\"a string\"")}) {
    SCOPED_TRACE("content: " + text);
    WriteRaw(text);
    Result<KeyFile> loaded = LoadKeyFile(path_);
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.status().code(), Status::Code::kInvalidArgument);
    EXPECT_THAT(loaded.status().message(), HasSubstr("not valid JSON"));
  }
}

TEST_F(KeyFileTest, MissingOrMistypedFieldFails) {
  for (const std::string field : {"scheme", "public_key", "secret_key"}) {
    SCOPED_TRACE("field " + field);
    WriteRaw(ValidJsonWith("\"" + field + "\"", "\"renamed_" + field + "\""));
    Result<KeyFile> loaded = LoadKeyFile(path_);
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.status().code(), Status::Code::kInvalidArgument);
    EXPECT_THAT(loaded.status().message(), HasSubstr("lacks string field '" + field + "'"));
  }
  WriteRaw(R"({"scheme": 1, "public_key": "00", "secret_key": "00"})");
  EXPECT_THAT(LoadKeyFile(path_).status().message(), HasSubstr("'scheme'"));
}

TEST_F(KeyFileTest, PublicKeyMustMatchSecretKey) {
  const KeyFile other = NewKey(kSeed + 7);
  const KeyFile key = NewKey(kSeed);
  WriteRaw(ValidJsonWith(key.public_key.hex(), other.public_key.hex()));
  Result<KeyFile> loaded = LoadKeyFile(path_);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), Status::Code::kInvalidArgument);
  EXPECT_THAT(loaded.status().message(), HasSubstr("does not match the secret key"));
  EXPECT_THAT(loaded.status().message(), HasSubstr(other.public_key.hex()));
  EXPECT_THAT(loaded.status().message(), HasSubstr(key.public_key.hex()));
}

TEST_F(KeyFileTest, MalformedValuesFail) {
  const KeyFile key = NewKey(kSeed);
  const std::string sk = ToHex(key.secret_key.bytes());
  struct Case {
    std::string from, to, expect;
  };
  for (const Case& c : {
           Case{"secp256k1-schnorr-bip340", "ed25519", "unknown signature scheme 'ed25519'"},
           Case{sk, sk.substr(2), "secret_key"},                                   // 31 bytes
           Case{sk, "zz" + sk.substr(2), "secret_key"},                            // not hex
           Case{key.public_key.hex(), key.public_key.hex() + "00", "public_key"},  // 33 bytes
           Case{sk, std::string(64, '0'), "not a valid secp256k1 key"},            // zero key
       }) {
    SCOPED_TRACE("replacing with " + c.to);
    WriteRaw(ValidJsonWith(c.from, c.to));
    Result<KeyFile> loaded = LoadKeyFile(path_);
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.status().code(), Status::Code::kInvalidArgument);
    EXPECT_THAT(loaded.status().message(), HasSubstr(c.expect));
    EXPECT_THAT(loaded.status().message(), HasSubstr(path_));
  }
}

TEST(GenerateKeyFile, DeterministicFromSeed) {
  SeededRandom a(kSeed);
  SeededRandom b(kSeed);
  const KeyFile ka = GenerateKeyFile(SignatureScheme::kSchnorrBip340, a);
  const KeyFile kb = GenerateKeyFile(SignatureScheme::kSchnorrBip340, b);
  EXPECT_EQ(ka.public_key, kb.public_key);
  EXPECT_EQ(ka.secret_key.bytes(), kb.secret_key.bytes());
  Result<PublicKey> derived = DerivePublicKey(SignatureScheme::kSchnorrBip340, ka.secret_key);
  ASSERT_TRUE(derived.ok());
  EXPECT_EQ(*derived, ka.public_key);
}

}  // namespace
}  // namespace hotbft
