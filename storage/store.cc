#include "storage/store.h"

namespace hotbft::storage {

bool WriteBatch::empty() const {
  return !safety && blocks.empty() && !high_qc && !high_tc && !root_qc && committed.empty() &&
         executed.empty() && !finalized;
}

WriteBatch BatchFromPersist(PersistAction action) {
  WriteBatch batch;
  batch.safety = std::move(action.safety);
  batch.blocks = std::move(action.blocks);
  batch.high_qc = std::move(action.high_qc);
  batch.high_tc = std::move(action.high_tc);
  batch.root_qc = std::move(action.root_qc);
  batch.committed = std::move(action.committed);
  return batch;
}

}  // namespace hotbft::storage
