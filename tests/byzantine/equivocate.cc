// equivocate: as leader, one block to some validators and a conflicting one to the rest.
#include <algorithm>
#include <deque>
#include <utility>

#include "tests/byzantine/craft.h"
#include "tests/byzantine/strategies.h"

namespace hotbft::byzantine {
namespace {

class Equivocate final : public Strategy {
 public:
  StrategyKind kind() const override { return StrategyKind::kEquivocate; }

  std::vector<Envelope> OnSend(Envelope honest, Context& ctx) override {
    const Proposal* original = std::get_if<Proposal>(&honest.message);
    if (original == nullptr || !original->block || !original->block->payload) {
      return {std::move(honest)};
    }
    Proposal twin = SignProposal(ConflictingBlock(*original->block, ctx), original->tc, ctx);
    // Two non-empty halves, drawn afresh each time: a split the network happens to favour
    // is no better than any other.
    std::vector<uint32_t> to = std::move(honest.to);
    if (to.size() < 2) return {Envelope{std::move(to), honest.message}};
    Shuffle(to, *ctx.rng);
    const size_t cut = 1 + RandomBelow(*ctx.rng, to.size() - 1);
    Envelope first{std::vector<uint32_t>(to.begin(), to.begin() + cut), honest.message};
    Envelope second{std::vector<uint32_t>(to.begin() + cut, to.end()), std::move(twin)};
    HOTBFT_ASSERT(!first.to.empty());
    HOTBFT_ASSERT(!second.to.empty());
    return {std::move(first), std::move(second)};
  }

  // Serves its conflicting blocks, so that a QC formed on one of them can be followed
  // (an honest validator fetches the block a verified QC names).
  ReceiveResult OnReceive(uint32_t from, const Message& message, Context& ctx) override {
    ReceiveResult result;
    const auto* request = std::get_if<BlockRequest>(&message);
    if (request == nullptr) return result;
    auto it = std::find_if(conflicting_.begin(), conflicting_.end(),
                           [&](const auto& b) { return b->id == request->block_id; });
    if (it == conflicting_.end()) return result;
    BlockResponse response{{*it}};
    // Its ancestors are honest blocks, which this validator's core holds.
    if (ctx.core != nullptr && request->ancestors > 0) {
      for (auto& b :
           ctx.core->tree().WithAncestors((*it)->header.parent_id, request->ancestors - 1)) {
        response.blocks.push_back(std::move(b));
      }
    }
    HOTBFT_ASSERT(response.blocks.size() <= AddChecked(request->ancestors, 1));
    result.send.push_back(Envelope{{from}, std::move(response)});
    return result;
  }

 private:
  // The block that conflicts with `block`: same round, height, parent and justify, without
  // its transactions or, if it has none, with its timestamp a millisecond off (earlier
  // while that stays above the parent's, else later: well within every receiver's allowed
  // clock drift). The same block for every re-send of `block`, so a re-sent proposal is
  // not a third one.
  std::shared_ptr<const Block> ConflictingBlock(const Block& block, const Context& ctx) {
    auto known = std::find_if(conflicting_.begin(), conflicting_.end(), [&](const auto& b) {
      return b->header.round == block.header.round && b->header.parent_id == block.header.parent_id;
    });
    if (known != conflicting_.end()) return *known;
    auto twin = std::make_shared<Block>(block);
    if (!block.payload->txs.empty()) {
      auto payload = std::make_shared<Payload>(*block.payload);
      payload->txs.clear();
      twin->payload = std::move(payload);
    } else if (block.header.timestamp_ms > AddChecked(ParentTimestampMs(block, ctx), 1)) {
      twin->header.timestamp_ms = block.header.timestamp_ms - 1;
    } else {
      twin->header.timestamp_ms = AddChecked(block.header.timestamp_ms, 1);
    }
    std::shared_ptr<const Block> sealed = Reseal(std::move(twin), ctx);
    HOTBFT_ASSERT(sealed->id != block.id);
    if (conflicting_.size() >= kConflictingBlocksMax) conflicting_.pop_front();
    conflicting_.push_back(sealed);
    HOTBFT_ASSERT(conflicting_.size() <= kConflictingBlocksMax);
    return sealed;
  }

  // The parent's timestamp; without a core to ask, `block`'s own (so the twin goes later).
  static uint64_t ParentTimestampMs(const Block& block, const Context& ctx) {
    if (ctx.core == nullptr) return block.header.timestamp_ms;
    auto parent = ctx.core->tree().Get(block.header.parent_id);
    return parent ? parent->header.timestamp_ms : block.header.timestamp_ms;
  }

  std::deque<std::shared_ptr<const Block>> conflicting_;  // oldest first
};

}  // namespace

std::unique_ptr<Strategy> MakeEquivocate() {
  return std::make_unique<Equivocate>();
}

}  // namespace hotbft::byzantine
