// What a machine's memory_model means for the parts that read the configuration without running it (validation,
// the mutator's repairs, the oracle, systematic exploration): whether its CPUs have store buffers and invalidate
// queues, and how many agents its scheduler chooses among (docs/SIMULATOR.md "Store buffers", "Invalidate queues").
#pragma once

#include <cstdint>

#include "proto/scenario.pb.h"

namespace crashdiff {

inline bool BuffersStores(const pb::Machine& m) {
  return m.memory_model() == pb::ARCHITECTURE;
}

// Stores to different variables may become visible out of order (powerpc, arm64); x86-TSO keeps them in order.
inline bool ReordersStores(const pb::Machine& m) {
  return BuffersStores(m) && m.family() != pb::X86;
}

// Each CPU has an invalidate queue: its view of a variable may lag memory (load->load reordering, non-multi-copy
// atomicity: powerpc, arm64). x86-TSO loads are ordered and its stores multi-copy atomic.
inline bool QueuesInvalidates(const pb::Machine& m) {
  return ReordersStores(m);
}

// The CPUs (ids 0 .. cpus-1), with store buffers each CPU's buffer (id cpus + cpu), and with invalidate queues
// each CPU's queue (id 2 * cpus + cpu).
inline uint32_t NumAgents(const pb::Machine& m) {
  const uint32_t cpus = m.cores() * m.threads_per_core();
  return QueuesInvalidates(m) ? 3 * cpus : BuffersStores(m) ? 2 * cpus : cpus;
}

}  // namespace crashdiff
