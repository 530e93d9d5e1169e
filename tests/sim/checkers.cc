#include "tests/sim/checkers.h"

#include <sstream>

namespace hotbft::sim {
namespace {

constexpr size_t kShortIdBytes = 3;

std::string DescribeVote(const VoteData& d) {
  std::ostringstream s;
  s << "{b=" << ShortId(d.block_id) << " h=" << d.height << " r=" << d.round
    << " parent=" << ShortId(d.parent_id) << " parent_r=" << d.parent_round << " epoch=" << d.epoch
    << "}";
  return s.str();
}

std::string TxString(const Bytes& tx) {
  return std::string(tx.begin(), tx.end());
}

}  // namespace

std::string ShortId(const Hash32& id) {
  return ToHex(ByteView(id.bytes.data(), kShortIdBytes));
}

// ---- Agreement ----

AgreementChecker::AgreementChecker(uint32_t validators, const Block& genesis)
    : tips_(validators, Tip{genesis.id, genesis.header.height}) {
  HOTBFT_ASSERT(validators > 0);
  by_height_[genesis.header.height] = Committed{genesis.id, 0};
}

std::optional<Violation> AgreementChecker::OnCommit(uint32_t validator, const Block& block) {
  HOTBFT_ASSERT(validator < tips_.size());
  const Height height = block.header.height;
  auto [it, inserted] = by_height_.emplace(height, Committed{block.id, validator});
  if (!inserted && it->second.id != block.id) {
    std::ostringstream s;
    s << "height " << height << ": validator " << it->second.validator << " committed block "
      << ShortId(it->second.id) << " but validator " << validator << " committed block "
      << ShortId(block.id);
    return Violation{"agreement", s.str()};
  }
  Tip& tip = tips_[validator];
  if (height != tip.height + 1 || block.header.parent_id != tip.id) {
    std::ostringstream s;
    s << "validator " << validator << " committed block " << ShortId(block.id) << " at height "
      << height << " with parent " << ShortId(block.header.parent_id)
      << ", but its previous commit is block " << ShortId(tip.id) << " at height " << tip.height;
    return Violation{"agreement", s.str()};
  }
  tip = Tip{block.id, height};
  return std::nullopt;
}

// ---- No double-sign ----

DoubleSignChecker::DoubleSignChecker(uint32_t validators) : signed_(validators) {
  HOTBFT_ASSERT(validators > 0);
}

std::optional<Violation> DoubleSignChecker::OnSend(uint32_t sender, const Message& message) {
  HOTBFT_ASSERT(sender < signed_.size());
  if (const auto* vote = std::get_if<Vote>(&message)) {
    HOTBFT_ASSERT(vote->voter == sender);
    return OnVote(sender, vote->data);
  }
  if (const auto* proposal = std::get_if<Proposal>(&message)) return OnProposal(sender, *proposal);
  if (const auto* timeout = std::get_if<Timeout>(&message)) {
    HOTBFT_ASSERT(timeout->sender == sender);
    // The vote a timeout carries was signed before the timeout.
    if (timeout->vote) {
      if (auto v = OnVote(sender, timeout->vote->data)) return v;
    }
    signed_[sender][timeout->data.round].timed_out = true;
  }
  return std::nullopt;
}

std::optional<Violation> DoubleSignChecker::OnVote(uint32_t sender, const VoteData& data) {
  RoundSigned& r = signed_[sender][data.round];
  if (r.vote) {
    if (*r.vote == data) return std::nullopt;  // the stored vote, sent again
    std::ostringstream s;
    s << "validator " << sender << " signed two votes in round " << data.round << ": "
      << DescribeVote(*r.vote) << " and " << DescribeVote(data);
    return Violation{"no-double-sign", s.str()};
  }
  if (r.timed_out) {
    std::ostringstream s;
    s << "validator " << sender << " voted in round " << data.round
      << " after timing it out: " << DescribeVote(data);
    return Violation{"no-double-sign", s.str()};
  }
  r.vote = data;
  return std::nullopt;
}

std::optional<Violation> DoubleSignChecker::OnProposal(uint32_t sender, const Proposal& proposal) {
  HOTBFT_ASSERT(proposal.block != nullptr);
  const Block& block = *proposal.block;
  HOTBFT_ASSERT(block.header.proposer == sender);
  RoundSigned& r = signed_[sender][block.header.round];
  if (r.proposal && *r.proposal != block.id) {
    std::ostringstream s;
    s << "validator " << sender << " signed two proposals in round " << block.header.round
      << ": block " << ShortId(*r.proposal) << " and block " << ShortId(block.id)
      << " (h=" << block.header.height << ")";
    return Violation{"no-double-sign", s.str()};
  }
  r.proposal = block.id;
  return std::nullopt;
}

// ---- Validity ----

ValidityChecker::ValidityChecker(uint32_t validators) : committed_(validators) {
  HOTBFT_ASSERT(validators > 0);
}

void ValidityChecker::OnSubmit(const std::string& tx) {
  submitted_.insert(tx);
}

std::optional<Violation> ValidityChecker::OnCommit(uint32_t validator, const Block& block) {
  HOTBFT_ASSERT(validator < committed_.size());
  HOTBFT_ASSERT(block.payload != nullptr);
  for (const Bytes& raw : block.payload->txs) {
    std::string tx = TxString(raw);
    if (!submitted_.count(tx)) {
      std::ostringstream s;
      s << "validator " << validator << " committed transaction \"" << tx << "\" in block "
        << ShortId(block.id) << " at height " << block.header.height
        << ", but no client submitted it";
      return Violation{"validity", s.str()};
    }
    auto [it, inserted] = committed_[validator].emplace(tx, block.header.height);
    if (!inserted) {
      std::ostringstream s;
      s << "validator " << validator << " committed transaction \"" << tx << "\" twice: at height "
        << it->second << " and again in block " << ShortId(block.id) << " at height "
        << block.header.height;
      return Violation{"validity", s.str()};
    }
  }
  return std::nullopt;
}

// ---- Liveness ----

LivenessChecker::LivenessChecker(uint32_t validators, uint64_t stable_ms, uint64_t window_ms)
    : stable_ms_(stable_ms), window_ms_(window_ms), progress_(validators) {
  HOTBFT_ASSERT(validators > 0);
  HOTBFT_ASSERT(window_ms > 0);
}

void LivenessChecker::Exclude(uint32_t validator) {
  HOTBFT_ASSERT(validator < progress_.size());
  progress_[validator].excluded = true;
}

void LivenessChecker::OnCommitHeight(uint32_t validator, Height height, uint64_t now_ms) {
  HOTBFT_ASSERT(validator < progress_.size());
  Progress& p = progress_[validator];
  if (height > p.height) {
    p.height = height;
    p.rose_ms = now_ms;
  }
}

std::optional<Violation> LivenessChecker::Check(uint64_t now_ms,
                                                const std::vector<bool>& running) const {
  HOTBFT_ASSERT(running.size() == progress_.size());
  if (now_ms < stable_ms_) return std::nullopt;
  for (uint32_t v = 0; v < progress_.size(); ++v) {
    const Progress& p = progress_[v];
    if (p.excluded || !running[v]) continue;
    const uint64_t since_ms = std::max(p.rose_ms, stable_ms_);
    if (now_ms - since_ms > window_ms_) {
      std::ostringstream s;
      s << "validator " << v << "'s committed height stayed at " << p.height
        << " from t=" << since_ms << "ms to t=" << now_ms << "ms, longer than the window of "
        << window_ms_ << "ms after the network stabilised at t=" << stable_ms_ << "ms";
      return Violation{"liveness", s.str()};
    }
  }
  return std::nullopt;
}

}  // namespace hotbft::sim
