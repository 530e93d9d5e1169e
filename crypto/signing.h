// Domain separation: how a message becomes the 32-byte digest that is signed or hashed.
//
//   digest = SHA-256( SHA-256(tag) || SHA-256(tag) || var(chain_id) || canonical body )
//
// This is BIP-340's tagged hash with the chain id in front of the body. Every signed
// message type has its own tag, so a vote signature never verifies as a timeout's, and
// the chain id is inside every digest, so a signature from one chain is void on another.
#pragma once

#include <string_view>

#include "crypto/bytes.h"

namespace hotbft {

enum class Domain : uint8_t {
  // Signed.
  kVote,       // VoteData
  kTimeout,    // TimeoutData
  kProposal,   // the block id
  kHandshake,  // a peer's challenge, answered to prove key ownership
  // Hashed only (the hash is then committed to by something signed).
  kBlockHeader,  // block id = tagged hash of the canonical header
  kPayload,      // payload hash = tagged hash of the canonical payload
};

// The tag string of `domain`, e.g. "hotbft/vote/v1". Distinct for every domain.
std::string_view DomainTag(Domain domain);

// The digest to sign (or the hash) of `canonical_body` in `domain` on `chain_id`.
// REQUIRES: chain_id is non-empty and shorter than 2^32 bytes.
Hash32 DomainDigest(Domain domain, std::string_view chain_id, ByteView canonical_body);

}  // namespace hotbft
