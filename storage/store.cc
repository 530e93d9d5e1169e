#include "storage/store.h"

namespace hotbft::storage {

bool WriteBatch::empty() const {
  return !safety && blocks.empty() && !high_qc && !high_tc && !root_qc && committed.empty() &&
         executed.empty() && !finalized;
}

}  // namespace hotbft::storage
