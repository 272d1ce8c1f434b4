#include "targets/common/sched.h"

#include <cstdint>

namespace crashdiff::common {

uint32_t FirstOnline(uint32_t num_cpus, const std::function<bool(uint32_t)>& online) {
  uint32_t c = 0;
  while (c < num_cpus && !online(c)) ++c;
  return c;
}

Task<> WakeSleepingTaskElsewhere(Machine& m, Cpu& cpu, std::function<bool(uint32_t)> online, Label l) {
  if (!cpu.has_sleeping_task()) co_return;
  co_await cpu.ordered_hw_op(l, "select_fallback_rq: the sleeping task's new cpu", [&m, &cpu, &online] {
    // Never the dying CPU, whose cleared online bit may not be visible yet.
    const uint32_t to = FirstOnline(m.num_cpus(), [&](uint32_t c) { return c != cpu.id() && online(c); });
    if (to < m.num_cpus()) m.MoveSleepingTask(cpu, to);
    return static_cast<int64_t>(to);
  });
}

}  // namespace crashdiff::common
