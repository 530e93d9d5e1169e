// Names the calling thread, as `top -H`, `ps -L`, perf and gdb show it: "hotbft-" is left
// out, so each name says what the thread does ("consensus", "store-writer", ...). Linux keeps
// 15 bytes; a longer name is cut.
#pragma once

#include <pthread.h>

#include <string>

namespace hotbft {

inline void SetThreadName(std::string name) {
  if (name.size() > 15) name.resize(15);
  (void)pthread_setname_np(pthread_self(), name.c_str());
}

}  // namespace hotbft
