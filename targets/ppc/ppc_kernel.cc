// CPU lifecycle, interrupt entry and software events of the powernv model. Interrupt entry models powerpc's
// lazy ("soft") interrupt masking: local_irq_disable() only sets a soft mask; a maskable interrupt that arrives
// meanwhile is taken, recorded in paca->irq_happened, and returns hard-disabled (arch/powerpc/kernel/irq.c,
// masked_interrupt in exceptions-64s.S); local_irq_restore() replays what was recorded.
#include "targets/ppc/ppc_kernel.h"

namespace crashdiff::ppc {
namespace {

// The generic crash path under powerpc's step labels (docs/FIDELITY-ppc.md: P1-P4, K0-K2).
constexpr common::CrashModel kCrashModel{.irq_off = "P1",
                                         .panic_cpu = "P2",
                                         .notifiers = "P3",
                                         .end = "P4",
                                         .crash_kexec_cpu = "K0",
                                         .kexec_lock = "K1",
                                         .setup_regs = "K2",
                                         .console_lines = true,
                                         .owner_crashing = false,
                                         .book_shutdown_at_lock = false};

// kernel_kexec() under powerpc's labels (docs/FIDELITY-ppc.md: KX0-KX4; K0-K2 are the crash path's).
constexpr common::KexecModel kKexecModel{.lock = "KX0", .in_progress = "KX1", .kexec = "KX3", .jump = "KX4"};

}  // namespace

State::State(Machine& m)
    : crashing_cpu(m.NewVar(SharedVar::kCrashingCpu, -1)),
      panic_cpu(m.NewVar("panic_cpu", -1)),
      kexec_lock(m.NewVar("kexec_lock", 0)),
      cpus_in_crash(m.NewVar(SharedVar::kCpusInCrash, 0)),
      time_to_dump(m.NewVar("time_to_dump", 0)),
      cpus_state_saved(m, "cpus_state_saved", m.num_cpus()),
      online_mask(m, "cpu_online_mask", m.num_cpus()),
      crash_shutdown_cpu(m.NewVar("crash_shutdown_cpu", -1)),
      is_via_system_reset(m.NewVar("is_via_system_reset", 0)),
      crash_stopped(m.NewVar("crash_smp_send_stop.stopped", 0)),
      kexec_flag(m.NewVar("kexec_flag", 0)),
      nmi_lock(m.NewVar("nmi_ipi_lock", 0)),
      nmi_busy(m.NewVar("nmi_ipi_busy", 0)),
      nmi_function(m.NewVar("nmi_ipi_function", kFnNone)),
      nmi_pending(m, "nmi_ipi_pending_mask", m.num_cpus()),
      low_vectors(m.NewVar("exception_vectors", 0, Region::kLowVectors)) {
  const auto cpu_state = m.NewVarArray("cpu_state", kCpuOnline);
  const auto kexec_state = m.NewVarArray("paca.kexec_state", kKexecStateNone);
  const auto host_ipi = m.NewVarArray("host_ipi", 0);
  const auto msg_nmi = m.NewVarArray("ipi_message.NMI_IPI", 0);
  const auto msg_resched = m.NewVarArray("ipi_message.RESCHEDULE", 0);
  const auto msg_call = m.NewVarArray("ipi_message.CALL_FUNCTION", 0);
  const auto call_queue = m.NewVarArray("call_single_queue", kFnNone);
  const auto in_siblings = m.NewVarArray("in_sibling_mask", 0);
  const auto cpu_start = m.NewVarArray("paca.cpu_start", 1);
  kexec_in_progress = &m.NewVar("kexec_in_progress", 0);
  kexec_all_irq_disabled = &m.NewVar("kexec_all_irq_disabled", 0);
  CpuSet online;
  for (uint32_t c = 0; c < m.num_cpus(); ++c) {
    cpu.push_back(PerCpu{cpu_state[c], kexec_state[c], host_ipi[c], msg_nmi[c], msg_resched[c], msg_call[c],
                         call_queue[c], in_siblings[c], cpu_start[c]});
    if (m.never_started(c)) {  // still in firmware: never kicked, its per-CPU cpu_state never written
      cpu_start[c]->value = 0;
      cpu_state[c]->value = kCpuStateUnset;
    }
    cpu.back().has_paca = !m.never_started(c);
    present_mask.set(c);
    if (m.initially_online(c)) {
      online.set(c);
      in_siblings[c]->value = 1;
    }
  }
  online_mask.Init(online);
}

PpcKernel::PpcKernel(Machine& m, const Variant& v)
    : m_(m),
      v_(v),
      s_(m),
      crash_(m, *this, kCrashModel, s_.panic_cpu, s_.kexec_lock),
      cpu_maps_(m),
      kexec_(m, *this, kKexecModel, s_.kexec_lock, *s_.kexec_in_progress, cpu_maps_),
      stop_machine_(m, StopMachineOnlineCount(), StopMachineOnlineCpus()),
      kvm_(m.config().kvm_hv() ? std::make_unique<KvmState>(m) : nullptr),
      idle_(PnvOfflineIdle(m.config().firmware(), m.config().platform(), v.idle_restore == IdleRestore::k10d91611)),
      ec0_latch_(m.num_cpus(), -1),
      p8_hw_idle_(m.num_cpus(), kPnvThreadRunning),
      p8_hw_loss_(m.num_cpus(), 0),
      p9_req_(m.num_cpus(), kP9Running),
      p9_pls_(m.num_cpus(), 0),
      p9_core_level_((m.num_cpus() + m.threads_per_core() - 1) / m.threads_per_core(), kP9Running),
      core_dec_stopped_((m.num_cpus() + m.threads_per_core() - 1) / m.threads_per_core(), 0),
      dec_left_(m.num_cpus(), kForever) {
  // multi_cpu_stop's local_irq_disable() is the soft mask, then hard_irq_disable(); local_irq_restore() replays.
  stop_machine_.set_irq_steps(
      [this](Cpu& cpu, Label l) -> Task<> {
        co_await SoftIrqDisable(cpu, l);
        co_await cpu.irq_disable(l);
      },
      [this](Cpu& cpu, Label l) -> Task<> { co_await SoftIrqRestore(cpu, l); });
  // pnv_init_idle_states: paca[first]->idle_state = (1 << threads_per_core) - 1, every thread running.
  if (idle_.kernel_restores) {
    const uint32_t tpc = m.threads_per_core();
    for (uint32_t core = 0; core * tpc < m.num_cpus(); ++core) {
      core_idle_.push_back(&m.NewVar("paca.idle_state core " + std::to_string(core), (int64_t{1} << tpc) - 1));
    }
  }
}

bool PpcKernel::XiveEnabled() const {
  return platform() == pb::POWER9_DOORBELL_XIVE || platform() == pb::POWER9_XIVE_IPI;
}

// The boot CPU-setup sets PECE0|PECE1|PECE2 (__init_LPCR_ISA206 / __init_LPCR_ISA300, kernel/cpu_setup_power.S,
// v4.14; cpu_setup_power.c since v5.12) plus the directed hypervisor doorbell exit PECEDH (__setup_cpu_power8) and,
// on POWER9, PECEDH | PECE_HVEE (__setup_cpu_power9; HVICE and HEIC are not wake enables). Bits: asm/reg.h.
uint64_t PpcKernel::BootLpcr() const {
  uint64_t lpcr = kLpcrPecedh | kLpcrPece0 | kLpcrPece1 | kLpcrPece2;
  if (platform() != pb::POWER8_XICS) lpcr |= kLpcrPeceHvee;
  return lpcr;
}

Task<> PpcKernel::Start(Cpu& cpu) {
  // The exception vectors (0x100 reset incl. power-save wakeup, 0x200 MCE, 0xE60 HMI) live at real address 0.
  cpu.set_vector_region(Region::kLowVectors);
  // The LPCR the boot path left, and the same value in the stop-api image (pnv_save_sprs_for_deep_states programs
  // the boot CPU's mfspr(LPCR) for every present CPU at boot, platforms/powernv/idle.c, a thread skiboot still
  // holds included): state before step 0, not a step.
  if (m_.never_started(cpu.id())) {
    cpu.init_slw_lpcr(BootLpcr());
  } else {
    cpu.init_lpcr(BootLpcr());
  }
  if (m_.initially_online(cpu.id())) ArmBootTick(cpu);  // tick.cc: Machine.tick_ns, also state before step 0
  if (m_.never_started(cpu.id())) {
    co_await FirmwareHold(cpu);  // left only when opal_start_cpu's job starts it afresh at FirmwareEntry
    co_return;
  }
  co_await CpuLife(cpu, !m_.initially_online(cpu.id()));
}

// A never-started thread opal_start_cpu's job started at generic_secondary_smp_init (hotplug.cc): a fresh stack;
// once online it lives as any online CPU.
Task<> PpcKernel::FirmwareEntry(Cpu& cpu) {
  co_await GenericSecondarySmpInit(cpu);
  co_await CpuLife(cpu, /*starts_offline=*/false);
}

// An online CPU idles until its stopper has taken it out of the online mask (hotplug.cc); it then walks to the
// offline loop, and if it is ever restarted comes back online and idles again.
Task<> PpcKernel::CpuLife(Cpu& cpu, bool starts_offline) {
  bool offline = starts_offline;
  for (;;) {
    if (!offline) co_await OnlineIdle(cpu);
    co_await OfflineLoop(cpu);
    co_await StartSecondary(cpu);
    offline = false;
  }
}

// do_idle(): interrupts on, tasks (software events, the stopper) run on top of it; once take_cpu_down has cleared
// this CPU's online bit and the stopper is done, the idle loop's cpu_is_offline() test sends it to cpu_die.
Task<> PpcKernel::OnlineIdle(Cpu& cpu) {
  cpu.set_location(Location::kRunOld);
  pc(cpu).in_idle = true;
  const CpuMask& online = s_.online_mask;
  const uint32_t me = cpu.id();
  co_await cpu.wait_until([&online, me] { return !online.Has(me); }, kForever, "IDLE");
  pc(cpu).in_idle = false;
  co_await online.Test(cpu, me, "D6");  // do_idle: cpu_is_offline()
  co_await cpu.local("D7", "cpuhp_report_idle_dead; arch_cpu_idle_dead -> cpu_die");
}

Task<> PpcKernel::SoftIrqDisable(Cpu& cpu, Label l) {
  co_await cpu.local(l, "local_irq_disable (soft mask)");
  pc(cpu).soft_disabled = true;
}

Task<bool> PpcKernel::WaitFromBudget(Cpu& cpu, std::function<bool()> pred, uint64_t& budget_ns, Label l) {
  const uint64_t start = m_.now();
  const bool held = co_await cpu.wait_until(std::move(pred), budget_ns, l);
  const uint64_t spent = m_.now() - start;
  if (budget_ns != kForever) budget_ns = spent >= budget_ns ? 0 : budget_ns - spent;
  co_return held;
}

// arch_local_irq_restore(): replay what was taken while soft-masked, then hard-enable. Level sources (EE, HVI)
// are still latched and are simply taken again once MSR[EE] is set; a doorbell was consumed when it was taken,
// so its handler is called here.
Task<> PpcKernel::SoftIrqRestore(Cpu& cpu, Label l) {
  co_await cpu.local(l, "local_irq_restore (soft enable)");
  PerCpu& p = pc(cpu);
  while (p.irq_happened != 0) {
    // The decrementer is replayed before a doorbell (v4.14 __check_irq_replay, v5.x replay_soft_interrupts).
    if (p.irq_happened & kIrqHappenedDec) {
      p.irq_happened &= ~kIrqHappenedDec;
      co_await cpu.local(l, "replay decrementer");
      co_await TimerInterrupt(cpu);
      continue;
    }
    if (p.irq_happened & kIrqHappenedDbell) {
      p.irq_happened &= ~kIrqHappenedDbell;
      co_await cpu.local(l, "replay doorbell");
      co_await DoorbellException(cpu);
      continue;
    }
    p.irq_happened = 0;
  }
  p.soft_disabled = false;
  co_await cpu.irq_enable(l);
}

Task<> PpcKernel::SetOnline(Cpu& cpu, uint32_t c, bool online, Label l, bool hotplug) {
  // set_cpu_online(): an atomic bit operation on the word of the mask that holds c's bit.
  Var& word = s_.online_mask.word_of(c);
  const int64_t bit = MaskBit(c);
  const bool is_online = (co_await cpu.read(word, l) & bit) != 0;
  if (is_online == online) co_return;
  // The bit's negation wraps (bit 63 is the sign bit): -INT64_MIN is INT64_MIN.
  co_await cpu.fetch_add(word, online ? bit : static_cast<int64_t>(0 - static_cast<uint64_t>(bit)), l);
  m_.RecordOnline(c, online, hotplug);
}

Task<> PpcKernel::MachineCheck(Cpu& cpu) {
  // A recoverable machine check in the old kernel: logged, then the interrupted code resumes.
  co_await cpu.local("MCE", "machine_check_exception");
  m_.Log(cpu.id(), "Machine check, recovered");
}

Task<> PpcKernel::Interrupt(Cpu& cpu, Source source) {
  PerCpu& p = pc(cpu);
  if (!p.has_paca || source == Source::kIsi) {
    co_await LooseInVectors(cpu, source);
    co_return;
  }
  if (Info(source).maskable && p.soft_disabled) {
    if (source == Source::kDec) {
      co_await MaskedDecrementer(cpu);  // tick.cc: recorded, DEC rewritten, MSR[EE] left on
      co_return;
    }
    co_await cpu.local("IRQ-MASKED", "interrupt taken while soft-masked: recorded, return hard-disabled");
    switch (source) {
      case Source::kHdoorbell: p.irq_happened |= kIrqHappenedDbell; break;
      case Source::kExternal:
      case Source::kHvi: p.irq_happened |= kIrqHappenedEe; break;
      case Source::kHmi: p.irq_happened |= kIrqHappenedHmi; break;
      default: break;
    }
    cpu.frames().back().saved_irq_enabled = false;  // the interrupted context resumes with MSR[EE] = 0
    co_return;
  }
  switch (source) {
    case Source::kReset: co_await SystemResetException(cpu, Regs{true, 0x100}); break;
    case Source::kMce: co_await MachineCheck(cpu); break;
    case Source::kHdoorbell: co_await DoorbellException(cpu); break;
    case Source::kExternal: co_await XicsExternal(cpu); break;
    case Source::kHvi: co_await XiveExternal(cpu); break;
    case Source::kHmi: co_await cpu.local("HMI", "hmi_exception: handled by OPAL"); break;
    case Source::kDec: co_await TimerInterrupt(cpu); break;
    default: co_await cpu.local("IRQ", "ignored"); break;
  }
}

// An instruction storage interrupt after the initiator's mmu_cleanup_all (MachineKexec): the 0x400 handler
// (instruction_access_common_real) turns translation back on and the next fetch faults again, 0x400 -> +0x8 ->
// 0x400 (the QEMU powersave=off run, docs/QEMU.md "After the hand-over"): a CPU looping in the low vectors.
// An interrupt on a thread Linux never started: only an operator's reset or a machine check gets one there (each
// takes the thread out of skiboot, FwReset::kResetAndMceToOsVector). Every powernv vector starts with GET_PACA
// (exceptions-64s.S: mfspr r13 from HSPRG0) and works on the paca through r13 (the 0x100 idle-wake test stores to
// PACA_EXNMI, GEN_INT_ENTRY takes the NMI emergency stack from it); this thread never ran SET_PACA, so r13 is whatever
// firmware left and the handler never reaches system_reset_exception (C code): no crash path, no save, no arrival
// count. What it then executes is not determined by the source (QEMU: it ended looping in old-kernel vectors, at
// 0xe40); the model keeps it executing the low vectors until the hand-over overwrites them (then DEAD_CORRUPT, the
// simulator's code check).
Task<> PpcKernel::LooseInVectors(Cpu& cpu, Source source) {
  cpu.set_code_region(Region::kLowVectors);
  cpu.set_location(Location::kLooseVectors);
  co_await cpu.local("N0", std::string(Name(source)) + " vector with no paca (HSPRG0 from firmware)");
  Var& vectors = s_.low_vectors;
  const int64_t intact = vectors.value;
  co_await cpu.wait_until([&vectors, intact] { return vectors.value != intact; }, kForever, "N0");
}

Task<> PpcKernel::Software(Cpu& cpu, const pb::Event& event) {
  const bool hotplug = event.kind() == pb::HOTPLUG_DOWN || event.kind() == pb::HOTPLUG_UP;
  bool in_interrupt = false;
  for (const Frame& f : cpu.frames()) in_interrupt |= f.is_interrupt;
  if (hotplug && in_interrupt) {
    // cpu_up/cpu_down sleep and cannot be called from interrupt context: the request does not happen.
    co_await cpu.local("SW", "hotplug request in interrupt context ignored");
    co_return;
  }
  if (event.kind() == pb::KEXEC && in_interrupt) {
    // reboot(LINUX_REBOOT_CMD_KEXEC) is a system call: never from interrupt context.
    co_await cpu.local("SW", "kexec request in interrupt context ignored");
    co_return;
  }
  // A task on an idle CPU (a system call, a kernel thread): the idle loop is left first, and returned to after.
  const bool from_idle = pc(cpu).in_idle && !in_interrupt;
  if (from_idle) co_await IdleExit(cpu, "TNX");
  co_await SoftwareTask(cpu, event);
  if (from_idle) pc(cpu).in_idle = true;
}

Task<> PpcKernel::SoftwareTask(Cpu& cpu, const pb::Event& event) {
  switch (event.kind()) {
    case pb::PANIC: co_await crash_.Panic(cpu, "panic event"); break;
    case pb::OOPS: co_await Die(cpu, "Oops: Kernel access of bad area", Regs{true, 0x300}); break;
    case pb::HOTPLUG_DOWN: co_await CpuDown(cpu, event.cpus(1)); break;
    case pb::HOTPLUG_UP: co_await CpuUpRequest(cpu, event.cpus(1)); break;
    case pb::KVM_ENTER: co_await KvmRunCore(cpu, event); break;
    case pb::KEXEC: co_await kexec_.KernelKexec(cpu); break;
    default:
      co_await cpu.local("SW", "event not modelled on powerpc");
      m_.Log(cpu.id(), "crashdiff: event not modelled by the powerpc models");
      break;
  }
}

}  // namespace crashdiff::ppc
