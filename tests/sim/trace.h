// Trace: the last kTraceEventsMax events of a run, kept as compact records and rendered
// only when a checker fires, one line each in the style of etcd-raft's testdata:
//
//   t=12034ms 2->3 Vote r=17 h=9 b=3fa1c2
//   t=12040ms 1->0 Timeout r=18 hqc=16 +vote dropped(partition)
//   t=12041ms 1 timeout r=18
//   t=12050ms 3 commit h=9 b=3fa1c2 (+2)
//   t=12060ms crash 2
//
// Not thread-safe; owned by one Simulation.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "consensus/messages.h"

namespace hotbft::sim {

inline constexpr size_t kTraceEventsMax = 200;

enum class TraceKind : uint8_t {
  kDeliver,      // a message arrived: from -> to
  kLost,         // the link lost it
  kPartitioned,  // a partition cut it
  kDown,         // it arrived at a crashed validator
  kPropose,      // `from` sent a proposal
  kTimeout,      // `from` sent a timeout
  kCommit,       // `from` committed blocks up to height/block (`count` blocks)
  kCrash,
  kRestart,
  kPartition,  // `mask` is one side
  kHeal,
  kGst,
  kViolation,
};

enum class MessageKind : uint8_t {
  kNone,
  kProposal,
  kVote,
  kTimeout,
  kBlockRequest,
  kBlockResponse
};

// The part of a message a trace line shows.
struct MessageSummary {
  MessageKind kind = MessageKind::kNone;
  Round round = 0;
  Height height = 0;
  Round high_qc_round = 0;  // timeouts
  uint32_t count = 0;       // block responses: blocks; requests: ancestors
  bool with_vote = false;   // timeouts carrying a vote
  bool with_tc = false;     // proposals carrying a TC
  Hash32 block;             // the block the message is about, if any
};
MessageSummary Summarize(const Message& message);

struct TraceRecord {
  uint64_t at_ms = 0;
  TraceKind kind = TraceKind::kDeliver;
  uint32_t from = 0;
  uint32_t to = 0;
  uint64_t mask = 0;
  MessageSummary message;
};

class Trace {
 public:
  void Add(const TraceRecord& record);
  // The kept records, oldest first, one line each.
  std::string Format(uint32_t validators) const;
  // One record as its line (without the newline).
  static std::string FormatRecord(const TraceRecord& record, uint32_t validators);

 private:
  std::vector<TraceRecord> ring_;
  size_t next_ = 0;  // where the next record goes once the ring is full
};

}  // namespace hotbft::sim
