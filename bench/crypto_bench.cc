// Micro benchmarks of the crypto module: signing, verification, batch and quorum
// certificate verification, SHA-256 and signed-message digests.
//
// Keys come from a fixed seed so every run measures the same keys; the signers draw
// BIP-340 aux_rand from SystemRandom as a node does. Figures are machine-dependent:
// see bench/README.md.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "crypto/batch_verifier.h"
#include "crypto/canonical.h"
#include "crypto/quorum_cert.h"
#include "crypto/random.h"
#include "crypto/sha256.h"
#include "crypto/signer.h"
#include "crypto/signing.h"
#include "crypto/validator_set.h"

namespace hotbft {
namespace {

constexpr uint64_t kKeySeed = 0x68627466'62656e63;  // "hbtfbenc"
constexpr std::string_view kChainId = "hotbft-bench";

// `count` signers of `scheme` with keys derived from kKeySeed; empty if any key is
// refused (which would be a bug in the crypto module, reported by the caller).
std::vector<std::unique_ptr<Signer>> MakeSigners(SignatureScheme scheme, size_t count) {
  SeededRandom key_rng(kKeySeed);
  std::vector<std::unique_ptr<Signer>> signers;
  signers.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    Result<std::unique_ptr<Signer>> signer =
        MakeSigner(scheme, GenerateSecretKey(scheme, key_rng), std::make_unique<SystemRandom>());
    if (!signer.ok()) return {};
    signers.push_back(std::move(signer.value()));
  }
  return signers;
}

// A digest that differs per `index`, so batch items are not all over one message.
Hash32 TestDigest(uint64_t index) {
  CanonicalWriter w;
  w.U64(index);
  return Sha256(w.bytes());
}

// A body laid out as VoteData's canonical encoding (consensus/types.cc): epoch,
// block_id, height, round, parent_id, parent_round = 8 + 32 + 8 + 8 + 32 + 8 = 96 bytes.
Bytes VoteDataSizedBody() {
  CanonicalWriter w;
  w.U64(1).Fixed(TestDigest(1).view()).U64(1000).U64(1200).Fixed(TestDigest(2).view()).U64(1199);
  return w.Take();
}

void BM_Sign(benchmark::State& state, SignatureScheme scheme) {
  std::vector<std::unique_ptr<Signer>> signers = MakeSigners(scheme, 1);
  if (signers.empty()) return state.SkipWithError("key generation failed");
  Signer& signer = *signers.front();
  Hash32 digest = TestDigest(0);
  for (auto _ : state) {
    benchmark::DoNotOptimize(digest);
    Signature signature = signer.Sign(digest);
    benchmark::DoNotOptimize(signature);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Verify(benchmark::State& state, SignatureScheme scheme) {
  std::vector<std::unique_ptr<Signer>> signers = MakeSigners(scheme, 1);
  if (signers.empty()) return state.SkipWithError("key generation failed");
  const Verifier& verifier = VerifierFor(scheme);
  PublicKey key = signers.front()->public_key();
  Hash32 digest = TestDigest(0);
  Signature signature = signers.front()->Sign(digest);
  // Time the accepting path, which is the common one.
  if (!verifier.Verify(key, digest, signature)) return state.SkipWithError("signature rejected");
  for (auto _ : state) {
    benchmark::DoNotOptimize(key);
    benchmark::DoNotOptimize(digest);
    benchmark::DoNotOptimize(signature);
    bool ok = verifier.Verify(key, digest, signature);
    benchmark::DoNotOptimize(ok);
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK_CAPTURE(BM_Sign, schnorr_bip340, SignatureScheme::kSchnorrBip340);
BENCHMARK_CAPTURE(BM_Verify, schnorr_bip340, SignatureScheme::kSchnorrBip340);
BENCHMARK_CAPTURE(BM_Sign, test_only_keyed_hash, SignatureScheme::kTestOnlyKeyedHash);
BENCHMARK_CAPTURE(BM_Verify, test_only_keyed_hash, SignatureScheme::kTestOnlyKeyedHash);

// Args: {signatures, BatchVerifier threads}. One distinct key and digest per item.
void BM_BatchVerify(benchmark::State& state) {
  const size_t count = static_cast<size_t>(state.range(0));
  const size_t threads = static_cast<size_t>(state.range(1));
  std::vector<std::unique_ptr<Signer>> signers =
      MakeSigners(SignatureScheme::kSchnorrBip340, count);
  if (signers.empty()) return state.SkipWithError("key generation failed");
  std::vector<VerifyItem> items;
  items.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    Hash32 digest = TestDigest(i);
    items.push_back({signers[i]->public_key(), digest, signers[i]->Sign(digest)});
  }
  const BatchVerifier batch(VerifierFor(SignatureScheme::kSchnorrBip340), threads);
  if (!batch.Verify(items).all_ok()) return state.SkipWithError("batch rejected");
  for (auto _ : state) {
    BatchResult result = batch.Verify(items);
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(count));
}

// Real time: the main thread's CPU time would leave out the pool worker's share.
BENCHMARK(BM_BatchVerify)
    ->ArgNames({"sigs", "threads"})
    ->ArgsProduct({{4, 16, 64, 256}, {1, 2}})
    ->UseRealTime();

// Args: {validators n, BatchVerifier threads (0 = no BatchVerifier)}. The certificate
// holds quorum() = 2f + 1 signatures over one digest.
void BM_VerifyQuorumCert(benchmark::State& state) {
  const uint32_t n = static_cast<uint32_t>(state.range(0));
  const size_t threads = static_cast<size_t>(state.range(1));
  const SignatureScheme scheme = SignatureScheme::kSchnorrBip340;
  const Verifier& verifier = VerifierFor(scheme);
  std::vector<std::unique_ptr<Signer>> signers = MakeSigners(scheme, n);
  if (signers.empty()) return state.SkipWithError("key generation failed");
  std::vector<PublicKey> keys;
  for (const auto& signer : signers) keys.push_back(signer->public_key());
  Result<ValidatorSet> validators = ValidatorSet::Create(std::move(keys));
  if (!validators.ok()) return state.SkipWithError(validators.status().ToString().c_str());

  const Hash32 digest = DomainDigest(Domain::kVote, kChainId, VoteDataSizedBody());
  QuorumCertBuilder builder(*validators, verifier, digest);
  for (uint32_t i = 0; i < validators->quorum(); ++i) {
    Status added = builder.Add(signers[i]->public_key(), signers[i]->Sign(digest));
    if (!added.ok()) return state.SkipWithError(added.ToString().c_str());
  }
  Result<QuorumCert> cert = builder.Build();
  if (!cert.ok()) return state.SkipWithError(cert.status().ToString().c_str());

  std::unique_ptr<BatchVerifier> batch;
  if (threads > 0) batch = std::make_unique<BatchVerifier>(verifier, threads);
  Status warm = VerifyQuorumCert(*validators, verifier, digest, *cert, batch.get());
  if (!warm.ok()) return state.SkipWithError(warm.ToString().c_str());
  for (auto _ : state) {
    Status status = VerifyQuorumCert(*validators, verifier, digest, *cert, batch.get());
    benchmark::DoNotOptimize(status);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(cert->signatures.size()));
  state.SetLabel(std::to_string(cert->signatures.size()) + " sigs");
}

BENCHMARK(BM_VerifyQuorumCert)
    ->ArgNames({"n", "batch_threads"})
    ->ArgsProduct({{4, 100}, {0, 2}})
    ->UseRealTime();

void BM_Sha256(benchmark::State& state) {
  const size_t size_bytes = static_cast<size_t>(state.range(0));
  Bytes data(size_bytes);
  for (size_t i = 0; i < size_bytes; ++i) data[i] = static_cast<uint8_t>(i * 131);
  for (auto _ : state) {
    benchmark::DoNotOptimize(data.data());
    Hash32 hash = Sha256(data);
    benchmark::DoNotOptimize(hash);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(size_bytes));
}

BENCHMARK(BM_Sha256)->ArgName("bytes")->Arg(64)->Arg(1 << 10)->Arg(64 << 10)->Arg(1 << 20);

// The digest a vote signs over a 96-byte body. DomainDigest rehashes the tag on every
// call and sets up a fresh hasher, so this is more than a one-shot Sha256 of 176 bytes.
void BM_DomainDigestVoteData(benchmark::State& state) {
  Bytes body = VoteDataSizedBody();
  for (auto _ : state) {
    benchmark::DoNotOptimize(body.data());
    Hash32 digest = DomainDigest(Domain::kVote, kChainId, body);
    benchmark::DoNotOptimize(digest);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(body.size()));
}

BENCHMARK(BM_DomainDigestVoteData);

}  // namespace
}  // namespace hotbft

BENCHMARK_MAIN();
