#include "targets/common/sched.h"

#include <cstdint>

namespace crashdiff::common {

Task<> WakeSleepingTaskElsewhere(Machine& m, Cpu& cpu, std::function<bool(uint32_t)> online, Label l) {
  if (!cpu.has_sleeping_task()) co_return;
  co_await cpu.ordered_hw_op(l, "select_fallback_rq: the sleeping task's new cpu", [&m, &cpu, &online] {
    uint32_t to = 0;
    while (to < m.num_cpus() && (to == cpu.id() || !online(to))) ++to;
    if (to < m.num_cpus()) m.MoveSleepingTask(cpu, to);
    return static_cast<int64_t>(to);
  });
}

}  // namespace crashdiff::common
