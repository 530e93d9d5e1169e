// The agreement checker firing on a real fork: four validators running the test-only
// unsafe rules (no lock, no TC high-QC check) through a hand-written schedule of
// deliveries and timeouts. Validator 0 commits B1 at height 1 from a 3-chain only it saw;
// validator 1, which never learned a QC above genesis, leads round 5 after TC(4) and
// proposes F1 on the genesis QC; 2 and 3 vote for it and F1 commits at height 1 too.
// With the real rules the same schedule produces no fork.
#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <sstream>

#include "consensus/core.h"
#include "tests/consensus/fixtures.h"
#include "tests/sim/checkers.h"

namespace hotbft::sim {
namespace {

using hotbft::testing::Fixture;
using hotbft::testing::kChainId;

constexpr uint32_t kN = 4;

std::string Describe(const Message& m) {
  std::ostringstream os;
  if (auto* p = std::get_if<Proposal>(&m)) {
    os << "Proposal r=" << p->block->header.round << " h=" << p->block->header.height
       << " b=" << ShortId(p->block->id);
  } else if (auto* v = std::get_if<Vote>(&m)) {
    os << "Vote r=" << v->data.round << " b=" << ShortId(v->data.block_id);
  } else if (auto* t = std::get_if<Timeout>(&m)) {
    os << "Timeout r=" << t->data.round << " hqc=" << t->data.high_qc_round;
  } else if (std::holds_alternative<BlockRequest>(m)) {
    os << "BlockRequest";
  } else {
    os << "BlockResponse";
  }
  return os.str();
}

// Four cores whose every message waits in a pool until the script delivers or drops it.
// Persistence completes at once; payload requests are answered with one fresh transaction.
class ScriptedCluster {
 public:
  explicit ScriptedCluster(bool unsafe) : fx_(kN), election_(kN), agreement_(kN, *fx_.genesis()) {
    for (uint32_t i = 0; i < kN; ++i) {
      CoreConfig config;
      config.chain_id = kChainId;
      config.empty_block_interval_ms = 100;
      config.test_only_unsafe_skip_tc_check = unsafe;
      SafetyRulesOptions options;
      options.test_only_unsafe_no_lock = unsafe;
      auto rules = std::make_unique<SafetyRules>(fx_.MakeValidatorSigner(i, 50 + i), i, kChainId,
                                                 std::nullopt, options);
      rules->InitializeFresh(0);
      RecoveryState rec;
      rec.root = fx_.genesis();
      rec.root_qc = fx_.genesis_qc();
      cores_.push_back(std::make_unique<Core>(config, i, fx_.validators(), fx_.verifier(),
                                              election_, std::move(rules), std::move(rec)));
    }
    for (uint32_t i = 0; i < kN; ++i) Apply(i, cores_[i]->Start(now_));
  }

  using Match = std::function<bool(uint32_t from, uint32_t to, const Message&)>;

  // Delivers every pooled message that matches, including ones the deliveries create,
  // until none matches.
  void Deliver(const Match& match) {
    for (bool progress = true; progress;) {
      progress = false;
      for (size_t k = 0; k < pool_.size(); ++k) {
        if (!match(pool_[k].from, pool_[k].to, pool_[k].message)) continue;
        Pending p = std::move(pool_[k]);
        pool_.erase(pool_.begin() + static_cast<std::ptrdiff_t>(k));
        Log(std::to_string(p.from) + "->" + std::to_string(p.to) + " " + Describe(p.message));
        Apply(p.to, cores_[p.to]->OnMessage(p.from, p.message, now_));
        progress = true;
        break;
      }
    }
  }

  void DropAll(const Match& match) {
    std::erase_if(pool_, [&](const Pending& p) { return match(p.from, p.to, p.message); });
  }

  // Advances the clock and ticks the listed validators.
  void Tick(uint64_t now_ms, std::vector<uint32_t> who) {
    now_ = now_ms;
    for (uint32_t i : who) {
      Log(std::to_string(i) + " tick");
      Apply(i, cores_[i]->OnTick(now_));
    }
  }

  std::optional<Violation> violation() const { return violation_; }
  std::string trace() const { return trace_.str(); }
  Core& core(uint32_t i) { return *cores_[i]; }

 private:
  struct Pending {
    uint32_t from, to;
    Message message;
  };

  void Log(const std::string& line) { trace_ << "t=" << now_ << "ms " << line << "\n"; }

  void Apply(uint32_t i, const std::vector<Action>& actions) {
    std::deque<std::vector<Action>> work{actions};
    while (!work.empty()) {
      std::vector<Action> batch = std::move(work.front());
      work.pop_front();
      for (const Action& a : batch) {
        if (auto* s = std::get_if<SendAction>(&a)) pool_.push_back({i, s->to, s->message});
        if (auto* b = std::get_if<BroadcastAction>(&a)) {
          for (uint32_t j = 0; j < kN; ++j) {
            if (j != i) pool_.push_back({i, j, b->message});
          }
        }
        if (auto* p = std::get_if<PersistAction>(&a)) {
          work.push_back(cores_[i]->OnPersisted(p->token, now_));
        }
        if (auto* r = std::get_if<RequestPayloadAction>(&a)) {
          auto payload = std::make_shared<Payload>();
          payload->txs.push_back(Bytes{static_cast<uint8_t>('a' + tx_counter_++)});
          work.push_back(cores_[i]->OnPayloadReady(r->round, payload, now_));
        }
        if (auto* c = std::get_if<CommitAction>(&a)) {
          for (const auto& block : c->blocks) {
            Log(std::to_string(i) + " commit h=" + std::to_string(block->header.height) +
                " b=" + ShortId(block->id));
            auto v = agreement_.OnCommit(i, *block);
            if (v && !violation_) violation_ = v;
          }
        }
      }
    }
  }

  Fixture fx_;
  RoundRobinElection election_;
  AgreementChecker agreement_;
  std::vector<std::unique_ptr<Core>> cores_;
  std::vector<Pending> pool_;
  uint64_t now_ = 1;
  int tx_counter_ = 0;
  std::optional<Violation> violation_;
  std::ostringstream trace_;
};

template <typename T>
bool Is(const Message& m) {
  return std::holds_alternative<T>(m);
}

// Runs the schedule; returns the cluster for inspection.
std::unique_ptr<ScriptedCluster> RunForkSchedule(bool unsafe) {
  auto c = std::make_unique<ScriptedCluster>(unsafe);
  auto among = [](std::set<uint32_t> group) {
    // Block fetching is never answered in this schedule.
    return [group](uint32_t from, uint32_t to, const Message& m) {
      return group.count(from) && group.count(to) && !Is<BlockRequest>(m) && !Is<BlockResponse>(m);
    };
  };
  // Round 1 (leader 1): B1 reaches everyone; the votes reach 2, which forms QC1 and leads
  // round 2. Round 2: B2 reaches 0 and 3, not 1; the votes reach 3, which leads round 3.
  c->Deliver(
      [](uint32_t from, uint32_t, const Message& m) { return from == 1 && Is<Proposal>(m); });
  c->Deliver([](uint32_t, uint32_t to, const Message& m) { return to == 2 && Is<Vote>(m); });
  c->Deliver([](uint32_t from, uint32_t to, const Message& m) {
    return from == 2 && to != 1 && Is<Proposal>(m);
  });
  c->Deliver([](uint32_t, uint32_t to, const Message& m) { return to == 3 && Is<Vote>(m); });
  // Round 3: B3 reaches 0 and 2; with 3's own vote, 0 forms QC3 and commits B1.
  c->Deliver([](uint32_t from, uint32_t to, const Message& m) {
    return from == 3 && to != 1 && Is<Proposal>(m);
  });
  c->Deliver([](uint32_t, uint32_t to, const Message& m) { return to == 0 && Is<Vote>(m); });
  // From here on validator 0 is cut off, and nobody answers block requests (so validator 1
  // never gets B2 and its high QC stays at genesis).
  auto cut = [](uint32_t from, uint32_t to, const Message& m) {
    return from == 0 || to == 0 || Is<BlockRequest>(m) || Is<BlockResponse>(m);
  };
  c->DropAll([](uint32_t, uint32_t, const Message&) { return true; });
  // Rounds 3 and 4 time out among 1, 2 and 3 (1 follows by the f + 1 rule and the
  // certificates the timeouts carry).
  c->Tick(2'000, {2, 3});
  c->DropAll(cut);
  c->Deliver(among({1, 2, 3}));
  c->DropAll(cut);
  c->Tick(4'000, {1, 2, 3});
  c->DropAll(cut);
  c->Deliver(among({1, 2, 3}));
  c->DropAll(cut);
  // Round 5 (leader 1) proposes on the genesis QC with TC(4); rounds 6 and 7 follow;
  // round 7's votes go to 0 (cut off), so round 7 times out and its timeouts carry them.
  c->Deliver(among({1, 2, 3}));
  c->DropAll(cut);
  c->Tick(9'000, {1, 2, 3});
  c->DropAll(cut);
  c->Deliver(among({1, 2, 3}));
  return c;
}

TEST(ForkSchedule, UnsafeRulesForkAndAgreementCheckerFires) {
  auto c = RunForkSchedule(/*unsafe=*/true);
  ASSERT_TRUE(c->violation().has_value()) << "no fork; trace:\n" << c->trace();
  const Violation v = *c->violation();
  EXPECT_EQ(v.checker, "agreement");
  EXPECT_NE(v.message.find("height 1"), std::string::npos) << v.message;
  std::cout << "agreement violation: " << v.message << "\n";
}

TEST(ForkSchedule, SafeRulesDoNotFork) {
  auto c = RunForkSchedule(/*unsafe=*/false);
  EXPECT_FALSE(c->violation().has_value()) << c->violation()->message << "\n" << c->trace();
  EXPECT_EQ(c->core(0).committed_height(), 1u);  // 0 still committed B1
}

}  // namespace
}  // namespace hotbft::sim
