// Entry points of the arm64 model: what each CPU runs at time 0, interrupt dispatch, software events.
#include "targets/arm64/arm64_kernel.h"

namespace crashdiff::arm64 {
Arm64Kernel::Arm64Kernel(Machine& m)
    : m_(m),
      panic_cpu_(m.NewVar("panic_cpu", kNoCpuId)),
      kexec_lock_(m.NewVar("kexec_lock", 0)),
      die_lock_(m.NewVar("die_lock", kNoCpuId)),
      cpu_maps_(m),
      kexec_in_progress_(m.NewVar("kexec_in_progress", 0)),
      crash_stop_(m.NewVar("crash_stop", 0)),
      stop_in_progress_(m.NewVar("stop_in_progress", 0)),
      num_online_(m.NewVar("num_online_cpus", 0)),
      cpus_stuck_in_kernel_(m.NewVar("cpus_stuck_in_kernel", 0)),
      online_(m.NewVarArray("cpu_online", 0)),
      die_request_(m.NewVarArray("cpu_down_request", 0)),
      stop_machine_(m, online_, num_online_),
      dead_(m.NewVarArray("cpuhp_dead", 0)),
      done_up_(m.NewVarArray("cpuhp_done_up", 0)),
      cpu_running_(m.NewVar("cpu_running", 0)),
      boot_status_(m.NewVar("secondary_data_status", kCpuBootSuccess)),
      early_boot_status_(m.NewVar("early_cpu_boot_status", 0)),
      stop_nmi_pending_(m.NewVarArray("gic_stop_nmi_pending", 0)),
      crash_(m, *this, common::kPLabelCrashModel, panic_cpu_, kexec_lock_),
      kexec_(m, *this, common::kKLabelKexecModel, kexec_lock_, kexec_in_progress_, cpu_maps_) {
  int64_t online = 0;
  for (uint32_t c = 0; c < m.num_cpus(); ++c) {
    online_[c]->value = m.initially_online(c) ? 1 : 0;
    online += online_[c]->value;
    // A CPU the kernel never brought up (beyond maxcpus=) keeps its cpuhp_state as the per-CPU area was initialised:
    // ap_sync_state 0 is SYNC_STATE_DEAD (kernel/cpu.c), so bringup_cpu's cpuhp_can_boot_ap() lets it be kicked.
    // Offline CPUs reach DEAD in cpu_die at settle time.
    if (m.never_started(c)) dead_[c]->value = kSyncDead;
  }
  num_online_.value = online;
}

Task<> Arm64Kernel::Start(Cpu& cpu) {
  if (m_.never_started(cpu.id())) {
    // PSCI: still off in firmware; spin-table: still in the boot loader's holding pen.
    co_await cpu.enter_firmware(Location::kNeverStarted, "hold");
    co_return;
  }
  if (!m_.initially_online(cpu.id())) {
    if (spin_table()) {
      co_await StuckInKernel(cpu);
    } else {
      cpu.set_location(Location::kOfflineLoop);
      co_await CpuDie(cpu);
    }
    co_return;
  }
  co_await cpu.park(Location::kRunOld, "idle");
}

Task<> Arm64Kernel::Interrupt(Cpu& cpu, Source source) {
  switch (source) {
    case Source::kIpi: {
      const auto& vectors = cpu.hw().taken_ipi_vectors;
      if (vectors.count(kIpiCpuStop)) {
        co_await IpiCpuStop(cpu);  // never returns
      } else if (vectors.count(kIpiCallFunc) && co_await stop_machine_.TakeWork(cpu)) {
        co_await CpuStopper(cpu);  // never returns on the CPU going down: it dies
      } else {
        co_await cpu.local("IRQ", "device interrupt: handle, EOI");
      }
      break;
    }
    case Source::kNmi:
      // A pseudo-NMI: the only NMI-priority SGI the model sends is IPI_CPU_STOP_NMI.
      if (co_await cpu.read(*stop_nmi_pending_[cpu.id()], "AN") == 1) {
        co_await cpu.write(*stop_nmi_pending_[cpu.id()], 0, "AN");
        co_await IpiCpuStop(cpu);
      }
      break;
    case Source::kMce: co_await cpu.local("MC", "RAS error (SEA/SError): reported and handled"); break;
    default: co_await cpu.local("IRQ", "ignored interrupt"); break;
  }
}

Task<> Arm64Kernel::Software(Cpu& cpu, const pb::Event& event) {
  // kexec and hotplug are system calls: they start only from process context (the CPU's base frame, interrupts
  // on), never inside an interrupt handler or on top of another kernel path.
  const bool syscall = event.kind() == pb::KEXEC || event.kind() == pb::HOTPLUG_DOWN || event.kind() == pb::HOTPLUG_UP;
  if (syscall && (cpu.frames().size() != 2 || !cpu.irq_enabled())) {
    co_await cpu.local("SYS", "not in process context: request not started");
    co_return;
  }
  switch (event.kind()) {
    case pb::PANIC: co_await crash_.Panic(cpu, {}); break;
    case pb::OOPS: co_await Oops(cpu); break;
    case pb::KEXEC: co_await kexec_.KernelKexec(cpu); break;
    case pb::HOTPLUG_DOWN: co_await CpuDown(cpu, event.cpus(1)); break;
    case pb::HOTPLUG_UP: co_await CpuUp(cpu, event.cpus(1)); break;
    default: break;
  }
}

}  // namespace crashdiff::arm64
