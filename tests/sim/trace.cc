#include "tests/sim/trace.h"

#include <sstream>

#include "tests/sim/checkers.h"

namespace hotbft::sim {
namespace {

std::string_view KindName(MessageKind kind) {
  switch (kind) {
    case MessageKind::kNone: return "?";
    case MessageKind::kProposal: return "Proposal";
    case MessageKind::kVote: return "Vote";
    case MessageKind::kTimeout: return "Timeout";
    case MessageKind::kBlockRequest: return "BlockRequest";
    case MessageKind::kBlockResponse: return "BlockResponse";
  }
  return "?";
}

void PrintMessage(std::ostream& s, const MessageSummary& m) {
  s << KindName(m.kind);
  switch (m.kind) {
    case MessageKind::kProposal:
      s << " r=" << m.round << " h=" << m.height << " b=" << ShortId(m.block)
        << (m.with_tc ? " +tc" : "");
      break;
    case MessageKind::kVote:
      s << " r=" << m.round << " h=" << m.height << " b=" << ShortId(m.block);
      break;
    case MessageKind::kTimeout:
      s << " r=" << m.round << " hqc=" << m.high_qc_round << (m.with_vote ? " +vote" : "");
      break;
    case MessageKind::kBlockRequest:
      s << " b=" << ShortId(m.block) << " ancestors=" << m.count;
      break;
    case MessageKind::kBlockResponse:
      s << " blocks=" << m.count << " b=" << ShortId(m.block) << " h=" << m.height;
      break;
    case MessageKind::kNone: break;
  }
}

std::string GroupsOf(uint64_t mask, uint32_t validators) {
  std::ostringstream a;
  std::ostringstream b;
  for (uint32_t v = 0; v < validators; ++v) {
    std::ostringstream& side = ((mask >> v) & 1) ? a : b;
    if (side.tellp() > 0) side << ",";
    side << v;
  }
  return "{" + a.str() + "} | {" + b.str() + "}";
}

void PrintRecord(std::ostream& s, const TraceRecord& r, uint32_t validators) {
  s << "t=" << r.at_ms << "ms ";
  switch (r.kind) {
    case TraceKind::kDeliver:
    case TraceKind::kLost:
    case TraceKind::kPartitioned:
    case TraceKind::kDown:
      s << r.from << "->" << r.to << " ";
      PrintMessage(s, r.message);
      if (r.kind == TraceKind::kLost) s << " dropped(link)";
      if (r.kind == TraceKind::kPartitioned) s << " dropped(partition)";
      if (r.kind == TraceKind::kDown) s << " dropped(receiver down)";
      break;
    case TraceKind::kPropose:
      s << r.from << " propose r=" << r.message.round << " h=" << r.message.height
        << " b=" << ShortId(r.message.block) << (r.message.with_tc ? " +tc" : "");
      break;
    case TraceKind::kTimeout:
      s << r.from << " timeout r=" << r.message.round << " hqc=" << r.message.high_qc_round;
      break;
    case TraceKind::kCommit:
      s << r.from << " commit h=" << r.message.height << " b=" << ShortId(r.message.block);
      if (r.message.count > 1) s << " (+" << r.message.count - 1 << " below)";
      break;
    case TraceKind::kCrash: s << "crash " << r.from; break;
    case TraceKind::kRestart: s << "restart " << r.from; break;
    case TraceKind::kPartition: s << "partition " << GroupsOf(r.mask, validators); break;
    case TraceKind::kHeal: s << "heal"; break;
    case TraceKind::kGst: s << "gst"; break;
    case TraceKind::kViolation: s << "VIOLATION"; break;
  }
}

}  // namespace

MessageSummary Summarize(const Message& message) {
  MessageSummary m;
  if (const auto* p = std::get_if<Proposal>(&message)) {
    m.kind = MessageKind::kProposal;
    if (p->block) {
      m.round = p->block->header.round;
      m.height = p->block->header.height;
      m.block = p->block->id;
    }
    m.with_tc = p->tc.has_value();
  } else if (const auto* v = std::get_if<Vote>(&message)) {
    m.kind = MessageKind::kVote;
    m.round = v->data.round;
    m.height = v->data.height;
    m.block = v->data.block_id;
  } else if (const auto* t = std::get_if<Timeout>(&message)) {
    m.kind = MessageKind::kTimeout;
    m.round = t->data.round;
    m.high_qc_round = t->data.high_qc_round;
    m.with_vote = t->vote.has_value();
  } else if (const auto* q = std::get_if<BlockRequest>(&message)) {
    m.kind = MessageKind::kBlockRequest;
    m.block = q->block_id;
    m.count = q->ancestors;
  } else if (const auto* a = std::get_if<BlockResponse>(&message)) {
    m.kind = MessageKind::kBlockResponse;
    m.count = static_cast<uint32_t>(a->blocks.size());
    if (!a->blocks.empty() && a->blocks.front()) {
      m.block = a->blocks.front()->id;
      m.height = a->blocks.front()->header.height;
    }
  }
  return m;
}

void Trace::Add(const TraceRecord& record) {
  if (ring_.size() < kTraceEventsMax) {
    ring_.push_back(record);
    return;
  }
  ring_[next_] = record;
  next_ = (next_ + 1) % kTraceEventsMax;
}

std::string Trace::FormatRecord(const TraceRecord& record, uint32_t validators) {
  std::ostringstream s;
  PrintRecord(s, record, validators);
  return s.str();
}

std::string Trace::Format(uint32_t validators) const {
  std::ostringstream s;
  for (size_t k = 0; k < ring_.size(); ++k) {
    PrintRecord(s, ring_[(next_ + k) % ring_.size()], validators);
    s << "\n";
  }
  return s.str();
}

}  // namespace hotbft::sim
