#include "crypto/sha256.h"

#include <gtest/gtest.h>

namespace hotbft {
namespace {

// FIPS 180-2 known answers.
TEST(Sha256, KnownAnswers) {
  EXPECT_EQ(Sha256(AsBytes("")).hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256(AsBytes("abc")).hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256(AsBytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")).hex(),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, MillionAs) {
  std::string a(1000000, 'a');
  EXPECT_EQ(Sha256(AsBytes(a)).hex(),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, IncrementalMatchesOneShot) {
  std::string msg = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  Sha256Hasher h;
  h.Update(AsBytes(msg.substr(0, 5)));
  h.Update(AsBytes(msg.substr(5)));
  EXPECT_EQ(h.Finish(), Sha256(AsBytes(msg)));
  // Finish resets: the hasher is reusable.
  h.Update(AsBytes("abc"));
  EXPECT_EQ(h.Finish(), Sha256(AsBytes("abc")));
}

}  // namespace
}  // namespace hotbft
