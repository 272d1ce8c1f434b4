// The scheduler's part of a CPU's take-down that the crash-path models need: a task asleep on the dying CPU is woken
// on another CPU (kernel/sched/core.c select_fallback_rq(): the first active CPU the task may run on; the models pin
// nothing a take-down can reach, so the first online CPU). Sources: torvalds/linux kernel/sched/core.c, v4.14 to
// v6.x (migrate_tasks() before 5.14, balance_push() after; the fallback CPU is the same).
#pragma once

#include <cstdint>
#include <functional>

#include "sim/cpu.h"
#include "sim/machine.h"
#include "sim/task.h"

namespace crashdiff::common {

// cpumask_first(cpu_online_mask): the lowest CPU `online` names, num_cpus if none.
uint32_t FirstOnline(uint32_t num_cpus, const std::function<bool(uint32_t)>& online);

// On the dying CPU, once it has left the online mask: if a task sleeps on it (Cpu::set_sleeping_task), one step
// moves it to the first CPU `online` names, where it goes on (Machine::MoveSleepingTask). No step otherwise.
Task<> WakeSleepingTaskElsewhere(Machine& m, Cpu& cpu, std::function<bool(uint32_t)> online, Label l);

}  // namespace crashdiff::common
