// The consensus data types and their canonical encodings (docs/wire.md).
//
// These are the values the core reasons about; proto/types.proto is how they travel.
// Every id and signed digest is computed here, over the canonical encoding, never over
// protobuf bytes.
#pragma once

#include <string_view>
#include <vector>

#include "crypto/canonical.h"
#include "crypto/quorum_cert.h"
#include "crypto/signing.h"

namespace hotbft {

using Epoch = uint64_t;
using Height = uint64_t;
using Round = uint64_t;

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

// The payload hash over the block's transactions and the canonical encodings of the
// evidence it carries: u32 count, var(tx) each, u32 count, var(evidence) each.
Hash32 PayloadHash(std::string_view chain_id, const std::vector<Bytes>& txs,
                   const std::vector<Bytes>& evidence_canonical);

// The digest a proposer signs for block `block_id`.
Hash32 ProposalDigest(std::string_view chain_id, const Hash32& block_id);

// The digest a peer signs in the handshake to prove it holds `signer_key`, answering
// the other side's fresh `challenge`.
Hash32 HandshakeDigest(std::string_view chain_id, const Hash32& challenge,
                       const PublicKey& signer_key, const PublicKey& receiver_key);

}  // namespace hotbft
