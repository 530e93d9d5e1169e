// The consensus data types and their canonical encodings (docs/wire.md).
//
// These are the values the core reasons about; proto/types.proto is how they travel.
// Every id and signed digest is computed here, over the canonical encoding, never over
// protobuf bytes.
#pragma once

#include <memory>
#include <optional>
#include <string_view>
#include <variant>
#include <vector>

#include "crypto/canonical.h"
#include "crypto/quorum_cert.h"
#include "crypto/signing.h"

namespace hotbft {

using Epoch = uint64_t;
using Height = uint64_t;
using Round = uint64_t;

// The longest app hash a header may carry.
inline constexpr size_t kAppHashBytesMax = 64;

// What a vote signs: the block, its height and round, and its parent.
struct VoteData {
  Epoch epoch = 0;
  Hash32 block_id;
  Height height = 0;
  Round round = 0;
  Hash32 parent_id;
  Round parent_round = 0;

  void Encode(CanonicalWriter& w) const;
  static Result<VoteData> Decode(CanonicalReader& r);
  Hash32 SigningDigest(std::string_view chain_id) const;  // Domain::kVote
  bool operator==(const VoteData&) const = default;
};

// What a timeout signs.
struct TimeoutData {
  Epoch epoch = 0;
  Round round = 0;
  Round high_qc_round = 0;

  void Encode(CanonicalWriter& w) const;
  static Result<TimeoutData> Decode(CanonicalReader& r);
  Hash32 SigningDigest(std::string_view chain_id) const;  // Domain::kTimeout
  bool operator==(const TimeoutData&) const = default;
};

// A quorum certificate for a block: the vote data and 2f+1 signatures over it.
struct QC {
  VoteData vote_data;
  SignerBitmap signers;
  std::vector<Signature> signatures;  // ascending signer order

  void Encode(CanonicalWriter& w) const;
  bool operator==(const QC&) const = default;
};

// A timeout certificate: 2f+1 validators timed out `round`, each signing its own
// TimeoutData{epoch, round, high_qc_round}.
struct TC {
  Epoch epoch = 0;
  Round round = 0;
  SignerBitmap signers;
  std::vector<Round> high_qc_rounds;  // one per signer, ascending signer order
  std::vector<Signature> signatures;  // one per signer, ascending signer order

  // The highest high-QC round any signer reported. REQUIRES: at least one signer.
  Round MaxHighQcRound() const;
  void Encode(CanonicalWriter& w) const;
  bool operator==(const TC&) const = default;
};

struct BlockHeader {
  Epoch epoch = 0;
  Height height = 0;
  Round round = 0;
  Hash32 parent_id;
  Hash32 payload_hash;
  uint32_t proposer = 0;
  QC justify;
  Height exec_height = 0;
  Bytes app_hash;
  uint64_t timestamp_ms = 0;

  void Encode(CanonicalWriter& w) const;
  // The block id: Domain::kBlockHeader tagged hash of the canonical header. A proposal
  // signs this id (Domain::kProposal).
  Hash32 Id(std::string_view chain_id) const;
  bool operator==(const BlockHeader&) const = default;
};

struct Payload {
  std::vector<Bytes> txs;
  std::vector<Bytes> evidence;  // canonical encodings of evidence carried in the block
  bool operator==(const Payload&) const = default;
};

// A block: its header, its payload (shared, immutable) and its id, computed once.
struct Block {
  BlockHeader header;
  std::shared_ptr<const Payload> payload;
  Hash32 id;
};

struct Vote {
  VoteData data;
  uint32_t voter = 0;
  Signature signature;
  bool operator==(const Vote&) const = default;
};

struct Proposal {
  std::shared_ptr<const Block> block;
  std::optional<TC> tc;  // TC(round - 1) when round != justify.round + 1
  Signature signature;   // over ProposalDigest(block id)
};

struct Timeout {
  TimeoutData data;
  uint32_t sender = 0;
  Signature signature;
  QC high_qc;                  // high_qc.vote_data.round == data.high_qc_round
  std::optional<Vote> vote;    // the sender's vote in data.round, if any
  std::variant<QC, TC> entry;  // the certificate that put the sender in data.round
};

// The payload hash over the block's transactions and the canonical encodings of the
// evidence it carries: u32 count, var(tx) each, u32 count, var(evidence) each.
Hash32 PayloadHash(std::string_view chain_id, const std::vector<Bytes>& txs,
                   const std::vector<Bytes>& evidence_canonical);

// The genesis block of `chain_id` at `epoch` for a set of `validators`: height 0, round 0,
// an empty payload, and a justify QC with no signers over all-zero vote data. Its parent id
// is `commitment`, a hash of the genesis document (validator keys, genesis time, app
// state: node/genesis.h), so chains that differ in any of these have different genesis
// blocks, and its timestamp is the genesis time.
std::shared_ptr<const Block> MakeGenesisBlock(std::string_view chain_id, Epoch epoch,
                                              uint32_t validators, const Hash32& commitment = {},
                                              uint64_t timestamp_ms = 0);

// The genesis QC: certifies the genesis block by definition (round 0, no signers). The
// only QC of round 0 that is valid.
QC MakeGenesisQC(const Block& genesis);

// The digest a proposer signs for block `block_id`.
Hash32 ProposalDigest(std::string_view chain_id, const Hash32& block_id);

// The digest a peer signs in the handshake to prove it holds `signer_key`, answering
// the other side's fresh `challenge`.
Hash32 HandshakeDigest(std::string_view chain_id, const Hash32& challenge,
                       const PublicKey& signer_key, const PublicKey& receiver_key);

}  // namespace hotbft
