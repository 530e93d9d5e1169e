// Evidence of equivocation (consensus/evidence.h) in its protobuf form (proto/types.proto),
// as FinalizeBlock hands it to the app. Here until consensus/wire.h converts evidence.
//
// Decoding checks structure only: hash and signature lengths, index and size bounds. The
// node verified the evidence before putting it in a block; the app need not verify again.
// A signer bitmap's validator count is not on the wire, and the app does not know the
// set, so a decoded bitmap covers its whole bytes (n = 8 * length): the bits are exact,
// n may be larger than the set's size.
#pragma once

#include "consensus/evidence.h"
#include "proto/types.pb.h"

namespace hotbft::app {

void EvidenceToProto(const Evidence& in, wire::Evidence* out);
Result<Evidence> EvidenceFromProto(const wire::Evidence& in);

}  // namespace hotbft::app
