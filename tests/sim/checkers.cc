#include "tests/sim/checkers.h"

#include <algorithm>
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

ValidityChecker::ValidityChecker(uint32_t validators, std::vector<bool> byzantine)
    : byzantine_(std::move(byzantine)), committed_(validators) {
  HOTBFT_ASSERT(validators > 0);
}

void ValidityChecker::OnSubmit(const std::string& tx) {
  submitted_.insert(tx);
}

std::optional<Violation> ValidityChecker::OnCommit(uint32_t validator, const Block& block) {
  HOTBFT_ASSERT(validator < committed_.size());
  HOTBFT_ASSERT(block.payload != nullptr);
  const uint32_t proposer = block.header.proposer;
  const bool may_repeat = proposer < byzantine_.size() && byzantine_[proposer];
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
    if (!inserted && !may_repeat) {
      std::ostringstream s;
      s << "validator " << validator << " committed transaction \"" << tx << "\" twice: at height "
        << it->second << " and again in block " << ShortId(block.id) << " at height "
        << block.header.height << ", proposed by honest validator " << proposer;
      return Violation{"validity", s.str()};
    }
  }
  return std::nullopt;
}

// ---- Evidence ----

EvidenceChecker::EvidenceChecker(const ValidatorSet& validators, const Verifier& verifier,
                                 CoreConfig config, std::vector<bool> byzantine, uint32_t instances)
    : validators_(validators),
      verifier_(verifier),
      config_(std::move(config)),
      byzantine_(std::move(byzantine)),
      seen_(instances) {
  HOTBFT_ASSERT(byzantine_.size() == validators_.size());
}

std::optional<EvidenceKey> EvidenceChecker::OnDeliver(uint32_t receiver, uint32_t incarnation,
                                                      Round round, const Message& message) {
  HOTBFT_ASSERT(receiver < seen_.size());
  Seen& seen = seen_[receiver];
  if (seen.incarnation != incarnation) seen = Seen{incarnation, {}};
  const uint32_t n = validators_.size();
  auto vote_key = [&](const Vote& v) -> std::optional<EvidenceKey> {
    if (v.voter >= n || !byzantine_[v.voter] || v.data.epoch != config_.epoch) return {};
    const Hash32 digest = v.data.SigningDigest(config_.chain_id);
    if (!verifier_.Verify(validators_.key(v.voter), digest, v.signature)) return {};
    return Observe(seen, round, {EvidenceKind::kDoubleVote, v.voter, v.data.epoch, v.data.round},
                   digest);
  };
  if (const auto* v = std::get_if<Vote>(&message)) return vote_key(*v);
  if (const auto* t = std::get_if<Timeout>(&message)) {
    if (t->data.epoch != config_.epoch || t->sender >= n || !t->vote) return {};
    if (t->vote->voter != t->sender || t->vote->data.round != t->data.round) return {};
    if (t->data.round > round + config_.rounds_ahead_max) return {};
    return vote_key(*t->vote);
  }
  if (const auto* p = std::get_if<Proposal>(&message)) {
    if (!p->block || !p->block->payload) return {};
    const BlockHeader& h = p->block->header;
    if (h.epoch != config_.epoch || h.proposer >= n || !byzantine_[h.proposer]) return {};
    if (h.Id(config_.chain_id) != p->block->id) return {};
    if (!verifier_.Verify(validators_.key(h.proposer),
                          ProposalDigest(config_.chain_id, p->block->id), p->signature)) {
      return {};
    }
    return Observe(seen, round, {EvidenceKind::kDoubleProposal, h.proposer, h.epoch, h.round},
                   p->block->id);
  }
  return {};
}

std::optional<EvidenceKey> EvidenceChecker::Observe(Seen& seen, Round round, EvidenceKey key,
                                                    const Hash32& content) {
  const Round floor =
      round > config_.evidence_rounds_back ? round - config_.evidence_rounds_back : 0;
  // The core's window: its records below the floor are gone, so are these.
  seen.first.erase(seen.first.begin(), seen.first.lower_bound({floor, 0, 0}));
  if (key.round < floor || key.round > round + config_.rounds_ahead_max) return {};
  auto [it, inserted] = seen.first.emplace(
      std::tuple{key.round, static_cast<uint8_t>(key.kind), key.validator}, content);
  if (inserted || it->second == content) return {};
  return key;
}

std::optional<Violation> EvidenceChecker::Check(uint32_t receiver, const EvidenceKey& required,
                                                const std::map<EvidenceKey, Evidence>& held) const {
  if (held.count(required)) return std::nullopt;
  // A full store drops its oldest rounds first.
  if (held.size() >= config_.evidence_max) {
    Round oldest = required.round;
    for (const auto& [key, evidence] : held) oldest = std::min(oldest, key.round);
    if (required.round <= oldest) return std::nullopt;
  }
  std::ostringstream s;
  s << "instance " << receiver << " received conflicting " << EvidenceKindName(required.kind)
    << " messages from validator " << required.validator << " for round " << required.round
    << " but recorded no evidence (" << held.size() << " pieces held)";
  return Violation{"evidence", s.str()};
}

std::optional<Violation> EvidenceChecker::OnEvidence(uint32_t receiver,
                                                     const Evidence& evidence) const {
  const EvidenceKey key = KeyOf(evidence);
  std::ostringstream s;
  if (Status st = VerifyEvidence(evidence, config_.chain_id, validators_, verifier_); !st.ok()) {
    s << "instance " << receiver << " recorded evidence that does not verify: " << st.ToString();
    return Violation{"evidence", s.str()};
  }
  if (key.validator >= byzantine_.size() || !byzantine_[key.validator]) {
    s << "instance " << receiver << " recorded " << EvidenceKindName(key.kind)
      << " evidence against honest validator " << key.validator << " in round " << key.round;
    return Violation{"evidence", s.str()};
  }
  return std::nullopt;
}

// ---- Bounded state ----

std::optional<Violation> CheckStateBounds(uint32_t instance, const CoreStateSizes& s, Round round,
                                          Round root_round, const CoreConfig& config,
                                          uint32_t validators) {
  HOTBFT_ASSERT(round >= root_round);
  const size_t n = validators;
  const size_t rounds_window = config.rounds_ahead_max + 3;
  const size_t detector_max = (config.evidence_rounds_back + config.rounds_ahead_max + 1) * n;
  const std::pair<const char*, std::pair<size_t, size_t>> bounds[] = {
      {"tree_blocks", {s.tree_blocks, 2 * (round - root_round)}},
      {"vote_rounds", {s.vote_rounds, rounds_window}},
      {"timeout_rounds", {s.timeout_rounds, rounds_window}},
      {"proposals_seen", {s.proposals_seen, rounds_window}},
      {"pending_proposals", {s.pending_proposals, (config.pending_proposals_max + 1) * n}},
      {"detector_records", {s.detector_records, detector_max}},
      {"evidence", {s.evidence, config.evidence_max}},
  };
  for (const auto& [name, value] : bounds) {
    if (value.first > value.second) {
      std::ostringstream o;
      o << "instance " << instance << " holds " << value.first << " " << name << " (bound "
        << value.second << ") in round " << round << ", committed round " << root_round;
      return Violation{"bounded-state", o.str()};
    }
  }
  return std::nullopt;
}

// ---- App-hash agreement ----

std::optional<Violation> AppHashChecker::OnExecuted(uint32_t validator, Height height,
                                                    const Bytes& app_hash) {
  auto [it, inserted] = by_height_.emplace(height, First{app_hash, validator});
  if (inserted || it->second.app_hash == app_hash) return std::nullopt;
  std::ostringstream s;
  s << "height " << height << ": validator " << it->second.validator << " has app hash "
    << ToHex(it->second.app_hash) << " but validator " << validator << " has " << ToHex(app_hash);
  return Violation{"app-hash", s.str()};
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
