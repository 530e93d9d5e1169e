#include "tests/sim/exactly_once.h"

#include <algorithm>
#include <sstream>

#include "app/application.h"

namespace hotbft::sim {

ExactlyOnceChecker::ExactlyOnceChecker(uint32_t validators, uint64_t stable_ms, uint64_t bound_ms)
    : stable_ms_(stable_ms), bound_ms_(bound_ms), owed_(validators), effect_(validators) {}

void ExactlyOnceChecker::OnAdmitted(uint32_t validator, const Hash32& tx, uint64_t now_ms) {
  if (effect_.at(validator).count(tx) != 0) return;  // already took effect there
  if (owed_.at(validator).emplace(tx, Owed{now_ms}).second) ++admitted_;
}

void ExactlyOnceChecker::OnCrash(uint32_t validator) {
  owed_.at(validator).clear();
}

std::optional<Violation> ExactlyOnceChecker::OnExecuted(uint32_t validator, const Hash32& tx,
                                                        Height height, uint32_t code,
                                                        uint64_t now_ms) {
  (void)now_ms;
  if (code == app::kCodeDuplicate) {
    ++duplicates_;
    return std::nullopt;
  }
  auto [it, first] = effect_.at(validator).emplace(tx, height);
  if (!first) {
    std::ostringstream s;
    s << "validator " << validator << ": transaction " << ShortId(tx)
      << " took effect twice, at heights " << it->second << " and " << height;
    return Violation{"exactly-once", s.str()};
  }
  ++took_effect_;
  owed_.at(validator).erase(tx);
  return std::nullopt;
}

std::optional<Violation> ExactlyOnceChecker::Check(uint64_t now_ms) const {
  for (uint32_t v = 0; v < owed_.size(); ++v) {
    for (const auto& [tx, owed] : owed_[v]) {
      const uint64_t due = std::max(owed.since_ms, stable_ms_) + bound_ms_;
      if (now_ms > due) {
        std::ostringstream s;
        s << "transaction " << ShortId(tx) << " admitted by validator " << v << " at "
          << owed.since_ms << " ms has not taken effect on its chain by " << now_ms << " ms (bound "
          << bound_ms_ << " ms after max(submission, GST " << stable_ms_ << " ms))";
        return Violation{"exactly-once", s.str()};
      }
    }
  }
  return std::nullopt;
}

}  // namespace hotbft::sim
