// The official BIP-340 test vectors (tests/data/bip340-test-vectors.csv), checked against
// schnorr::Sign, schnorr::PublicKeyOf and schnorr::Verify.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "crypto/schnorr.h"

namespace hotbft {
namespace {

constexpr size_t kVectorRows = 15;
constexpr char kVectorFile[] = HOTBFT_TEST_DATA_DIR "/bip340-test-vectors.csv";

// One CSV row, fields kept as the file spells them (hex, upper case).
struct VectorRow {
  std::string index;
  std::string secret_key;  // empty: a verification-only row
  std::string public_key;
  std::string aux_rand;
  std::string message;
  std::string signature;
  bool expected_valid = false;
  std::string comment;
};

std::vector<std::string> SplitCsvLine(const std::string& line) {
  std::vector<std::string> fields;
  std::stringstream ss(line);
  std::string field;
  while (std::getline(ss, field, ',')) fields.push_back(field);
  if (!line.empty() && line.back() == ',') fields.push_back("");
  return fields;
}

// Parses the vector file. Fails the current test (and skips the row) on a malformed line.
std::vector<VectorRow> LoadVectors(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::vector<VectorRow> rows;
  std::string line;
  std::getline(in, line);  // header
  EXPECT_EQ(line.rfind("index,secret key,public key", 0), 0u) << "unexpected header: " << line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> f = SplitCsvLine(line);
    if (f.size() < 7) {
      ADD_FAILURE() << "row has " << f.size() << " fields: " << line;
      continue;
    }
    VectorRow row{f[0], f[1], f[2], f[3], f[4], f[5], f[6] == "TRUE", ""};
    EXPECT_TRUE(f[6] == "TRUE" || f[6] == "FALSE") << "row " << f[0] << ": result " << f[6];
    for (size_t i = 7; i < f.size(); ++i) row.comment += (i > 7 ? "," : "") + f[i];
    rows.push_back(row);
  }
  return rows;
}

// Everything that is wrong with `row` under our implementation; empty means it passes.
std::vector<std::string> CheckVector(const VectorRow& row) {
  std::vector<std::string> failures;
  auto fail = [&](const std::string& what) {
    failures.push_back("row " + row.index + " (" + row.comment + "): " + what);
  };
  Result<Bytes> public_key = FromHex(row.public_key);
  Result<Bytes> message = FromHex(row.message);
  Result<Bytes> signature = FromHex(row.signature);
  if (!public_key.ok() || !message.ok() || !signature.ok()) {
    fail("undecodable hex");
    return failures;
  }
  if (!row.secret_key.empty()) {
    auto secret = FixedBytes<32>::FromHex(row.secret_key);
    auto aux = FixedBytes<32>::FromHex(row.aux_rand);
    auto digest = Hash32::FromBytes(*message);
    if (!secret.ok() || !aux.ok() || !digest.ok()) {
      fail("secret key, aux_rand or message is not 32 bytes of hex");
      return failures;
    }
    const SecretKey sk(secret->bytes);
    Result<PublicKey> derived = schnorr::PublicKeyOf(sk);
    if (!derived.ok()) {
      fail("PublicKeyOf failed: " + derived.status().ToString());
    } else if (ToHex(derived->view()) != ToHex(*public_key)) {
      fail("PublicKeyOf gave " + derived->hex() + ", expected " + ToHex(*public_key));
    }
    Result<Signature> sig = schnorr::Sign(sk, *digest, aux->bytes);
    if (!sig.ok()) {
      fail("Sign failed: " + sig.status().ToString());
    } else if (ToHex(sig->view()) != ToHex(*signature)) {
      fail("Sign gave " + sig->hex() + ", expected " + ToHex(*signature));
    }
  }
  const bool valid = schnorr::Verify(*public_key, *message, *signature);
  if (valid != row.expected_valid) {
    fail(std::string("Verify returned ") + (valid ? "TRUE" : "FALSE") + ", expected " +
         (row.expected_valid ? "TRUE" : "FALSE"));
  }
  return failures;
}

std::string Join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// Flips the lowest bit of byte `byte_index` of a hex field.
std::string FlipHexByte(const std::string& hex, size_t byte_index) {
  Result<Bytes> raw = FromHex(hex);
  EXPECT_TRUE(raw.ok());
  if (!raw.ok()) return hex;
  raw->at(byte_index) ^= 0x01;
  return ToHex(*raw);
}

const VectorRow* FindRow(const std::vector<VectorRow>& rows, const std::string& index) {
  for (const auto& r : rows) {
    if (r.index == index) return &r;
  }
  return nullptr;
}

TEST(Bip340Vectors, FileHasExactlyFifteenRowsOfThirtyTwoByteMessages) {
  const std::vector<VectorRow> rows = LoadVectors(kVectorFile);
  ASSERT_EQ(rows.size(), kVectorRows);
  size_t signing_rows = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].index, std::to_string(i));
    EXPECT_EQ(rows[i].message.size(), 64u) << "row " << rows[i].index;
    EXPECT_EQ(rows[i].signature.size(), 128u) << "row " << rows[i].index;
    if (!rows[i].secret_key.empty()) ++signing_rows;
  }
  // Rows 0-3 carry a secret key; every row is a verification case.
  EXPECT_EQ(signing_rows, 4u);
}

TEST(Bip340Vectors, EveryRowSignsAndVerifiesAsListed) {
  const std::vector<VectorRow> rows = LoadVectors(kVectorFile);
  ASSERT_EQ(rows.size(), kVectorRows);
  for (const VectorRow& row : rows) {
    SCOPED_TRACE("vector row " + row.index);
    const std::vector<std::string> failures = CheckVector(row);
    EXPECT_TRUE(failures.empty()) << Join(failures);
  }
}

// The checker is only trusted once it has fired: corrupt real rows and expect failures.
TEST(Bip340Vectors, CheckerReportsCorruptedRows) {
  const std::vector<VectorRow> rows = LoadVectors(kVectorFile);
  const VectorRow* signing_row = FindRow(rows, "1");
  const VectorRow* verify_only_true = FindRow(rows, "4");
  const VectorRow* verify_only_false = FindRow(rows, "6");
  ASSERT_NE(signing_row, nullptr);
  ASSERT_NE(verify_only_true, nullptr);
  ASSERT_NE(verify_only_false, nullptr);
  ASSERT_TRUE(signing_row->expected_valid);
  ASSERT_TRUE(CheckVector(*signing_row).empty());

  for (const VectorRow* base : {signing_row, verify_only_true}) {
    SCOPED_TRACE("corrupting row " + base->index);
    VectorRow bad_sig = *base;
    bad_sig.signature = FlipHexByte(bad_sig.signature, 63);
    EXPECT_FALSE(CheckVector(bad_sig).empty()) << "flipped signature byte went unnoticed";

    VectorRow bad_msg = *base;
    bad_msg.message = FlipHexByte(bad_msg.message, 0);
    EXPECT_FALSE(CheckVector(bad_msg).empty()) << "flipped message byte went unnoticed";

    VectorRow bad_key = *base;
    bad_key.public_key = FlipHexByte(bad_key.public_key, 31);
    EXPECT_FALSE(CheckVector(bad_key).empty()) << "flipped public key byte went unnoticed";
  }

  // A signing row whose listed signature is wrong but still verifies would only be caught
  // by the Sign comparison: change aux_rand so Sign yields a different valid signature.
  VectorRow bad_aux = *signing_row;
  bad_aux.aux_rand = FlipHexByte(bad_aux.aux_rand, 0);
  const std::vector<std::string> aux_failures = CheckVector(bad_aux);
  ASSERT_EQ(aux_failures.size(), 1u) << Join(aux_failures);
  EXPECT_NE(aux_failures[0].find("Sign gave"), std::string::npos) << aux_failures[0];

  // A FALSE row claimed TRUE must be reported too (the checker compares, not just verifies).
  VectorRow flipped_result = *verify_only_false;
  flipped_result.expected_valid = true;
  EXPECT_FALSE(CheckVector(flipped_result).empty());
}

// Beyond the listed cases: any single-byte change to a valid row's signature is rejected.
TEST(Bip340Vectors, EverySignatureByteMatters) {
  const std::vector<VectorRow> rows = LoadVectors(kVectorFile);
  for (const VectorRow& row : rows) {
    if (!row.expected_valid) continue;
    SCOPED_TRACE("vector row " + row.index);
    Result<Bytes> pk = FromHex(row.public_key);
    Result<Bytes> msg = FromHex(row.message);
    Result<Bytes> sig = FromHex(row.signature);
    ASSERT_TRUE(pk.ok() && msg.ok() && sig.ok());
    ASSERT_TRUE(schnorr::Verify(*pk, *msg, *sig));
    for (size_t i = 0; i < sig->size(); ++i) {
      Bytes bad = *sig;
      bad[i] ^= 0x80;
      EXPECT_FALSE(schnorr::Verify(*pk, *msg, bad)) << "signature byte " << i;
    }
  }
}

TEST(Schnorr, VerifyRejectsWrongLengths) {
  const std::vector<VectorRow> rows = LoadVectors(kVectorFile);
  ASSERT_FALSE(rows.empty());
  Result<Bytes> pk_hex = FromHex(rows[0].public_key);
  Result<Bytes> msg_hex = FromHex(rows[0].message);
  Result<Bytes> sig_hex = FromHex(rows[0].signature);
  ASSERT_TRUE(pk_hex.ok() && msg_hex.ok() && sig_hex.ok());
  const Bytes& pk = *pk_hex;
  const Bytes& msg = *msg_hex;
  const Bytes& sig = *sig_hex;
  ASSERT_TRUE(schnorr::Verify(pk, msg, sig));
  EXPECT_FALSE(schnorr::Verify(ByteView(pk).first(31), msg, sig));
  EXPECT_FALSE(schnorr::Verify(pk, ByteView(msg).first(31), sig));
  EXPECT_FALSE(schnorr::Verify(pk, msg, ByteView(sig).first(63)));
  Bytes long_sig = sig;
  long_sig.push_back(0);
  EXPECT_FALSE(schnorr::Verify(pk, msg, long_sig));
}

TEST(Schnorr, InvalidSecretKeysAreRejected) {
  // Zero and the curve order n are not valid secret keys; n - 1 is.
  auto order =
      FixedBytes<32>::FromHex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141");
  auto order_minus_one =
      FixedBytes<32>::FromHex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364140");
  ASSERT_TRUE(order.ok());
  ASSERT_TRUE(order_minus_one.ok());
  const std::array<uint8_t, 32> zero{};
  EXPECT_FALSE(schnorr::IsValidSecretKey(zero));
  EXPECT_FALSE(schnorr::IsValidSecretKey(order->bytes));
  EXPECT_TRUE(schnorr::IsValidSecretKey(order_minus_one->bytes));

  EXPECT_EQ(schnorr::PublicKeyOf(SecretKey(zero)).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(schnorr::PublicKeyOf(SecretKey(order->bytes)).status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_TRUE(schnorr::PublicKeyOf(SecretKey(order_minus_one->bytes)).ok());
  EXPECT_FALSE(schnorr::Sign(SecretKey(zero), Hash32{}, zero).ok());
}

}  // namespace
}  // namespace hotbft
