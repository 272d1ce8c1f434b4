#include "targets/common/cpu_maps.h"

#include <utility>

#include "targets/common/crash_core.h"

namespace crashdiff::common {

CpuMaps::CpuMaps(Machine& m)
    : lock_(m.NewVar("cpu_add_remove_lock", kNoCpuId)), disabled_(m.NewVar("cpu_hotplug_disabled", 0)) {}

Task<> CpuMaps::Lock(Cpu& cpu, Label l, Cpu::Resume elsewhere, TraceMark mark) {
  const int64_t self = cpu.id();
  const bool movable = elsewhere != nullptr;
  if (movable) cpu.set_sleeping_task(std::move(elsewhere), mark);
  co_await cpu.spin_cmpxchg(lock_, kNoCpuId, self, l);
  if (movable) cpu.clear_sleeping_task();
}

Task<> CpuMaps::Unlock(Cpu& cpu, Label l) {
  co_await cpu.store_release(lock_, kNoCpuId, l);
}

Task<bool> CpuMaps::Disabled(Cpu& cpu, Label l) {
  co_return co_await cpu.read(disabled_, l) > 0;
}

Task<> CpuMaps::AddDisabled(Cpu& cpu, int delta, Label l) {
  co_await cpu.fetch_add(disabled_, delta, l);
}

Task<> CpuMaps::HotplugDisable(Cpu& cpu, int delta, Label l, Cpu::Resume elsewhere, TraceMark mark) {
  co_await Lock(cpu, l, std::move(elsewhere), mark);
  co_await AddDisabled(cpu, delta, l);
  co_await Unlock(cpu, l);
}

}  // namespace crashdiff::common
