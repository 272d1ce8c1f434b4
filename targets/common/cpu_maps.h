// kernel/cpu.c's hotplug serialisation, shared by every family's hotplug and kexec paths: cpu_add_remove_lock (the
// mutex of cpu_maps_update_begin / done) and cpu_hotplug_disabled (cpu_hotplug_disable / enable; cpu_down and
// cpu_up refuse with -EBUSY while it is positive). Sources: torvalds/linux kernel/cpu.c, v4.14 to v6.x (the same
// steps throughout).
#pragma once

#include "sim/cpu.h"
#include "sim/machine.h"
#include "sim/task.h"

namespace crashdiff::common {

class CpuMaps {
 public:
  explicit CpuMaps(Machine& m);

  // cpu_maps_update_begin(): the mutex sleeps in the kernel; modelled as a spin that takes interrupts while it waits
  // (the idle CPU of a sleeping task does). The attempt is a fully ordered read-modify-write, at least what the
  // mutex's acquire orders. `elsewhere`, if given, is how the waiting task goes on if its CPU goes down while it
  // sleeps here (Cpu::set_sleeping_task, targets/common/sched.h; its start tagged with `mark`): only for a task that
  // has changed nothing it would then redo.
  Task<> Lock(Cpu& cpu, Label l, Cpu::Resume elsewhere = nullptr, TraceMark mark = TraceMark::kNone);
  // cpu_maps_update_done(): mutex_unlock, a release store.
  Task<> Unlock(Cpu& cpu, Label l);
  // Under the lock: whether hotplug is disabled (the -EBUSY test of cpu_down / cpu_up).
  Task<bool> Disabled(Cpu& cpu, Label l);
  // Under the lock: cpu_hotplug_disabled += delta (arm64's smp_shutdown_nonboot_cpus leaves it raised).
  Task<> AddDisabled(Cpu& cpu, int delta, Label l);
  // cpu_hotplug_disable() (delta 1) / cpu_hotplug_enable() (delta -1): the lock (as Lock), the count, the unlock.
  Task<> HotplugDisable(Cpu& cpu, int delta, Label l, Cpu::Resume elsewhere = nullptr,
                        TraceMark mark = TraceMark::kNone);

 private:
  Var& lock_;      // the owner's CPU id, kNoCpuId when free
  Var& disabled_;  // cpu_hotplug_disabled
};

}  // namespace crashdiff::common
