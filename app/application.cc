#include "app/application.h"

#include <string>

namespace hotbft::app {

Status CheckPrepareProposalResult(const std::vector<Bytes>& txs, uint64_t bytes_max) {
  uint64_t total = 0;
  for (const Bytes& tx : txs) total += tx.size();  // cannot overflow: each is in memory
  if (total <= bytes_max) return Status::Ok();
  return Status::InvalidArgument("the proposal's " + std::to_string(txs.size()) +
                                 " transactions take " + std::to_string(total) +
                                 " bytes; at most " + std::to_string(bytes_max));
}

Status CheckFinalizeBlockResult(const FinalizeBlockRequest& request,
                                const FinalizeBlockResult& result) {
  const std::string at = "height " + std::to_string(request.height) + ": ";
  if (result.tx_results.size() != request.txs.size()) {
    return Status::InvalidArgument(at + std::to_string(result.tx_results.size()) + " results for " +
                                   std::to_string(request.txs.size()) + " transactions");
  }
  for (size_t i = 0; i < result.tx_results.size(); ++i) {
    const uint32_t code = result.tx_results[i].code;
    if (IsReservedCode(code)) {
      return Status::InvalidArgument(at + "transaction " + std::to_string(i) + " has result code " +
                                     std::to_string(code) + ", which is reserved for the node");
    }
  }
  return Status::Ok();
}

}  // namespace hotbft::app
