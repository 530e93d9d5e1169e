#include "crypto/signing.h"

#include "crypto/canonical.h"
#include "crypto/sha256.h"

namespace hotbft {

std::string_view DomainTag(Domain domain) {
  switch (domain) {
    case Domain::kVote: return "hotbft/vote/v1";
    case Domain::kTimeout: return "hotbft/timeout/v1";
    case Domain::kProposal: return "hotbft/proposal/v1";
    case Domain::kHandshake: return "hotbft/handshake/v1";
    case Domain::kBlockHeader: return "hotbft/block-header/v1";
    case Domain::kPayload: return "hotbft/payload/v1";
  }
  HOTBFT_ASSERT_MSG(false, "unknown domain");
  return {};
}

Hash32 DomainDigest(Domain domain, std::string_view chain_id, ByteView canonical_body) {
  HOTBFT_ASSERT(!chain_id.empty());
  const Hash32 tag_hash = Sha256(AsBytes(DomainTag(domain)));
  CanonicalWriter chain;
  chain.Var(AsBytes(chain_id));
  Sha256Hasher h;
  h.Update(tag_hash.view());
  h.Update(tag_hash.view());
  h.Update(chain.bytes());
  h.Update(canonical_body);
  return h.Finish();
}

}  // namespace hotbft
